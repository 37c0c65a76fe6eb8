"""Crash points for the resume tests: a real `kill -9` of the whole run at a step boundary.

Armed only when both variables are set and the group id matches this process's group, so a
stray variable can never kill anything but the run that was started to be killed:
`RELEASEPLAN_CRASH_AT=core:upload` (after the step is checkpointed) or
`core:upload:unrecorded` (after the work, before the checkpoint), and
`RELEASEPLAN_CRASH_PGID=<the run's process group>`.
"""

from __future__ import annotations

import os
import signal


def crash_point(package: str, step: str, recorded: bool) -> None:
    spec = os.environ.get("RELEASEPLAN_CRASH_AT")
    pgid = os.environ.get("RELEASEPLAN_CRASH_PGID")
    if not spec or not pgid or pgid != str(os.getpgrp()):
        return
    wanted = f"{package}:{step}" if recorded else f"{package}:{step}:unrecorded"
    if spec == wanted:
        os.killpg(os.getpgrp(), signal.SIGKILL)
