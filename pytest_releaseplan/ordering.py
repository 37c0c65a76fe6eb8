"""Publish items follow the dependency graph: with xdist through DagScheduling, without it
through the same DagPlan run in a topological order. Dependents of a failure are skipped,
and so is a publish whose checks were not selected (selection.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pytest

from pytest_releaseplan import plan as plan_mod
from pytest_releaseplan import selection, statedir
from pytest_releaseplan.context import Context
from pytest_releaseplan.plan import Planned
from pytest_releaseplan.scheduler import DagPlan, DagScheduling, run_order


def _succeeded(report: pytest.TestReport) -> bool:
    return report.passed and not (report.when == "call" and report.skipped)


def last_durations(ctx: Context) -> dict[str, float]:
    """Per node id, the duration the last run's report recorded (priorities: longest chain)."""
    data = statedir.read_json(ctx.settings.statedir / "last-report.json")
    out: dict[str, float] = {}
    if not isinstance(data, dict):
        return out
    for pkg in data.get("packages", []):
        publish = pkg.get("publish") or {}
        if publish.get("outcome") == "published" and isinstance(publish.get("duration_s"), float):
            out[f"{pkg.get('path')}::publish"] = max(publish["duration_s"], 0.001)
    return out


class Gate:
    """Which selected publish items may not run because their checks were not selected."""

    def __init__(
        self, config: pytest.Config, deps: dict[str, set[str]], planned: list[Planned]
    ) -> None:
        self.args = tuple(config.invocation_params.args)
        self.deps = deps
        self.checks = {p.nodeid for p in planned if p.scope != "publish"}
        self.package_of = {p.nodeid: p.package.name for p in planned if p.package is not None}

    def __call__(self, selected: Sequence[str]) -> dict[str, str]:
        return selection.gate_reasons(self.deps, self.checks, selected, self.args, self.package_of)


class SerialOrder:
    """No xdist: run in a topological order, skip dependents of a failure with the reason."""

    def __init__(self, config: pytest.Config, ctx: Context, planned: list[Planned]) -> None:
        self.config = config
        self.ctx = ctx
        self.planned = planned
        self.plan: DagPlan | None = None

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> None:
        """Order and gate the final selection: every deselection (-k, --deselect, and --lf,
        whose modifyitems wrapper finishes after any plain hook) has happened by now."""
        if self.config.getoption("collectonly"):
            return
        deps = plan_mod.dependencies(self.ctx.workspace, self.planned)
        prio = plan_mod.priorities(self.ctx.workspace, self.planned, last_durations(self.ctx))
        ids = [i.nodeid for i in session.items]
        by_id = {i.nodeid: i for i in session.items}
        order = run_order(ids, deps, prio)
        session.items[:] = [by_id[n] for n in order]
        self.plan = DagPlan(order, deps, prio)
        for nodeid, reason in Gate(self.config, deps, self.planned)(order).items():
            self.plan.block(nodeid, reason)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> None:
        # A skip mark, not pytest.skip() in a hook: the report then points at the item.
        reason = self.plan.skip_reason(item.nodeid) if self.plan is not None else None
        if reason is not None:
            item.add_marker(pytest.mark.skip(reason=reason))

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        assert self.plan is not None
        if self.plan.skip_reason(item.nodeid) is None:
            self.plan.start(item.nodeid)

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if self.plan is not None:
            self.plan.record(report.nodeid, _succeeded(report), report.outcome)

    @pytest.hookimpl
    def pytest_runtest_logfinish(self, nodeid: str) -> None:
        if self.plan is not None:
            self.plan.complete(nodeid)


class XdistOrder:
    """On the xdist controller in publish mode: our scheduler, fed with every report."""

    def __init__(self, config: pytest.Config, ctx: Context, planned: list[Planned]) -> None:
        self.config = config
        self.ctx = ctx
        self.planned = planned
        self.sched: DagScheduling | None = None

    @pytest.hookimpl(tryfirst=True)
    def pytest_xdist_make_scheduler(self, config: pytest.Config, log: Any) -> DagScheduling:  # noqa: ANN401
        deps = plan_mod.dependencies(self.ctx.workspace, self.planned)
        prio = plan_mod.priorities(self.ctx.workspace, self.planned, last_durations(self.ctx))
        gate = Gate(config, deps, self.planned)
        self.sched = DagScheduling(config, deps, prio, self._emit_skip, log, gate)
        return self.sched

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if self.sched is not None:
            self.sched.record_outcome(report.nodeid, _succeeded(report), report.outcome)

    def _emit_skip(self, nodeid: str, reason: str) -> None:
        # The pattern xdist uses for crashed items: report on the controller, never send.
        hook = self.config.hook
        path = nodeid.split("::", maxsplit=1)[0]
        location = (path, None, nodeid.rsplit("::", maxsplit=1)[-1])  # as items.reportinfo
        hook.pytest_runtest_logstart(nodeid=nodeid, location=location)
        report = pytest.TestReport(
            nodeid=nodeid,
            location=location,
            keywords={nodeid: 1},
            outcome="skipped",
            longrepr=(path, 1, f"Skipped: {reason}"),  # as a skip mark on the item reports
            when="setup",
            sections=[],
            duration=0.0,
            user_properties=[],
        )
        hook.pytest_runtest_logreport(report=report)
        hook.pytest_runtest_logfinish(nodeid=nodeid, location=location)
