"""One view of a repository per process: the run's fetch first, then reads kept until
this process changes the repository itself and says so (`invalidate`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pytest_releaseplan import gitops
from pytest_releaseplan.fetching import FetchFailure

Warm = tuple[gitops.Status, dict[str, str]]


class RepoView:
    def __init__(
        self,
        path: Path,
        fetched: Callable[[], FetchFailure | None],
        warmed: Callable[[], Warm | None] = lambda: None,
    ) -> None:
        """`fetched` runs (or reads) the run's one fetch of this repository; `warmed` gives
        the status and refs read right after that fetch (by the fetching thread), if any."""
        self.path = path
        self._fetched = fetched
        self._warmed = warmed
        self._fetch_done = False
        self._fetch_failure: FetchFailure | None = None
        self._status: gitops.Status | None = None
        self._refs: dict[str, str] | None = None
        self._shallow: bool | None = None

    def fetch_failure(self) -> FetchFailure | None:
        """None once fetched (or offline); else why the fetch failed."""
        if not self._fetch_done:
            self._fetch_failure = self._fetched()
            self._fetch_done = True
            warm = self._warmed()
            if warm is not None and self._status is None and self._refs is None:
                self._status, self._refs = warm
        return self._fetch_failure

    def fetch_error(self) -> str | None:
        failure = self.fetch_failure()
        return failure.message if failure else None

    def status(self) -> gitops.Status:
        self.fetch_failure()
        if self._status is None:
            self._status = gitops.status(self.path)
        return self._status

    def refs(self) -> dict[str, str]:
        """Branches, remote-tracking branches and tags -> commit SHA (tags peeled)."""
        self.fetch_failure()
        if self._refs is None:
            self._refs = gitops.refs(self.path)
        return self._refs

    def head(self) -> str | None:
        return self.status().oid

    def is_shallow(self) -> bool:
        if self._shallow is None:
            self.fetch_failure()
            self._shallow = gitops.is_shallow(self.path)
        return self._shallow

    def invalidate(self) -> None:
        """After this process wrote to the repository (a fix, a commit, a tag)."""
        self._status = None
        self._refs = None
        self._shallow = None
