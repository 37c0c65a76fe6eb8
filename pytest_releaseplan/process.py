"""The one way to run a subprocess: argv only, bounded in time, killed with its group."""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from pytest_releaseplan.secrets import mask

DEFAULT_TIMEOUT = 120.0
# Linux: a child dies with the process that started it, so a `kill -9` of a run (whose
# children live in their own process groups, to be killed whole on timeout) leaves no upload
# or push running behind it. Loaded once here: the child only makes the call.
_PR_SET_PDEATHSIG = 1
_LIBC = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True) if os.name == "posix" else None


def _die_with_parent() -> None:
    if _LIBC is not None and hasattr(_LIBC, "prctl"):
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


@dataclass(frozen=True)
class Result:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


class ProcessError(Exception):
    def __init__(self, result: Result, cwd: Path | None, timed_out: bool = False) -> None:
        self.result = result
        self.cwd = cwd
        self.timed_out = timed_out
        super().__init__(self.render())

    def render(self) -> str:
        r = self.result
        head = (
            f"command timed out (killed with its process group): {' '.join(r.argv)}"
            if self.timed_out
            else f"command failed with exit code {r.returncode}: {' '.join(r.argv)}"
        )
        lines = [head]
        if self.cwd is not None:
            lines.append(f"  in {self.cwd}")
        for label, raw in (("stdout", r.stdout), ("stderr", r.stderr)):
            text = raw.strip()
            if text:
                tail = "\n".join(text.splitlines()[-20:])
                lines.append(f"  {label}:\n" + "\n".join(f"    {t}" for t in tail.splitlines()))
        return mask("\n".join(lines))


def run(
    argv: Sequence[str],
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    check: bool = True,
    stdin: str | None = None,
) -> Result:
    """Run argv in its own process group; on timeout or interrupt kill the whole group."""
    proc = subprocess.Popen(
        list(argv),
        cwd=cwd,
        env=dict(env) if env is not None else None,
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        errors="replace",
        start_new_session=True,
        preexec_fn=_die_with_parent,  # noqa: PLW1509 - async-signal-safe: one prctl call
    )
    timed_out = False
    try:
        out, err = proc.communicate(input=stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(proc)
        out, err = proc.communicate()
    except BaseException:
        _kill_group(proc)
        proc.wait()
        raise
    result = Result(tuple(argv), proc.returncode, out, err)
    if timed_out or (check and proc.returncode != 0):
        raise ProcessError(result, cwd, timed_out=timed_out)
    return result


def _kill_group(proc: subprocess.Popen[str]) -> None:
    with contextlib.suppress(ProcessLookupError):  # the group is already gone
        os.killpg(proc.pid, signal.SIGKILL)
