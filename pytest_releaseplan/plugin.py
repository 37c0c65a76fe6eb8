"""pytest glue: options, configuration, collection of release items, xdist wiring.

Inert unless a `--release-*` mode option is given.
"""

from __future__ import annotations

import os
import uuid
from typing import TYPE_CHECKING, Any

import pytest

from pytest_releaseplan import settings

if TYPE_CHECKING:
    from pytest_releaseplan.context import Context
    from pytest_releaseplan.items import DirectoryNode, ReleaseItem
    from pytest_releaseplan.plan import Planned

# Read when the plugin is imported, before pytest's capture points fds 0 and 1 elsewhere.
STARTED_ON_A_TERMINAL = os.isatty(0) and os.isatty(1)
CONTEXT = pytest.StashKey["Context"]()
PLANNED = pytest.StashKey["list[Planned]"]()
MODE_FLAGS = ("release_audit", "release_publish", "release_status", "release_mark_completed")


def pytest_addoption(parser: pytest.Parser) -> None:
    settings.addoption(parser)


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config) -> None:
    # The workspace's own conftest files must not be imported in release mode.
    ns = early_config.known_args_namespace
    if any(getattr(ns, flag, None) for flag in MODE_FLAGS):
        ns.noconftest = True


def is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def is_distributing(config: pytest.Config) -> bool:
    """True on an xdist controller that will hand items to workers (known before xdist's
    own trylast pytest_configure registers its DSession)."""
    if (
        is_worker(config)
        or config.getoption("collectonly")
        or not config.pluginmanager.has_plugin("xdist")
    ):
        return False
    return config.getoption("dist", "no") != "no" and bool(config.getoption("tx", None))


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    mode = settings.mode_of(config)
    if mode is None or mode in {"status", "mark-completed"}:
        return  # inert; status and mark-completed are answered by pytest_cmdline_main
    # Imported only in release mode: an inert plugin costs nothing at startup.
    from pytest_releaseplan import plan, workspace
    from pytest_releaseplan.context import Context
    from pytest_releaseplan.errors import ConfigError
    from pytest_releaseplan.report import Reporter

    try:
        s = settings.load(config, mode)
        ws = workspace.discover(s.root, s.config)
    except ConfigError as exc:
        raise pytest.UsageError(str(exc)) from None
    if is_worker(config):
        winput: dict[str, Any] = config.workerinput  # type: ignore[attr-defined]
        ctx = Context(
            s, ws, run_id=str(winput["releaseplan_run_id"]), worker=str(winput["workerid"])
        )
    else:
        ctx = Context(s, ws, run_id=uuid.uuid4().hex)
    config.stash[CONTEXT] = ctx
    config.stash[PLANNED] = plan.items(ws, mode)
    if not is_worker(config):
        workers = (
            int(getattr(config.option, "numprocesses", 0) or 0) if is_distributing(config) else 0
        )
        config.pluginmanager.register(
            Reporter(ctx, config.stash[PLANNED], workers), "releaseplan-reporter"
        )
    config.pluginmanager.register(ReleasePlugin(config, ctx), "releaseplan-session")
    if mode == "publish" and not is_worker(config):
        from pytest_releaseplan.publish import session as publish_session

        publish_session.start_publish(
            config, ctx, lambda prompt: _ask(config, prompt), STARTED_ON_A_TERMINAL
        )
        from pytest_releaseplan.ordering import SerialOrder, XdistOrder

        order: object = (
            XdistOrder(config, ctx, config.stash[PLANNED])
            if is_distributing(config)
            else SerialOrder(ctx, config.stash[PLANNED])
        )
        config.pluginmanager.register(order, "releaseplan-order")


def _ask(config: pytest.Config, prompt: str) -> str:
    capman = config.pluginmanager.getplugin("capturemanager")
    if capman is not None:
        capman.suspend_global_capture(in_=True)
    try:
        return input(prompt)
    except EOFError:
        return ""
    finally:
        if capman is not None:
            capman.resume_global_capture()


