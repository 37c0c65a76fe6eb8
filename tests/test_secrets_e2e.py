"""No secret in any output (SPEC §5): a canary password in the registry URL and in the
environment, driven through every failure path we know, never appears on the terminal, in
JUnit, in the JSON report or in the state file — also with `--tb=long -l`."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from pytest_releaseplan.scaffold import PackageSpec, tree
from tests.conftest import NO_ISOLATION_BUILD, release_argv
from tests.servers import PypiServer, free_port

CANARY = "canary-Pa55-7f3e9c1d"
BAD_WHEEL = '["{python}", "-c", "import pathlib, sys; pathlib.Path(sys.argv[1], \'garbage.whl\').write_text(\'x\')", "{dist}"]'


def _publish(root: Path, *args: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    junit = root.parent / "junit.xml"
    result = subprocess.run(
        release_argv(root, "--release-publish", "--tb=long", "-l", "-rA", f"--junitxml={junit}",
                    *args),
        cwd=root, text=True, capture_output=True, timeout=300, check=False,
        env={**os.environ, "TWINE_USERNAME": "releaser", "TWINE_PASSWORD": CANARY,
             "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"},
    )  # fmt: skip
    texts = [result.stdout, result.stderr, junit.read_text() if junit.exists() else ""]
    texts += [p.read_text() for p in (root / ".releaseplan").glob("*.json")]
    return result, texts


def _case(tmp_path: Path, registry: str, extra: str = "") -> Path:
    root = tmp_path / "ws"
    tree(
        root, [PackageSpec("core")], config=f'registry = "{registry}"\n{extra}{NO_ISOLATION_BUILD}'
    )
    return root


def test_an_unexpected_exception_shows_a_traceback_without_arguments_or_secrets(
    tmp_path: Path, pypiserver: PypiServer
) -> None:
    url = f"http://releaser:{CANARY}@127.0.0.1:{pypiserver.port}/"
    root = _case(tmp_path, url)
    config = root / "releaseplan.toml"
    config.write_text(config.read_text().replace(
        'build = ["{python}", "-m", "build", "--no-isolation", "--outdir", "{dist}"]',
        f"build = {BAD_WHEEL}",
    ))  # fmt: skip
    result, texts = _publish(root)
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert "InvalidWheelFilename" in out, out  # the unexpected exception is shown ...
    assert "ctx = " not in out and "settings=Settings(" not in out  # ... without arguments
    for text in texts:
        assert CANARY not in text


@pytest.mark.parametrize("case", ["wrong-password", "refused"])
def test_registry_failures_never_show_the_password(
    tmp_path: Path, auth_pypiserver: PypiServer, case: str
) -> None:
    port = auth_pypiserver.port if case == "wrong-password" else free_port()
    root = _case(tmp_path, f"http://releaser:{CANARY}@127.0.0.1:{port}/", "retries = 0\n")
    result, texts = _publish(root)
    assert result.returncode == 1, result.stdout
    assert "category: " in result.stdout
    for text in texts:
        assert CANARY not in text
