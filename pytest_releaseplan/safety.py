"""One run at a time (the run lock) and confirmation before changes."""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock, Timeout

from pytest_releaseplan import statedir
from pytest_releaseplan.errors import ConfigError

RUN_LOCK = "run.lock"
RUN_INFO = "run.json"


def acquire_run_lock(state: Path, packages: list[str]) -> FileLock:
    """Take the OS-level run lock at once or fail naming the run that holds it."""
    statedir.ensure(state)
    lock = FileLock(str(state / RUN_LOCK), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        info = statedir.read_json(state / RUN_INFO) or {}
        started = info.get("started", "?")
        raise ConfigError(
            f"another release is running: pid {info.get('pid', '?')} on {info.get('host', '?')}, "
            f"started {started} ({state / RUN_LOCK} is held). Wait for it, or inspect it with "
            "`pytest --release-status`; a crashed run releases the lock by itself"
        ) from None
    statedir.write_json(
        state / RUN_INFO,
        {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": datetime.now(UTC).isoformat(timespec="seconds"),
            "packages": packages,
        },
    )
    return lock


def running(state: Path) -> dict[str, object] | None:
    """The publish that holds this workspace's run lock now (`run.json`), or None."""
    if not (state / RUN_LOCK).exists():
        return None
    lock = FileLock(str(state / RUN_LOCK), timeout=0)
    try:
        lock.acquire()
    except Timeout:
        info = statedir.read_json(state / RUN_INFO)
        return info if isinstance(info, dict) else {}
    lock.release()
    return None


def describe(info: dict[str, object]) -> str:
    return f"pid {info.get('pid', '?')} on {info.get('host', '?')}, since {info.get('started', '?')}"


def interactive(started_on_a_terminal: bool) -> bool:
    return started_on_a_terminal and not os.environ.get("CI")


def confirm(lines: list[str], ask: Callable[[str], str]) -> bool:
    """Show the plan and ask; anything but y/yes (or end of input) declines."""
    answer = ask("\n".join([*lines, "Continue? [y/N] "]))
    return answer.strip().lower() in {"y", "yes"}
