"""`pytest --release-abort`: stop a real running publish from a second process, then resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

from pytest_releaseplan import safety
from pytest_releaseplan.scaffold import tree
from tests.conftest import DIAMOND, NO_ISOLATION_BUILD, release_argv
from tests.servers import PypiServer


def _pytest(root: Path, *args: str) -> list[str]:
    return release_argv(root, *args)


def _env(**extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "TWINE_USERNAME": "anyone",
        "TWINE_PASSWORD": "not-a-secret",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
        **extra,
    }


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


def test_abort_with_nothing_running_says_so(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    tree(root, DIAMOND[:1], config=NO_ISOLATION_BUILD)
    env = _env()
    result = subprocess.run(
        _pytest(root, "--release-abort"),
        cwd=root, env=env, text=True, capture_output=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"no publish is running in {root}: nothing to stop" in result.stdout


def test_abort_stops_a_running_publish_and_the_rerun_completes(
    tmp_path: Path, pypiserver: PypiServer
) -> None:
    root = tmp_path / "ws"
    pids = tmp_path / "pids"
    pids.mkdir()
    script = (
        "import os, pathlib, time; "
        f"pathlib.Path({str(pids)!r}, pathlib.Path.cwd().name).write_text(str(os.getpid())); "
        "time.sleep(float(os.environ.get('SLEEP', '0')))"
    )
    tree(
        root,
        DIAMOND,
        config=(
            f'registry = "{pypiserver.url}"\n'
            f'check = ["{{python}}", "-c", {json.dumps(script)}]\n{NO_ISOLATION_BUILD}'
        ),
    )
    env = _env(SLEEP="120")
    run = subprocess.Popen(
        _pytest(root, "--release-publish", "--release-yes", "-n", "2"),
        cwd=root,
        env=env,
        start_new_session=True,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 120
        while not (pids / "core").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert (pids / "core").exists(), "core's check never started"
        check_pid = int((pids / "core").read_text())
        started = time.monotonic()
        abort = subprocess.run(
            _pytest(root, "--release-abort"),
            cwd=tmp_path, env=env, text=True, capture_output=True, timeout=180, check=False,
        )  # fmt: skip
        out, _ = run.communicate(timeout=60)
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
    assert abort.returncode == 0, abort.stdout + abort.stderr
    assert time.monotonic() - started < 60
    assert f"stopping the running publish (pid {run.pid} on" in abort.stdout
    assert "the publish stopped; rerun the same command to resume." in abort.stdout
    # where each package stopped: core in its check, the others not started
    assert "core" in abort.stdout and "step: check" in abort.stdout, abort.stdout
    for name in ("api", "cli", "app"):
        assert any(
            line.split()[:1] == [name] and "not started" in line
            for line in abort.stdout.splitlines()
        ), abort.stdout
    assert run.returncode == 2, out  # interrupted, as by Ctrl-C
    assert safety.running(root / ".releaseplan") is None
    time.sleep(0.3)
    assert not _alive(check_pid), "the check command outlived the aborted run"
    assert not any(_alive(p) for p in _group_members(run.pid)), "a process of the run survived"
    assert list(pypiserver.packages_dir.iterdir()) == []

    env = _env(SLEEP="0")
    rerun = subprocess.run(
        _pytest(root, "--release-publish", "--release-yes", "-n", "2"),
        cwd=root, env=env, text=True, capture_output=True, timeout=400, check=False,
    )  # fmt: skip
    assert rerun.returncode == 0, rerun.stdout
    files = sorted(p.name for p in pypiserver.packages_dir.iterdir())
    assert len(files) == 8, files  # a wheel and an sdist per package, each uploaded once
    report = json.loads((root / ".releaseplan" / "last-report.json").read_text())
    outcomes = {p["name"]: p["publish"]["outcome"] for p in report["packages"]}
    assert outcomes == dict.fromkeys(("core", "api", "cli", "app"), "published")


def _group_members(pgid: int) -> list[int]:
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:
            members.append(int(stat.parent.name))
    return members
