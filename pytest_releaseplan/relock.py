"""Relock a lockfile under a cross-process lock (parallel relocks share caches); read the
lock's git state once per lock, not once per package sharing it."""

from __future__ import annotations

from pathlib import Path

from pytest_releaseplan import gitops, lockfiles, process
from pytest_releaseplan.context import Context
from pytest_releaseplan.errors import Category, CheckFailure
from pytest_releaseplan.workspace import Package

LOCK_TIMEOUT = 600.0

# (run id, lockfile) known tracked: a shared uv.lock is asked about by every member.
_tracked: set[tuple[str, Path]] = set()


def command(ctx: Context, lock: Path) -> tuple[str, ...]:
    return ctx.config.lock_command or lockfiles.default_lock_command(lockfiles.lock_kind(lock))


def git_state(ctx: Context, pkg: Package) -> str:
    """`untracked`, `modified` (staged or not) or `clean`, for the package's lockfile.

    Read from the repository's status, which the process reads once anyway; only a lock
    absent from it (clean, or ignored and never added) costs one `git ls-files`, once.
    """
    lock = pkg.lockfile
    assert lock is not None
    rel = lock.resolve().relative_to(pkg.repo.resolve()).as_posix()
    for change in ctx.status(pkg.repo).changes:
        code, path = change.split(" ", 1)
        if path == rel or (path.endswith("/") and rel.startswith(path)):
            return "untracked" if code == "??" else "modified"
    key = (ctx.run_id, lock)
    if key not in _tracked:
        if not gitops.is_tracked(pkg.repo, lock):
            return "untracked"
        _tracked.add(key)
    return "clean"


def relock(ctx: Context, pkg: Package, commit_message: str | None) -> bool:
    """Run the lock command; commit the lockfile if it changed. True when it changed."""
    lock = pkg.lockfile
    assert lock is not None
    argv = command(ctx, lock)
    with ctx.lock("relock", "all"):
        try:
            process.run(argv, cwd=lock.parent, env=gitops.env(), timeout=LOCK_TIMEOUT)
        except process.ProcessError as exc:
            raise CheckFailure(
                f"{pkg.name}: relocking {lock} failed",
                Category.BLOCKING,
                [exc.render()],
                [f"cd {lock.parent} && {' '.join(argv)}   # fix what it reports, then rerun"],
            ) from None
    if not gitops.is_modified(pkg.repo, lock):
        return False
    if commit_message is not None:
        with ctx.repo_lock(pkg.repo):
            gitops.commit(pkg.repo, [lock], commit_message)
        ctx.forget(pkg.repo)
    return True
