"""Static lock staleness, checked against what real `npm install --package-lock-only` does:
the lock is judged stale exactly when npm's relock would change it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_releaseplan.npm import client
from pytest_releaseplan.npm.edit_json import edit_dependency, edit_version
from pytest_releaseplan.npm.lockfile import stale_reasons
from pytest_releaseplan.npm.manifest import read_manifest
from tests.npm_registry import NpmRegistry, npm_registry_fixture, npm_token_fixture  # noqa: F401
from tests.servers import free_port


def _write(path: Path, data: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return path


def _npm_relock(directory: Path, registry: str) -> None:
    client.relock(directory, registry)  # npm install --package-lock-only --ignore-scripts


def _reasons(directory: Path) -> list[str]:
    root = read_manifest(directory / "package.json")
    members = [
        read_manifest(p)
        for glob in root.workspaces
        for p in sorted(directory.glob(f"{glob}/package.json"))
    ]
    return stale_reasons(
        (directory / "package-lock.json").read_text(encoding="utf-8"), root, members
    )


def _judged_then_relocked(directory: Path, registry: str) -> tuple[list[str], bool]:
    """(our reasons, whether npm's relock changed the lock); afterwards we must find none."""
    before = (directory / "package-lock.json").read_bytes()
    reasons = _reasons(directory)
    _npm_relock(directory, registry)
    changed = (directory / "package-lock.json").read_bytes() != before
    assert _reasons(directory) == []
    return reasons, changed


@pytest.fixture
def workspace(tmp_path: Path) -> tuple[Path, str]:
    """An npm-workspaces monorepo whose members depend only on each other: npm relocks it
    without a registry (the URL points at a closed port to prove it)."""
    registry = f"http://127.0.0.1:{free_port()}/"
    _write(
        tmp_path / "package.json",
        {"name": "ws-root", "private": True, "workspaces": ["packages/*"]},
    )
    _write(tmp_path / "packages/a/package.json", {"name": "@ws/a", "version": "1.0.0"})
    _write(
        tmp_path / "packages/b/package.json",
        {"name": "@ws/b", "version": "2.0.0", "dependencies": {"@ws/a": "^1.0.0"}},
    )
    _npm_relock(tmp_path, registry)
    return tmp_path, registry


def test_a_fresh_lock_is_in_sync(workspace: tuple[Path, str]) -> None:
    directory, registry = workspace
    assert _judged_then_relocked(directory, registry) == ([], False)


def test_a_member_version_bump_makes_the_lock_stale(workspace: tuple[Path, str]) -> None:
    directory, registry = workspace
    edit_version(directory / "packages/a/package.json", "1.1.0")
    reasons, changed = _judged_then_relocked(directory, registry)
    assert changed
    assert reasons == ["packages/a/package.json: version is 1.1.0, the lock records 1.0.0"]


def test_a_changed_range_makes_the_lock_stale(workspace: tuple[Path, str]) -> None:
    directory, registry = workspace
    edit_dependency(
        directory / "packages/b/package.json", "dependencies", "@ws/a", "^1.0.0 || ^2.0.0"
    )
    reasons, changed = _judged_then_relocked(directory, registry)
    assert changed
    assert reasons == [
        "packages/b/package.json: dependencies.@ws/a is ^1.0.0 || ^2.0.0, the lock records ^1.0.0"
    ]


def test_a_new_member_makes_the_lock_stale(workspace: tuple[Path, str]) -> None:
    directory, registry = workspace
    _write(directory / "packages/c/package.json", {"name": "@ws/c", "version": "0.1.0"})
    reasons, changed = _judged_then_relocked(directory, registry)
    assert changed
    assert "packages/c/package.json: the lock has no entry packages['packages/c']" in reasons
    assert any("@ws/c (packages/c) is not linked" in r for r in reasons)


def test_a_tree_lock_resolving_a_published_sibling_is_not_stale(
    npm_registry: NpmRegistry, npm_token: str, tmp_path: Path
) -> None:
    core = tmp_path / "core"
    _write(core / "package.json", {"name": "rp-lock-core", "version": "1.0.0"})
    client.publish(client.pack(core, tmp_path / "dist"), npm_registry.url)
    app = tmp_path / "app"
    _write(
        app / "package.json",
        {"name": "rp-lock-app", "version": "1.0.0", "dependencies": {"rp-lock-core": "^1.0.0"}},
    )
    _npm_relock(app, npm_registry.url)

    # the sibling moves on in its own repository and releases; the app's lock still pins 1.0.0
    edit_version(core / "package.json", "1.1.0")
    client.publish(client.pack(core, tmp_path / "dist"), npm_registry.url)
    assert _judged_then_relocked(app, npm_registry.url) == ([], False)

    edit_dependency(app / "package.json", "dependencies", "rp-lock-core", "^1.1.0")
    reasons, changed = _judged_then_relocked(app, npm_registry.url)
    assert changed
    assert reasons == [
        "the root package.json: dependencies.rp-lock-core is ^1.1.0, the lock records ^1.0.0",
        "rp-lock-core: the lock resolves 1.0.0, which ^1.1.0 excludes (package.json of rp-lock-app)",
    ]
    locked = json.loads((app / "package-lock.json").read_text(encoding="utf-8"))
    assert locked["packages"]["node_modules/rp-lock-core"]["version"] == "1.1.0"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("{", "not valid JSON"),
        ("[]", "not a JSON object"),
        ('{"lockfileVersion": 1, "dependencies": {}}', "lockfileVersion 1 is not 2 or 3"),
    ],
)
def test_unreadable_or_old_locks(tmp_path: Path, text: str, says: str) -> None:
    root = read_manifest(_write(tmp_path / "package.json", {"name": "x", "version": "1.0.0"}))
    [reason] = stale_reasons(text, root)
    assert says in reason
