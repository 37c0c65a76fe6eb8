"""process.run: a `kill -9` of the run takes its commands along, and what they started (the
fuzzer found a twine upload, then a build's hook processes, outliving a killed run); short
local reads opt out, and outlive it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pytest_releaseplan import process

CHILD = """
import sys
from pytest_releaseplan import process
if sys.argv[2] == "preexec":
    process._setpriv = lambda: None  # a machine without util-linux's setpriv
pid_file = sys.argv[1]
# the command starts a process of its own (as a build starts its hooks); both must die
grandchild = "import time; time.sleep(60)"
child = (
    "import os, subprocess, sys, time; "
    f"g = subprocess.Popen([sys.executable, '-c', {grandchild!r}]); "
    "open(%r, 'w').write(f'{os.getpid()} {g.pid}'); time.sleep(60)" % pid_file
)
process.run([sys.executable, "-c", child], timeout=90, die_with_parent=sys.argv[2] != "read")
"""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}").exists() and "Z" not in _state(pid)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "Z"


def _left_after_kill(tmp_path: Path, how: str) -> list[int]:
    """Start a run whose command starts a process of its own, kill -9 the run, and return
    which of the two are still alive after 3 s (then kill those)."""
    pid_file = tmp_path / "pid"
    run = subprocess.Popen([sys.executable, "-c", CHILD, str(pid_file), how])
    try:
        deadline = time.monotonic() + 30
        while not (pid_file.exists() and len(pid_file.read_text().split()) == 2):
            assert time.monotonic() < deadline, "the command never started"
            time.sleep(0.05)
        pids = [int(p) for p in pid_file.read_text().split()]
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=10)
        deadline = time.monotonic() + 3
        while any(map(_alive, pids)) and time.monotonic() < deadline:
            time.sleep(0.05)
        alive = [p for p in pids if _alive(p)]
        for pid in alive:
            os.kill(pid, signal.SIGKILL)
        return alive
    finally:
        run.kill()


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="the parent-death signal is Linux's")
@pytest.mark.parametrize("how", ["setpriv", "preexec"])
def test_a_child_dies_with_the_run(tmp_path: Path, how: str) -> None:
    if how == "setpriv" and process._setpriv() is None:
        pytest.skip("no util-linux setpriv on this machine")
    left = _left_after_kill(tmp_path, how)
    assert left == [], f"{left} outlived the killed run ({how})"


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="the parent-death signal is Linux's")
def test_a_read_is_not_bound_to_the_run(tmp_path: Path) -> None:
    """The opt-out is real (so the test above can fail): a read's processes survive."""
    assert len(_left_after_kill(tmp_path, "read")) == 2


def test_the_command_shown_is_the_one_asked_for(tmp_path: Path) -> None:
    """The setpriv wrapper never shows in a result or an error message."""
    result = process.run(["git", "--version"], cwd=tmp_path)
    assert result.argv == ("git", "--version")
    with pytest.raises(process.ProcessError) as err:
        process.run(["git", "no-such-command"], cwd=tmp_path)
    assert "setpriv" not in str(err.value)
    assert "command failed with exit code 1: git no-such-command" in str(err.value)


def test_the_guard_passes_stdin_output_and_the_exit_code(tmp_path: Path) -> None:
    script = "import sys; data = sys.stdin.read(); print(data.upper()); sys.exit(3)"
    result = process.run([sys.executable, "-c", script], stdin="ship it", check=False)
    assert (result.returncode, result.stdout.strip()) == (3, "SHIP IT")
    assert result.argv == (sys.executable, "-c", script)
    timed = [sys.executable, "-c", "import time; time.sleep(30)"]
    with pytest.raises(process.ProcessError) as err:
        process.run(timed, timeout=0.5)
    assert err.value.timed_out
