"""The git adapter: argv calls with an explicit environment, machine-readable output."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from pytest_releaseplan import process

GIT_TIMEOUT = 60.0
FETCH_TIMEOUT = 120.0
# Variables that would point git at another repository or index than the one we name.
_SCRUB = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_NAMESPACE",
    "GIT_CEILING_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_PREFIX",
)


def env() -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if k not in _SCRUB}
    out.update(GIT_TERMINAL_PROMPT="0", LC_ALL="C", GIT_OPTIONAL_LOCKS="0")
    return out


def git(repo: Path, *args: str, timeout: float = GIT_TIMEOUT, check: bool = True) -> process.Result:
    return process.run(("git", "-C", str(repo), *args), env=env(), timeout=timeout, check=check)


def out(repo: Path, *args: str, timeout: float = GIT_TIMEOUT) -> str:
    return git(repo, *args, timeout=timeout).stdout


def read(repo: Path, *args: str, check: bool = True) -> process.Result:
    """A local read-only git call (no network, no write): started with vfork, see
    process.run's die_with_parent."""
    argv = ("git", "-C", str(repo), *args)
    return process.run(argv, env=env(), timeout=GIT_TIMEOUT, check=check, die_with_parent=False)


@dataclass
class Status:
    head: str | None  # branch name, None when detached
    oid: str | None
    upstream: str | None
    ahead: int
    behind: int
    changes: list[str] = field(default_factory=list)  # "XY path"
    operation: str | None = None  # merge/rebase/cherry-pick/revert in progress


def status(repo: Path) -> Status:
    raw = read(repo, "status", "--porcelain=v2", "--branch", "-z", "--untracked-files=normal").stdout
    st = Status(head=None, oid=None, upstream=None, ahead=0, behind=0)
    entries = raw.split("\0")
    i = 0
    while i < len(entries):
        entry = entries[i]
        i += 1
        if entry.startswith("# branch.oid "):
            oid = entry.split()[2]
            st.oid = None if oid == "(initial)" else oid
        elif entry.startswith("# branch.head "):
            head = entry.split(" ", 2)[2]
            st.head = None if head == "(detached)" else head
        elif entry.startswith("# branch.upstream "):
            st.upstream = entry.split(" ", 2)[2]
        elif entry.startswith("# branch.ab "):
            _, _, ahead, behind = entry.split()
            st.ahead, st.behind = int(ahead), -int(behind)
        elif entry.startswith(("1 ", "u ")):
            parts = entry.split(" ", 8 if entry[0] == "1" else 10)
            st.changes.append(f"{parts[1]} {parts[-1]}")
        elif entry.startswith("2 "):
            parts = entry.split(" ", 9)
            st.changes.append(f"{parts[1]} {parts[-1]}")
            i += 1  # a rename is followed by its original path
        elif entry.startswith("? "):
            st.changes.append(f"?? {entry[2:]}")
    st.operation = operation_in_progress(repo)
    return st


def git_dir(repo: Path) -> Path:
    dot = repo / ".git"
    if dot.is_dir():
        return dot
    return Path(read(repo, "rev-parse", "--absolute-git-dir").stdout.strip())


def operation_in_progress(repo: Path) -> str | None:
    d = git_dir(repo)
    for marker, name in (
        ("MERGE_HEAD", "merge"),
        ("rebase-merge", "rebase"),
        ("rebase-apply", "rebase"),
        ("CHERRY_PICK_HEAD", "cherry-pick"),
        ("REVERT_HEAD", "revert"),
    ):
        if (d / marker).exists():
            return name
    return None


def refs(repo: Path) -> dict[str, str]:
    """Every branch, remote-tracking branch and tag -> commit SHA (tags peeled)."""
    raw = read(
        repo,
        "for-each-ref",
        "--format=%(refname)%00%(objectname)%00%(*objectname)",
        "refs/heads",
        "refs/remotes",
        "refs/tags",
    ).stdout
    result: dict[str, str] = {}
    for line in raw.splitlines():
        name, oid, peeled = line.split("\0")
        result[name] = peeled or oid
    return result


def is_ancestor(repo: Path, older: str, newer: str) -> bool:
    return read(repo, "merge-base", "--is-ancestor", older, newer, check=False).returncode == 0


