"""The state of one publish run: the run lock and confirmation before it, its state file
during and after it, and the answers of `--release-status` and `--release-mark-completed`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from pytest_releaseplan.context import Context


def start_publish(
    config: pytest.Config, ctx: Context, ask: Callable[[str], str], started_on_a_terminal: bool
) -> None:
    """Controller only: the run lock, confirmation, and the ledger of this run."""
    from pytest_releaseplan import safety
    from pytest_releaseplan.errors import ConfigError
    from pytest_releaseplan.publish.ledger import Ledger, path_of

    s = ctx.settings
    names = [p.name for p in ctx.workspace.packages]
    try:
        lock = safety.acquire_run_lock(s.statedir, names)
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.add_cleanup(lock.release)
    collecting = config.getoption("collectonly")
    asking = not s.yes and not collecting and safety.interactive(started_on_a_terminal)
    if asking:
        _confirm(ctx, ask)
    try:
        if not s.dry_run and not collecting:
            ledger = Ledger.of(ctx.statedir)
            if not s.restart and not ledger.read().finished:
                _remove_stale_index_locks(ctx)
                _remove_write_leftovers(ledger.read().interrupted_writes())
            ledger.begin_run(ctx.run_id, names, restart=s.restart)
        elif s.dry_run:
            path_of(ctx.statedir, True).unlink(missing_ok=True)
    except ConfigError as exc:  # a corrupt ledger: named, with --release-restart as the way out
        raise pytest.UsageError(str(exc)) from None


def _remove_stale_index_locks(ctx: Context) -> None:
    """Resuming a run that was killed: a git it had started may have died holding
    `.git/index.lock`. Nothing holds it now (we hold the run lock; no process has it open)."""
    from pytest_releaseplan import gitops

    for repo in ctx.workspace.repositories.values():
        lock = gitops.stale_index_lock(repo)
        if lock is not None:
            lock.unlink(missing_ok=True)
            print(f"releaseplan: removed {lock}, left by a git process of the killed run")


def _remove_write_leftovers(writing: set[Path]) -> None:
    """Resuming a run killed while it replaced a file: the temporary file beside it."""
    from pytest_releaseplan import atomic

    for path in writing:
        for leftover in atomic.leftovers(path):
            leftover.unlink(missing_ok=True)
            print(f"releaseplan: removed {leftover}, left by a write of the killed run")


def _confirm(ctx: Context, ask: Callable[[str], str]) -> None:
    """Show the plan and ask. Declining or Ctrl-C exits 2 (scripts tell it from a release);
    with nothing to release there is nothing to ask."""
    from pytest_releaseplan import safety
    from pytest_releaseplan.publish.preview import preview

    shown = preview(ctx)
    if not shown.anything:
        print("\n".join(shown.lines))
        return
    try:
        agreed = safety.confirm(shown.lines, ask)
    except KeyboardInterrupt:
        print()
        pytest.exit("release cancelled (Ctrl-C): nothing was changed", returncode=2)
    if not agreed:
        pytest.exit("release declined: nothing was changed", returncode=2)


def finish_run(ctx: Context, exitstatus: int) -> None:
    """Controller only, not under --collect-only: record how the run ended."""
    from pytest_releaseplan.publish.ledger import Ledger

    s = ctx.settings
    if s.mode != "publish" or s.dry_run:
        return
    # Interrupted (2) or failed (1): the next run of the same command resumes this one.
    Ledger.of(ctx.statedir).finish_run(complete=exitstatus == 0)


def answer(config: pytest.Config, mode: str) -> int:
    """`--release-status` and `--release-mark-completed`: print the answer, return the exit
    code."""
    from pytest_releaseplan import settings, workspace
    from pytest_releaseplan.context import Context
    from pytest_releaseplan.errors import ConfigError
    from pytest_releaseplan.publish import status
    from pytest_releaseplan.publish.ledger import Ledger

    try:
        s = settings.load(config, mode)
        if mode == "status":
            print(status.render(Ledger.of(s.statedir)))
            return 0
        from pytest_releaseplan.publish.mark import mark_completed

        ctx = Context(s, workspace.discover(s.root, s.config), run_id="mark")
        print(mark_completed(ctx, str(s.mark_completed)))
    except ConfigError as exc:
        print(f"ERROR: {exc}")
        return 4
    return 0
