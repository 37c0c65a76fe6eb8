"""npm packages released end to end: the real `npm` client against a real verdaccio."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from pytest_releaseplan.npm import client
from pytest_releaseplan.npm.credentials import npm_env
from pytest_releaseplan.scaffold import (
    NPM_GITIGNORE,
    PackageSpec,
    git,
    init_repo,
    npm_repo,
    write_package,
)
from tests.conftest import NO_ISOLATION_BUILD, run_release
from tests.npm_registry import NpmRegistry, npm_registry_fixture, npm_token_fixture
from tests.servers import PypiServer

__all__ = ["npm_registry_fixture", "npm_token_fixture"]

GITIGNORE = NPM_GITIGNORE


def _npm(args: list[str], cwd: Path, registry: str) -> str:
    with npm_env(registry) as env:
        done = subprocess.run(
            ["npm", *args, "--registry", registry],
            cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def _view(name: str, field: str, registry: str, cwd: Path) -> object:
    return json.loads(_npm(["view", name, field, "--json"], cwd, registry) or "null")


def test_an_npm_diamond_is_released_in_order_with_raised_ranges(
    pytester: pytest.Pytester, tmp_path: Path, npm_registry: NpmRegistry, npm_token: str
) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    (root / "releaseplan.toml").write_text(f'npm-registry = "{npm_registry.url}"\n')
    npm_repo(root, "dia-core", "1.0.3-dev.0")
    npm_repo(root, "dia-left", "2.1.0-dev.0", {"dia-core": "^1.0.0"})
    npm_repo(root, "dia-right", "0.4.0", {"dia-core": "~1.0.1"})
    npm_repo(root, "dia-app", "1.0.0-dev.0", {"dia-left": "^2.0.0", "dia-right": ">=0.3.0 <1"})

    result = run_release(pytester, root, "--release-publish", "-n", "2")

    out = result.stdout.str()
    assert result.ret == 0, out
    assert npm_token not in out
    released = {"dia-core": "1.0.3", "dia-left": "2.1.0", "dia-right": "0.4.0", "dia-app": "1.0.0"}
    following = {"dia-core": "1.0.4-dev.0", "dia-left": "2.1.1-dev.0", "dia-right": "0.4.1-dev.0",
                 "dia-app": "1.0.1-dev.0"}  # fmt: skip
    for name, version in released.items():
        assert _view(name, "versions", npm_registry.url, tmp_path) in (version, [version])
        repo = root / name
        assert f"refs/tags/v{version}" in git(repo, "ls-remote", "--tags", "origin")
        assert git(repo, "status", "--porcelain") == ""
        remote_main = git(repo, "ls-remote", "origin", "refs/heads/main").split()[0]
        assert remote_main == git(repo, "rev-parse", "HEAD").strip()
        assert json.loads((repo / "package.json").read_text())["version"] == following[name]
    # ranges raised to the released versions, in their own form, in what was published
    assert _view("dia-left@2.1.0", "dependencies", npm_registry.url, tmp_path) == {
        "dia-core": "^1.0.3"
    }
    assert _view("dia-right@0.4.0", "dependencies", npm_registry.url, tmp_path) == {
        "dia-core": "~1.0.3"
    }
    assert _view("dia-app@1.0.0", "dependencies", npm_registry.url, tmp_path) == {
        "dia-left": "^2.1.0",
        "dia-right": ">=0.4.0 <1",
    }
    report = json.loads((root / ".releaseplan" / "last-report.json").read_text())
    publish = {p["name"]: p["publish"] for p in report["packages"]}
    assert {n: p["outcome"] for n, p in publish.items()} == dict.fromkeys(released, "published")
    assert publish["dia-app"]["started"] >= publish["dia-left"]["finished"]
    # a fresh directory installs the top package from the registry alone
    site = tmp_path / "site"
    site.mkdir()
    _npm(["install", "--no-audit", "--no-fund", "dia-app@1.0.0"], site, npm_registry.url)
    installed = site / "node_modules"
    assert json.loads((installed / "dia-core" / "package.json").read_text())["version"] == "1.0.3"


def test_a_mixed_monorepo_releases_its_python_and_npm_packages_in_one_run(
    pytester: pytest.Pytester,
    tmp_path: Path,
    pypiserver: PypiServer,
    npm_registry: NpmRegistry,
    npm_token: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TWINE_USERNAME", "anyone")
    monkeypatch.setenv("TWINE_PASSWORD", "not-a-secret")
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    root = tmp_path / "mono"
    write_package(root / "libs" / "mixpy", PackageSpec("mixpy", "1.2.0.dev0"))
    web = root / "libs" / "mixweb"
    web.mkdir(parents=True)
    (web / "package.json").write_text('{\n  "name": "mixweb",\n  "version": "3.0.0-dev.1"\n}\n')
    (root / "releaseplan.toml").write_text(
        f'registry = "{pypiserver.url}"\nnpm-registry = "{npm_registry.url}"\n{NO_ISOLATION_BUILD}'
    )
    (root / ".gitignore").write_text(GITIGNORE)
    init_repo(root, tmp_path / "mono-remote.git")

    result = run_release(pytester, root, "--release-publish", "-p", "no:randomly")

    assert result.ret == 0, result.stdout.str()
    assert {p.name for p in pypiserver.packages_dir.iterdir()} >= {"mixpy-1.2.0.tar.gz"}
    assert _view("mixweb", "versions", npm_registry.url, tmp_path) in ("3.0.0", ["3.0.0"])
    tags = git(root, "ls-remote", "--tags", "origin")
    assert "refs/tags/mixpy-v1.2.0" in tags
    assert "refs/tags/mixweb@3.0.0" in tags  # Lerna's form in a repository of several packages
    assert json.loads((web / "package.json").read_text())["version"] == "3.0.1-dev.0"


def test_bad_npm_input_fails_its_check_with_the_file_and_the_fix(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    root = tmp_path / "bad"
    root.mkdir()
    (root / "releaseplan.toml").write_text("")
    npm_repo(root, "bad-core", "1.4")
    npm_repo(root, "bad-lib", "1.0.0", {"bad-core": "file:../bad-core"})
    npm_repo(root, "bad-priv", "1.0.0", {"bad-core": "file:../bad-core"}, private=True)
    broken = npm_repo(root, "bad-json", "1.0.0")
    (broken / "package.json").write_text('{"name": "bad-json", "version": }\n')

    result = run_release(pytester, root, "--release-audit", "--release-offline")

    out = result.stdout.str()
    assert result.ret == 1, out
    assert "Traceback" not in out
    assert "bad-json/package.json" in out and "is not valid JSON" in out
    assert "version '1.4' is not a semver version" in out
    assert "is a file: spec" in out
    lines = {line.split(" ")[0]: line for line in out.splitlines() if "::" in line}
    assert "PASSED" in lines.get("bad-priv::internal-deps", "PASSED"), out
    result.assert_outcomes(failed=3, passed=result.parseoutcomes()["passed"])


def test_a_wrong_token_and_an_unreachable_registry_fail_clearly(
    pytester: pytest.Pytester,
    tmp_path: Path,
    npm_registry: NpmRegistry,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    wrong = "npm_WrongTokenValue1234567890"
    monkeypatch.setenv("NPM_TOKEN", wrong)
    root = tmp_path / "auth"
    root.mkdir()
    (root / "releaseplan.toml").write_text(f'npm-registry = "{npm_registry.url}"\nretries = 0\n')
    repo = npm_repo(root, "auth-lib", "1.0.0")

    result = run_release(pytester, root, "--release-publish")
    out = result.stdout.str()
    assert result.ret == 1, out
    assert wrong not in out
    assert "E401" in out or "E403" in out or "ENEEDAUTH" in out, out
    assert "refs/tags/v1.0.0" not in git(repo, "ls-remote", "--tags", "origin")

    port_free = npm_registry.port + 1 if npm_registry.port < 65000 else 1024
    (root / "releaseplan.toml").write_text(
        f'npm-registry = "http://127.0.0.1:{port_free}/"\nretries = 0\n'
    )
    result = run_release(pytester, root, "--release-publish", "--release-restart")
    out = result.stdout.str()
    assert result.ret == 1, out
    assert "Traceback" not in out
    assert "ECONNREFUSED" in out, out


def test_an_npm_dry_run_changes_nothing_and_leaves_node_modules_alone(
    pytester: pytest.Pytester, tmp_path: Path, npm_registry: NpmRegistry, npm_token: str
) -> None:
    """A dry run packs a scratch copy of the package without its node_modules (installed
    dependencies, links into the workspace: a dangling one made the copy fail)."""
    root = tmp_path / "dry"
    root.mkdir()
    (root / "releaseplan.toml").write_text(f'npm-registry = "{npm_registry.url}"\n')
    base = npm_repo(root, "dry-base", "1.2.0-dev.0")
    top = npm_repo(root, "dry-top", "0.1.0-dev.0", {"dry-base": "^1.0.0"})
    modules = top / "node_modules"
    (modules / "left-pad").mkdir(parents=True)
    (modules / "left-pad" / "package.json").write_text('{"name": "left-pad"}\n')
    (modules / "dry-base").symlink_to(tmp_path / "gone")  # dangling, as after a move
    heads = {r.name: git(r, "rev-parse", "HEAD") for r in (base, top)}

    result = run_release(pytester, root, "--release-publish", "--release-dry-run")

    out = result.stdout.str()
    assert result.ret == 0, out
    assert "dry-top: dependencies: dry-base '^1.0.0' -> '^1.2.0'" in out, out
    assert "would set the version to 0.1.1-dev.0" in out, out  # npm's spelling
    for repo in (base, top):
        assert git(repo, "rev-parse", "HEAD") == heads[repo.name]
        assert git(repo, "status", "--porcelain") == ""
        assert "-dev.0" in json.loads((repo / "package.json").read_text())["version"]
    assert client.view_versions("dry-top", npm_registry.url) == set()  # nothing published
    report = json.loads((root / ".releaseplan" / "last-report.json").read_text())
    assert {p["publish"]["outcome"] for p in report["packages"]} == {"dry-run"}
