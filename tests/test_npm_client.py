"""The real npm client against a real registry (verdaccio on loopback)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from pytest_releaseplan.errors import Category, CheckFailure
from pytest_releaseplan.npm import client
from pytest_releaseplan.npm.credentials import npm_env, registry_key
from pytest_releaseplan.npm.edit_json import edit_dependency, edit_version
from pytest_releaseplan.npm.failures import category_of
from pytest_releaseplan.npm.manifest import read_manifest
from pytest_releaseplan.npm.semver import raise_range
from pytest_releaseplan.process import Result
from pytest_releaseplan.secrets import mask
from tests.npm_registry import NpmRegistry, npm_registry_fixture, npm_token_fixture  # noqa: F401
from tests.servers import free_port

BAD_TOKEN = "bad-token-Zq81xLw0"


def _package(root: Path, name: str, version: str, deps: dict[str, str] | None = None) -> Path:
    directory = root / name.replace("@", "").replace("/", "-")
    directory.mkdir(parents=True)
    data: dict[str, object] = {"name": name, "version": version, "main": "index.js"}
    if deps:
        data["dependencies"] = deps
    (directory / "package.json").write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    (directory / "index.js").write_text(
        f"module.exports = {json.dumps(version)};\n", encoding="utf-8"
    )
    return directory


def test_pack_publish_view_and_an_idempotent_republish(
    npm_registry: NpmRegistry, npm_token: str, tmp_path: Path
) -> None:
    directory = _package(tmp_path, "@rp/core", "1.0.0")
    tarball = client.pack(directory, tmp_path / "dist")
    assert tarball.parent == tmp_path / "dist"
    assert client.tarball_identity(tarball) == ("@rp/core", "1.0.0")
    assert not (directory / "rp-core-1.0.0.tgz").exists()

    assert client.view_versions("@rp/core", npm_registry.url) == set()
    # a scoped package's first publish, with `npm-access = "public"` passed on
    assert client.publish(tarball, npm_registry.url, access="public") == "published"
    assert client.view_versions("@rp/core", npm_registry.url) == {"1.0.0"}
    assert client.publish(tarball, npm_registry.url) == "already-published"


def test_a_republish_with_other_content_is_blocking(
    npm_registry: NpmRegistry, npm_token: str, tmp_path: Path
) -> None:
    first = client.pack(_package(tmp_path / "a", "rp-twice", "1.0.0"), tmp_path / "d1")
    assert client.publish(first, npm_registry.url) == "published"
    other = _package(tmp_path / "b", "rp-twice", "1.0.0")
    (other / "index.js").write_text("module.exports = 'changed';\n", encoding="utf-8")
    second = client.pack(other, tmp_path / "d2")
    with pytest.raises(CheckFailure, match=r"already on .* with other content") as info:
        client.publish(second, npm_registry.url)
    assert info.value.category is Category.BLOCKING


def test_a_dependent_is_raised_relocked_and_republished(
    npm_registry: NpmRegistry, npm_token: str, tmp_path: Path
) -> None:
    core = _package(tmp_path, "@rp/base", "4.4.62")
    client.publish(client.pack(core, tmp_path / "dist"), npm_registry.url)
    app = _package(tmp_path, "@rp/app", "1.0.0", {"@rp/base": "^4.4.62"})
    client.relock(app, npm_registry.url)

    edit_version(core / "package.json", "4.4.65")
    client.publish(client.pack(core, tmp_path / "dist"), npm_registry.url)
    spec = read_manifest(app / "package.json").dependencies[0].spec
    edit_dependency(app / "package.json", "dependencies", "@rp/base", raise_range(spec, "4.4.65"))
    edit_version(app / "package.json", "1.0.1")
    client.relock(app, npm_registry.url)

    lock = json.loads((app / "package-lock.json").read_text(encoding="utf-8"))
    assert lock["packages"][""]["dependencies"] == {"@rp/base": "^4.4.65"}
    assert lock["packages"]["node_modules/@rp/base"]["version"] == "4.4.65"
    assert client.publish(client.pack(app, tmp_path / "dist"), npm_registry.url) == "published"
    assert client.view_versions("@rp/app", npm_registry.url) == {"1.0.1"}


def test_a_wrong_token_is_fixable_and_never_shown(
    npm_registry: NpmRegistry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NPM_TOKEN", BAD_TOKEN)
    tarball = client.pack(_package(tmp_path, "rp-denied", "1.0.0"), tmp_path / "dist")
    with pytest.raises(CheckFailure) as info:
        client.publish(tarball, npm_registry.url)
    failure = info.value
    assert failure.category is Category.FIXABLE
    assert "E401" in failure.what
    assert any("NPM_TOKEN" in line for line in failure.fix)
    shown = "\n".join([failure.render(), str(failure), *failure.evidence, *failure.fix])
    assert BAD_TOKEN not in shown
    assert BAD_TOKEN not in mask(f"token {BAD_TOKEN}")


def test_an_unreachable_registry_is_transient(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NPM_TOKEN", BAD_TOKEN)
    registry = f"http://127.0.0.1:{free_port()}/"
    with pytest.raises(CheckFailure) as info:
        client.view_versions("rp-anything", registry)
    assert info.value.category is Category.TRANSIENT
    assert "ECONNREFUSED" in info.value.what
    assert BAD_TOKEN not in info.value.render()


def test_the_token_is_only_in_a_private_temporary_userconfig(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home_rc = tmp_path / "home.npmrc"
    home_rc.write_text("fund=false\n", encoding="utf-8")
    monkeypatch.setenv("NPM_CONFIG_USERCONFIG", str(home_rc))
    with npm_env("http://127.0.0.1:4873/npm", "tok-123456789") as env:
        path = Path(env["NPM_CONFIG_USERCONFIG"])
        assert (
            path.read_text(encoding="utf-8")
            == "fund=false\n//127.0.0.1:4873/npm/:_authToken=tok-123456789\n"
        )
        assert path.stat().st_mode & 0o777 == 0o600
        assert "tok-123456789" not in " ".join(f"{k}={v}" for k, v in env.items())
    assert not path.exists()
    assert mask("tok-123456789") == "***"
    assert os.environ["NPM_CONFIG_USERCONFIG"] == str(home_rc)


def test_without_a_token_npm_reads_the_users_own_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NPM_TOKEN", raising=False)
    monkeypatch.setenv("NPM_CONFIG_USERCONFIG", "/somewhere/.npmrc")
    with npm_env("http://127.0.0.1:4873/") as env:
        assert env["NPM_CONFIG_USERCONFIG"] == "/somewhere/.npmrc"


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("http://127.0.0.1:4873/", "//127.0.0.1:4873/"),
        ("https://registry.example.com", "//registry.example.com/"),
        ("https://host/npm/private", "//host/npm/private/"),
    ],
)
def test_registry_auth_keys(url: str, key: str) -> None:
    assert registry_key(url) == key


@pytest.mark.parametrize(
    ("code", "category"),
    [
        ("E503", Category.TRANSIENT),
        ("ECONNREFUSED", Category.TRANSIENT),
        ("ETIMEDOUT", Category.TRANSIENT),
        ("E429", Category.TRANSIENT),
        ("E401", Category.FIXABLE),
        ("E403", Category.FIXABLE),
        ("E404", Category.BLOCKING),
        ("E400", Category.BLOCKING),
        (None, Category.BLOCKING),
    ],
)
def test_failure_categories(code: str | None, category: Category) -> None:
    assert category_of(code) is category


def test_a_pack_that_changes_the_version_is_refused(tmp_path: Path) -> None:
    directory = _package(tmp_path, "rp-sneaky", "1.0.0")
    tarball = client.pack(directory, tmp_path / "dist")
    assert client.tarball_identity(tarball) == ("rp-sneaky", "1.0.0")
    edit_version(directory / "package.json", "2.0.0")
    # a tarball named for 1.0.0 read back for the 2.0.0 tree: identities are compared
    assert client.tarball_identity(tarball) != ("rp-sneaky", "2.0.0")
    with pytest.raises(CheckFailure, match="not an npm tarball"):
        client.tarball_identity(directory / "package.json")


def test_a_failed_result_keeps_masked_evidence() -> None:
    from pytest_releaseplan.npm.failures import failure

    result = Result(
        ("npm", "view", "x"),
        1,
        "",
        "npm error code E503\nnpm error 503 Service Unavailable tok-abcdef99",
    )
    from pytest_releaseplan import secrets

    secrets.register("tok-abcdef99")
    found = failure("npm view x", result, "http://127.0.0.1:1/")
    assert found.category is Category.TRANSIENT
    assert "tok-abcdef99" not in found.render()
    assert "503 Service Unavailable ***" in found.render()
