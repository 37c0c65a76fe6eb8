"""`--release-status`: the ledger of the last run, per package, as a person reads it."""

from __future__ import annotations

from datetime import UTC, datetime

from pytest_releaseplan import safety
from pytest_releaseplan.publish.ledger import Ledger, RunState


def render(ledger: Ledger) -> str:
    run = ledger.read()
    text = render_state(run, str(ledger.path))
    info = safety.running(ledger.path.parent)
    if info is None:
        return text
    going = [
        f"{name} {entry.step}"
        for name, entry in sorted(run.packages.items())
        if entry.step and entry.steps.get(entry.step) == "started"
    ]
    return "\n".join(
        [
            f"a publish is running now: {safety.describe(info)}",
            f"  steps in progress: {', '.join(going) or 'none (checks or waiting)'}",
            "  wait for it, or stop it with `pytest --release-abort`",
            text.replace("unfinished — rerun the same command to resume", "running"),
        ]
    )


def _when(ts: float | None) -> str:
    return "" if ts is None else datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


def render_state(run: RunState, where: str) -> str:
    if not run.packages and not run.run_id:
        return f"no release state at {where}: nothing has been published from here yet"
    progress = "finished" if run.finished else "unfinished — rerun the same command to resume"
    head = [f"release state ({where}):", f"  run {run.run_id or '?'}: {progress}"]
    if run.updated:
        head[-1] += f", last update {_when(run.updated)}"
    rows = []
    for name in sorted(set(run.packages) | set(run.planned)):
        entry = run.packages.get(name)
        if entry is None:
            rows.append(f"  {name:<24} {'':<12} step: {'-':<22} not started")
            continue
        outcome = entry.outcome or ("in progress" if entry.step else "not started")
        rows.append(
            f"  {name:<24} {entry.release_version or '':<12} step: {entry.step or '-':<22} {outcome}"
        )
        if entry.failure is not None and outcome == "failed":
            rows.append(f"      {entry.failure.category}: {entry.failure.message}")
            rows += [f"      Fix: {line}" for line in entry.failure.fix]
    return "\n".join(head + rows)
