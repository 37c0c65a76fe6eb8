"""Preflight and recoverable state, end to end: a failure before any write changes nothing,
says what and how to fix it, shows in --release-status, and the rerun after the fix completes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pytest_releaseplan.scaffold import IDENTITY, PackageSpec, git, tree
from tests.conftest import NO_ISOLATION_BUILD
from tests.servers import PypiServer
from tests.test_safety_e2e import (  # noqa: F401 - _twine_credentials: autouse fixture
    _report,
    _run,
    _server_files,
    _status,
    _twine_credentials,
)

ONE = [PackageSpec("core")]


def _world(repo: Path) -> tuple[str, str, str]:
    return (
        git(repo, "rev-parse", "HEAD"),
        git(repo, "tag", "--list"),
        git(repo, "status", "--porcelain"),
    )


def _no_identity(tmp_path: Path) -> dict[str, str]:
    home = tmp_path / "empty-home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in IDENTITY and k != "EMAIL"}
    env.update(HOME=str(home), GIT_CONFIG_GLOBAL=str(home / "none"), GIT_CONFIG_NOSYSTEM="1")
    return env


def test_no_git_identity_fails_before_any_write_and_the_rerun_completes(
    tmp_path: Path, pypiserver: PypiServer
) -> None:
    root = tmp_path / "ws"
    repos = tree(root, ONE, config=f'registry = "{pypiserver.url}"\n{NO_ISOLATION_BUILD}')
    before = _world(repos["core"])
    result = _run(root, env=_no_identity(tmp_path))
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert "preflight failed before anything was changed" in out
    assert "git cannot commit" in out and "config user.email" in out
    assert "Traceback" not in out
    assert _world(repos["core"]) == before
    assert _server_files(pypiserver) == []
    status = _status(root)
    assert "preflight failed" in status.stdout and "Fix: git -C" in status.stdout
    rerun = _run(root)  # the test environment has an identity
    assert rerun.returncode == 0, rerun.stdout
    assert _report(root)["packages"][0]["publish"]["outcome"] == "published"


def test_a_refused_commit_leaves_nothing_staged_and_resumes(
    tmp_path: Path, pypiserver: PypiServer
) -> None:
    root = tmp_path / "ws"
    repos = tree(root, ONE, config=f'registry = "{pypiserver.url}"\n{NO_ISOLATION_BUILD}')
    # Commit signing with a signer that refuses: the preflight sees a signer installed, the
    # commit itself fails (as with a broken key or a hook).
    git(repos["core"], "config", "commit.gpgSign", "true")
    git(repos["core"], "config", "gpg.program", "false")
    head = git(repos["core"], "rev-parse", "HEAD")
    result = _run(root)
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert "git refused the release commit" in out and "gpg failed to sign" in out
    assert git(repos["core"], "rev-parse", "HEAD") == head
    assert git(repos["core"], "tag", "--list") == ""
    staged = git(repos["core"], "diff", "--cached", "--name-only")
    assert staged == "", "a refused commit must leave nothing staged"
    assert _server_files(pypiserver) == []
    git(repos["core"], "config", "--unset", "commit.gpgSign")
    rerun = _run(root)
    assert rerun.returncode == 0, rerun.stdout
    assert git(repos["core"], "status", "--porcelain") == ""
    subjects = git(repos["core"], "log", "--format=%s").splitlines()
    assert subjects.count("release: core 1.0.0") == 1


@pytest.mark.parametrize("offline", [True, False], ids=["remote-only", "fetched"])
def test_a_release_tag_on_another_commit_fails_the_preflight_before_the_upload(
    tmp_path: Path, pypiserver: PypiServer, offline: bool
) -> None:
    root = tmp_path / "ws"
    repos = tree(root, ONE, config=f'registry = "{pypiserver.url}"\n{NO_ISOLATION_BUILD}')
    repo = repos["core"]
    git(repo, "tag", "v1.0.0")  # on the dev commit: not the release
    git(repo, "push", "origin", "v1.0.0")
    git(repo, "tag", "-d", "v1.0.0")  # the remote has the release tag, this clone does not
    before = _world(repo)
    result = _run(root, *(["--release-offline"] if offline else []))
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    if offline:  # only the preflight's ls-remote sees it
        assert "already exists on remote origin" in out
        assert "fetch origin tag v1.0.0" in out
    else:  # the run's fetch brought it: the tag's commit does not declare the release
        assert "says version 1.0.0.dev0, not 1.0.0: it is not this release's tag" in out
    assert "preflight failed before anything was changed" in out
    assert _server_files(pypiserver) == [], "nothing may be uploaded before the tag is known good"
    assert _world(repo)[0] == before[0] and _world(repo)[2] == before[2]


@pytest.mark.parametrize(
    "content", ['{"packages": {"core": '], ids=["truncated"]
)  # every other shape and layout: tests/test_ledger.py
def test_a_corrupt_state_file_is_named_and_restart_recovers(
    tmp_path: Path, pypiserver: PypiServer, content: str
) -> None:
    root = tmp_path / "ws"
    tree(root, ONE, config=f'registry = "{pypiserver.url}"\n{NO_ISOLATION_BUILD}')
    state = root / ".releaseplan" / "state.json"
    state.parent.mkdir(parents=True, exist_ok=True)
    state.write_text(content)
    for result in (_status(root), _run(root)):
        out = result.stdout + result.stderr
        assert result.returncode == 4, out
        assert str(state) in out and "--release-restart" in out
        assert "Traceback" not in out and "INTERNALERROR" not in out
    restarted = _run(root, "--release-restart")
    assert restarted.returncode == 0, restarted.stdout
    plan = _run(root, "--collect-only")
    assert (
        "core                     1.0.1.dev0       up-to-date: no changes since 1.0.0"
        in plan.stdout
    ), plan.stdout
    assert "nothing to release" in plan.stdout
