"""Fetch every repository once per run, in parallel, shared by all workers through a file."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from filelock import FileLock

from pytest_releaseplan import gitops, statedir
from pytest_releaseplan.process import ProcessError
from pytest_releaseplan.secrets import mask

MAX_PARALLEL_FETCHES = 8


def fetch_all(repos: dict[str, Path], remote: str) -> dict[str, str | None]:
    """repository relpath -> None when fetched, else the (masked) reason it failed."""

    def one(item: tuple[str, Path]) -> tuple[str, str | None]:
        rel, path = item
        url = gitops.remote_url(path, remote)
        if url is None:
            return rel, f"repository {rel} has no remote named {remote!r}"
        try:
            gitops.fetch(path, remote)
        except ProcessError as exc:
            detail = (exc.result.stderr or exc.result.stdout).strip().splitlines()
            why = "timed out" if exc.timed_out else (detail[-1] if detail else "failed")
            return rel, mask(f"fetch from {remote} ({url}) failed: {why}")
        return rel, None

    workers = max(1, min(MAX_PARALLEL_FETCHES, len(repos)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return dict(pool.map(one, repos.items()))


def results(state: Path, run_id: str, repos: dict[str, Path], remote: str) -> dict[str, str | None]:
    """The run's fetch results: the first caller (any worker) fetches all, the rest read."""
    statedir.ensure(state)
    path = state / f"fetch-{run_id}.json"
    with FileLock(str(state / "fetch.lock"), timeout=600):
        cached = statedir.read_json(path)
        if isinstance(cached, dict):
            return cached
        for old in state.glob("fetch-*.json"):
            old.unlink(missing_ok=True)
        fetched = fetch_all(repos, remote)
        statedir.write_json(path, fetched)
        return fetched
