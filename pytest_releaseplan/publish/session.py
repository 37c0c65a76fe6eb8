"""The state of one publish run: the run lock and confirmation before it, its state file
during and after it, and the answers of `--release-status` and `--release-mark-completed`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable

    from pytest_releaseplan.context import Context


def start_publish(
    config: pytest.Config, ctx: Context, ask: Callable[[str], str], started_on_a_terminal: bool
) -> None:
    """Controller only: the run lock, confirmation, and the state of this run."""
    from pytest_releaseplan import safety, state
    from pytest_releaseplan.errors import ConfigError

    s = ctx.settings
    names = [p.name for p in ctx.workspace.packages]
    try:
        lock = safety.acquire_run_lock(s.statedir, names)
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.add_cleanup(lock.release)
    asking = (
        not s.yes
        and not config.getoption("collectonly")
        and safety.interactive(started_on_a_terminal)
    )
    if asking and not safety.confirm(plan_lines(ctx), ask):
        pytest.exit("release declined: nothing was changed", returncode=0)
    if not s.dry_run and not config.getoption("collectonly"):
        state.begin_run(state.path_of(ctx.statedir, False), ctx.run_id, names, restart=s.restart)
    elif s.dry_run:
        state.path_of(ctx.statedir, True).unlink(missing_ok=True)


def plan_lines(ctx: Context) -> list[str]:
    from pytest_releaseplan.report import plan_lines

    lines = [f"Release plan for {ctx.workspace.root}:", *plan_lines(ctx)]
    if ctx.settings.restart:
        lines.append("  --release-restart: the saved state of the last run is discarded")
    return lines


def finish_run(ctx: Context, exitstatus: int) -> None:
    """Controller only, not under --collect-only: record how the run ended."""
    from pytest_releaseplan import state

    s = ctx.settings
    if s.mode != "publish" or s.dry_run:
        return
    # Interrupted (2) or failed (1): the next run of the same command resumes this one.
    state.finish_run(state.path_of(ctx.statedir, False), complete=exitstatus == 0)


def answer(config: pytest.Config, mode: str) -> int:
    """`--release-status` and `--release-mark-completed`: print the answer, return the exit
    code."""
    from pytest_releaseplan import safety, settings, state, workspace
    from pytest_releaseplan.context import Context
    from pytest_releaseplan.errors import ConfigError

    try:
        s = settings.load(config, mode)
        if mode == "status":
            path = state.path_of(s.statedir, False)
            print(safety.render_status(state.read(path), path))
            return 0
        from pytest_releaseplan.publish.mark import mark_completed

        ctx = Context(s, workspace.discover(s.root, s.config), run_id="mark")
        print(mark_completed(ctx, str(s.mark_completed)))
    except ConfigError as exc:
        print(f"ERROR: {exc}")
        return 4
    return 0
