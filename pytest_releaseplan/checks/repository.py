"""Repository checks: `clean-worktree`, `branch`, `target-branch-sync`."""

from __future__ import annotations

import functools
import shlex
from collections.abc import Callable
from pathlib import Path

from pytest_releaseplan import ci, commits, gitops, safety
from pytest_releaseplan.checks import ci_checkout
from pytest_releaseplan.context import Context
from pytest_releaseplan.errors import Category, CheckFailure
from pytest_releaseplan.publish import ledger
from pytest_releaseplan.secrets import mask

MAX_PATHS = 10


def _repo(ctx: Context, rel: str) -> Path:
    return ctx.workspace.repositories[rel]


def _git(path: Path, *args: str) -> str:
    """A copy-pasteable git command for this repository (paths with spaces quoted)."""
    return shlex.join(["git", "-C", str(path), *args])


def publish_running(ctx: Context) -> str | None:
    """In an audit: the publish of this workspace that holds the run lock now, if any."""
    if ctx.settings.mode != "audit":
        return None
    info = safety.running(ctx.settings.statedir)
    return None if info is None else safety.describe(info)


def _unless_publishing(check: Callable[[Context, str], str]) -> Callable[[Context, str], str]:
    """A publish in progress commits, tags and pushes: what it leaves half-way is its own."""

    @functools.wraps(check)
    def judged(ctx: Context, rel: str) -> str:
        try:
            return check(ctx, rel)
        except CheckFailure as exc:
            running = publish_running(ctx)
            if running is None:
                raise
            raise CheckFailure(
                f"a publish is running in this workspace ({running}): {exc.what}",
                Category.TRANSIENT,
                exc.evidence,
                [
                    "wait for the publish to finish (`pytest --release-status` shows where "
                    "it is), then rerun the audit"
                ],
            ) from None

    return judged


@_unless_publishing
def clean_worktree(ctx: Context, rel: str) -> str:
    path = _repo(ctx, rel)
    st = ctx.view(path).status()
    changes = st.changes
    job_made = [c for c in changes if ci.is_job_made(path, c)] if ctx.ci else []
    ours = _released_submodules(ctx, path, changes)
    changes = [c for c in changes if c not in job_made and c not in ours]
    problems: list[str] = []
    fix: list[str] = []
    if st.operation:
        problems.append(f"a {st.operation} is in progress")
        fix.append(
            f"{_git(path, st.operation, '--continue')}   "
            f"# or: {_git(path, st.operation, '--abort')}"
        )
    resumable = _interrupted_release_writes(ctx, path, changes)
    if changes and resumable == len(changes) and not st.operation:
        return f"{rel}: {resumable} files written by an interrupted release step: resuming"
    if changes:
        shown = changes[:MAX_PATHS]
        more = len(changes) - len(shown)
        problems += shown + ([f"... and {more} more"] if more else [])
        fix.append(
            f"{_git(path, 'status')}   # commit or stash these changes: "
            f"{_git(path, 'stash', 'push', '--include-untracked')}"
        )
    if problems:
        raise CheckFailure(
            f"repository {rel} has uncommitted work", Category.FIXABLE, problems, fix
        )
    if job_made:
        made = ", ".join(c[3:] for c in job_made)
        return f"{rel}: clean (untracked {made} made by the CI job)"
    return f"{rel}: clean"


def _released_submodules(ctx: Context, path: Path, changes: list[str]) -> list[str]:
    """In publish mode: submodule pointers moved because a workspace repository inside this
    one was released in this run (its commits are ours; the pointer is the parent's to bump)."""
    if ctx.settings.mode != "publish":
        return []
    inner = {p.resolve() for p in ctx.workspace.repositories.values()} - {path.resolve()}
    return [c for c in changes if c[:2] == ".M" and (path / c[3:]).resolve() in inner]


def _interrupted_release_writes(ctx: Context, path: Path, changes: list[str]) -> int:
    """In publish mode: how many changed files an interrupted step of ours was writing."""
    if ctx.settings.mode != "publish" or not changes:
        return 0
    ours = ledger.interrupted_writes(ctx.settings.statedir)
    # unstaged, or staged by a `git add` that a kill interrupted before its commit
    return sum(
        1
        for line in changes
        if line[:2] in (".M", "M.", "MM") and (path / line[3:]).resolve() in ours
    )


def _fetch_first(ctx: Context, rel: str) -> None:
    path = _repo(ctx, rel)
    failure = ctx.view(path).fetch_failure()
    if failure:
        raise CheckFailure(
            f"could not read the remote state of repository {rel}",
            failure.category,
            [failure.message],
            [
                *failure.fix,
                f"check the remote: {_git(path, 'remote', '-v')}; then rerun, "
                "or use --release-offline to judge against the remote-tracking refs",
            ],
        )


