"""Crash points for the resume tests: a real `kill -9` of the whole run at a step boundary.

Armed only when both variables are set and the group id matches this process's group, so a
stray variable can never kill anything but the run that was started to be killed:
`RELEASEPLAN_CRASH_PGID=<the run's process group>` and `RELEASEPLAN_CRASH_AT=` one of

* `core:upload` (after the step is checkpointed) or `core:upload:unrecorded` (after the
  work, before the checkpoint);
* `#K`: the K-th step boundary of the whole run, counting both kinds of boundary across
  every worker, in the order they are reached. The count lives in the file named by
  `RELEASEPLAN_CRASH_COUNTER` (required for `#K`; the fuzzer gives each run a fresh one).
"""

from __future__ import annotations

import os
import signal

AT = "RELEASEPLAN_CRASH_AT"
PGID = "RELEASEPLAN_CRASH_PGID"
COUNTER = "RELEASEPLAN_CRASH_COUNTER"


def crash_point(package: str, step: str, recorded: bool) -> None:
    spec = os.environ.get(AT)
    pgid = os.environ.get(PGID)
    if not spec or not pgid or pgid != str(os.getpgrp()):
        return
    if spec.startswith("#"):
        counter = os.environ.get(COUNTER)
        if counter and spec[1:].isdigit() and _next_ordinal(counter) == int(spec[1:]):
            os.killpg(os.getpgrp(), signal.SIGKILL)
        return
    wanted = f"{package}:{step}" if recorded else f"{package}:{step}:unrecorded"
    if spec == wanted:
        os.killpg(os.getpgrp(), signal.SIGKILL)


def _next_ordinal(path: str) -> int:
    """Count this boundary: one byte appended per boundary; O_APPEND makes each append land
    at the end even when workers race, so the offset after it is this boundary's ordinal."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, b".")
        return os.lseek(fd, 0, os.SEEK_CUR)
    finally:
        os.close(fd)
