"""The eight release steps of SPEC §4. Each is idempotent against the world: a rerun after
a crash between doing a step and recording it finds the work done and does not repeat it."""

from __future__ import annotations

import shlex
import shutil
import sys
import tarfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from packaging.version import Version

from pytest_releaseplan import (
    atomic,
    commits,
    gitops,
    process,
    retry,
    versions,
)
from pytest_releaseplan.context import Context
from pytest_releaseplan.ecosystems import Ecosystem
from pytest_releaseplan.errors import Category, CheckFailure
from pytest_releaseplan.npm import pep440
from pytest_releaseplan.workspace import Package

BUILD_TIMEOUT = 900.0
PUSH_TIMEOUT = 300.0


@dataclass
class Job:
    ctx: Context
    pkg: Package
    release: Version
    tag: str
    eco: Ecosystem
    raise_to: dict[str, Version]  # internal dependency -> released version (state of this run)
    scratch: Path
    dry_run: bool
    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    wait_s: float = 0.0
    source: Path | None = None  # where to build from (the package dir, or a copy)
    # Called with the files a step is about to write, before it writes them: a crash
    # between writing and committing leaves them dirty, and the rerun must know they are ours.
    mark_writing: Callable[[list[Path]], None] = lambda _paths: None
    interrupted_step: str | None = None  # the step an unfinished run stopped while writing

    @property
    def repo(self) -> Path:
        return self.pkg.repo

    @property
    def branch(self) -> str:
        return self.ctx.config.branch


def _g(job: Job) -> str:
    return f"git -C {job.repo}"


def update_internal_deps(job: Job) -> None:
    pkg, eco = job.pkg, job.eco
    target = eco.manifest(pkg, job.source or pkg.path)
    manifest = eco.manifest(pkg, pkg.path)
    text = target.read_text(encoding="utf-8")
    released = {
        n: v
        for n, v in job.raise_to.items()
        if n in {d.name for d in job.ctx.workspace.internal(pkg)}
    }
    new_text, changes = eco.raise_internal(text, released)
    job.notes += changes
    if job.dry_run:
        if changes:
            atomic.replace_text(target, new_text)  # the scratch copy only
            if pkg.lockfile is not None:
                job.notes.append(f"would relock {pkg.lockfile} with {shlex.join(eco.relock_argv(pkg))}")
        return
    relocking = pkg.lockfile is not None and job.ctx.config.lockfile != "ignore"
    paths = [manifest] + ([pkg.lockfile] if relocking and pkg.lockfile else [])
    if changes:
        job.mark_writing(paths)
        atomic.replace_text(manifest, new_text)
    # Files left modified by an interrupted run of *this* step are ours to finish; those of a
    # later step (set-version) are committed by that step, under its own message.
    ours = bool(changes) or job.interrupted_step == "update-internal-deps"
    if relocking and ours and (changes or gitops.is_modified(job.repo, manifest)):
        eco.relock(pkg)
    if ours:
        _commit_dirty(job, paths, commits.raise_deps(pkg.name))
    if not changes:
        job.notes.append("internal dependencies: nothing to raise")


def _commit_dirty(job: Job, paths: list[Path], message: str) -> bool:
    """Commit those of `paths` that differ from HEAD (also when an interrupted run wrote them).

    A refused commit (no identity, a hook, signing) leaves nothing staged: the files stay
    modified in the work tree, recorded in the ledger as this step's, and the rerun commits
    them."""
    with job.ctx.repo_lock(job.repo):
        dirty = [p for p in paths if gitops.is_modified(job.repo, p)]
        if dirty:
            try:
                gitops.commit(job.repo, dirty, message)
            except process.ProcessError as exc:
                gitops.git(job.repo, "reset", "-q", "--", *map(str, dirty), check=False)
                raise _commit_refused(job, exc) from None
    return bool(dirty)


