"""The checkpoint file `.releaseplan/state.json`: per package, which steps are done.

Workers write concurrently, so every read-modify-write happens under a file lock and
lands by atomic replace: a crash (even `kill -9`) leaves the previous or the new state.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from filelock import FileLock

from pytest_releaseplan import statedir

STATE = "state.json"
DRY_STATE = "dry-run-state.json"


def path_of(state_dir: Path, dry_run: bool) -> Path:
    return state_dir / (DRY_STATE if dry_run else STATE)


def read(path: Path) -> dict[str, Any]:
    data = statedir.read_json(path)
    return data if isinstance(data, dict) else {"packages": {}}


def update(path: Path, change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    with FileLock(str(path) + ".lock", timeout=120):
        data = read(path)
        data.setdefault("packages", {})
        change(data)
        data["updated"] = time.time()
        statedir.write_json(path, data)
        return data


def package_entry(data: dict[str, Any], name: str) -> dict[str, Any]:
    entry: dict[str, Any] = data.setdefault("packages", {}).setdefault(name, {})
    return entry


def begin_run(path: Path, run_id: str, packages: list[str], restart: bool) -> dict[str, Any]:
    """Start a run: keep an unfinished previous run's progress (resume) unless restarting."""

    def change(data: dict[str, Any]) -> None:
        finished = data.get("finished", True) or restart
        if finished:
            data.clear()
            data["packages"] = {}
            data["started"] = time.time()
        data["run_id"] = run_id
        data["finished"] = False
        data["planned"] = packages

    return update(path, change)


def finish_run(path: Path, complete: bool) -> None:
    def change(data: dict[str, Any]) -> None:
        data["finished"] = complete

    update(path, change)


def interrupted_writes(state_dir: Path) -> set[Path]:
    """Files a release step was writing when the last (unfinished) run stopped."""
    data = read(path_of(state_dir, dry_run=False))
    if data.get("finished", True):
        return set()
    return {
        Path(p) for entry in data.get("packages", {}).values() for p in entry.get("writing", [])
    }
