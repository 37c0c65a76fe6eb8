"""Live progress of a publish (SPEC §6), read from the ledger by a thread on the controller.

The workers record each step in `.releaseplan/state.json` as it happens; this module polls
that file, so it needs no messaging between processes and works with and without xdist.
On a terminal it keeps a live block of the running packages under pytest's output; in a log
it writes one line per step as it starts and ends.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

import pytest

from pytest_releaseplan import compat
from pytest_releaseplan.publish.ledger import RELEASED, STEP_STARTED, Ledger, LedgerError, RunState

if TYPE_CHECKING:
    from collections.abc import Mapping

    from pytest_releaseplan.context import Context
    from pytest_releaseplan.plan import Planned

POLL_S = 0.4
PREFIX = "releaseplan:"


@dataclass(frozen=True)
class Event:
    package: str
    version: str
    what: str  # a step name, or "publish" for the package's outcome
    state: str  # "started", "passed", "failed", or the package's outcome
    duration: float | None = None

    def line(self) -> str:
        took = "" if self.duration is None else f" ({self.duration:.1f} s)"
        if self.what == "publish":
            return f"{PREFIX} {self.package} {self.version} {self.state}{took}"
        return f"{PREFIX} {self.package} {self.version} {self.what} {self.state}{took}"


@dataclass
class Tracker:
    """Turns successive ledger snapshots into events. Pure: time comes in as an argument.

    Seeded with the ledger as the run found it (a resumed run's earlier steps are not news).
    A step seen passed without having been seen started ran within one poll: it gets both
    lines, its duration bounded by the time since the previous poll.
    """

    seen: dict[tuple[str, str, str], str] = field(default_factory=dict)
    since: dict[tuple[str, str, str], float] = field(default_factory=dict)
    outcomes: dict[tuple[str, str], str | None] = field(default_factory=dict)
    began: dict[str, float] = field(default_factory=dict)
    last_poll: float | None = None

    @classmethod
    def seeded(cls, run: RunState, now: float) -> Tracker:
        tracker = cls()
        tracker.update(run, now, report=False)
        return tracker

    def update(self, run: RunState, now: float, report: bool = True) -> list[Event]:
        groups: list[list[Event]] = []
        previous = self.last_poll if self.last_poll is not None else now
        for name, entry in sorted(run.packages.items()):
            events: list[Event] = []
            groups.append(events)
            version = entry.release_version or "?"
            for step, state in entry.steps.items():
                key = (name, version, step)
                before = self.seen.get(key)
                if before == state:
                    continue
                self.seen[key] = state
                if state == STEP_STARTED:
                    self.since[key] = now
                    self.began.setdefault(name, now)
                    events.append(Event(name, version, step, state))
                    continue
                if before != STEP_STARTED:
                    self.since[key] = previous
                    events.append(Event(name, version, step, STEP_STARTED))
                events.append(Event(name, version, step, state, now - self.since[key]))
            okey = (name, version)
            if entry.outcome != self.outcomes.get(okey) and entry.outcome is not None:
                took = now - self.began[name] if name in self.began else None
                events.append(Event(name, version, "publish", entry.outcome, took))
            self.outcomes[okey] = entry.outcome
        self.last_poll = now
        # Packages that finished in this poll first: a dependent can only have started after
        # them, so the log keeps cause before effect.
        groups.sort(key=lambda g: not any(e.what == "publish" for e in g))
        return [e for g in groups for e in g] if report else []

    def running_since(self, name: str, version: str, step: str) -> float | None:
        return self.since.get((name, version, step))


@dataclass(frozen=True)
class Row:
    package: str
    version: str
    step: str
    elapsed: float | None
    waits_for: str


def view(
    run: RunState,
    tracker: Tracker,
    publishing: Mapping[str, tuple[str, set[str]]],
    run_started: float,
    now: float,
) -> tuple[str, list[Row]]:
    """The live block: a headline and a row per running or waiting package.

    `publishing` maps each package whose publish item is in this run to its release version
    and its runtime dependencies; `run_started` (wall clock) tells this run's ledger entries
    from a resumed run's older ones.
    """

    def done(name: str) -> bool:
        entry = run.packages.get(name)
        if entry is None or entry.outcome is None:
            return False
        return entry.outcome in RELEASED or (entry.updated or 0.0) >= run_started

    rows: list[Row] = []
    finished = 0
    for name, (version, deps) in sorted(publishing.items()):
        entry = run.packages.get(name)
        if done(name):
            finished += 1
            continue
        step = entry.step if entry is not None else None
        if entry is not None and step and entry.steps.get(step) == STEP_STARTED:
            since = tracker.running_since(name, entry.release_version or "?", step)
            waits = "the index" if step == "wait-index" else ""
            rows.append(Row(name, entry.release_version or version, step, _age(since, now), waits))
            continue
        pending = sorted(d for d in deps if d in publishing and not done(d))
        waits = ", ".join(pending) if pending else "its checks or a free worker"
        rows.append(Row(name, version, step or "-", None, waits))
    running = sum(1 for r in rows if r.elapsed is not None)
    head = (
        f"{PREFIX} {running} running, {len(rows) - running} waiting, "
        f"{finished} of {len(publishing)} done"
    )
    return head, sorted(rows, key=lambda r: (r.elapsed is None, r.package))


def _age(since: float | None, now: float) -> float | None:
    return None if since is None else max(0.0, now - since)


def render_view(head: str, rows: list[Row], width: int, limit: int = 12) -> list[str]:
    """The block as lines no wider than `width` (a wrapped line would break the redraw)."""
    lines = [head]
    shown = rows[:limit]
    if shown:
        w_name = max(len(r.package) for r in shown)
        w_version = max(len(r.version) for r in shown)
        w_step = max(len(r.step) for r in shown)
        for r in shown:
            age = f"{r.elapsed:6.1f} s" if r.elapsed is not None else " " * 8
            waits = f"  waiting for {r.waits_for}" if r.waits_for else ""
            lines.append(
                f"  {r.package:<{w_name}}  {r.version:<{w_version}}  {r.step:<{w_step}}  "
                f"{age}{waits}".rstrip()
            )
    if len(rows) > limit:
        lines.append(f"  … and {len(rows) - limit} more")
    return [line[: max(10, width - 1)] for line in lines]


class LiveFile:
    """Stands between pytest's terminal writer and the terminal: the live block is erased
    before pytest writes and drawn again by the next tick, so the log left behind is clean."""

    def __init__(self, real: TextIO) -> None:
        self.real = real
        self.lock = threading.RLock()
        self.block: list[str] = []
        self.partial = ""  # what pytest wrote after its last newline

    def __getattr__(self, name: str) -> Any:  # noqa: ANN401 - delegated attribute
        return getattr(self.real, name)

    def write(self, text: str) -> int:
        with self.lock:
            self._erase()
            written = self.real.write(text)
            self.partial = (self.partial + text).rpartition("\n")[2]
            return written

    def _erase(self) -> None:
        if not self.block:
            return
        out = "\r\x1b[2K" + "\x1b[1A\x1b[2K" * (len(self.block) - 1)
        if self.partial:
            out += "\x1b[1A\r\x1b[2K" + self.partial
        self.real.write(out)
        self.block = []

    def draw(self, lines: list[str]) -> None:
        with self.lock:
            self._erase()
            if lines:
                self.real.write(("\n" if self.partial else "") + "\n".join(lines))
            self.block = list(lines)
            self.real.flush()

    def clear(self) -> None:
        with self.lock:
            self._erase()
            self.real.flush()


class Progress:
    """Controller-only plugin: starts the polling thread with the session, stops it at its
    end (before pytest's summary)."""

    def __init__(self, ctx: Context, planned: list[Planned], terminal: bool) -> None:
        self.ledger = Ledger.of(ctx.statedir, ctx.settings.dry_run)
        deps = ctx.workspace.runtime_graph()
        self.publishing = {
            p.package.name: (
                str(p.package.release_version or p.package.version_text),
                deps[p.package.name],
            )
            for p in planned
            if p.scope == "publish" and p.package is not None
        }
        self.run_started = time.time()
        self.stop_event = threading.Event()
        self.thread: threading.Thread | None = None
        self.tracker: Tracker | None = None
        self.live: LiveFile | None = None
        self.terminal = terminal
        self.tw: Any = None
        self.fd: int | None = None

    @pytest.hookimpl
    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.tw = compat.terminal_writer(session.config)
        real = compat.writer_file(self.tw) if self.terminal else None
        if real is not None:
            self.live = LiveFile(real)
            compat.swap_writer_file(self.tw, self.live)
        else:
            # A copy of the real fd 1: pytest's capture redirects fd 1 while an item runs in
            # this process (no xdist), and these lines must reach the log as they happen.
            self.fd = os.dup(1)
        try:
            tracker = Tracker.seeded(self.ledger.read(), time.monotonic())
        except LedgerError:
            return  # publish names the file and refuses; nothing to watch
        self.tracker = tracker
        self.thread = threading.Thread(
            target=self._loop, args=(tracker,), name="releaseplan-progress", daemon=True
        )
        self.thread.start()

    def _loop(self, tracker: Tracker) -> None:
        while not self.stop_event.wait(POLL_S):
            self.tick(tracker)

    def tick(self, tracker: Tracker) -> None:
        try:
            run = self.ledger.read()
        except LedgerError:
            return  # caught mid-replace by a reader on a platform without atomic rename
        now = time.monotonic()
        events = tracker.update(run, now)
        if self.live is None:
            if events:
                self._line_break()
                if self.fd is not None:
                    _write_all(self.fd, "".join(e.line() + "\n" for e in events))
            return
        head, rows = view(run, tracker, self.publishing, self.run_started, now)
        width = shutil.get_terminal_size((80, 24)).columns
        self.live.draw(render_view(head, rows, width) if rows else [])

    def _line_break(self) -> None:
        """pytest may be in the middle of a line of dots: end it, so ours stand alone."""
        tw = self.tw
        if tw is not None and getattr(tw, "width_of_current_line", 0) > 0:
            tw.line()
            tw.flush()

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self) -> None:
        self.stop()

    @pytest.hookimpl
    def pytest_unconfigure(self) -> None:
        self.stop()

    def stop(self) -> None:
        self.stop_event.set()
        if self.thread is not None:
            self.thread.join(timeout=5)
            self.thread = None
            if self.live is None and self.tracker is not None:
                self.tick(self.tracker)  # the steps that ended since the last poll
        if self.live is not None:
            self.live.clear()
            compat.swap_writer_file(self.tw, self.live.real)
            self.live = None
        elif self.fd is not None:
            os.close(self.fd)
            self.fd = None


def _write_all(fd: int, text: str) -> None:
    data = text.encode("utf-8", "replace")
    while data:
        data = data[os.write(fd, data) :]


def register(config: pytest.Config, ctx: Context, planned: list[Planned], terminal: bool) -> None:
    """Controller only, in publish mode, not under --collect-only."""
    if config.getoption("collectonly"):
        return
    if not any(p.scope == "publish" for p in planned):
        return
    live = terminal and os.environ.get("TERM") != "dumb"
    config.pluginmanager.register(Progress(ctx, planned, live), "releaseplan-progress")