def _commit_refused(job: Job, exc: process.ProcessError) -> CheckFailure:
    repo = shlex.quote(str(job.repo))
    text = exc.result.stderr + exc.result.stdout
    fix = [f"git -C {repo} commit   # see why git refuses, fix it, then rerun the same command"]
    if "identity" in text or "user.email" in text or "user.name" in text:
        fix = [
            f'git -C {repo} config user.name "Your Name" && '
            f'git -C {repo} config user.email "you@example.com"   # then rerun the same command'
        ]
    return CheckFailure(
        f"{job.pkg.name}: git refused the release commit in {job.repo}",
        Category.FIXABLE,
        [exc.render()],
        fix,
    )


def set_version(job: Job) -> None:
    base = job.source or job.pkg.path
    if job.dry_run:
        job.eco.write_version(job.pkg, base, str(job.release))
        job.notes.append(
            f"would commit {commits.release(job.pkg.name, job.release)!r} and tag {job.tag}"
        )
        return
    if f"refs/tags/{job.tag}" in gitops.refs(job.repo):
        return  # done before a crash: the tag is the last thing this step makes
    files = job.eco.version_files(job.pkg, base)
    job.mark_writing(files)
    job.eco.write_version(job.pkg, base, str(job.release))
    message = commits.release(job.pkg.name, job.release)
    _commit_dirty(job, files, message)
    with job.ctx.repo_lock(job.repo):
        gitops.git(job.repo, "tag", "-a", job.tag, "-m", message)


def check(job: Job) -> None:
    argv = job.ctx.config.check
    if not argv:
        job.notes.append("no check command configured")
        return
    cwd = job.source or job.pkg.path
    try:
        process.run([_fill(a, job, cwd) for a in argv], cwd=cwd, timeout=job.ctx.config.timeout)
    except process.ProcessError as exc:
        raise CheckFailure(
            f"{job.pkg.name}: the check command failed" + (" (timed out)" if exc.timed_out else ""),
            Category.BLOCKING,
            [exc.render()],
            [
                f"cd {cwd} && {' '.join(_fill(a, job, cwd) for a in argv)}   # fix what it reports, then rerun"
            ],
        ) from None


def _fill(arg: str, job: Job, cwd: Path) -> str:
    return (
        arg.replace("{python}", sys.executable)
        .replace("{dist}", str(job.scratch / "dist"))
        .replace("{package}", str(cwd))
    )


def build_from_tag(job: Job) -> None:
    """Build exactly what the release tag holds, from an export outside the work tree: no
    uncommitted file reaches the build, and the build leaves nothing in the user's tree."""
    tree = job.scratch / "tag-source"
    shutil.rmtree(tree, ignore_errors=True)
    tree.mkdir(parents=True)
    archive = job.scratch / "source.tar"
    rel = job.pkg.path.relative_to(job.repo).as_posix() or "."
    gitops.git(job.repo, "archive", "--format=tar", "-o", str(archive), job.tag, "--", rel)
    with tarfile.open(archive) as tar:
        tar.extractall(tree, filter="data")
    job.source = tree / rel
    _build(job)


def build(job: Job) -> None:
    """The release build: from the tag's export (a dry run builds its scratch copy)."""
    if job.dry_run:
        _build(job)
    else:
        build_from_tag(job)


def _build(job: Job) -> None:
    dist = job.scratch / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    dist.mkdir(parents=True)
    job.files = job.eco.build(job.pkg, job.source or job.pkg.path, dist, job.release)
    job.notes += [f"built {p.name}" for p in job.files]


def upload(job: Job) -> None:
    if job.dry_run:
        job.notes += [f"would upload {p.name} to {job.eco.target()}" for p in job.files]
        return
    job.notes += job.eco.upload(job.pkg, job.files)


def wait_index(job: Job) -> None:
    if job.dry_run:
        return
    job.wait_s = job.eco.wait_visible(job.pkg, job.release)


