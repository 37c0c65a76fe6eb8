"""The release ledger `.releaseplan/state.json`: the only code that reads or writes it.

Per package: the release it is about, the steps done, the files a step is writing, the
outcome and the failure. Workers write concurrently, so every change is a read-modify-write
under a file lock that lands by atomic replace: a crash (even `kill -9`) leaves the previous
or the new state. A file that is not ours (truncated, not JSON, another shape or layout) is
one typed error naming it; `--release-restart` always recovers from it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from filelock import FileLock
from packaging.version import InvalidVersion, Version

from pytest_releaseplan import statedir
from pytest_releaseplan.errors import CheckFailure, ConfigError

SCHEMA = 2
STATE = "state.json"
DRY_STATE = "dry-run-state.json"
LOCK_TIMEOUT = 120.0

# Outcomes after which dependents raise their pins to the version released.
RELEASED = ("published", "already-published", "dry-run")
STEP_PASSED = "passed"
STEP_FAILED = "failed"
STEP_STARTED = "started"


class LedgerError(ConfigError):
    """The state file exists but cannot be read as this tool's ledger."""


@dataclass
class Failure:
    message: str
    category: str
    fix: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, exc: CheckFailure) -> Failure:
        return cls(exc.what, exc.category.value, list(exc.fix))


INTERRUPTED = Failure(
    "the step was interrupted or crashed",
    "transient",
    ["rerun the same command: the release resumes"],
)


@dataclass
class Entry:
    """One package's progress. `release_version` names the release the steps belong to."""

    release_version: str | None = None
    released_version: str | None = None
    outcome: str | None = None
    step: str | None = None
    steps: dict[str, str] = field(default_factory=dict)
    writing: list[str] = field(default_factory=list)
    failure: Failure | None = None
    updated: float | None = None

    def in_progress(self, release: Version) -> bool:
        """This tool's own release of `release` started here and did not finish."""
        return (
            self.release_version == str(release)
            and bool(self.steps)
            and self.steps.get("next-version") != STEP_PASSED
        )

    def passed(self, step: str) -> bool:
        return self.steps.get(step) == STEP_PASSED

    @property
    def released(self) -> Version | None:
        """The version this run put on the index, also when it was killed before recording
        the outcome (the release is visible once `wait-index` passed)."""
        if self.outcome in RELEASED and self.released_version:
            return Version(self.released_version)
        if self.release_version and self.passed("wait-index"):
            return Version(self.release_version)
        return None


@dataclass
class RunState:
    run_id: str | None = None
    started: float | None = None
    updated: float | None = None
    finished: bool = True
    planned: list[str] = field(default_factory=list)
    packages: dict[str, Entry] = field(default_factory=dict)

    def entry(self, name: str) -> Entry:
        return self.packages.setdefault(name, Entry())

    def released_in_run(self) -> dict[str, Version]:
        """Packages this (possibly resumed) run released, with the version now on the index."""
        return {n: v for n, e in self.packages.items() if (v := e.released) is not None}

    def interrupted_writes(self) -> set[Path]:
        """Files a release step was writing when the last (unfinished) run stopped."""
        if self.finished:
            return set()
        return {Path(p) for e in self.packages.values() for p in e.writing}

    def to_json(self) -> dict[str, Any]:
        return {"schema": SCHEMA, **asdict(self)}


def path_of(state_dir: Path, dry_run: bool) -> Path:
    return state_dir / (DRY_STATE if dry_run else STATE)


