"""What one process knows about the run: settings, workspace, run id, locks."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from filelock import FileLock

from pytest_releaseplan import fetching, gitops, statedir
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
    _status: dict[Path, gitops.Status] = field(default_factory=dict)
    _refs: dict[Path, dict[str, str]] = field(default_factory=dict)

    def status(self, repo: Path) -> gitops.Status:
        """`git status` of a repository, read once per process until `forget`."""
        if repo not in self._status:
            self._status[repo] = gitops.status(repo)
        return self._status[repo]

    def refs(self, repo: Path) -> dict[str, str]:
        """Branches, remote-tracking branches and tags, read once per process until `forget`."""
        if repo not in self._refs:
            self._refs[repo] = gitops.refs(repo)
        return self._refs[repo]

    def forget(self, repo: Path) -> None:
        """After this process changed the repository (a fix, a commit)."""
        self._status.pop(repo, None)
        self._refs.pop(repo, None)

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
            self._status.clear()  # read before the fetch: the remote-tracking refs moved
            self._refs.clear()
        return self._fetched.get(repo_relpath)

    def lock(self, kind: str, key: str) -> FileLock:
        """A cross-process lock: `repo` for git writes to one repository, `relock` for caches."""
        digest = hashlib.sha256(key.encode()).hexdigest()[:16]
        locks = self.statedir / "locks"
        locks.mkdir(exist_ok=True)
        return FileLock(str(locks / f"{kind}-{digest}.lock"), timeout=LOCK_TIMEOUT)

    def repo_lock(self, repo: Path) -> FileLock:
        return self.lock("repo", str(repo))
