"""A real npm registry for the tests: verdaccio on 127.0.0.1, no uplinks, htpasswd auth.

Verdaccio is installed with npm once per machine into ~/.cache/releaseplan-tests/verdaccio
(override with RELEASEPLAN_TEST_CACHE), under a file lock so xdist workers share one install.
Import the fixtures into a test module: ``from tests.npm_registry import npm_registry_fixture, npm_token_fixture``
(the fixtures are named ``npm_registry`` and ``npm_token``).

For the demo, from a clone: ``python -m tests.npm_registry [--port 4873] [--dir DIR]`` runs
one in the foreground, prints its URL and a publish token, and stops on Ctrl-C.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from filelock import FileLock

from tests.servers import HOST, free_port

VERDACCIO = "6"
INSTALL_TIMEOUT = 600
START_TIMEOUT = 30.0
USER = "releaser"
PASSWORD = "npm-Pa55word-for-tests"
# the registry these machines reach lacks node-fetch's `cjs` dist-tag that a verdaccio
# dependency asks for; pinning node-fetch 2.7.0 sidesteps it
INSTALLER = {
    "name": "releaseplan-test-verdaccio",
    "version": "0.0.0",
    "private": True,
    "dependencies": {"verdaccio": VERDACCIO},
    "overrides": {"node-fetch": "2.7.0"},
}
CONFIG = """\
storage: {storage}
auth:
  htpasswd:
    file: {htpasswd}
    max_users: 100
uplinks: {{}}
packages:
  '@*/*':
    access: {access}
    publish: $authenticated
  '**':
    access: {access}
    publish: $authenticated
max_body_size: 10mb
log: {{type: stdout, format: pretty, level: warn}}
"""


@dataclass(frozen=True)
class NpmRegistry:
    url: str  # with a trailing slash
    token: str
    port: int
    storage: Path


def _cache_dir() -> Path:
    root = os.environ.get("RELEASEPLAN_TEST_CACHE") or str(
        Path.home() / ".cache" / "releaseplan-tests"
    )
    return Path(root) / f"verdaccio-{VERDACCIO}"


def _require_node() -> None:
    missing = [tool for tool in ("node", "npm") if shutil.which(tool) is None]
    if missing:
        pytest.fail(
            f"the npm tests need {' and '.join(missing)} on PATH;"
            " install them (Debian/Ubuntu: apt-get install nodejs npm)",
            pytrace=False,
        )


def install_verdaccio() -> Path:
    """The verdaccio executable, installed with npm on first use."""
    _require_node()
    cache = _cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    binary = cache / "node_modules" / ".bin" / "verdaccio"
    done = cache / "installed.ok"
    with FileLock(str(cache / "install.lock")):
        if done.exists() and binary.exists():
            return binary
        (cache / "package.json").write_text(
            json.dumps(INSTALLER, indent=2) + "\n", encoding="utf-8"
        )
        argv = [
            "npm",
            "install",
            "--no-audit",
            "--no-fund",
            "--ignore-scripts",
            "--fetch-retries=2",
        ]
        try:
            proc = subprocess.run(
                argv,
                cwd=cache,
                capture_output=True,
                text=True,
                timeout=INSTALL_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            pytest.fail(
                f"npm install verdaccio@{VERDACCIO} took over {INSTALL_TIMEOUT} s in {cache}",
                pytrace=False,
            )
        if proc.returncode != 0 or not binary.exists():
            tail = "\n".join((proc.stderr or proc.stdout).splitlines()[-15:])
            pytest.fail(
                f"npm install verdaccio@{VERDACCIO} failed in {cache}:\n{tail}", pytrace=False
            )
        done.write_text("ok\n", encoding="utf-8")
    return binary


def _wait_until_up(proc: subprocess.Popen[bytes], url: str) -> bool:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        with (
            contextlib.suppress(urllib.error.URLError, OSError),
            urllib.request.urlopen(url + "-/ping", timeout=1) as resp,
        ):
            if resp.status == 200:
                return True
        time.sleep(0.1)
    return False


def _create_user(url: str) -> str:
    body = json.dumps({"name": USER, "password": PASSWORD}).encode()
    request = urllib.request.Request(
        f"{url}-/user/org.couchdb.user:{USER}",
        data=body,
        method="PUT",
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as resp:
        return str(json.loads(resp.read())["token"])


@contextlib.contextmanager
def running_verdaccio(
    workdir: Path, port: int | None = None, access: str = "$authenticated"
) -> Iterator[NpmRegistry]:
    """`access`: who may read (the tests: only the user; the demo: `$all`, so a plain
    `npm install --registry URL` works)."""
    binary = install_verdaccio()
    workdir.mkdir(parents=True, exist_ok=True)
    storage = workdir / "storage"
    config = workdir / "config.yaml"
    config.write_text(
        CONFIG.format(storage=storage, htpasswd=workdir / "htpasswd", access=access), encoding="utf-8"
    )
    port = port or free_port()
    url = f"http://{HOST}:{port}/"
    log = (workdir / "verdaccio.log").open("wb")
    proc = subprocess.Popen(
        [str(binary), "--config", str(config), "--listen", f"{HOST}:{port}"],
        cwd=workdir,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        if not _wait_until_up(proc, url):
            tail = (workdir / "verdaccio.log").read_text(errors="replace")[-2000:]
            pytest.fail(f"verdaccio did not start on {url}:\n{tail}", pytrace=False)
        yield NpmRegistry(url=url, token=_create_user(url), port=port, storage=storage)
    finally:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
            try:
                proc.wait(timeout=5)
                break
            except subprocess.TimeoutExpired:
                continue
        log.close()


@pytest.fixture(scope="session", name="npm_registry")
def npm_registry_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NpmRegistry]:
    with running_verdaccio(tmp_path_factory.mktemp("verdaccio")) as registry:
        yield registry


@pytest.fixture(name="npm_token")
def npm_token_fixture(npm_registry: NpmRegistry, monkeypatch: pytest.MonkeyPatch) -> str:
    """The registry user's token, also exported as NPM_TOKEN for the code under test."""
    monkeypatch.setenv("NPM_TOKEN", npm_registry.token)
    return npm_registry.token


def main(argv: list[str] | None = None) -> int:
    """Run a local verdaccio for the demo until Ctrl-C."""
    import argparse
    import tempfile

    parser = argparse.ArgumentParser(
        prog="python -m tests.npm_registry", description="A local npm registry for the demo."
    )
    parser.add_argument("--port", type=int, default=4873)
    parser.add_argument("--dir", type=Path, default=None, help="storage (default: a temp dir)")
    args = parser.parse_args(argv)
    workdir = args.dir or Path(tempfile.mkdtemp(prefix="releaseplan-verdaccio-"))
    try:
        with running_verdaccio(workdir.resolve(), args.port, access="$all") as registry:
            print(f"npm registry: {registry.url}  (storage: {registry.storage})")
            print(f"export NPM_TOKEN={registry.token}")
            print("Ctrl-C stops it.", flush=True)
            with contextlib.suppress(KeyboardInterrupt):
                signal.pause()
    except pytest.fail.Exception as exc:  # install or start-up failed: say why, no traceback
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
