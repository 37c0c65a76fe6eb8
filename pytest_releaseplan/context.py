"""What one process knows about the run: settings, workspace, run id, repository views, locks."""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from filelock import FileLock

from pytest_releaseplan import ci, fetching, gitops, statedir
from pytest_releaseplan.config import Config
from pytest_releaseplan.fetching import FetchFailure
from pytest_releaseplan.process import ProcessError
from pytest_releaseplan.repoview import RepoView, Warm
from pytest_releaseplan.settings import Settings
from pytest_releaseplan.workspace import Workspace

LOCK_TIMEOUT = 900.0


@dataclass
class Context:
    settings: Settings
    workspace: Workspace
    run_id: str
    worker: str = "main"
    _fetched: dict[str, FetchFailure | None] | None = None
    _prefetch: Future[dict[str, FetchFailure | None]] | None = None
    _warm: dict[Path, Warm] = field(default_factory=dict)
    _views: dict[Path, RepoView] = field(default_factory=dict)
    # Package formats bound to this context (ecosystems.of): one instance per process.
    ecosystems: dict[str, object] = field(default_factory=dict)

    def view(self, repo: Path) -> RepoView:
        if repo not in self._views:
            rel = next((r for r, p in self.workspace.repositories.items() if p == repo), None)
            self._views[repo] = RepoView(
                repo, lambda: self._fetch_failure(rel), lambda: self._warm.pop(repo, None)
            )
        return self._views[repo]

    def prefetch(self) -> None:
        """Start the run's fetch in a background thread, so it overlaps pytest's collection
        and start-up, and read each repository's status and refs in the fetching thread
        right after its fetch: the audit's checks then find them read, in parallel."""
        if self._prefetch is not None:
            return
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="releaseplan-fetch")
        if self.settings.offline:  # nothing to fetch: the reads alone, in parallel
            self._prefetch = pool.submit(self._read_all)
        else:
            self._prefetch = pool.submit(self._fetch_results, self._read_after_fetch)
        pool.shutdown(wait=False)

    def _read_all(self) -> dict[str, FetchFailure | None]:
        repos = list(self.workspace.repositories.values())
        with ThreadPoolExecutor(max_workers=fetching.MAX_PARALLEL_FETCHES) as pool:
            list(pool.map(self._read_after_fetch, repos))
        return {}

    def _read_after_fetch(self, repo: Path) -> None:
        with contextlib.suppress(ProcessError):  # the check that reads it again will say why
            self._warm[repo] = (gitops.status(repo), gitops.refs(repo))

    def _fetch_results(
        self, then: Callable[[Path], None] | None = None
    ) -> dict[str, FetchFailure | None]:
        return fetching.results(
            self.statedir, self.run_id, self.workspace.repositories, self.config.remote, then
        )

    def _fetch_failure(self, rel: str | None) -> FetchFailure | None:
        if self._fetched is None and self._prefetch is not None:
            self._fetched = self._prefetch.result()
        if self.settings.offline or rel is None:
            return None
        if self._fetched is None:
            self._fetched = self._fetch_results()
        return self._fetched.get(rel)

    @cached_property
    def ci(self) -> ci.Build | None:
        """The CI build this audit runs in; publish keeps the rules of a workstation."""
        return ci.detect(os.environ) if self.settings.mode == "audit" else None

    # Thin delegates, kept for callers that predate the view.
    def status(self, repo: Path) -> gitops.Status:
        return self.view(repo).status()

    def refs(self, repo: Path) -> dict[str, str]:
        return self.view(repo).refs()

    def forget(self, repo: Path) -> None:
        self.view(repo).invalidate()

    def fetch_error(self, repo_relpath: str) -> str | None:
        return self.view(self.workspace.repositories[repo_relpath]).fetch_error()

    @property
    def config(self) -> Config:
        return self.settings.config

    @property
    def statedir(self) -> Path:
        return statedir.ensure(self.settings.statedir)

    def lock(self, kind: str, key: str) -> FileLock:
        """A cross-process lock: `repo` for git writes to one repository, `relock` for caches."""
        digest = hashlib.sha256(key.encode()).hexdigest()[:16]
        locks = self.statedir / "locks"
        locks.mkdir(exist_ok=True)
        return FileLock(str(locks / f"{kind}-{digest}.lock"), timeout=LOCK_TIMEOUT)

    def repo_lock(self, repo: Path) -> FileLock:
        return self.lock("repo", str(repo))
