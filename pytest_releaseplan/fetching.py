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
        try:
            gitops.fetch(path, remote)
        except ProcessError as exc:
            url = gitops.remote_url(path, remote)
            if url is None:
                return rel, f"repository {rel} has no remote named {remote!r}"
            return rel, mask(f"fetch from {remote} ({url}) failed: {_reason(exc)}")
        return rel, None

    workers = max(1, min(MAX_PARALLEL_FETCHES, len(repos)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return dict(pool.map(one, repos.items()))


def _reason(exc: ProcessError) -> str:
    """git's own first `fatal:`/`error:` line says why; the last line is often a hint."""
    if exc.timed_out:
        return "timed out"
    lines = [line.strip() for line in (exc.result.stderr or exc.result.stdout).splitlines()]
    for line in lines:
        if line.startswith(("fatal:", "error:")):
            return line
    return next((line for line in lines if line), f"exit code {exc.result.returncode}")


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
