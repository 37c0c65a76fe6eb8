"""What one process knows about the run: settings, workspace, run id, locks."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock

from pytest_releaseplan import fetching, statedir
from pytest_releaseplan.config import Config
from pytest_releaseplan.settings import Settings
from pytest_releaseplan.workspace import Workspace

LOCK_TIMEOUT = 900.0


@dataclass
class Context:
    settings: Settings
    workspace: Workspace
    run_id: str
    worker: str = "main"
    _fetched: dict[str, str | None] | None = None

    @property
    def config(self) -> Config:
        return self.settings.config

    @property
    def statedir(self) -> Path:
        return statedir.ensure(self.settings.statedir)

    def fetch_error(self, repo_relpath: str) -> str | None:
        """None once the repository is fetched (or offline); else why the fetch failed."""
        if self.settings.offline:
            return None
        if self._fetched is None:
            self._fetched = fetching.results(
                self.statedir, self.run_id, self.workspace.repositories, self.config.remote
            )
        return self._fetched.get(repo_relpath)

    def lock(self, kind: str, key: str) -> FileLock:
        """A cross-process lock: `repo` for git writes to one repository, `relock` for caches."""
        digest = hashlib.sha256(key.encode()).hexdigest()[:16]
        locks = self.statedir / "locks"
        locks.mkdir(exist_ok=True)
        return FileLock(str(locks / f"{kind}-{digest}.lock"), timeout=LOCK_TIMEOUT)

    def repo_lock(self, repo: Path) -> FileLock:
        return self.lock("repo", str(repo))
