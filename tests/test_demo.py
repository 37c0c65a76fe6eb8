"""The demo end to end: create, audit, publish with xdist, install from the registry alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pytest_releaseplan import demo
from pytest_releaseplan.npm import client
from tests.conftest import RUN_OPTIONS
from tests.npm_registry import NpmRegistry, npm_registry_fixture, npm_token_fixture

__all__ = ["npm_registry_fixture", "npm_token_fixture"]

RELEASES = {"core": "1.4.0", "storage": "0.9.0", "api": "2.1.0", "service": "0.3.0", "cli": "1.4.0"}


def _pytest(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PYTEST_ADDOPTS", None)
    env.pop("PYTEST_XDIST_WORKER", None)
    return subprocess.run(
        [sys.executable, "-m", "pytest", *RUN_OPTIONS, *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _ok(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


@pytest.fixture
def demo_root(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    root = tmp_path / "demo"
    assert demo.main([str(root)]) == 0
    out = capsys.readouterr().out
    assert "pytest --release-publish -n 4" in out
    assert f"file://{root.resolve()}/registry/simple" in out
    return root


def test_demo_refuses_a_non_empty_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    assert demo.main([str(tmp_path)]) == 2
    assert "not empty" in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]


def test_demo_graph_has_a_diamond_and_an_extras_cycle(demo_root: Path) -> None:
    result = _pytest(demo_root, "--release-publish", "--collect-only", "-q")
    _ok(result)
    core = (demo_root / "core" / "pyproject.toml").read_text()
    cli = (demo_root / "cli" / "pyproject.toml").read_text()
    assert '"cli>=1.3"' in core  # core[cli] -> cli ...
    assert '"core>=1.3"' in cli  # ... and cli -> core: a cycle only through an extra
    assert (demo_root / ".remotes" / "service.git").is_dir()


def test_demo_audits_publishes_and_installs(demo_root: Path, tmp_path: Path) -> None:
    _ok(_pytest(demo_root, "--release-audit"))

    _ok(_pytest(demo_root, "--release-publish", "-n", "2"))
    simple = demo_root / "registry" / "simple"
    for name, version in RELEASES.items():
        files = {p.name for p in (simple / name).iterdir()}
        assert f"{name}-{version}-py3-none-any.whl" in files, files
        assert f"{name}-{version}.tar.gz" in files, files
    report = json.loads((demo_root / ".releaseplan" / "last-report.json").read_text())
    assert {p["name"]: p["publish"]["outcome"] for p in report["packages"]} == dict.fromkeys(
        RELEASES, "published"
    )

    # A fresh environment resolves the top package and every internal dependency from the
    # registry alone (no other index: the demo packages have no external dependencies).
    venv = tmp_path / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120
    )
    python = venv / "bin" / "python"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--disable-pip-version-check",
            "--no-cache-dir",
            "--index-url",
            f"{simple.resolve().as_uri()}/",
            "service",
        ],
        check=True,
        timeout=300,
        capture_output=True,
        text=True,
    )
    probe = "import importlib.metadata as m, json, sys; print(json.dumps({d: m.version(d) for d in sys.argv[1:]}))"
    out = subprocess.run(
        [str(python), "-c", probe, "core", "storage", "api", "service"],
        check=True,
        timeout=60,
        capture_output=True,
        text=True,
    ).stdout
    assert json.loads(out) == {n: RELEASES[n] for n in ("core", "storage", "api", "service")}


def test_demo_with_npm_publishes_its_npm_tree_with_the_raised_range(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    npm_registry: NpmRegistry,
    npm_token: str,
) -> None:
    """`demo DIR --npm URL`: the README's npm steps (only the npm packages, `-k web`: the
    Python part is the test above)."""
    root = tmp_path / "demo"
    assert demo.main([str(root), "--npm", npm_registry.url]) == 0
    assert f"npm install --registry {npm_registry.url} web-app" in capsys.readouterr().out

    _ok(_pytest(root, "--release-audit"))
    result = _pytest(root, "--release-publish", "-n", "2", "-k", "web", "--release-yes")
    _ok(result)
    assert npm_token not in result.stdout + result.stderr
    assert client.view_versions("web-sdk", npm_registry.url) == {"1.2.0"}
    assert client.view_versions("web-app", npm_registry.url) == {"0.5.0"}
    published = json.loads((root / "web-app" / "package.json").read_text())
    assert published["version"] == "0.5.1-dev.0"
    assert published["dependencies"] == {"web-sdk": "^1.2.0"}  # raised before the publish
    assert not list((root / "registry").glob("simple/*"))  # the Python packages not selected


def test_demo_refuses_an_npm_registry_that_is_not_a_url(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        demo.main([str(tmp_path / "d"), "--npm", "localhost:4873"])
    assert exit_.value.code == 2
    assert "http(s) URL" in capsys.readouterr().err
    assert not (tmp_path / "d").exists()
