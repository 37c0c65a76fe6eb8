"""`pytest --release-abort`: stop this workspace's running publish as Ctrl-C would (SPEC §5).

The run's pid comes from `run.json`, trusted only while the run lock is really held (a pid
in a stale file may belong to another process by now). The run then stops like an
interrupted one: no new step starts, children die with their groups, the ledger stays
resumable. We wait for the lock to be free and print where each package stopped.
"""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path

import pytest

WAIT_S = 60.0


def answer(config: pytest.Config) -> int:
    from pytest_releaseplan import settings
    from pytest_releaseplan.errors import ConfigError

    try:
        s = settings.load(config, "abort")
        code, text = abort(s.statedir)
    except ConfigError as exc:
        print(f"ERROR: {exc}")
        return 4
    print(text)
    return code


def abort(state_dir: Path, wait_s: float = WAIT_S) -> tuple[int, str]:
    """Stop the run holding the lock of `state_dir`; (exit code, what to print)."""
    from pytest_releaseplan import safety

    info = safety.running(state_dir)
    if info is None:
        return 0, f"no publish is running in {state_dir.parent}: nothing to stop"
    who = safety.describe(info)
    pid = info.get("pid")
    if not isinstance(pid, int) or pid <= 0:
        return (
            4,
            f"a publish holds {state_dir / safety.RUN_LOCK} but {state_dir / safety.RUN_INFO} "
            "names no pid: stop it where it runs",
        )
    if info.get("host") != socket.gethostname():
        return 4, f"the running publish ({who}) is on another machine: stop it there"
    try:
        _interrupt(pid)
    except ProcessLookupError:
        pass  # it ended between the lock check and the signal
    except PermissionError:
        return 4, f"not allowed to signal the running publish ({who}): stop it as its user"
    print(f"stopping the running publish ({who}) as Ctrl-C would …", flush=True)
    deadline = time.monotonic() + wait_s
    while safety.running(state_dir) is not None:
        if time.monotonic() > deadline:
            return 4, (
                f"the publish ({who}) did not stop within {wait_s:.0f} s and still holds "
                f"{state_dir / safety.RUN_LOCK}. Run `pytest --release-abort` again, or end "
                f"it with `kill -TERM {pid}`; the rerun resumes either way"
            )
        time.sleep(0.2)
    return 0, "\n".join(
        ["the publish stopped; rerun the same command to resume.", _where(state_dir)]
    )


def _interrupt(pid: int) -> None:
    """SIGINT as a terminal's Ctrl-C sends it: to the run's whole process group (its xdist
    workers included) when the run leads its group; to the run alone otherwise, so a shell
    script that started it is not interrupted too."""
    if os.getpgid(pid) == pid:
        os.killpg(pid, signal.SIGINT)
    else:
        os.kill(pid, signal.SIGINT)


def _where(state_dir: Path) -> str:
    from pytest_releaseplan.publish import status
    from pytest_releaseplan.publish.ledger import Ledger

    return status.render(Ledger.of(state_dir))
