"""Relock a lockfile under a cross-process lock (parallel relocks share caches); read the
lock's git state once per lock, not once per package sharing it."""

from __future__ import annotations

from pathlib import Path

from pytest_releaseplan import gitops, lockfiles, process
from pytest_releaseplan.context import Context
from pytest_releaseplan.errors import Category, CheckFailure
from pytest_releaseplan.npm import client as npm_client
from pytest_releaseplan.npm.credentials import npm_env
from pytest_releaseplan.workspace import Package

LOCK_TIMEOUT = 600.0
NPM_LOCK = "package-lock.json"
NPM_RELOCK = ("npm", "install", "--package-lock-only", "--ignore-scripts")

# (run id, lockfile) known tracked: a shared uv.lock is asked about by every member.
_tracked: set[tuple[str, Path]] = set()


def command(ctx: Context, lock: Path) -> tuple[str, ...]:
    if lock.name == NPM_LOCK:
        return ctx.config.npm_lock_command or NPM_RELOCK
    return ctx.config.lock_command or lockfiles.default_lock_command(lockfiles.lock_kind(lock))


def _run_npm(ctx: Context, pkg: Package, lock: Path, argv: tuple[str, ...]) -> None:
    """npm relocks resolve against `npm-registry` (a dependent resolves the version just
    released there), with the token only in a temporary userconfig."""
    registry = ctx.config.npm_registry
    if ctx.config.npm_lock_command is None and registry:
        npm_client.relock(lock.parent, registry, timeout=LOCK_TIMEOUT)
        return
    with npm_env(registry) as env:
        try:
            process.run(argv, cwd=lock.parent, env=env, timeout=LOCK_TIMEOUT)
        except process.ProcessError as exc:
            raise _failed(pkg, lock, argv, exc) from None


def _failed(
    pkg: Package, lock: Path, argv: tuple[str, ...], exc: process.ProcessError
) -> CheckFailure:
    return CheckFailure(
        f"{pkg.name}: relocking {lock} failed",
        Category.BLOCKING,
        [exc.render()],
        [f"cd {lock.parent} && {' '.join(argv)}   # fix what it reports, then rerun"],
    )


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
        if lock.name == NPM_LOCK:
            _run_npm(ctx, pkg, lock, argv)
        else:
            try:
                process.run(argv, cwd=lock.parent, env=gitops.env(), timeout=LOCK_TIMEOUT)
            except process.ProcessError as exc:
                raise _failed(pkg, lock, argv, exc) from None
    if not gitops.is_modified(pkg.repo, lock):
        return False
    if commit_message is not None:
        with ctx.repo_lock(pkg.repo):
            gitops.commit(pkg.repo, [lock], commit_message)
        ctx.forget(pkg.repo)
    return True
