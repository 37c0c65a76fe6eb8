"""How long one upload may take, so that its retries end before the item's own timeout.

The `timeout` config value bounds the whole publish item (pytest-timeout). An upload gets a
share of it, split between `retries + 1` attempts and the worst-case backoff: a registry
that accepts the connection and never answers ends in our transient failure (with its
fix), well before pytest-timeout would interrupt the item with a traceback.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from pytest_releaseplan.retry import worst_backoff

UPLOAD_SHARE = 0.5  # the rest is for the steps around the upload (build, wait-index, push)
MIN_ATTEMPT = 1.0  # seconds: no attempt is started with less time than this


@dataclass(frozen=True)
class Budget:
    deadline: float  # a `clock()` time: the upload, all retries included, ends before it
    attempt: float  # seconds: the bound of one attempt (one twine run, one index read)
    clock: Callable[[], float] = field(default=time.monotonic, compare=False)

    @classmethod
    def of_item(
        cls, timeout: float, retries: int, clock: Callable[[], float] = time.monotonic
    ) -> Budget:
        total = timeout * UPLOAD_SHARE
        per_attempt = (total - worst_backoff(retries)) / (max(0, retries) + 1)
        return cls(clock() + total, max(MIN_ATTEMPT, per_attempt), clock)

    @property
    def last_retry_start(self) -> float:
        """No retry starts later than this: it would have less than MIN_ATTEMPT left."""
        return self.deadline - MIN_ATTEMPT

    def attempt_timeout(self, cap: float | None = None) -> float:
        """The bound of the next attempt: its share, never past the deadline."""
        bound = min(self.attempt, self.deadline - self.clock())
        if cap is not None:
            bound = min(bound, cap)
        return max(MIN_ATTEMPT, bound)
