"""npm packages in the workspace model: version mapping, discovery, the internal-deps verdict."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from packaging.version import Version

from pytest_releaseplan import versions
from pytest_releaseplan.checks.internal import npm_judge
from pytest_releaseplan.config import Config
from pytest_releaseplan.config import load as config_load
from pytest_releaseplan.errors import ConfigError
from pytest_releaseplan.npm import client
from pytest_releaseplan.npm.discover import NpmDependency
from pytest_releaseplan.npm.pep440 import to_npm, to_pep440
from pytest_releaseplan.plan import items
from pytest_releaseplan.workspace import discover


def test_npm_versions_map_exactly_to_pep440_and_back() -> None:
    dev = to_pep440("1.4.0-dev.3", "package.json")
    assert dev == Version("1.4.0.dev3") and str(dev) == "1.4.0-dev.3"
    release = versions.release_of(dev)
    assert str(release) == "1.4.0" and to_npm(versions.next_dev(release)) == "1.4.1-dev.0"
    with pytest.raises(ConfigError, match="not a semver version"):
        to_pep440("1.4", "web/package.json")
    with pytest.raises(ConfigError, match=r"1\.4\.0-dev\.0"):
        to_pep440("1.4.0-beta.1", "web/package.json")


def _write(directory: Path, manifest: object) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "package.json").write_text(json.dumps(manifest))


def test_discovery_finds_npm_workspaces_and_a_directory_with_both_formats(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True, timeout=60)
    _write(
        tmp_path, {"name": "root", "version": "0.0.0", "private": True, "workspaces": ["pkgs/*"]}
    )
    _write(tmp_path / "pkgs" / "web", {"name": "web", "version": "1.0.0-dev.0",
                                       "dependencies": {"ui": "^2.0.0"}})  # fmt: skip
    (tmp_path / "pkgs" / "web" / "pyproject.toml").write_text(
        '[project]\nname="web"\nversion="1.0"\n'
    )
    _write(tmp_path / "pkgs" / "ui", {"name": "ui", "version": "2.1.0",
                                      "devDependencies": {"web": "*"}})  # fmt: skip
    _write(tmp_path / "pkgs" / "ui" / "node_modules" / "x", {"name": "x", "version": "1.0.0"})
    (tmp_path / "package-lock.json").write_text("{}")

    ws = discover(tmp_path, Config(packages=None))

    by_key = {p.name: p for p in ws.packages}
    assert set(by_key) == {"web", "web[npm]", "ui", "root"}
    web = by_key["web[npm]"]
    assert (web.ecosystem, web.display_name, web.lockfile) == (
        "npm", "web", tmp_path / "package-lock.json",
    )  # fmt: skip
    assert by_key["root"].private
    assert ws.runtime_graph()["web[npm]"] == {"ui"}
    assert ws.runtime_graph()["ui"] == set()  # devDependencies never order
    assert ws.tag_for(web, "1.0.0") == "web@1.0.0"
    ids = {p.nodeid for p in items(ws, "publish")}
    assert {"pkgs/web::version", "pkgs/web::version[npm]", "pkgs/web::publish[npm]"} <= ids


def _dep(spec: str, kind: str = "range") -> NpmDependency:
    from pytest_releaseplan.pyproject import DepKind

    return NpmDependency("core", spec, DepKind.RUNTIME, "dependencies", f'"core": "{spec}"', kind)


def test_a_range_that_excludes_the_release_fails_internal_deps(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True, timeout=60)
    _write(tmp_path / "core", {"name": "core", "version": "2.0.0-dev.0"})
    _write(tmp_path / "app", {"name": "app", "version": "1.0.0"})
    ws = discover(tmp_path, Config())
    app, core = ws.by_name["app"], ws.by_name["core"]
    # the seeds' trap: ^1.4.0 was fine for 1.x, but the release is 2.0.0
    assert "excludes the release version core 2.0.0" in str(
        npm_judge(_dep("^1.4.0"), app, core, [], {})
    )
    assert npm_judge(_dep("^2.0.0-dev.0"), app, core, [], {}) is None
    assert npm_judge(_dep("workspace:*", "workspace"), app, core, [], {}) is None
    assert "file: spec" in str(npm_judge(_dep("file:../core", "file"), app, core, [], {}))
    # a pin on the last release is installable: consistent
    assert npm_judge(_dep("1.9.0"), app, core, [Version("1.9.0")], {}) is None


@pytest.mark.parametrize(
    ("name", "configured", "manifest", "expected"),
    [
        ("@scope/web", "public", {}, "public"),
        ("@scope/web", "restricted", {}, "restricted"),
        ("@scope/web", None, {}, None),  # npm's own default (restricted for a scope)
        ("@scope/web", "public", {"publishConfig": {"access": "restricted"}}, None),  # theirs
        ("@scope/web", "public", {"publishConfig": {"tag": "next"}}, "public"),
        ("web", "public", {}, None),  # unscoped: always public, npm takes no --access
        ("web", "restricted", {}, None),
    ],
)
def test_npm_access_flag(
    name: str, configured: str | None, manifest: dict[str, object], expected: str | None
) -> None:
    assert client.access_flag(name, configured, manifest) == expected


def test_npm_publish_argv_carries_access_only_when_given(tmp_path: Path) -> None:
    tarball = tmp_path / "web-1.0.0.tgz"
    plain = client.publish_argv(tarball, "http://127.0.0.1:1/", "next", None)
    assert plain[:3] == ["npm", "publish", str(tarball)]
    assert "--access" not in plain and plain[plain.index("--tag") + 1] == "next"
    scoped = client.publish_argv(tarball, "http://127.0.0.1:1/", "latest", "public")
    assert scoped[-2:] == ["--access", "public"]


@pytest.mark.parametrize("value", ["private", "", "Public"])
def test_npm_access_config_is_checked(tmp_path: Path, value: str) -> None:
    (tmp_path / "releaseplan.toml").write_text(f'npm-access = "{value}"\n')
    with pytest.raises(ConfigError, match="npm-access"):
        config_load(tmp_path)
