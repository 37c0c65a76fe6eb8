"""Publishing real workspaces to a real pypiserver (and a file: registry)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_releaseplan.scaffold import PackageSpec, git, monorepo, tree
from tests.conftest import DIAMOND, NO_ISOLATION_BUILD, run_release
from tests.servers import PypiServer


@pytest.fixture(autouse=True)
def _twine_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    # twine insists on credentials even for an open server; the keyring must not be asked.
    monkeypatch.setenv("TWINE_USERNAME", "anyone")
    monkeypatch.setenv("TWINE_PASSWORD", "not-a-secret")
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")


def _tree(root: Path, registry: str, specs: list[PackageSpec] = DIAMOND, extra: str = "") -> Path:
    tree(root, specs, config=f'registry = "{registry}"\n{NO_ISOLATION_BUILD}{extra}')
    return root


def _report(root: Path) -> dict:
    return json.loads((root / ".releaseplan" / "last-report.json").read_text())


def _files(server: PypiServer) -> set[str]:
    return {p.name for p in server.packages_dir.iterdir() if p.is_file()}


def _pip_install_app(index_url: str, target: Path) -> Path:
    """Install `app` into a fresh target from the given index alone."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-cache-dir",
            "--ignore-installed",
            "--target",
            str(target),
            "--index-url",
            index_url,
            "app",
        ],
        check=True,
        timeout=300,
    )
    return target


def _snapshot(repo: Path) -> tuple[str, str, str]:
    return (git(repo, "rev-parse", "HEAD"), git(repo, "status", "--porcelain"), git(repo, "tag"))


def test_a_diamond_is_released_in_order_with_raised_pins(
    pytester: pytest.Pytester, tmp_path: Path, pypiserver: PypiServer
) -> None:
    root = _tree(tmp_path / "ws", pypiserver.url)
    result = run_release(pytester, root, "--release-publish")
    assert result.ret == 0, result.stdout.str()
    assert _files(pypiserver) == {
        f"{n}-1.0.0{ext}"
        for n in ("core", "api", "cli", "app")
        for ext in ("-py3-none-any.whl", ".tar.gz")
    }
    for name in ("core", "api", "cli", "app"):
        repo = root / name
        remote_tags = git(repo, "ls-remote", "--tags", "origin")
        assert "refs/tags/v1.0.0" in remote_tags
        assert git(repo, "status", "--porcelain") == ""
        remote_main = git(repo, "ls-remote", "origin", "refs/heads/main").split()[0]
        assert remote_main == git(repo, "rev-parse", "HEAD").strip()
        assert 'version = "1.0.1.dev0"' in (repo / "pyproject.toml").read_text()
        released = git(repo, "show", "v1.0.0:pyproject.toml")
        assert 'version = "1.0.0"' in released
    assert '"api>=1.0.0"' in git(root / "app", "show", "v1.0.0:pyproject.toml")
    assert '"core>=1.0.0"' in git(root / "api", "show", "v1.0.0:pyproject.toml")
    report = _report(root)
    publish = {p["name"]: p["publish"] for p in report["packages"]}
    assert {n: p["outcome"] for n, p in publish.items()} == dict.fromkeys(
        ("api", "app", "cli", "core"), "published"
    )
    assert publish["app"]["started"] >= publish["api"]["finished"]
    assert [s["name"] for s in publish["core"]["steps"]] == [
        "update-internal-deps",
        "set-version",
        "check",
        "build",
        "upload",
        "wait-index",
        "push",
        "next-version",
    ]
    target = _pip_install_app(pypiserver.simple, tmp_path / "site")
    installed = sorted(p.name for p in target.glob("*.dist-info"))
    assert installed == [
        "api-1.0.0.dist-info",
        "app-1.0.0.dist-info",
        "cli-1.0.0.dist-info",
        "core-1.0.0.dist-info",
    ]

    again = run_release(pytester, root, "--release-publish")
    assert again.ret == 0
    assert {p["publish"]["outcome"] for p in _report(root)["packages"]} == {"up-to-date"}
    assert git(root / "core", "tag").split() == ["v1.0.0"]


