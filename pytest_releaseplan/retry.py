"""Retry transient failures with exponential backoff and full jitter (SPEC §2 `retries`)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

#: on_retry(attempt, delay, error): `attempt` is the 1-based number of the attempt that failed.
OnRetry = Callable[[int, float, BaseException], None]


def backoff_delays(
    retries: int, base: float = 0.5, cap: float = 10.0, rng: random.Random | None = None
) -> list[float]:
    """The sleeps before retry 1..retries: uniform(0, min(cap, base * 2**i)) ("full jitter")."""
    rng = rng if rng is not None else random.Random()  # noqa: S311 - jitter, not crypto
    return [rng.uniform(0.0, min(cap, base * 2.0**i)) for i in range(max(0, retries))]


def worst_backoff(retries: int, base: float = 0.5, cap: float = 10.0) -> float:
    """The longest the sleeps of `retries` retries can add up to."""
    return sum(min(cap, base * 2.0**i) for i in range(max(0, retries)))


def retry(
    fn: Callable[[], T],
    *,
    retries: int,
    is_transient: Callable[[BaseException], bool],
    base: float = 0.5,
    cap: float = 10.0,
    sleep: Callable[[float], None] = time.sleep,
    on_retry: OnRetry | None = None,
    rng: random.Random | None = None,
    deadline: float | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """Call `fn`; on a transient failure retry it up to `retries` times, sleeping in between.

    No retry starts at or after `deadline` (a `clock()` time): the failure propagates instead.
    Non-transient failures (and the last transient one) propagate unchanged. Only
    `Exception`s are considered: KeyboardInterrupt and friends always propagate at once.
    """
    delays = backoff_delays(retries, base, cap, rng)
    attempt = 0
    while True:
        attempt += 1
        try:
            return fn()
        except Exception as exc:
            if attempt > len(delays) or not is_transient(exc):
                raise
            delay = delays[attempt - 1]
            if deadline is not None and clock() + delay >= deadline:
                raise
            if on_retry is not None:
                on_retry(attempt, delay, exc)
            sleep(delay)
