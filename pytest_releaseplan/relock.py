"""Relock a lockfile under a cross-process lock (parallel relocks share caches)."""

from __future__ import annotations

from pathlib import Path

from pytest_releaseplan import gitops, lockfiles, process
from pytest_releaseplan.context import Context
from pytest_releaseplan.errors import Category, CheckFailure
from pytest_releaseplan.workspace import Package

LOCK_TIMEOUT = 600.0


def command(ctx: Context, lock: Path) -> tuple[str, ...]:
    return ctx.config.lock_command or lockfiles.default_lock_command(lockfiles.lock_kind(lock))


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
    return True