@_unless_publishing
def branch(ctx: Context, rel: str) -> str:
    path = _repo(ctx, rel)
    _fetch_first(ctx, rel)
    if ctx.ci is not None:
        return ci_checkout.branch(ctx, rel, ctx.ci)
    want = ctx.config.branch
    remote = ctx.config.remote
    view = ctx.view(path)
    st = view.status()
    if st.head is None:
        raise CheckFailure(
            f"repository {rel} is on a detached HEAD at {st.oid}",
            Category.FIXABLE,
            [f"releases are cut from branch {want!r}"],
            [_git(path, "switch", want)],
        )
    if st.head != want:
        raise CheckFailure(
            f"repository {rel} is on branch {st.head!r}, not the working branch {want!r}",
            Category.FIXABLE,
            [f"HEAD {st.oid}"],
            [_git(path, "switch", want)],
        )
    refs = view.refs()
    tracking = f"refs/remotes/{remote}/{want}"
    if tracking not in refs:
        return f"{rel}: on {want} ({st.oid}); no {remote}/{want} yet"
    if refs[f"refs/heads/{want}"] == refs[tracking]:
        return f"{rel}: on {want}, same commit as {remote}/{want}"
    behind, ahead = _counts(path, refs[f"refs/heads/{want}"], refs[tracking])
    if behind and ctx.settings.fix and not ahead and not st.changes:
        with ctx.repo_lock(path):
            gitops.git(path, "merge", "--ff-only", "--quiet", f"{remote}/{want}")
        view.invalidate()
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
            [_git(path, "pull", "--rebase" if ahead else "--ff-only", remote, want)],
        )
    return f"{rel}: on {want}, up to date with {remote}/{want}"


def _counts(path: Path, local: str, remote: str) -> tuple[int, int]:
    raw = gitops.read(path, "rev-list", "--left-right", "--count", f"{remote}...{local}").stdout
    behind, ahead = raw.split()
    return int(behind), int(ahead)


@_unless_publishing
def target_branch_sync(ctx: Context, rel: str) -> str:
    path = _repo(ctx, rel)
    _fetch_first(ctx, rel)
    if ctx.ci is not None:
        return ci_checkout.target_branch_sync(ctx, rel, ctx.ci)
    target = ctx.config.target_branch
    remote = ctx.config.remote
    view = ctx.view(path)
    refs = view.refs()
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
            [_git(path, "branch", target, f"{remote}/{target}")]
            if local is None and theirs
            else [_git(path, "push", remote, target)]
            if local
            else [f"{_git(path, 'fetch', remote)}   # and create {target} on the remote"]
        )
        raise CheckFailure(
            f"target branch {target} of repository {rel}: {side} is missing",
            Category.FIXABLE,
            evidence,
            fix,
        )
    behind = gitops.ancestry(path, local, theirs)
    if behind:
        if ctx.settings.fix and _can_fast_forward(ctx, path, target):
            with ctx.repo_lock(path):
                _fast_forward(ctx, path, target, remote, local)
            view.invalidate()
            return f"{rel}: fast-forwarded {target} to {remote}/{target} (--release-fix)"
        raise CheckFailure(
            f"target branch {target} of repository {rel} is behind {remote}/{target}: fast-forward",
            Category.FIXABLE,
            evidence,
            [_ff_command(ctx, path, target, remote)],
        )
    ahead = gitops.ancestry(path, theirs, local)
    if ahead:
        unpushed = _unpushed_release_commits(ctx, path, theirs, local)
        if unpushed:
            return f"{rel}: {target} is {unpushed} release commits ahead of {remote}/{target}: resuming"
        raise CheckFailure(
            f"target branch {target} of repository {rel} is ahead of {remote}/{target}: push needed",
            Category.FIXABLE,
            evidence,
            [_git(path, "push", remote, target)],
        )
    if behind is None or ahead is None:
        raise ci_checkout.no_history(
            ctx, rel, f"how {target} relates to {remote}/{target}", evidence
        )
    raise CheckFailure(
        f"target branch {target} of repository {rel} has diverged from {remote}/{target}: "
        "reset required",
        Category.FIXABLE,
        evidence,
        [
            f"{_git(path, 'rebase', f'{remote}/{target}', target)}   # keep local commits on top",
            f"{_git(path, 'branch', '-f', target, f'{remote}/{target}')}   "
            "# or drop them (not checked out)",
        ],
    )


def _unpushed_release_commits(ctx: Context, path: Path, theirs: str, local: str) -> int:
    """In publish mode, commits that are all this tool's own are an unfinished release that
    the rerun will push: not a reason to stop it."""
    if ctx.settings.mode != "publish":
        return 0
    subjects = gitops.read(path, "log", "--format=%s", f"{theirs}..{local}").stdout.splitlines()
    return len(subjects) if subjects and all(map(commits.is_release_commit, subjects)) else 0


def _can_fast_forward(ctx: Context, path: Path, target: str) -> bool:
    st = ctx.view(path).status()
    return st.head != target or not st.changes


def _fast_forward(ctx: Context, path: Path, target: str, remote: str, old: str) -> None:
    if ctx.view(path).status().head == target:
        gitops.git(path, "merge", "--ff-only", "--quiet", f"{remote}/{target}")
    else:
        gitops.git(
            path, "update-ref", f"refs/heads/{target}", f"refs/remotes/{remote}/{target}", old
        )


def _ff_command(ctx: Context, path: Path, target: str, remote: str) -> str:
    if ctx.view(path).status().head == target:
        return _git(path, "merge", "--ff-only", f"{remote}/{target}")
    return f"{_git(path, 'fetch', remote)} && {_git(path, 'branch', '-f', target, f'{remote}/{target}')}"
