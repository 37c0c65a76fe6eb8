"""npm packages released end to end: the real `npm` client against a real verdaccio."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from pytest_releaseplan.npm.credentials import npm_env
from pytest_releaseplan.scaffold import git, init_repo
from tests.conftest import run_release
from tests.npm_registry import NpmRegistry, npm_registry_fixture, npm_token_fixture

__all__ = ["npm_registry_fixture", "npm_token_fixture"]

GITIGNORE = "node_modules/\ndist/\nbuild/\n*.egg-info/\n__pycache__/\n*.tgz\n"


def _npm_repo(
    root: Path, name: str, version: str, deps: dict[str, str] | None = None, **extra: object
) -> Path:
    repo = root / name
    repo.mkdir(parents=True)
    manifest: dict[str, object] = {"name": name, "version": version, **extra}
    if deps:
        manifest["dependencies"] = deps
    (repo / "package.json").write_text(json.dumps(manifest, indent=2) + "\n")
    (repo / "index.js").write_text(f"module.exports = {name!r};\n")
    (repo / ".gitignore").write_text(GITIGNORE)
    init_repo(repo, root / ".remotes" / f"{name}.git")
    return repo


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
    _npm_repo(root, "dia-core", "1.0.3-dev.0")
    _npm_repo(root, "dia-left", "2.1.0-dev.0", {"dia-core": "^1.0.0"})
    _npm_repo(root, "dia-right", "0.4.0", {"dia-core": "~1.0.1"})
    _npm_repo(root, "dia-app", "1.0.0-dev.0", {"dia-left": "^2.0.0", "dia-right": ">=0.3.0 <1"})

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
