"""process.run: a `kill -9` of the run takes its children along (the fuzzer found a twine
upload outliving its killed run); short local reads opt out, and outlive it."""

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
argv = [sys.executable, "-c", "import os, time; open(%r, 'w').write(str(os.getpid())); time.sleep(60)" % pid_file]
process.run(argv, timeout=90, die_with_parent=sys.argv[2] != "read")
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


def _grandchild_after_kill(tmp_path: Path, how: str) -> tuple[int, bool]:
    """Start a run that starts a long child, kill -9 the run, say whether the child lives."""
    pid_file = tmp_path / "pid"
    run = subprocess.Popen([sys.executable, "-c", CHILD, str(pid_file), how])
    try:
        deadline = time.monotonic() + 30
        while not (pid_file.exists() and pid_file.read_text()):
            assert time.monotonic() < deadline, "the child never started"
            time.sleep(0.05)
        grandchild = int(pid_file.read_text())
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=10)
        deadline = time.monotonic() + 3
        while _alive(grandchild) and time.monotonic() < deadline:
            time.sleep(0.05)
        return grandchild, _alive(grandchild)
    finally:
        run.kill()


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="the parent-death signal is Linux's")
@pytest.mark.parametrize("how", ["setpriv", "preexec"])
def test_a_child_dies_with_the_run(tmp_path: Path, how: str) -> None:
    if how == "setpriv" and process._setpriv() is None:
        pytest.skip("no util-linux setpriv on this machine")
    grandchild, alive = _grandchild_after_kill(tmp_path, how)
    if alive:
        os.kill(grandchild, signal.SIGKILL)
    assert not alive, f"child {grandchild} outlived the killed run ({how})"


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="the parent-death signal is Linux's")
def test_a_read_is_not_bound_to_the_run(tmp_path: Path) -> None:
    """The opt-out is real (so the test above can fail): a read's child survives the kill."""
    grandchild, alive = _grandchild_after_kill(tmp_path, "read")
    if alive:
        os.kill(grandchild, signal.SIGKILL)
    assert alive


def test_the_command_shown_is_the_one_asked_for(tmp_path: Path) -> None:
    """The setpriv wrapper never shows in a result or an error message."""
    result = process.run(["git", "--version"], cwd=tmp_path)
    assert result.argv == ("git", "--version")
    with pytest.raises(process.ProcessError) as err:
        process.run(["git", "no-such-command"], cwd=tmp_path)
    assert "setpriv" not in str(err.value)
    assert "command failed with exit code 1: git no-such-command" in str(err.value)
