"""Fetch every repository once per run, in parallel, shared by all workers through a file."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from filelock import FileLock

from pytest_releaseplan import gitops, statedir
from pytest_releaseplan.errors import Category
from pytest_releaseplan.process import ProcessError
from pytest_releaseplan.secrets import mask

MAX_PARALLEL_FETCHES = 8


@dataclass(frozen=True)
class FetchFailure:
    """Why a repository could not be fetched; a missing remote is no network hiccup."""

    message: str
    category: Category = Category.TRANSIENT
    fix: list[str] = field(default_factory=list)

    @classmethod
    def from_json(cls, data: Any) -> FetchFailure | None:  # noqa: ANN401 - any JSON value
        if isinstance(data, dict) and isinstance(data.get("message"), str):
            return cls(data["message"], Category(data.get("category", "transient")), data.get("fix", []))
        return None


def local_remote_path(repo: Path, url: str) -> Path | None:
    """The directory a local remote URL names (a path or file://), None for network URLs."""
    if url.startswith("file://"):
        return Path(unquote(urlsplit(url).path))
    if "://" in url:
        return None
    head = url.split("/", 1)[0]
    if ":" in head and not (len(head) == 2 and head[1] == ":"):  # scp-like host:path
        return None
    path = Path(url).expanduser()
    return path if path.is_absolute() else repo / path


def fetch_one(rel: str, path: Path, remote: str) -> FetchFailure | None:
    """Fetch first; only a failed fetch asks for the remote's URL to say why (one git call
    fewer per repository on the common path)."""
    try:
        gitops.fetch(path, remote)
    except ProcessError as exc:
        return _diagnose(rel, path, remote, exc)
    return None


def _diagnose(rel: str, path: Path, remote: str, exc: ProcessError) -> FetchFailure:
    url = gitops.remote_url(path, remote)
    git_c = ["git", "-C", str(path)]
    if url is None:
        return FetchFailure(
            f"repository {rel} has no remote named {remote!r}",
            Category.FIXABLE,
            [shlex.join([*git_c, "remote", "add", remote, "URL"])],
        )
    local = local_remote_path(path, url)
    if local is not None and not local.exists():
        return FetchFailure(
            mask(f"remote {remote!r} of repository {rel} is {url}, which does not exist"),
            Category.FIXABLE,
            [mask(shlex.join([*git_c, "remote", "set-url", remote, "URL"]))],
        )
    return FetchFailure(mask(f"fetch from {remote} ({url}) failed: {_reason(exc)}"))


def fetch_all(
    repos: dict[str, Path], remote: str, then: Callable[[Path], None] | None = None
) -> dict[str, FetchFailure | None]:
    """repository relpath -> None when fetched, else why it failed (masked). `then` runs in
    the same thread right after each repository's fetch (the audit reads its state there)."""

    def one(item: tuple[str, Path]) -> tuple[str, FetchFailure | None]:
        failure = fetch_one(item[0], item[1], remote)
        if then is not None:
            then(item[1])
        return item[0], failure

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


def results(
    state: Path,
    run_id: str,
    repos: dict[str, Path],
    remote: str,
    then: Callable[[Path], None] | None = None,
) -> dict[str, FetchFailure | None]:
    """The run's fetch results: the first caller (any worker) fetches all, the rest read."""
    statedir.ensure(state)
    path = state / f"fetch-{run_id}.json"
    with FileLock(str(state / "fetch.lock"), timeout=600):
        cached = statedir.read_json(path)
        if isinstance(cached, dict):
            return {rel: FetchFailure.from_json(v) for rel, v in cached.items()}
        for old in state.glob("fetch-*.json"):
            old.unlink(missing_ok=True)
        fetched = fetch_all(repos, remote, then)
        statedir.write_json(
            path, {rel: f and asdict(f) for rel, f in fetched.items()}, durable=False
        )
        return fetched
