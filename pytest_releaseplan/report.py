"""The controller's view of the run: records every item's outcome, writes SPEC §6 reports."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from pytest_releaseplan import compat, graph, statedir
from pytest_releaseplan.context import Context
from pytest_releaseplan.plan import Planned

SCHEMA = 1
OUTCOME_WIDTH = 60  # a long skip reason is cut here in the table (the JSON report has it all)


def iso(ts: float | None) -> str | None:
    return (
        None if ts is None else datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds")
    )


@dataclass
class Record:
    outcome: str = "skipped"
    message: str = ""
    category: str | None = None
    fix: list[str] = field(default_factory=list)
    duration: float = 0.0
    started: float | None = None
    finished: float | None = None
    worker: str | None = None
    publish: dict[str, Any] | None = None


def record_from(report: pytest.TestReport, rec: Record) -> None:
    """Fold one phase's report into the item's record (a failure in any phase is sticky)."""
    props = dict(report.user_properties)
    if report.when == "call" or report.outcome != "passed":
        if rec.outcome != "failed":
            rec.outcome = report.outcome
        rec.duration += report.duration
    elif report.when == "setup":
        rec.duration += report.duration
    if report.when == "setup" or rec.started is None:
        rec.started = getattr(report, "start", None) or rec.started
    rec.finished = getattr(report, "stop", None) or rec.finished
    node = getattr(report, "node", None)  # set by xdist on reports forwarded from a worker
    rec.worker = compat.node_id(node) if node is not None else (rec.worker or "main")
    if "message" in props:
        rec.message = str(props["message"])
    if report.skipped and isinstance(report.longrepr, tuple):
        rec.message = str(report.longrepr[2]).removeprefix("Skipped: ")
    if "category" in props:
        rec.category = str(props["category"])
    if props.get("fix"):
        rec.fix = str(props["fix"]).splitlines()
    if "publish" in props:
        rec.publish = json.loads(str(props["publish"]))
    if report.failed and not rec.message and report.longrepr is not None:
        rec.message = str(report.longrepr).splitlines()[-1] if str(report.longrepr) else ""


class Reporter:
    """Registered on the controller only (or the single process without xdist)."""

    def __init__(self, ctx: Context, planned: list[Planned], workers: int) -> None:
        self.ctx = ctx
        self.planned = planned
        self.workers = workers
        self.records: dict[str, Record] = {}
        self.started = time.time()
        self.exitstatus = 0

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        record_from(report, self.records.setdefault(report.nodeid, Record()))

    @pytest.hookimpl
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self.exitstatus = int(exitstatus)
        data = self.build()
        self.unwritten: list[str] = []
        targets = [self.ctx.statedir / "last-report.json", self.ctx.settings.report]
        for target in (t for t in targets if t is not None):
            try:
                statedir.write_json(target, data, durable=False)
            except OSError as exc:  # a read-only tree, a full disk: say so, lose nothing else
                self.unwritten.append(f"could not write the JSON report to {target}: {exc.strerror}")

    @pytest.hookimpl
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:  # noqa: ANN401 - TerminalReporter
        tr = terminalreporter
        tr.section("release plan", sep="-")
        for line in getattr(self, "unwritten", []):
            tr.write_line(line)
        if tr.config.getoption("collectonly"):
            for line in self._collected_plan():
                tr.write_line(line)
            return
        rows = summary_rows(self.ctx, self.planned, self.records)
        widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
        for row in rows if len(rows) > 1 else []:
            tr.write_line(
                "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
            )
        for line in selection_notes(self.ctx, self.planned, self.records):
            tr.write_line(line)
        if (
            self.ctx.settings.mode == "publish"
            and not self.ctx.settings.dry_run
            and any(r.outcome != "passed" for r in self.records.values())
        ) or (self.ctx.settings.mode == "publish" and self.exitstatus not in (0, 1)):
            tr.write_line(
                "the release is not finished: fix what failed, then rerun the same command to "
                "resume (`pytest --release-status` shows where each package stopped)"
            )
        if self.ctx.settings.dry_run:
            notes = [
                f"  {pkg.name}: {note}"
                for pkg in self.ctx.workspace.packages
                if (rec := self.records.get(f"{pkg.relpath}::publish")) is not None
                for note in (rec.publish or {}).get("notes", [])
            ]
            head = "dry run: nothing was committed, tagged, uploaded or pushed."
            tr.write_line(f"{head} It would:" if notes else head)
            for line in notes:
                tr.write_line(line)

    def _collected_plan(self) -> list[str]:
        if self.ctx.settings.mode == "publish":
            from pytest_releaseplan.publish.preview import preview

            return preview(self.ctx).lines[1:]
        from pytest_releaseplan import plan

        deps = self.ctx.workspace.runtime_graph()
        return [
            f"{i:>4}. {pkg.name:<24} {pkg.version_text or '(vcs)'}"
            + (f"   after: {', '.join(sorted(deps[pkg.name]))}" if deps[pkg.name] else "")
            for i, pkg in enumerate(plan.publish_order(self.ctx.workspace), 1)
        ]

    def build(self) -> dict[str, Any]:
        finished = time.time()
        ws = self.ctx.workspace
        graph_of = ws.runtime_graph()
        checks_of = items_by_package(self.ctx, self.planned)
        packages = []
        for pkg in ws.packages:
            checks = []
            for p in checks_of[pkg.name]:
                if p.scope == "publish":
                    continue
                rec = self.records.get(p.nodeid)
                if rec is None:
                    continue
                checks.append(
                    {
                        "name": p.name,
                        "outcome": rec.outcome,
                        "message": rec.message,
                        "category": rec.category,
                        "fix": rec.fix,
                    }
                )
            entry: dict[str, Any] = {
                "name": pkg.name,
                "path": pkg.relpath,
                "repository": pkg.repo_relpath,
                "version": pkg.version_text,
                "release_version": str(pkg.release_version) if pkg.release_version else None,
                "depends_on": sorted(graph_of[pkg.name]),
                "checks": checks,
            }
            if self.ctx.settings.mode == "publish":
                entry["publish"] = self._publish_entry(pkg.relpath)
            packages.append(entry)
        totals = {"items": len(self.records), "passed": 0, "failed": 0, "skipped": 0}
        for rec in self.records.values():
            totals[rec.outcome] = totals.get(rec.outcome, 0) + 1
        return {
            "schema": SCHEMA,
            "mode": self.ctx.settings.mode,
            "dry_run": self.ctx.settings.dry_run,
            "started": iso(self.started),
            "finished": iso(finished),
            "duration_s": round(finished - self.started, 3),
            "workers": self.workers,
            "critical_path_s": round(self._critical_path(), 3),
            "totals": totals,
            "packages": packages,
        }

    def _publish_entry(self, relpath: str) -> dict[str, Any]:
        rec = self.records.get(f"{relpath}::publish")
        if rec is None:
            return {
                "outcome": "skipped",
                "started": None,
                "finished": None,
                "worker": None,
                "wait_s": 0.0,
                "steps": [],
                "failure": "not run (deselected or interrupted)",
            }
        body = dict(rec.publish or {})
        outcome = body.get("outcome") or ("skipped" if rec.outcome == "skipped" else "failed")
        if rec.outcome == "failed":
            outcome = "failed"
        failure = None
        if rec.outcome != "passed":
            failure = {"message": rec.message, "category": rec.category, "fix": rec.fix}
        return {
            "outcome": outcome,
            "started": iso(rec.started),
            "finished": iso(rec.finished),
            "worker": rec.worker,
            # waiting for dependencies and a free worker, from the start of the run
            "wait_s": round(max(0.0, (rec.started or self.started) - self.started), 3),
            "duration_s": round(rec.duration, 3),
            "index_wait_s": body.get("wait_s", 0.0),
            "steps": body.get("steps", []),
            "failure": failure,
        }

    def _critical_path(self) -> float:
        ws = self.ctx.workspace
        weight = {
            p.name: self.records[f"{p.relpath}::publish"].duration
            for p in ws.packages
            if f"{p.relpath}::publish" in self.records
        }
        if not weight:
            return 0.0
        deps = ws.runtime_graph()
        if graph.find_cycle(deps):
            return 0.0
        return graph.critical_path(deps, weight)


def items_by_package(ctx: Context, planned: list[Planned]) -> dict[str, list[Planned]]:
    """Per package: its repository's checks, then its own items, in plan order."""
    by_repo: dict[str, list[Planned]] = {}
    own: dict[str, list[Planned]] = {}
    for p in planned:
        if p.scope == "repository":
            by_repo.setdefault(p.repository, []).append(p)
        elif p.package is not None:
            own.setdefault(p.package.name, []).append(p)
    return {
        pkg.name: by_repo.get(pkg.repo_relpath, []) + own.get(pkg.name, [])
        for pkg in ctx.workspace.packages
    }


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count} {word if count == 1 else (many or word + 's')}"


