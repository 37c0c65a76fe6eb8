"""One view of a repository per process: fetch first, reads cached, explicit invalidation."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_releaseplan import fetching, gitops, process, scaffold
from pytest_releaseplan.errors import Category
from pytest_releaseplan.fetching import FetchFailure
from pytest_releaseplan.repoview import RepoView
from pytest_releaseplan.scaffold import PackageSpec


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return scaffold.tree(tmp_path / "t", [PackageSpec("core")])["core"]


def push_elsewhere(remote: Path, work: Path) -> str:
    process.run(("git", "clone", "-q", str(remote), str(work)), timeout=60)
    (work / "NEW.txt").write_text("new\n")
    scaffold.git(work, "add", "-A")
    scaffold.git(work, "commit", "-q", "-m", "elsewhere")
    scaffold.git(work, "push", "-q", "origin", "main")
    return scaffold.git(work, "rev-parse", "HEAD").strip()


def test_the_fetch_runs_before_the_first_read_and_once(repo: Path, tmp_path: Path) -> None:
    theirs = push_elsewhere(repo.parent / ".remotes" / "core.git", tmp_path / "w")
    calls: list[Path] = []

    def fetched() -> FetchFailure | None:
        calls.append(repo)
        return fetching.fetch_one("core", repo, "origin")

    view = RepoView(repo, fetched)
    assert view.refs()["refs/remotes/origin/main"] == theirs  # read after the fetch
    view.status()
    assert view.fetch_error() is None
    assert calls == [repo]


def test_reads_are_kept_until_invalidated(repo: Path) -> None:
    view = RepoView(repo, lambda: None)
    before = view.head()
    assert view.status().changes == []
    (repo / "NEW.txt").write_text("x\n")
    scaffold.git(repo, "add", "NEW.txt")
    scaffold.git(repo, "commit", "-q", "-m", "ours")
    assert view.head() == before  # nothing clears the view behind our back
    view.invalidate()
    assert view.head() == gitops.head(repo) != before
    assert view.refs()["refs/heads/main"] == gitops.head(repo)


def test_reads_taken_after_the_fetch_are_used_once_then_invalidated(
    repo: Path, tmp_path: Path
) -> None:
    """The audit's fetching thread reads status and refs right after each fetch: the view
    uses them instead of reading again, and drops them at the first invalidate."""
    theirs = push_elsewhere(repo.parent / ".remotes" / "core.git", tmp_path / "w")
    warm: dict[Path, tuple[gitops.Status, dict[str, str]]] = {}

    def read_after(path: Path) -> None:
        warm[path] = (gitops.status(path), gitops.refs(path))

    fetched = fetching.fetch_all({"core": repo}, "origin", then=read_after)
    assert fetched == {"core": None}
    status, refs = warm[repo]
    assert refs["refs/remotes/origin/main"] == theirs  # read after this repository's fetch
    assert status.behind == 1

    view = RepoView(repo, lambda: None, lambda: warm.pop(repo, None))
    assert view.status() is status and view.refs() is refs  # not read again
    assert repo not in warm  # taken once
    view.invalidate()
    assert view.status() is not status
    assert view.status().behind == 1


def test_a_missing_remote_is_fixable_with_the_command(repo: Path) -> None:
    scaffold.git(repo, "remote", "remove", "origin")
    failure = fetching.fetch_one("core", repo, "origin")
    assert failure is not None
    assert failure.category == Category.FIXABLE
    assert failure.message == "repository core has no remote named 'origin'"
    assert failure.fix == [f"git -C {repo} remote add origin URL"]


def test_a_remote_path_that_does_not_exist_is_fixable(tmp_path: Path) -> None:
    repo = scaffold.tree(tmp_path / "with space", [PackageSpec("core")])["core"]
    scaffold.git(repo, "remote", "set-url", "origin", "../gone.git")
    failure = fetching.fetch_one("core", repo, "origin")
    assert failure is not None
    assert failure.category == Category.FIXABLE
    assert "../gone.git, which does not exist" in failure.message
    assert failure.fix == [f"git -C '{repo}' remote set-url origin URL"]


def test_an_unreachable_network_remote_stays_transient(repo: Path) -> None:
    scaffold.git(repo, "remote", "set-url", "origin", "http://127.0.0.1:9/nothing.git")
    failure = fetching.fetch_one("core", repo, "origin")
    assert failure is not None
    assert failure.category == Category.TRANSIENT
    assert failure.message.startswith("fetch from origin (http://127.0.0.1:9/nothing.git) failed")


def test_fetch_results_round_trip_through_the_shared_file(repo: Path, tmp_path: Path) -> None:
    scaffold.git(repo, "remote", "remove", "origin")
    state = tmp_path / "state"
    first = fetching.results(state, "run1", {"core": repo}, "origin")
    again = fetching.results(state, "run1", {"core": repo}, "origin")  # another worker reads
    assert first == again
    assert again["core"] == FetchFailure(
        "repository core has no remote named 'origin'",
        Category.FIXABLE,
        [f"git -C {repo} remote add origin URL"],
    )


@pytest.mark.parametrize(
    ("url", "local"),
    [
        ("https://example.invalid/x.git", None),
        ("git@github.com:o/r.git", None),
        ("ssh://git@host/r.git", None),
        ("/abs/r.git", Path("/abs/r.git")),
        ("file:///abs/my%20r.git", Path("/abs/my r.git")),
        ("../r.git", Path("/repo/../r.git")),
    ],
)
def test_local_remote_path(url: str, local: Path | None) -> None:
    assert fetching.local_remote_path(Path("/repo"), url) == local


def test_a_shallow_clone_is_unshallowed_and_gets_the_tags(repo: Path, tmp_path: Path) -> None:
    for i in range(3):
        (repo / f"f{i}.txt").write_text(str(i))
        scaffold.git(repo, "add", "-A")
        scaffold.git(repo, "commit", "-q", "-m", f"c{i}")
    scaffold.git(repo, "tag", "-a", "-m", "v", "v1.0.0", "HEAD~2")
    scaffold.git(repo, "push", "-q", "origin", "main", "--tags")
    clone = tmp_path / "shallow"
    remote = f"file://{repo.parent / '.remotes' / 'core.git'}"
    process.run(("git", "clone", "-q", "--depth=1", "--no-tags", remote, str(clone)), timeout=60)
    assert gitops.is_shallow(clone)
    assert "refs/tags/v1.0.0" not in gitops.refs(clone)
    gitops.fetch(clone, "origin")
    assert not gitops.is_shallow(clone)
    assert "refs/tags/v1.0.0" in gitops.refs(clone)
    assert gitops.commits_since(clone, "refs/tags/v1.0.0", ".") == 2
