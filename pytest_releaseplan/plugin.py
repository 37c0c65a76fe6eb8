"""pytest glue: options, hooks, and the plugins registered for a release run.

Inert unless a `--release-*` mode option is given.
"""

from __future__ import annotations

import os
import uuid
from typing import TYPE_CHECKING, Any

import pytest

from pytest_releaseplan import compat, settings

if TYPE_CHECKING:
    from pytest_releaseplan.context import Context
    from pytest_releaseplan.plan import Planned  # noqa: F401 - named in PLANNED's type string

# Read when the plugin is imported, before pytest's capture points fds 0 and 1 elsewhere.
STARTED_ON_A_TERMINAL = os.isatty(0) and os.isatty(1)
CONTEXT = pytest.StashKey["Context"]()
PLANNED = pytest.StashKey["list[Planned]"]()
AUDIT_WORKERS_IGNORED = pytest.StashKey[int]()
MODE_FLAGS = (
    "release_audit",
    "release_publish",
    "release_status",
    "release_mark_completed",
    "release_abort",
)
ANSWERED = {"status", "mark-completed", "abort"}  # answered by pytest_cmdline_main: no session


def pytest_addoption(parser: pytest.Parser) -> None:
    settings.addoption(parser)


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    # The workspace's own conftest files must not be imported in release mode.
    ns = early_config.known_args_namespace
    if any(getattr(ns, flag, None) for flag in MODE_FLAGS):
        compat.skip_conftests(early_config)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    mode = settings.mode_of(config)
    if mode is None or mode in ANSWERED:
        return  # inert, or answered by pytest_cmdline_main
    if mode == "audit":
        # Measured (bench/audit.py): audit checks take milliseconds and the fetch of every
        # repository already runs in parallel threads, so xdist workers cost more than they
        # gain at every size. An audit runs in this process whatever -n says.
        config.stash[AUDIT_WORKERS_IGNORED] = compat.run_in_this_process(config)
    # Imported only in release mode: an inert plugin costs nothing at startup.
    from pytest_releaseplan import ci_output, plan, workspace
    from pytest_releaseplan.context import Context
    from pytest_releaseplan.errors import ConfigError
    from pytest_releaseplan.report import Reporter

    try:
        s = settings.load(config, mode)
        ws = workspace.discover(s.root, s.config)
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None
    worker = compat.is_worker(config)
    if worker:
        winput = compat.worker_input(config)
        ctx = Context(
            s, ws, run_id=str(winput["releaseplan_run_id"]), worker=str(winput["workerid"])
        )
    else:
        ctx = Context(s, ws, run_id=uuid.uuid4().hex)
        if mode == "audit" and not config.option.collectonly:
            ctx.prefetch()
    config.stash[CONTEXT] = ctx
    config.stash[PLANNED] = plan.items(ws, mode)
    if not worker:
        workers = compat.worker_count(config)
        config.pluginmanager.register(
            Reporter(ctx, config.stash[PLANNED], workers), "releaseplan-reporter"
        )
        ci_output.register(config, ctx, config.stash[PLANNED])
    config.pluginmanager.register(ReleasePlugin(config, ctx), "releaseplan-session")
    if mode == "publish" and not worker:
        from pytest_releaseplan.ordering import SerialOrder, XdistOrder
        from pytest_releaseplan.publish import session as publish_session

        publish_session.start_publish(
            config,
            ctx,
            lambda prompt: compat.read_terminal_line(config, prompt),
            STARTED_ON_A_TERMINAL,
        )
        order: object = (
            XdistOrder(config, ctx, config.stash[PLANNED])
            if compat.is_distributing(config)
            else SerialOrder(config, ctx, config.stash[PLANNED])
        )
        config.pluginmanager.register(order, "releaseplan-order")
        from pytest_releaseplan import progress

        progress.register(config, ctx, config.stash[PLANNED], STARTED_ON_A_TERMINAL)


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> int | None:
    """`--release-status`, `--release-mark-completed` and `--release-abort` answer and exit:
    no session."""
    mode = settings.mode_of(config)
    if mode not in ANSWERED:
        return None
    if mode == "abort":
        from pytest_releaseplan.abort import answer

        return answer(config)
    from pytest_releaseplan.publish import session as publish_session

    return publish_session.answer(config, mode)


class ReleasePlugin:
    def __init__(self, config: pytest.Config, ctx: Context) -> None:
        self.config = config
        self.ctx = ctx

    @pytest.hookimpl
    def pytest_report_header(self) -> str | None:
        asked = self.config.stash.get(AUDIT_WORKERS_IGNORED, 0)
        if not asked:
            return None
        return (
            f"releaseplan: the audit runs in this process (-n {asked} ignored: its checks take "
            "milliseconds and the fetch is already parallel; workers would only add start-up)"
        )

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:  # noqa: ANN401 - xdist WorkerController
        node.workerinput["releaseplan_run_id"] = self.ctx.run_id

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection(self, session: pytest.Session) -> bool | None:
        if compat.is_distributing(self.config):
            return None  # xdist's controller collects nothing; workers send their ids
        from pytest_releaseplan import collection

        with_idle = compat.is_worker(self.config) and self.ctx.settings.mode == "publish"
        collection.collect(session, self.ctx, self.config.stash[PLANNED], with_idle=with_idle)
        return True

    @pytest.hookimpl
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        from pytest_releaseplan.publish import session as publish_session

        if compat.is_worker(self.config) or self.config.getoption("collectonly"):
            return
        publish_session.finish_run(self.ctx, exitstatus)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> bool | None:
        from pytest_releaseplan.items import IdleItem

        return True if isinstance(item, IdleItem) else None