def test_a_build_failure_skips_dependents_and_spares_the_rest(
    pytester: pytest.Pytester, tmp_path: Path, pypiserver: PypiServer
) -> None:
    root = _tree(tmp_path / "ws", pypiserver.url)
    api = root / "api" / "pyproject.toml"
    api.write_text(
        api.read_text().replace(
            'build-backend = "setuptools.build_meta"', 'build-backend = "no_such_backend"'
        )
    )
    git(root / "api", "commit", "-qam", "break the build")
    git(root / "api", "push", "-q")
    result = run_release(pytester, root, "--release-publish")
    assert result.ret == 1
    outcomes = {p["name"]: p["publish"]["outcome"] for p in _report(root)["packages"]}
    assert outcomes == {"core": "published", "cli": "published", "api": "failed", "app": "skipped"}
    result.stdout.fnmatch_lines(["*api: building 1.0.0 failed*", "*category: blocking*"])
    app = next(p for p in _report(root)["packages"] if p["name"] == "app")
    assert "dependency api::publish did not succeed" in app["publish"]["failure"]["message"]
    assert not any(f.startswith(("api-", "app-")) for f in _files(pypiserver))
    assert git(root / "api", "tag") == ""  # the unpushed tag was taken back
    api.write_text(api.read_text().replace('"no_such_backend"', '"setuptools.build_meta"'))
    git(root / "api", "commit", "-qam", "fix the build")
    git(root / "api", "push", "-q")
    rerun = run_release(pytester, root, "--release-publish")
    assert rerun.ret == 0, rerun.stdout.str()
    outcomes = {p["name"]: p["publish"]["outcome"] for p in _report(root)["packages"]}
    assert outcomes == {
        "core": "up-to-date",
        "cli": "up-to-date",
        "api": "published",
        "app": "published",
    }


def test_dry_run_changes_nothing_and_says_what_it_would_do(
    pytester: pytest.Pytester, tmp_path: Path, pypiserver: PypiServer
) -> None:
    root = _tree(tmp_path / "ws", pypiserver.url)
    before = {n: _snapshot(root / n) for n in ("core", "api", "cli", "app")}
    result = run_release(pytester, root, "--release-publish", "--release-dry-run")
    assert result.ret == 0, result.stdout.str()
    assert {n: _snapshot(root / n) for n in before} == before
    assert _files(pypiserver) == set()
    report = _report(root)
    assert report["dry_run"] is True
    assert {p["publish"]["outcome"] for p in report["packages"]} == {"dry-run"}
    out = result.stdout.str()
    assert "would upload app-1.0.0-py3-none-any.whl" in out
    assert "'api>=1.0.0.dev0' -> 'api>=1.0.0'" in out


def test_a_file_registry_is_installable(pytester: pytest.Pytester, tmp_path: Path) -> None:
    root = _tree(tmp_path / "ws", "file:registry")
    result = run_release(pytester, root, "--release-publish")
    assert result.ret == 0, result.stdout.str()
    simple = root / "registry" / "simple"
    target = _pip_install_app(simple.as_uri(), tmp_path / "site")
    assert len(list(target.glob("*.dist-info"))) == 4


@pytest.mark.parametrize("workers", ["2"])  # more workers than cores adds time, not coverage
def test_a_monorepo_publishes_in_parallel_without_dependency_violations(
    pytester: pytest.Pytester, tmp_path: Path, pypiserver: PypiServer, workers: str
) -> None:
    root = tmp_path / "mono"
    monorepo(root, DIAMOND, config=f'registry = "{pypiserver.url}"\n{NO_ISOLATION_BUILD}')
    result = run_release(pytester, root, "--release-publish", "-n", workers)
    assert result.ret == 0, result.stdout.str()
    report = _report(root)
    publish = {p["name"]: p["publish"] for p in report["packages"]}
    deps = {p["name"]: p["depends_on"] for p in report["packages"]}
    for name, entry in publish.items():
        assert entry["outcome"] == "published"
        assert entry["worker"].startswith("gw")
        for dep in deps[name]:
            assert entry["started"] >= publish[dep]["finished"], (name, dep)
    tags = git(root, "tag").split()
    assert sorted(tags) == ["api-v1.0.0", "app-v1.0.0", "cli-v1.0.0", "core-v1.0.0"]
    subjects = git(root, "log", "--format=%s").splitlines()
    for name in ("core", "api", "cli", "app"):
        assert subjects.count(f"release: {name} 1.0.0") == 1
    assert git(root, "status", "--porcelain") == ""
    assert report["critical_path_s"] > 0


def test_publish_refuses_without_a_registry(pytester: pytest.Pytester, tmp_path: Path) -> None:
    root = tmp_path / "ws"
    tree(root, DIAMOND[:1], config=NO_ISOLATION_BUILD)
    result = run_release(pytester, root, "--release-publish")
    assert result.ret == 1
    result.stdout.fnmatch_lines(["*no registry configured*", "*Fix: set `registry =*"])


def test_exact_pins_are_repinned_and_a_later_audit_accepts_them(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    specs = [PackageSpec("core"), PackageSpec("api", deps=["core==1.0.0.dev0"])]
    root = _tree(tmp_path / "ws", "file:registry", specs)
    assert run_release(pytester, root, "--release-publish").ret == 0
    assert '"core==1.0.0"' in git(root / "api", "show", "v1.0.0:pyproject.toml")
    audit = run_release(pytester, root, "--release-audit")
    assert audit.ret == 0, audit.stdout.str()  # core is at 1.0.1.dev0; ==1.0.0 is its last release