@pytest.hookimpl(tryfirst=True)
def pytest_cmdline_main(config: pytest.Config) -> int | None:
    """`--release-status` and `--release-mark-completed` answer and exit: no session."""
    mode = settings.mode_of(config)
    if mode not in {"status", "mark-completed"}:
        return None
    from pytest_releaseplan.publish import session as publish_session

    return publish_session.answer(config, mode)


class ReleasePlugin:
    def __init__(self, config: pytest.Config, ctx: Context) -> None:
        self.config = config
        self.ctx = ctx

    @pytest.hookimpl
    def pytest_configure_node(self, node: Any) -> None:  # noqa: ANN401 - xdist WorkerController
        node.workerinput["releaseplan_run_id"] = self.ctx.run_id

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection(self, session: pytest.Session) -> bool | None:
        if is_distributing(self.config):
            return None  # xdist's controller collects nothing; workers send their ids
        with_idle = is_worker(self.config) and self.ctx.settings.mode == "publish"
        items = build_items(session, self.config.stash[PLANNED], with_idle=with_idle)
        session.items = items
        report = pytest.CollectReport("", "passed", None, list(items))
        session.ihook.pytest_collectreport(report=report)
        self.config.hook.pytest_collection_modifyitems(
            session=session, config=self.config, items=session.items
        )
        self.config.hook.pytest_collection_finish(session=session)
        session.testscollected = len(session.items)
        return True

    @pytest.hookimpl
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        from pytest_releaseplan.publish import session as publish_session

        if is_worker(self.config) or self.config.getoption("collectonly"):
            return
        publish_session.finish_run(self.ctx, exitstatus)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> bool | None:
        from pytest_releaseplan.items import IdleItem

        return True if isinstance(item, IdleItem) else None


def build_items(
    session: pytest.Session, planned: list[Planned], with_idle: bool
) -> list[pytest.Item]:
    from pytest_releaseplan.items import NOOP_NAME, NOOP_PARENT, DirectoryNode, IdleItem

    ctx = session.config.stash[CONTEXT]
    parents: dict[str, DirectoryNode] = {}

    def parent(rel: str) -> DirectoryNode:
        if rel not in parents:
            path = (ctx.workspace.root / rel).resolve()
            parents[rel] = DirectoryNode.from_parent(session, name=rel, nodeid=rel, path=path)
        return parents[rel]

    items: list[pytest.Item] = [_item(ctx, parent(p.parent), p) for p in planned]
    if with_idle:
        idle_parent = DirectoryNode.from_parent(
            session, name=NOOP_PARENT, nodeid=NOOP_PARENT, path=ctx.settings.statedir
        )
        items.append(IdleItem.from_parent(idle_parent, name=NOOP_NAME))
    return items


def _item(ctx: Context, parent: DirectoryNode, p: Planned) -> ReleaseItem:
    from pytest_releaseplan.items import ReleaseItem

    props = {"repository": p.repository}
    if p.package is not None:
        props |= {
            "package": p.package.name,
            "version": p.package.version_text or "",
            "release_version": str(p.package.release_version or ""),
        }
    item = ReleaseItem.from_parent(
        parent, name=p.name, check=p.name, action=_action(ctx, p), properties=props
    )
    if p.scope == "publish":
        item.add_marker(pytest.mark.timeout(ctx.config.timeout))
    return item


def _action(ctx: Context, p: Planned) -> Any:  # noqa: ANN401 - a zero-argument callable
    from pytest_releaseplan import checks

    if p.scope == "workspace":
        return lambda _: checks.WORKSPACE_CHECKS[p.name](ctx)
    if p.scope == "repository":
        return lambda _: checks.REPOSITORY_CHECKS[p.name](ctx, p.repository)
    assert p.package is not None
    pkg = p.package
    if p.scope == "package":
        return lambda _: checks.PACKAGE_CHECKS[p.name](ctx, pkg)
    from pytest_releaseplan.publish import run as publish_run

    return lambda item: publish_run.publish(ctx, pkg, item.user_properties)
