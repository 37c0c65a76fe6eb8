"""Publish items follow the dependency graph: with xdist through DagScheduling, without it
through the same DagPlan run in collection order. Dependents of a failure are skipped."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_releaseplan import plan as plan_mod
from pytest_releaseplan import statedir
from pytest_releaseplan.context import Context
from pytest_releaseplan.items import NOOP_ID
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


class SerialOrder:
    """No xdist: run in a topological order, skip dependents of a failure with the reason."""

    def __init__(self, ctx: Context, planned: list[Planned]) -> None:
        self.ctx = ctx
        self.planned = planned
        self.plan: DagPlan | None = None

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        deps = plan_mod.dependencies(self.ctx.workspace, self.planned)
        prio = plan_mod.priorities(self.ctx.workspace, self.planned, last_durations(self.ctx))
        ids = [i.nodeid for i in items]
        by_id = {i.nodeid: i for i in items}
        order = run_order(ids, deps, prio)
        items[:] = [by_id[n] for n in order]
        self.plan = DagPlan(order, deps, prio)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        assert self.plan is not None
        reason = self.plan.skip_reason(item.nodeid)
        if reason is not None:
            pytest.skip(reason)
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
        self.sched = DagScheduling(config, deps, prio, NOOP_ID, self._emit_skip, log)
        return self.sched

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if self.sched is not None:
            self.sched.record_outcome(report.nodeid, _succeeded(report), report.outcome)

    def _emit_skip(self, nodeid: str, reason: str) -> None:
        # The pattern xdist uses for crashed items: report on the controller, never send.
        hook = self.config.hook
        path = nodeid.split("::", maxsplit=1)[0]
        location = (path, None, nodeid)
        hook.pytest_runtest_logstart(nodeid=nodeid, location=location)
        report = pytest.TestReport(
            nodeid=nodeid,
            location=location,
            keywords={nodeid: 1},
            outcome="skipped",
            longrepr=(path, 0, f"Skipped: {reason}"),
            when="setup",
            sections=[],
            duration=0.0,
            user_properties=[],
        )
        hook.pytest_runtest_logreport(report=report)
        hook.pytest_runtest_logfinish(nodeid=nodeid, location=location)