def ancestry(repo: Path, older: str, newer: str) -> bool | None:
    """Whether `older` is an ancestor of `newer`; None when the history cannot say (a
    shallow clone cut between them, or a commit missing)."""
    code = read(repo, "merge-base", "--is-ancestor", older, newer, check=False).returncode
    if code == 0:
        return True
    return False if code == 1 and not is_shallow(repo) else None


def remote_url(repo: Path, remote: str) -> str | None:
    r = read(repo, "remote", "get-url", remote, check=False)
    return r.stdout.strip() if r.returncode == 0 else None


def is_shallow(repo: Path) -> bool:
    return (git_dir(repo) / "shallow").exists()


def fetch(repo: Path, remote: str, timeout: float = FETCH_TIMEOUT) -> None:
    """Update the remote-tracking branches and the tags in one call; complete a shallow clone.

    CI clones are shallow and tag-less: the checks need the tags and the history between a
    tag, HEAD and the remote target, so a shallow repository is unshallowed by the same call.
    A local tag that differs from the remote's makes the fetch exit 1 ("would clobber
    existing tag") although the branches were fetched: that is no reason to fail the branch
    checks as transient (a retry would never help), so the branches are fetched alone then.
    """
    branches = f"+refs/heads/*:refs/remotes/{remote}/*"
    deepen = ("--unshallow",) if is_shallow(repo) else ()
    # `--tags`, not a tag refspec: `--prune` would delete local tags named by a refspec.
    # Not --quiet: git then says nothing about a clobbered tag, only exits 1.
    result = git(
        repo,
        "fetch",
        "--prune",
        "--tags",
        *deepen,
        "--no-recurse-submodules",
        remote,
        branches,
        timeout=timeout,
        check=False,
    )
    if result.returncode == 0:
        return
    if "would clobber existing tag" not in result.stderr:
        raise process.ProcessError(result, repo)
    git(
        repo,
        "fetch",
        "--quiet",
        "--prune",
        "--no-tags",
        *(("--unshallow",) if is_shallow(repo) else ()),
        "--no-recurse-submodules",
        remote,
        branches,
        timeout=timeout,
    )


def commits_since(repo: Path, ref: str, path: str) -> int:
    return int(read(repo, "rev-list", "--count", f"{ref}..HEAD", "--", path).stdout.strip() or 0)


def head(repo: Path) -> str:
    return read(repo, "rev-parse", "HEAD").stdout.strip()


def is_tracked(repo: Path, path: Path) -> bool:
    return read(repo, "ls-files", "--error-unmatch", "--", str(path), check=False).returncode == 0


def is_modified(repo: Path, path: Path) -> bool:
    return bool(read(repo, "status", "--porcelain", "--", str(path)).stdout.strip())


def commit(repo: Path, paths: list[Path], message: str) -> str:
    git(repo, "add", "--", *map(str, paths))
    git(repo, "commit", "--quiet", "--no-verify", "-m", message, "--", *map(str, paths))
    return head(repo)


def ls_remote(
    repo: Path, remote: str, *patterns: str, timeout: float = FETCH_TIMEOUT
) -> dict[str, str]:
    raw = out(repo, "ls-remote", remote, *patterns, timeout=timeout)
    result: dict[str, str] = {}
    for line in raw.splitlines():
        oid, name = line.split("\t")
        if name.endswith("^{}"):
            result[name[:-3]] = oid
        else:
            result.setdefault(name, oid)
    return result


def stale_index_lock(repo: Path) -> Path | None:
    """`.git/index.lock` left by a git process that was killed (no process holds it open):
    git refuses every index write while it exists. Linux only (it reads /proc); elsewhere None.
    """
    lock = git_dir(repo) / "index.lock"
    proc = Path("/proc")
    if not lock.exists() or not proc.is_dir():
        return None
    target = str(lock.resolve())
    for fd_dir in proc.glob("[0-9]*/fd"):
        try:
            fds = list(fd_dir.iterdir())
        except OSError:
            continue  # gone, or not ours to read
        for fd in fds:
            try:
                if str(fd.readlink()) == target:
                    return None  # a live git holds it
            except OSError:
                continue
    return lock