def push(job: Job) -> None:
    if job.dry_run:
        job.notes.append(f"would push {job.branch} and {job.tag} to {job.ctx.config.remote}")
        return
    cfg = job.ctx.config
    refs = [
        f"refs/heads/{job.branch}:refs/heads/{job.branch}",
        f"refs/tags/{job.tag}:refs/tags/{job.tag}",
    ]
    with job.ctx.repo_lock(job.repo):
        if cfg.target_branch != job.branch:
            gitops.git(
                job.repo, "branch", "-f", cfg.target_branch, job.branch
            ) if gitops.is_ancestor(job.repo, cfg.target_branch, job.branch) else _not_ff(job)
            refs.append(f"refs/heads/{cfg.target_branch}:refs/heads/{cfg.target_branch}")
        _push(job, refs)


def _not_ff(job: Job) -> None:
    cfg = job.ctx.config
    raise CheckFailure(
        f"{job.pkg.name}: cannot fast-forward {cfg.target_branch} to {job.branch}",
        Category.FIXABLE,
        [f"{cfg.target_branch} has commits that {job.branch} lacks"],
        [f"{_g(job)} merge {cfg.target_branch}   # on {job.branch}, then rerun the release"],
    )


def _push(job: Job, refspecs: list[str]) -> None:
    """`git push --atomic`, retried on transient failures (pushing the same refs twice is
    harmless; a timed-out push was killed with its group before any retry)."""
    retry.retry(
        lambda: _push_once(job, refspecs),
        retries=job.ctx.config.retries,
        is_transient=lambda e: isinstance(e, CheckFailure) and e.category is Category.TRANSIENT,
    )


def _push_once(job: Job, refspecs: list[str]) -> None:
    try:
        gitops.git(
            job.repo,
            "push",
            "--atomic",
            "--porcelain",
            job.ctx.config.remote,
            *refspecs,
            timeout=PUSH_TIMEOUT,
        )
    except process.ProcessError as exc:
        transient = exc.timed_out or any(
            s in exc.result.stderr
            for s in (
                "Could not read from remote",
                "hung up",
                "unable to access",
                "Connection",
                "timed out",
                "does not appear to be a git repository",
            )
        )
        raise CheckFailure(
            f"{job.pkg.name}: pushing {job.tag} to {job.ctx.config.remote} failed",
            Category.TRANSIENT if transient else Category.FIXABLE,
            [exc.render()],
            [
                f"{_g(job)} fetch {job.ctx.config.remote} && {_g(job)} status   # then rerun the release; "
                "it resumes after the upload"
            ],
        ) from None


def next_version(job: Job) -> None:
    if job.ctx.config.next_version == "none":
        job.notes.append("next-version = none: version left at the release")
        return
    following = versions.next_dev(job.release)
    if job.dry_run:
        shown = pep440.spelled(following, job.pkg.ecosystem)
        job.notes.append(f"would set the version to {shown}, commit and push")
        return
    files = job.eco.version_files(job.pkg, job.pkg.path)
    job.mark_writing(files)
    job.eco.write_version(job.pkg, job.pkg.path, str(following))
    _commit_dirty(job, files, commits.next_version(job.pkg.name, following))
    with job.ctx.repo_lock(job.repo):
        _push(job, [f"refs/heads/{job.branch}:refs/heads/{job.branch}"])


def tag_release_commit(job: Job) -> None:
    """For a release on the index but not tagged: tag the release commit, or HEAD."""
    if job.dry_run:
        job.notes.append(f"would tag {job.tag}")
        return
    with job.ctx.repo_lock(job.repo):
        if f"refs/tags/{job.tag}" in gitops.refs(job.repo):
            return
        found = gitops.out(
            job.repo,
            "log",
            "-1",
            "--format=%H",
            "--fixed-strings",
            f"--grep={commits.release(job.pkg.name, job.release)}",
        ).strip()
        gitops.git(
            job.repo,
            "tag",
            "-a",
            job.tag,
            "-m",
            commits.release(job.pkg.name, job.release),
            *([found] if found else []),
        )


STEPS: dict[str, Callable[[Job], None]] = {
    "update-internal-deps": update_internal_deps,
    "set-version": set_version,
    "check": check,
    "build": build,
    "upload": upload,
    "wait-index": wait_index,
    "push": push,
    "next-version": next_version,
    "build-from-tag": build_from_tag,
    "tag": tag_release_commit,
}