class Ledger:
    def __init__(self, path: Path) -> None:
        self.path = path

    @classmethod
    def of(cls, state_dir: Path, dry_run: bool = False) -> Ledger:
        return cls(path_of(state_dir, dry_run))

    # -- reading -------------------------------------------------------------------------

    def read(self) -> RunState:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return RunState()
        except (OSError, UnicodeDecodeError) as exc:
            raise self._error(f"cannot be read ({exc.__class__.__name__})") from None
        try:
            data = json.loads(text)
        except ValueError:
            raise self._error("is not valid JSON (truncated or overwritten?)") from None
        return parse(data, self._error)

    def _error(self, why: str) -> LedgerError:
        return LedgerError(
            f"the release state file {self.path} {why}. Inspect it, then start over with "
            "`pytest --release-publish --release-restart` (this discards the saved progress; "
            "what is already tagged and on the index is recognised as up-to-date)"
        )

    # -- transitions ---------------------------------------------------------------------

    def _change(self, change: Callable[[RunState], None], *, fresh: bool = False) -> RunState:
        statedir.ensure(self.path.parent)
        with FileLock(str(self.path) + ".lock", timeout=LOCK_TIMEOUT):
            run = RunState() if fresh else self.read()
            change(run)
            run.updated = time.time()
            statedir.write_json(self.path, run.to_json())
            return run

    def begin_run(self, run_id: str, packages: list[str], restart: bool) -> RunState:
        """Start a run: keep an unfinished previous run's progress (resume) unless restarting.
        A restart never reads the old file, so it recovers from any corruption."""
        previous = RunState() if restart else self.read()

        def change(run: RunState) -> None:
            if not previous.finished:
                run.packages = previous.packages
                run.started = previous.started
            else:
                run.started = time.time()
            run.run_id = run_id
            run.finished = False
            run.planned = packages

        return self._change(change, fresh=True)

    def finish_run(self, complete: bool) -> None:
        def change(run: RunState) -> None:
            run.finished = complete

        self._change(change)

    def _entry_change(self, name: str, release: Version, change: Callable[[Entry], None]) -> None:
        def outer(run: RunState) -> None:
            entry = run.entry(name)
            if entry.release_version != str(release):
                run.packages[name] = entry = Entry(release_version=str(release))
            change(entry)
            entry.updated = time.time()

        self._change(outer)

    def step_started(self, name: str, release: Version, step: str) -> None:
        def change(entry: Entry) -> None:
            entry.step = step
            entry.steps[step] = STEP_STARTED
            entry.outcome = None
            entry.failure = None

        self._entry_change(name, release, change)

    def writing(self, name: str, release: Version, paths: Iterable[Path]) -> None:
        def change(entry: Entry) -> None:
            entry.writing = [str(p) for p in paths]

        self._entry_change(name, release, change)

    def step_passed(self, name: str, release: Version, step: str) -> None:
        def change(entry: Entry) -> None:
            entry.writing = []  # committed: no longer an interrupted write
            entry.step = step
            entry.steps[step] = STEP_PASSED

        self._entry_change(name, release, change)

    def step_failed(
        self, name: str, release: Version, step: str, failure: CheckFailure | None
    ) -> None:
        def change(entry: Entry) -> None:
            entry.step = step
            entry.steps[step] = STEP_FAILED
            entry.outcome = "failed"
            entry.failure = Failure.of(failure) if failure is not None else INTERRUPTED

        self._entry_change(name, release, change)

    def failed_before_steps(
        self, name: str, release: Version | None, failure: CheckFailure
    ) -> None:
        """A failure before the first step (no registry, a refused connection, the preflight):
        the status must still show it, with its fix."""

        def change(run: RunState) -> None:
            entry = run.entry(name)
            if entry.released is not None:
                return  # released earlier in this run: its dependents still raise to it
            if release is not None and entry.release_version != str(release):
                run.packages[name] = entry = Entry(release_version=str(release))
            entry.outcome = "failed"
            entry.failure = Failure.of(failure)
            entry.updated = time.time()

        self._change(change)

    def finished(self, name: str, release: Version, outcome: str, released: Version) -> None:
        """The package's publish ended with `outcome` about version `released`."""

        def change(run: RunState) -> None:
            entry = run.entry(name)
            if outcome == "up-to-date" and entry.released is not None:
                return  # released earlier in this (resumed) run: dependents still raise to it
            if entry.release_version != str(release):
                run.packages[name] = entry = Entry(release_version=str(release))
            entry.outcome = outcome
            entry.released_version = str(released)
            entry.failure = None
            entry.updated = time.time()

        self._change(change)

    def mark_completed(self, name: str, release: Version) -> None:
        def change(run: RunState) -> None:
            run.packages[name] = Entry(
                release_version=str(release),
                released_version=str(release),
                outcome="already-published",
                step="marked-completed",
                updated=time.time(),
            )

        self._change(change)


# -- the file's shape ----------------------------------------------------------------------


def parse(data: object, error: Callable[[str], LedgerError]) -> RunState:
    """Validate and convert the JSON of a state file; anything else is `error(why)`."""
    if not isinstance(data, dict):
        raise error("does not hold a JSON object")
    schema = data.get("schema", 1)  # files of the first layout carry no schema number
    if schema not in (1, SCHEMA):
        raise error(f"has schema {schema!r}, which this version does not know")
    try:
        packages = _dict(data.get("packages", {}))
        run = RunState(
            run_id=_opt(data.get("run_id"), str),
            started=_opt(data.get("started"), float),
            updated=_opt(data.get("updated"), float),
            finished=bool(data.get("finished", True)),
            planned=[_req(p, str) for p in _list(data.get("planned", []))],
            packages={_req(k, str): _entry(v) for k, v in packages.items()},
        )
    except (TypeError, ValueError, InvalidVersion) as exc:
        raise error(f"has an unexpected shape ({exc})") from None
    return run


def _entry(raw: object) -> Entry:
    if not isinstance(raw, Mapping):
        raise TypeError("a package entry is not an object")
    failure = raw.get("failure")
    entry = Entry(
        release_version=_opt(raw.get("release_version"), str),
        released_version=_opt(raw.get("released_version"), str),
        outcome=_opt(raw.get("outcome"), str),
        step=_opt(raw.get("step"), str),
        steps={_req(k, str): _req(v, str) for k, v in _dict(raw.get("steps", {})).items()},
        writing=[_req(p, str) for p in _list(raw.get("writing", []))],
        failure=None
        if failure is None
        else Failure(
            _req(_dict(failure).get("message", ""), str),
            _req(_dict(failure).get("category", "blocking"), str),
            [_req(f, str) for f in _list(_dict(failure).get("fix", []))],
        ),
        updated=_opt(raw.get("updated"), float),
    )
    for version in (entry.release_version, entry.released_version):
        if version is not None:
            Version(version)
    return entry


def _opt(value: object, kind: type) -> Any:  # noqa: ANN401 - the checked value
    return None if value is None else _req(value, kind)


def _req(value: object, kind: type) -> Any:  # noqa: ANN401 - the checked value
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise TypeError(f"{value!r} is not a {kind.__name__}")
    return value


def _list(value: object) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError(f"{value!r} is not a list")
    return value


def _dict(value: object) -> dict[Any, Any]:
    if not isinstance(value, dict):
        raise TypeError(f"{value!r} is not an object")
    return value


def interrupted_writes(state_dir: Path) -> set[Path]:
    """For the audit's clean-worktree check: files an unfinished release was writing. A
    corrupt ledger counts as none here; publish itself names the file and refuses."""
    try:
        return Ledger.of(state_dir).read().interrupted_writes()
    except LedgerError:
        return set()


def released_in_unfinished_run(state_dir: Path) -> dict[str, Version]:
    """What an unfinished (resumable) run already released: the checks judge a resumed run
    as the uninterrupted one would. A finished run, no ledger or a corrupt one: nothing."""
    try:
        run = Ledger.of(state_dir).read()
    except LedgerError:
        return {}
    return {} if run.finished else run.released_in_run()
