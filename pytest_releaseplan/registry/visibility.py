"""Wait until a published version is listed on the index (SPEC §4 step 6, `wait-index`)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from packaging.utils import canonicalize_name
from packaging.version import Version

from pytest_releaseplan.errors import Category, CheckFailure
from pytest_releaseplan.registry.failures import TRANSIENT_FIX
from pytest_releaseplan.registry.index import READ_TIMEOUT, published_versions
from pytest_releaseplan.registry.model import Registry


def wait_visible(
    registry: Registry,
    name: str,
    version: str | Version,
    *,
    timeout: float,
    interval: float = 0.5,
    env: Mapping[str, str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> float:
    """Poll the simple index until `version` of `name` is listed; return the seconds waited.

    Transient read errors keep polling; blocking ones (401/403...) raise at once. Timing
    out raises CheckFailure (TRANSIENT): never a silent success.
    """
    wanted = Version(str(version))
    start = clock()
    deadline = start + timeout
    last_error: CheckFailure | None = None
    seen: set[Version] = set()
    while True:
        remaining = deadline - clock()
        try:
            seen = published_versions(
                registry, name, env=env, timeout=max(0.1, min(READ_TIMEOUT, remaining))
            )
            last_error = None
        except CheckFailure as exc:
            if exc.category is not Category.TRANSIENT:
                raise
            last_error = exc
        if wanted in seen:
            return clock() - start
        if clock() + interval > deadline:
            raise _not_visible(
                registry, name, wanted, timeout=timeout, seen=seen, last_error=last_error
            )
        sleep(interval)


def _not_visible(
    registry: Registry, name: str, version: Version, *, timeout: float,
    seen: set[Version], last_error: CheckFailure | None,
) -> CheckFailure:  # fmt: skip
    project = canonicalize_name(name)
    index = registry.display_index
    listed = ", ".join(str(v) for v in sorted(seen)[-10:]) or "none"
    evidence = [f"index page: {index}{project}/", f"versions listed: {listed}"]
    if last_error is not None:
        evidence += [f"last read error: {last_error.what}", *last_error.evidence]
    return CheckFailure(
        f"{project} {version} never became visible at {index} within {timeout:g} s",
        Category.TRANSIENT,
        evidence=evidence,
        fix=[
            f"{TRANSIENT_FIX} (files already uploaded are skipped)",
            f"check the index: pip download --no-deps {project}=={version} --index-url {index}",
            "if the index is just slow, raise `index-wait` in [tool.releaseplan]",
        ],
    )