def cut(text: str, width: int = OUTCOME_WIDTH) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def selection_notes(ctx: Context, planned: list[Planned], records: dict[str, Record]) -> list[str]:
    """What the table leaves out: workspace checks, and packages none of whose items ran."""
    notes = []
    ran = [p for p in planned if p.scope == "workspace" and p.nodeid in records]
    if ran:
        listed = ", ".join(f"{p.name} {records[p.nodeid].outcome}" for p in ran)
        notes.append(f"workspace: {listed}")
    items_of = items_by_package(ctx, planned)
    idle = [pkg.name for pkg in ctx.workspace.packages if not _ran(items_of[pkg.name], records)]
    if idle and len(idle) < len(ctx.workspace.packages):
        notes.append(f"not selected: {plural(len(idle), 'package')} ({', '.join(idle)})")
    elif idle:
        notes.append(f"no package check ran (deselected): {plural(len(idle), 'package')}")
    return notes


def _ran(mine: list[Planned], records: dict[str, Record]) -> list[Planned]:
    return [p for p in mine if p.nodeid in records]


def summary_rows(
    ctx: Context, planned: list[Planned], records: dict[str, Record]
) -> list[list[str]]:
    """The header and a row per package at least one of whose items ran in this run."""
    rows = [["package", "version", "outcome", "duration", "waited-for"]]
    publishing = ctx.settings.mode == "publish"
    graph_of = ctx.workspace.runtime_graph()
    items_of = items_by_package(ctx, planned)
    for pkg in ctx.workspace.packages:
        mine = items_of[pkg.name]
        ran = _ran(mine, records)
        if not ran:
            continue
        failed = [
            p.name for p in ran if records[p.nodeid].outcome == "failed" and p.name != "publish"
        ]
        duration = sum(records[p.nodeid].duration for p in ran)
        version = f"{pkg.version_text} -> {pkg.release_version}" if pkg.version_text else "(vcs)"
        waited = ""
        if publishing:
            rec = records.get(f"{pkg.relpath}::publish")
            outcome = (
                (rec.publish or {}).get("outcome")
                if rec and rec.publish
                else (rec.outcome if rec else "not run")
            )
            if rec and rec.outcome == "failed":
                outcome = "failed"
            if rec and rec.outcome == "skipped" and rec.message:
                outcome = f"skipped: {rec.message}"
            if failed:
                outcome = f"{outcome} (failed: {', '.join(failed)})"
            waited = ", ".join(sorted(graph_of[pkg.name]))
        elif failed:
            outcome = f"failed: {', '.join(failed)}"
        else:
            checks = [p for p in mine if p.scope != "publish"]
            outcome = (
                "ok" if len(ran) == len(checks) else f"ok ({len(ran)} of {len(checks)} checks ran)"
            )
        rows.append(
            [pkg.name, version, cut(" ".join(str(outcome).split())), f"{duration:.2f}s", waited]
        )
    return rows
