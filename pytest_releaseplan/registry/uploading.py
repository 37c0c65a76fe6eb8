"""Upload the distributions the index does not have yet, retrying transient failures."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import TypeVar

from pytest_releaseplan.errors import Category, CheckFailure
from pytest_releaseplan.registry.budget import Budget
from pytest_releaseplan.registry.directory import upload_to_directory
from pytest_releaseplan.registry.failures import is_transient
from pytest_releaseplan.registry.files import already_uploaded, dist_name_version
from pytest_releaseplan.registry.index import READ_TIMEOUT, published_files
from pytest_releaseplan.registry.model import Registry
from pytest_releaseplan.registry.twine_cli import twine_upload
from pytest_releaseplan.retry import OnRetry, retry
from pytest_releaseplan.secrets import register

T = TypeVar("T")


@dataclass(frozen=True)
class UploadResult:
    uploaded: tuple[str, ...]  # file names sent to the registry in this call
    skipped: tuple[str, ...]  # file names the index already had (idempotent re-run)
    retries: int = 0  # transient failures that were retried


def upload(
    registry: Registry,
    files: Sequence[Path],
    *,
    retries: int,
    timeout: float,
    env: Mapping[str, str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    on_retry: OnRetry | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> UploadResult:
    """Upload the files the index does not have yet; retry transient failures.

    `timeout` is the publish item's budget: the whole upload, retries and backoff included,
    ends within a share of it (see `budget`). Raises CheckFailure (masked evidence, `Fix:`
    lines) on the final failure.
    """
    base_env = dict(env if env is not None else os.environ)
    register(base_env.get("TWINE_PASSWORD"))
    budget = Budget.of_item(timeout, retries, clock)
    attempts = _Attempts(retries, budget, sleep, on_retry)
    uploaded: list[str] = []
    skipped: list[str] = []
    for name, group in _group_by_project(files).items():
        published = attempts.run(partial(_read, registry, name, base_env, budget))
        for path in group:
            if already_uploaded(path.name, published):
                skipped.append(path.name)
                continue
            sent = attempts.run(partial(_upload_one, registry, path, base_env, budget))
            (uploaded if sent else skipped).append(path.name)
    return UploadResult(tuple(uploaded), tuple(skipped), attempts.retried)


class _Attempts:
    """`retry` with our classification and the upload's deadline, counting retries; the
    final failure says how many attempts it took."""

    def __init__(
        self, retries: int, budget: Budget, sleep: Callable[[float], None],
        on_retry: OnRetry | None,
    ) -> None:  # fmt: skip
        self.retries = retries
        self.budget = budget
        self.sleep = sleep
        self.on_retry = on_retry
        self.retried = 0

    def run(self, fn: Callable[[], T]) -> T:
        before = self.retried
        try:
            return retry(
                fn, retries=self.retries, is_transient=is_transient, sleep=self.sleep,
                on_retry=self._count, deadline=self.budget.last_retry_start,
                clock=self.budget.clock,
            )  # fmt: skip
        except CheckFailure as exc:
            attempts = self.retried - before + 1
            if attempts == 1:
                raise
            what = f"{exc.what}, after {attempts} attempts"
            raise CheckFailure(what, exc.category, exc.evidence, exc.fix) from None

    def _count(self, attempt: int, delay: float, exc: BaseException) -> None:
        self.retried += 1
        if self.on_retry is not None:
            self.on_retry(attempt, delay, exc)


def _group_by_project(files: Sequence[Path]) -> dict[str, list[Path]]:
    groups: dict[str, list[Path]] = {}
    for path in files:
        parsed = dist_name_version(path.name)
        if parsed is None:
            raise CheckFailure(
                f"not a wheel or sdist: {path.name}",
                Category.BLOCKING,
                evidence=[str(path)],
                fix=["check the `build` command: it must write *.whl / *.tar.gz files"],
            )
        if not path.is_file():
            raise CheckFailure(f"distribution file missing: {path}", Category.BLOCKING)
        groups.setdefault(parsed[0], []).append(path)
    return groups


def _read(registry: Registry, name: str, env: Mapping[str, str], budget: Budget) -> set[str]:
    return published_files(registry, name, env=env, timeout=budget.attempt_timeout(READ_TIMEOUT))


def _upload_one(registry: Registry, path: Path, env: Mapping[str, str], budget: Budget) -> bool:
    """Upload one file; False when the index answers that it already has it."""
    if registry.directory is not None:
        return upload_to_directory(registry.directory, path)
    assert registry.upload_url is not None
    return twine_upload(registry.upload_url, path, env, budget.attempt_timeout())
