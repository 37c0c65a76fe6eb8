"""An npm-workspaces monorepo with its root package-lock.json, made and remade by real npm."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_releaseplan.scaffold import git, init_repo
from tests.conftest import run_release
from tests.npm_registry import NpmRegistry, npm_registry_fixture, npm_token_fixture
from tests.test_npm_e2e import GITIGNORE, _npm, _view

__all__ = ["npm_registry_fixture", "npm_token_fixture"]


def _member(root: Path, name: str, version: str, deps: dict[str, str] | None = None) -> None:
    path = root / "packages" / name
    path.mkdir(parents=True)
    manifest: dict[str, object] = {"name": name, "version": version}
    if deps:
        manifest["dependencies"] = deps
    (path / "package.json").write_text(json.dumps(manifest, indent=2) + "\n")
    (path / "index.js").write_text(f"module.exports = {name!r};\n")


def _lock(root: Path) -> dict[str, dict[str, object]]:
    packages: dict[str, dict[str, object]] = json.loads(
        (root / "package-lock.json").read_text()
    )["packages"]
    return packages


def test_a_workspaces_monorepo_relocks_its_root_lock_and_stays_in_sync(
    pytester: pytest.Pytester, tmp_path: Path, npm_registry: NpmRegistry, npm_token: str
) -> None:
    root = tmp_path / "mono"
    root.mkdir()
    (root / "package.json").write_text(
        json.dumps({"name": "wsm-root", "private": True, "workspaces": ["packages/*"]}, indent=2)
        + "\n"
    )
    _member(root, "wsm-core", "1.2.0")
    _member(root, "wsm-app", "0.5.0", {"wsm-core": "^1.1.0"})
    (root / "releaseplan.toml").write_text(f'npm-registry = "{npm_registry.url}"\n')
    (root / ".gitignore").write_text(GITIGNORE + ".releaseplan/\n")
    _npm(["install", "--package-lock-only", "--ignore-scripts"], root, npm_registry.url)
    assert _lock(root)["node_modules/wsm-core"]["link"] is True
    init_repo(root, tmp_path / "mono-remote.git")

    audit = run_release(pytester, root, "--release-audit")
    assert audit.ret == 0, audit.stdout.str()

    result = run_release(pytester, root, "--release-publish", "-n", "2")
    out = result.stdout.str()
    assert result.ret == 0, out
    assert npm_token not in out
    for name, version in {"wsm-core": "1.2.0", "wsm-app": "0.5.0"}.items():
        assert _view(name, "versions", npm_registry.url, tmp_path) in (version, [version])
    assert _view("wsm-app@0.5.0", "dependencies", npm_registry.url, tmp_path) == {
        "wsm-core": "^1.2.0"
    }
    # the raise relocked the root lock once, in the commit that raised the range
    subjects = git(root, "log", "--format=%s").splitlines()
    assert subjects.count("release: raise internal dependencies of wsm-app") == 1, subjects
    raised = git(root, "show", "--name-only", "--format=", ":/raise internal dependencies")
    assert sorted(raised.split()) == ["package-lock.json", "packages/wsm-app/package.json"]
    locked_then = json.loads(git(root, "show", "wsm-app@0.5.0:package-lock.json"))["packages"]
    assert locked_then["packages/wsm-app"]["dependencies"] == {"wsm-core": "^1.2.0"}
    tags = git(root, "ls-remote", "--tags", "origin")
    assert "refs/tags/wsm-core@1.2.0" in tags and "refs/tags/wsm-app@0.5.0" in tags
    assert git(root, "status", "--porcelain") == ""

    after = run_release(pytester, root, "--release-audit", "--release-offline", "-rA")
    lines = [line for line in after.stdout.lines if "::lockfile" in line]
    assert lines and all("PASSED" in line for line in lines), after.stdout.str()
