"""Bugs the resume fuzzer (bench/fuzz.py) found, each pinned down by one fast, deterministic run.

Each was found open, reproduced here, then fixed; the test keeps it fixed.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest

from pytest_releaseplan.scaffold import PackageSpec, git, tree
from tests.conftest import NO_ISOLATION_BUILD, release_argv
from tests.servers import PypiServer


@pytest.fixture(autouse=True)
def _twine_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWINE_USERNAME", "anyone")
    monkeypatch.setenv("TWINE_PASSWORD", "not-a-secret")
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")


def _publish(root: Path, crash_at: str | None = None) -> subprocess.CompletedProcess[str]:
    """One `pytest --release-publish` in its own session; `crash_at` arms a crash point."""
    argv = release_argv(root, "--release-publish")
    env = dict(os.environ)
    if crash_at is not None:
        env["RELEASEPLAN_CRASH_AT"] = crash_at
    # the shell puts its own pid (the new session's group id) into the environment: the guard
    argv = ["/bin/sh", "-c", 'RELEASEPLAN_CRASH_PGID=$$ exec "$@"', "sh", *argv]
    return subprocess.run(
        argv, cwd=root, env=env, text=True, capture_output=True, timeout=300,
        start_new_session=True, check=False,
    )  # fmt: skip


def _finished(root: Path) -> bool:
    return bool(json.loads((root / ".releaseplan" / "state.json").read_text())["finished"])


def test_an_exact_dev_pin_is_raised_after_a_kill_between_the_two_releases(
    tmp_path: Path, pypiserver: PypiServer
) -> None:
    root = tmp_path / "ws"
    specs = [PackageSpec("x0"), PackageSpec("x1", deps=["x0==1.0.0.dev0"])]
    tree(root, specs, config=f'registry = "{pypiserver.url}"\n{NO_ISOLATION_BUILD}')
    killed = _publish(root, crash_at="x0:next-version")
    assert killed.returncode == -signal.SIGKILL, killed.stdout
    assert git(root / "x0", "ls-remote", "--tags", "origin").strip()  # x0 1.0.0 is out
    resumed = _publish(root)
    assert resumed.returncode == 0, resumed.stdout
    assert '"x0==1.0.0"' in git(root / "x1", "show", "v1.0.0:pyproject.toml")
    assert _finished(root)


def test_a_pin_on_the_release_before_this_run_is_judged_as_the_uninterrupted_run_did(
    tmp_path: Path, pypiserver: PypiServer
) -> None:
    """Seed 1010: x1 pins x0's last release (`x0==0.4.0`) while x0, changed since, releases
    0.4.1. Killed after x0's release and bump (0.4.2.dev0), the rerun must still accept the pin
    (the release before this run's) and raise it to ==0.4.1, as the uninterrupted run does."""
    root = tmp_path / "ws"
    specs = [PackageSpec("x0", version="0.4.0"), PackageSpec("x1", deps=["x0==0.4.0"])]
    repos = tree(root, specs, config=f'registry = "{pypiserver.url}"\n{NO_ISOLATION_BUILD}')
    x0 = repos["x0"]
    git(x0, "tag", "-a", "v0.4.0", "-m", "release: x0 0.4.0")
    pyproject = x0 / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace('version = "0.4.0"', 'version = "0.4.1.dev0"')
    )
    (x0 / "CHANGES.txt").write_text("work after 0.4.0\n")
    git(x0, "add", "-A")
    git(x0, "commit", "-q", "-m", "work after 0.4.0")
    git(x0, "push", "-q", "origin", "main", "v0.4.0")
    killed = _publish(root, crash_at="x0:next-version")
    assert killed.returncode == -signal.SIGKILL, killed.stdout
    assert "0.4.2.dev0" in pyproject.read_text()
    resumed = _publish(root)
    assert resumed.returncode == 0, resumed.stdout
    assert '"x0==0.4.1"' in git(repos["x1"], "show", "v1.0.0:pyproject.toml")
    assert _finished(root)


# Kills the run's process group from inside `git commit`, after the release's `git add` and
# before the commit exists (the hook's non-zero exit aborts the commit): what a `kill -9`
# between the two git calls leaves — the step's files staged, the ledger naming them.
KILL_IN_COMMIT = """#!/bin/sh
[ -e "$0.fired" ] && exit 0
touch "$0.fired"
kill -9 -"$RELEASEPLAN_CRASH_PGID"
exit 1
"""


def test_a_kill_between_add_and_commit_resumes(tmp_path: Path, pypiserver: PypiServer) -> None:
    root = tmp_path / "ws"
    tree(root, [PackageSpec("x0")], config=f'registry = "{pypiserver.url}"\n{NO_ISOLATION_BUILD}')
    hook = root / "x0" / ".git" / "hooks" / "prepare-commit-msg"
    hook.write_text(KILL_IN_COMMIT)
    hook.chmod(0o755)
    killed = _publish(root, crash_at="never:armed")  # arms the guard variable only
    assert killed.returncode == -signal.SIGKILL, killed.stdout
    assert git(root / "x0", "status", "--porcelain").startswith("M  "), "not staged: no repro"
    resumed = _publish(root)
    assert resumed.returncode == 0, resumed.stdout
    assert git(root / "x0", "ls-remote", "--tags", "origin").split()[1::2] == [
        "refs/tags/v1.0.0",
        "refs/tags/v1.0.0^{}",
    ]
    assert git(root / "x0", "status", "--porcelain") == ""
    assert _finished(root)


# Rejects the second push (the next-version push; the first is the release's), once.
REJECT_SECOND_PUSH = """#!/bin/sh
n=$(( $(cat "$0.count" 2>/dev/null || echo 0) + 1 ))
echo "$n" > "$0.count"
[ "$n" -eq 2 ] && { echo "error: the remote moved: fetch first" >&2; exit 1; }
exit 0
"""


def test_a_refused_next_version_push_is_pushed_by_the_rerun(
    tmp_path: Path, pypiserver: PypiServer
) -> None:
    root = tmp_path / "ws"
    tree(root, [PackageSpec("x0")], config=f'registry = "{pypiserver.url}"\n{NO_ISOLATION_BUILD}')
    hook = root / ".remotes" / "x0.git" / "hooks" / "pre-receive"
    hook.write_text(REJECT_SECOND_PUSH)
    hook.chmod(0o755)
    first = _publish(root)
    assert first.returncode == 1, first.stdout
    state = json.loads((root / ".releaseplan" / "state.json").read_text())
    assert state["packages"]["x0"]["steps"]["next-version"] == "failed", state
    resumed = _publish(root)
    assert resumed.returncode == 0, resumed.stdout
    remote_main = git(root / "x0", "ls-remote", "origin", "refs/heads/main").split()[0]
    assert remote_main == git(root / "x0", "rev-parse", "HEAD").strip(), (
        "the bump commit was left unpushed"
    )
    assert _finished(root)
