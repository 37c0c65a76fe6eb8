"""Repository checks: `clean-worktree`, `branch`, `target-branch-sync`."""

from __future__ import annotations

from pathlib import Path

from pytest_releaseplan import gitops, state
from pytest_releaseplan.context import Context
from pytest_releaseplan.errors import Category, CheckFailure
from pytest_releaseplan.secrets import mask

MAX_PATHS = 10


def _repo(ctx: Context, rel: str) -> Path:
    return ctx.workspace.repositories[rel]


def _g(path: Path) -> str:
    return f"git -C {path}"


def clean_worktree(ctx: Context, rel: str) -> str:
    path = _repo(ctx, rel)
    ctx.fetch_error(rel)  # the run's one fetch first, so the status read here stays valid
    st = ctx.status(path)
    problems: list[str] = []
    fix: list[str] = []
    if st.operation:
        problems.append(f"a {st.operation} is in progress")
        fix.append(
            f"{_g(path)} {st.operation} --continue   # or: {_g(path)} {st.operation} --abort"
        )
    resumable = _interrupted_release_writes(ctx, path, st.changes)
    if st.changes and resumable == len(st.changes) and not st.operation:
        return f"{rel}: {resumable} files written by an interrupted release step: resuming"
    if st.changes:
        shown = st.changes[:MAX_PATHS]
        more = len(st.changes) - len(shown)
        problems += shown + ([f"... and {more} more"] if more else [])
        fix.append(
            f"{_g(path)} status   # commit or stash these changes: "
            f"{_g(path)} stash push --include-untracked"
        )
    if problems:
        raise CheckFailure(
            f"repository {rel} has uncommitted work", Category.FIXABLE, problems, fix
        )
    return f"{rel}: clean"


def _interrupted_release_writes(ctx: Context, path: Path, changes: list[str]) -> int:
    """In publish mode: how many changed files an interrupted step of ours was writing."""
    if ctx.settings.mode != "publish" or not changes:
        return 0
    ours = state.interrupted_writes(ctx.settings.statedir)
    return sum(1 for line in changes if line[:2] == ".M" and (path / line[3:]).resolve() in ours)


def _fetch_first(ctx: Context, rel: str) -> None:
    error = ctx.fetch_error(rel)
    if error:
        raise CheckFailure(
            f"could not read the remote state of repository {rel}",
            Category.TRANSIENT,
            [error],
            [
                f"check the remote: {_g(_repo(ctx, rel))} remote -v; then rerun, "
                "or use --release-offline to judge against the remote-tracking refs"
            ],
        )


def branch(ctx: Context, rel: str) -> str:
    path = _repo(ctx, rel)
    _fetch_first(ctx, rel)
    want = ctx.config.branch
    remote = ctx.config.remote
    st = ctx.status(path)
    if st.head is None:
        raise CheckFailure(
            f"repository {rel} is on a detached HEAD at {st.oid}",
            Category.FIXABLE,
            [f"releases are cut from branch {want!r}"],
            [f"{_g(path)} switch {want}"],
        )
    if st.head != want:
        raise CheckFailure(
            f"repository {rel} is on branch {st.head!r}, not the working branch {want!r}",
            Category.FIXABLE,
            [f"HEAD {st.oid}"],
            [f"{_g(path)} switch {want}"],
        )
    refs = ctx.refs(path)
    tracking = f"refs/remotes/{remote}/{want}"
    if tracking not in refs:
        return f"{rel}: on {want} ({st.oid}); no {remote}/{want} yet"
    if refs[f"refs/heads/{want}"] == refs[tracking]:
        return f"{rel}: on {want}, same commit as {remote}/{want}"
    behind, ahead = _counts(path, refs[f"refs/heads/{want}"], refs[tracking])
    if behind and ctx.settings.fix and not ahead and not st.changes:
        with ctx.repo_lock(path):
            gitops.git(path, "merge", "--ff-only", "--quiet", f"{remote}/{want}")
        ctx.forget(path)
        return f"{rel}: fast-forwarded {want} by {behind} commits (--release-fix)"
    if behind:
        raise CheckFailure(
            f"branch {want} of repository {rel} is {behind} commits behind {remote}/{want}",
            Category.FIXABLE,
            [
                f"local {refs[f'refs/heads/{want}']}",
                f"{remote}  {refs[tracking]}",
                f"local is also {ahead} commits ahead"
                if ahead
                else "local has no commits of its own",
            ],
            [
                f"{_g(path)} pull --ff-only {remote} {want}"
                if not ahead
                else f"{_g(path)} pull --rebase {remote} {want}"
            ],
        )
    return f"{rel}: on {want}, up to date with {remote}/{want}"


