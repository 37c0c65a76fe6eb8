"""An npm-workspaces monorepo with its root package-lock.json, made and remade by real npm."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_releaseplan.npm.edit_json import set_locked_version
from pytest_releaseplan.npm.lockfile import stale_reasons
from pytest_releaseplan.npm.manifest import read_manifest
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
    packages: dict[str, dict[str, object]] = json.loads((root / "package-lock.json").read_text())[
        "packages"
    ]
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
    # the member versions the release and next-version steps wrote are recorded in the lock
    core_then = json.loads(git(root, "show", "wsm-core@1.2.0:package-lock.json"))["packages"]
    assert core_then["packages/wsm-core"]["version"] == "1.2.0"
    assert _lock(root)["packages/wsm-core"]["version"] == "1.2.1-dev.0"
    assert _lock(root)["packages/wsm-app"]["version"] == "0.5.1-dev.0"
    tags = git(root, "ls-remote", "--tags", "origin")
    assert "refs/tags/wsm-core@1.2.0" in tags and "refs/tags/wsm-app@0.5.0" in tags
    assert git(root, "status", "--porcelain") == ""

    after = run_release(pytester, root, "--release-audit", "--release-offline", "-rA")
    lines = [line for line in after.stdout.lines if "::lockfile" in line]
    assert lines and all("PASSED" in line for line in lines), after.stdout.str()


def test_a_member_lock_entry_without_a_name_its_folder_spells_is_in_sync(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    (root / "packages").mkdir(parents=True)
    (root / "package.json").write_text('{"name": "r", "workspaces": ["packages/*"]}\n')
    _member(root, "plain", "1.0.0")
    _member(root, "other", "1.0.0")
    (root / "packages" / "other" / "package.json").write_text(
        '{"name": "@s/renamed", "version": "1.0.0"}\n'
    )
    lock = {
        "lockfileVersion": 3,
        "packages": {
            "": {"name": "r", "workspaces": ["packages/*"]},
            "node_modules/plain": {"resolved": "packages/plain", "link": True},
            "node_modules/@s/renamed": {"resolved": "packages/other", "link": True},
            "packages/plain": {"version": "1.0.0"},
            "packages/other": {"version": "1.0.0"},
        },
    }
    members = [read_manifest(root / "packages" / d / "package.json") for d in ("plain", "other")]
    reasons = stale_reasons(json.dumps(lock), read_manifest(root / "package.json"), members)
    assert reasons == ["packages/other/package.json: name is @s/renamed, the lock records None"]


def test_a_member_version_is_set_in_the_lock_in_place() -> None:
    text = '{\n  "packages": {\n    "": {"name": "r"},\n    "p/a": {\n      "version": "1.0.0"\n    }\n  }\n}\n'
    assert set_locked_version(text, "p/a", "1.0.1-dev.0") == text.replace("1.0.0", "1.0.1-dev.0")
    assert set_locked_version(text, "p/missing", "2.0.0") == text
    assert set_locked_version(text, "", "2.0.0") == text  # no version recorded: none added
