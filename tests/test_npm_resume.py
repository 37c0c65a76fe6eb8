"""A `kill -9` mid-publish of an npm tree, then the same command again: everything once.

npm refuses to republish a version, so the resumed run must know what already went up.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest

from pytest_releaseplan.scaffold import git, npm_repo
from tests.conftest import release_argv
from tests.npm_registry import NpmRegistry, npm_registry_fixture, npm_token_fixture
from tests.test_npm_e2e import _view

__all__ = ["npm_registry_fixture", "npm_token_fixture"]


def _argv(root: Path, *args: str) -> list[str]:
    return release_argv(root, "--release-publish", *args)


# after `a`'s upload is recorded, and after the upload but before its record
@pytest.mark.parametrize(
    ("prefix", "crash_at"), [("rsa", "a:upload"), ("rsu", "a:upload:unrecorded")]
)
def test_a_killed_npm_release_resumes_and_publishes_every_version_once(
    tmp_path: Path, npm_registry: NpmRegistry, npm_token: str, prefix: str, crash_at: str
) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    (root / "releaseplan.toml").write_text(f'npm-registry = "{npm_registry.url}"\n')
    a, b, c = (f"{prefix}-{x}" for x in "abc")
    npm_repo(root, a, "1.2.0-dev.0")
    npm_repo(root, b, "0.3.0-dev.0", {a: "^1.1.0"})
    npm_repo(root, c, "2.0.0", {a: "~1.2.0", b: "^0.3.0"})
    point = crash_at.replace("a:", f"{a}:", 1)
    # the run is a session leader: its pid is its group id, which arms the crash point
    armed = subprocess.Popen(
        ["/bin/sh", "-c", 'RELEASEPLAN_CRASH_PGID=$$ exec "$@"', "sh", *_argv(root, "-n", "2")],
        cwd=root, start_new_session=True, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        env={**os.environ, "RELEASEPLAN_CRASH_AT": point},
    )  # fmt: skip
    out, _ = armed.communicate(timeout=300)
    assert armed.returncode == -signal.SIGKILL, out
    # the kill came after `a` reached the registry, before anything was tagged
    assert _view(a, "versions", npm_registry.url, tmp_path) in ("1.2.0", ["1.2.0"])

    resumed = subprocess.run(
        _argv(root, "-n", "2"), cwd=root, text=True, capture_output=True,
        timeout=300, start_new_session=True, check=False,
    )  # fmt: skip
    output = resumed.stdout + resumed.stderr
    assert resumed.returncode == 0, output
    assert npm_token not in output
    released = {a: "1.2.0", b: "0.3.0", c: "2.0.0"}
    following = {a: "1.2.1-dev.0", b: "0.3.1-dev.0", c: "2.0.1-dev.0"}
    for name, version in released.items():
        assert _view(name, "versions", npm_registry.url, tmp_path) in (version, [version])
        repo = root / name
        assert git(repo, "ls-remote", "--tags", "origin").split()[1::2] == [
            f"refs/tags/v{version}", f"refs/tags/v{version}^{{}}"
        ]  # fmt: skip
        subjects = git(repo, "log", "--format=%s").splitlines()
        assert subjects.count(f"release: {name} {version}") <= 1, subjects
        nexts = [s for s in subjects if s.startswith(f"release: {name} next version")]
        assert len(nexts) == 1, subjects
        assert git(repo, "status", "--porcelain") == ""
        remote_main = git(repo, "ls-remote", "origin", "refs/heads/main").split()[0]
        assert remote_main == git(repo, "rev-parse", "HEAD").strip()
        assert json.loads((repo / "package.json").read_text())["version"] == following[name]
    assert _view(f"{b}@0.3.0", "dependencies", npm_registry.url, tmp_path) == {a: "^1.2.0"}
    state = json.loads((root / ".releaseplan" / "state.json").read_text())
    assert state["finished"] is True
    report = json.loads((root / ".releaseplan" / "last-report.json").read_text())
    assert {p["name"]: p["publish"]["outcome"] for p in report["packages"]} == dict.fromkeys(
        released, "published"
    )
