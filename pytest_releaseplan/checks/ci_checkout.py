"""`branch` and `target-branch-sync` on a CI checkout (SPEC §3 "CI checkouts").

CI checks out one commit, often detached and without local branches: the build is judged
against the remote branches, never against local ones the CI system did not make.
"""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from pytest_releaseplan import ci, gitops
from pytest_releaseplan.context import Context
from pytest_releaseplan.errors import Category, CheckFailure


def _cmd(*argv: str) -> str:
    return shlex.join(argv)


def no_history(ctx: Context, rel: str, question: str, evidence: list[str]) -> CheckFailure:
    """A verdict is never made on missing history: this says how to get it."""
    path = ctx.workspace.repositories[rel]
    return CheckFailure(
        f"repository {rel}: cannot tell {question}: the history is not in this checkout",
        Category.FIXABLE,
        [*evidence, "the clone is shallow" if ctx.view(path).is_shallow() else "a ref is missing"],
        [
            ci.full_history_fix(ctx.ci),
            _cmd("git", "-C", str(path), "fetch", "--tags", ctx.config.remote)
            + "   # then rerun without --release-offline",
        ],
    )


def _built(ctx: Context, path: Path, build: ci.Build) -> tuple[str, str, str]:
    """(role, branch built, HEAD) of this checkout."""
    cfg = ctx.config
    st = ctx.view(path).status()
    kind = ci.role(build, cfg.branch, cfg.target_branch, st.head)
    ref = build.ref or st.head or cfg.branch
    return kind, ref, st.oid or "(no commit)"


def _tip(ctx: Context, rel: str, branch: str, question: str) -> str:
    remote = ctx.config.remote
    tip = ctx.view(ctx.workspace.repositories[rel]).refs().get(f"refs/remotes/{remote}/{branch}")
    if tip is None:
        raise no_history(ctx, rel, question, [f"no {remote}/{branch} in this checkout"])
    return tip


def _on_history(ctx: Context, rel: str, build: ci.Build, branch: str, head: str) -> str:
    """A build of `branch` is right when HEAD is its remote tip or an ancestor of that."""
    path = ctx.workspace.repositories[rel]
    remote = ctx.config.remote
    question = f"whether HEAD is on {remote}/{branch}"
    tip = _tip(ctx, rel, branch, question)
    if head == tip:
        return f"{rel}: {build.describe()} at {head[:12]}, the tip of {remote}/{branch}"
    evidence = [f"HEAD {head}", f"{remote}/{branch} {tip}"]
    found = gitops.ancestry(path, head, tip)
    if found is None:
        raise no_history(ctx, rel, question, evidence)
    if found:
        return (
            f"{rel}: {build.describe()} at {head[:12]}, on {remote}/{branch}, which has moved "
            f"on to {tip[:12]} since: a newer push, judged by its own build"
        )
    raise CheckFailure(
        f"repository {rel}: HEAD is not on the history of {remote}/{branch} "
        f"({build.describe()}): {remote}/{branch} was rewritten since this commit was pushed",
        Category.FIXABLE,
        evidence,
        [
            f"re-run the pipeline on the current {remote}/{branch}",
            _cmd("git", "-C", str(path), "log", "--oneline", f"{tip}..{head}")
            + "   # commits this build has that the branch lost",
        ],
    )


def _contains_target(ctx: Context, rel: str, build: ci.Build, head: str, why: str) -> str:
    """A pull request build (or a working branch build) must hold the remote target's tip."""
    path = ctx.workspace.repositories[rel]
    remote, target = ctx.config.remote, ctx.config.target_branch
    question = f"whether HEAD contains {remote}/{target}"
    tip = _tip(ctx, rel, target, question)
    evidence = [f"HEAD {head}", f"{remote}/{target} {tip}"]
    found = gitops.ancestry(path, tip, head)
    if found is None:
        raise no_history(ctx, rel, question, evidence)
    if found:
        return f"{rel}: {build.describe()} at {head[:12]} contains {remote}/{target} ({tip[:12]})"
    source = build.ref or "BRANCH"
    raise CheckFailure(
        f"repository {rel}: {target} has moved on since {build.describe()} was built: {why}",
        Category.FIXABLE,
        evidence,
        [
            _cmd("git", "switch", source)
            + " && "
            + _cmd("git", "pull", "--no-rebase", remote, target)
            + " && "
            + _cmd("git", "push", remote, source)
            + "   # or rebase; the next build judges the new merge",
            "or re-run the pipeline once the merge commit is rebuilt on the new target",
        ],
    )


def _skip_other(ctx: Context, build: ci.Build, kind: str) -> None:
    cfg = ctx.config
    if kind == ci.OTHER:
        pytest.skip(
            f"{build.describe()}: the release-branch checks judge builds of {cfg.branch!r} "
            f"and pull requests into {cfg.target_branch!r}"
        )


def branch(ctx: Context, rel: str, build: ci.Build) -> str:
    path = ctx.workspace.repositories[rel]
    kind, ref, head = _built(ctx, path, build)
    _skip_other(ctx, build, kind)
    if kind == ci.PULL_REQUEST:
        return (
            f"{rel}: {build.describe()} at {head[:12]}: a detached HEAD at the merge commit "
            "is how CI checks out a pull request"
        )
    if kind == ci.UNKNOWN:
        ref = _unnamed(ctx, path, build, head)
    return _on_history(ctx, rel, build, ref, head)


def _unnamed(ctx: Context, path: Path, build: ci.Build, head: str) -> str:
    """A detached build the CI names no branch for: a build of the working branch when HEAD
    is on it, else skipped."""
    ref, remote = ctx.config.branch, ctx.config.remote
    found = ctx.view(path).refs().get(f"refs/remotes/{remote}/{ref}")
    if found is None or not gitops.ancestry(path, head, found):
        pytest.skip(
            f"{build.describe()} of a detached HEAD at {head[:12]} that is not on "
            f"{remote}/{ref}, and the CI names no branch (set one of "
            f"{', '.join(ci.GENERIC_BRANCH[:3])})"
        )
    return ref


def target_branch_sync(ctx: Context, rel: str, build: ci.Build) -> str:
    path = ctx.workspace.repositories[rel]
    cfg = ctx.config
    kind, ref, head = _built(ctx, path, build)
    _skip_other(ctx, build, kind)
    if kind == ci.PULL_REQUEST:
        return _contains_target(ctx, rel, build, head, "merge it in (or rebase) and push")
    if kind == ci.UNKNOWN:
        ref = _unnamed(ctx, path, build, head)
    if ref == cfg.target_branch:
        return _on_history(ctx, rel, build, ref, head)
    return _contains_target(
        ctx, rel, build, head, f"publish could not fast-forward {cfg.target_branch} to it"
    )