def _counts(path: Path, local: str, remote: str) -> tuple[int, int]:
    raw = gitops.out(path, "rev-list", "--left-right", "--count", f"{remote}...{local}")
    behind, ahead = raw.split()
    return int(behind), int(ahead)


def target_branch_sync(ctx: Context, rel: str) -> str:
    path = _repo(ctx, rel)
    _fetch_first(ctx, rel)
    target = ctx.config.target_branch
    remote = ctx.config.remote
    refs = ctx.refs(path)
    local = refs.get(f"refs/heads/{target}")
    theirs = refs.get(f"refs/remotes/{remote}/{target}")
    if local is not None and local == theirs:
        return f"{rel}: {target} == {remote}/{target} ({local[:12]})"
    url = mask(gitops.remote_url(path, remote) or "(no such remote)")
    evidence = [
        f"local  {target}: {local or '(missing)'}",
        f"remote {remote}/{target}: {theirs or '(missing)'}  [{url}]",
    ]
    if local is None or theirs is None:
        side = "local branch" if local is None else f"remote branch {remote}/{target}"
        fix = (
            [f"{_g(path)} branch {target} {remote}/{target}"]
            if local is None and theirs
            else [f"{_g(path)} push {remote} {target}"]
            if local
            else [f"{_g(path)} fetch {remote}   # and create {target} on the remote"]
        )
        raise CheckFailure(
            f"target branch {target} of repository {rel}: {side} is missing",
            Category.FIXABLE,
            evidence,
            fix,
        )
    if local == theirs:
        return f"{rel}: {target} == {remote}/{target} ({local[:12]})"
    if gitops.is_ancestor(path, local, theirs):
        if ctx.settings.fix and _can_fast_forward(ctx, path, target):
            with ctx.repo_lock(path):
                _fast_forward(ctx, path, target, remote, local)
            ctx.forget(path)
            return f"{rel}: fast-forwarded {target} to {remote}/{target} (--release-fix)"
        raise CheckFailure(
            f"target branch {target} of repository {rel} is behind {remote}/{target}: fast-forward",
            Category.FIXABLE,
            evidence,
            [_ff_command(ctx, path, target, remote)],
        )
    if gitops.is_ancestor(path, theirs, local):
        unpushed = _unpushed_release_commits(ctx, path, theirs, local)
        if unpushed:
            return f"{rel}: {target} is {unpushed} release commits ahead of {remote}/{target}: resuming"
        raise CheckFailure(
            f"target branch {target} of repository {rel} is ahead of {remote}/{target}: push needed",
            Category.FIXABLE,
            evidence,
            [f"{_g(path)} push {remote} {target}"],
        )
    raise CheckFailure(
        f"target branch {target} of repository {rel} has diverged from {remote}/{target}: "
        "reset required",
        Category.FIXABLE,
        evidence,
        [
            f"{_g(path)} rebase {remote}/{target} {target}   # keep local commits on top",
            f"{_g(path)} branch -f {target} {remote}/{target}   # or drop them (not checked out)",
        ],
    )


def _unpushed_release_commits(ctx: Context, path: Path, theirs: str, local: str) -> int:
    """In publish mode, commits that are all this tool's own (`release: ...`) are an
    unfinished release that the rerun will push: not a reason to stop it."""
    if ctx.settings.mode != "publish":
        return 0
    subjects = gitops.out(path, "log", "--format=%s", f"{theirs}..{local}").splitlines()
    return len(subjects) if subjects and all(s.startswith("release: ") for s in subjects) else 0


def _can_fast_forward(ctx: Context, path: Path, target: str) -> bool:
    st = ctx.status(path)
    return st.head != target or not st.changes


def _fast_forward(ctx: Context, path: Path, target: str, remote: str, old: str) -> None:
    if ctx.status(path).head == target:
        gitops.git(path, "merge", "--ff-only", "--quiet", f"{remote}/{target}")
    else:
        gitops.git(
            path, "update-ref", f"refs/heads/{target}", f"refs/remotes/{remote}/{target}", old
        )


def _ff_command(ctx: Context, path: Path, target: str, remote: str) -> str:
    if ctx.status(path).head == target:
        return f"{_g(path)} merge --ff-only {remote}/{target}"
    return f"{_g(path)} fetch {remote} && {_g(path)} branch -f {target} {remote}/{target}"
