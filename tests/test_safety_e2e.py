"""Safety under real faults: crashes, interrupts, concurrent runs, hangs, secrets, prompts."""

from __future__ import annotations

import contextlib
import json
import os
import pty
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pytest_releaseplan.scaffold import git, monorepo, tree
from tests.conftest import DIAMOND, NO_ISOLATION_BUILD, release_argv
from tests.servers import AUTH_PASSWORD, AUTH_USER, PypiServer

PACKAGES = ("core", "api", "cli", "app")


@pytest.fixture(autouse=True)
def _twine_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWINE_USERNAME", "anyone")
    monkeypatch.setenv("TWINE_PASSWORD", "not-a-secret")
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")


_pytest = release_argv


def _argv(root: Path, *args: str) -> list[str]:
    return _pytest(root, "--release-publish", *args)


def _status(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _pytest(root, "--release-status"),
        cwd=root, text=True, capture_output=True, timeout=120, check=False,
    )  # fmt: skip


def _run(
    root: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        _argv(root, *args),
        cwd=root,
        env=env or dict(os.environ),
        text=True,
        capture_output=True,
        timeout=timeout,
        start_new_session=True,
        check=False,
    )


def _report(root: Path) -> dict:
    return json.loads((root / ".releaseplan" / "last-report.json").read_text())


def _server_files(server: PypiServer) -> list[str]:
    return sorted(p.name for p in server.packages_dir.iterdir() if p.is_file())


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for a reaper that may never come does not count)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rpartition(")")[2].split()[0] != "Z"


# Three hand-picked points (after a recorded upload, mid-write of an edit, mid-upload before
# its record); random kill points and step boundaries are the fuzzer's (bench/fuzz.py).
@pytest.mark.parametrize(
    "crash_at",
    ["api:upload", "app:update-internal-deps:unrecorded", "core:upload:unrecorded"],
)
def test_a_killed_parallel_release_resumes_and_releases_everything_once(
    tmp_path: Path, pypiserver: PypiServer, crash_at: str
) -> None:
    root = tmp_path / "mono"
    monorepo(root, DIAMOND, config=f'registry = "{pypiserver.url}"\n{NO_ISOLATION_BUILD}')
    # the run is a session leader: its pid is its group id, which arms the crash point
    armed = subprocess.Popen(
        ["/bin/sh", "-c", 'RELEASEPLAN_CRASH_PGID=$$ exec "$@"', "sh", *_argv(root, "-n", "2")],
        cwd=root,
        start_new_session=True,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "RELEASEPLAN_CRASH_AT": crash_at},
    )
    out, _ = armed.communicate(timeout=300)
    assert armed.returncode == -signal.SIGKILL, out
    resumed = _run(root, "-n", "2")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    files = _server_files(pypiserver)
    assert files == sorted(
        f"{n}-1.0.0{ext}" for n in PACKAGES for ext in ("-py3-none-any.whl", ".tar.gz")
    )
    subjects = git(root, "log", "--format=%s").splitlines()
    for name in PACKAGES:
        assert subjects.count(f"release: {name} 1.0.0") == 1, subjects
        assert subjects.count(f"release: {name} next version 1.0.1.dev0") == 1, subjects
    assert sorted(git(root, "ls-remote", "--tags", "origin").split()[1::2]) == sorted(
        f"refs/tags/{n}-v1.0.0{suffix}" for n in PACKAGES for suffix in ("", "^{}")
    )
    assert git(root, "status", "--porcelain") == ""
    assert (
        git(root, "rev-parse", "HEAD")
        == git(root, "ls-remote", "origin", "refs/heads/main").split()[0] + "\n"
    )
    state = json.loads((root / ".releaseplan" / "state.json").read_text())
    assert state["finished"] is True
    assert "app>=1.0.0" not in git(root, "show", "app-v1.0.0:libs/app/pyproject.toml")
    assert '"api>=1.0.0"' in git(root, "show", "app-v1.0.0:libs/app/pyproject.toml")


def test_a_second_run_is_refused_at_once_naming_the_first(
    tmp_path: Path, pypiserver: PypiServer
) -> None:
    root = tmp_path / "ws"
    check = '["{python}", "-c", "import time; time.sleep(20)"]'
    tree(
        root,
        DIAMOND[:1],
        config=f'registry = "{pypiserver.url}"\ncheck = {check}\n{NO_ISOLATION_BUILD}',
    )
    first = subprocess.Popen(
        _argv(root),
        cwd=root,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not (root / ".releaseplan" / "run.json").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        started = time.monotonic()
        second = _run(root)
        assert time.monotonic() - started < 15
        assert second.returncode == 4, second.stdout + second.stderr
        assert f"pid {first.pid}" in second.stdout + second.stderr
        assert "--release-status" in second.stdout + second.stderr
        status = _status(root)
        assert status.returncode == 0, status.stdout
        assert f"a publish is running now: pid {first.pid}" in status.stdout
        assert "rerun the same command" not in status.stdout
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()


def test_sigint_stops_children_releases_the_lock_and_a_rerun_completes(
    tmp_path: Path, pypiserver: PypiServer
) -> None:
    root = tmp_path / "ws"
    pidfile = tmp_path / "check.pid"
    script = f"import os, time, pathlib; pathlib.Path({str(pidfile)!r}).write_text(str(os.getpid())); time.sleep(float(os.environ.get('SLEEP', '0')))"
    tree(
        root,
        DIAMOND[:1],
        config=f'registry = "{pypiserver.url}"\ncheck = ["{{python}}", "-c", {json.dumps(script)}]\n{NO_ISOLATION_BUILD}',
    )
    run = subprocess.Popen(
        _argv(root),
        cwd=root,
        start_new_session=True,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env={**os.environ, "SLEEP": "60"},
    )
    deadline = time.monotonic() + 60
    while not pidfile.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    child = int(pidfile.read_text())
    os.kill(run.pid, signal.SIGINT)
    out, _ = run.communicate(timeout=60)
    assert run.returncode == 2, out  # pytest's "interrupted"
    time.sleep(0.2)
    assert not _alive(child), "the check command outlived its item"
    pidfile.unlink()
    rerun = _run(root, env={**os.environ, "SLEEP": "0"})
    assert rerun.returncode == 0, rerun.stdout
    assert _report(root)["packages"][0]["publish"]["outcome"] == "published"


def test_a_hanging_check_is_killed_with_its_group_and_dependents_are_skipped(
    tmp_path: Path, pypiserver: PypiServer
) -> None:
    root = tmp_path / "ws"
    marker = tmp_path / "pids"
    marker.mkdir()
    script = (
        "import os, sys, time, pathlib, subprocess; "
        f"d = pathlib.Path({str(marker)!r}); "
        "name = pathlib.Path.cwd().name; "
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)']) if name == 'api' else None; "
        "(d / name).write_text(str(child.pid) if child else ''); "
        "time.sleep(120 if name == 'api' else 0)"
    )
    tree(
        root,
        DIAMOND,
        config=(
            # retries = 0: the upload's share of this short item timeout is one attempt;
            # 20 s: a build and an upload fit on a loaded 2-core machine (15 s did not)
            f'registry = "{pypiserver.url}"\ntimeout = 20\nretries = 0\n'
            f'check = ["{{python}}", "-c", {json.dumps(script)}]\n'
            f"{NO_ISOLATION_BUILD}"
        ),
    )
    result = _run(root, timeout=200)
    assert result.returncode == 1, result.stdout
    outcomes = {p["name"]: p["publish"]["outcome"] for p in _report(root)["packages"]}
    assert outcomes == {
        "core": "published",
        "cli": "published",
        "api": "failed",
        "app": "skipped",
    }, result.stdout
    grandchild = int((marker / "api").read_text())
    time.sleep(0.2)
    assert not _alive(grandchild), "a child of the check outlived the timed-out item"
    assert "Timeout" in result.stdout


def test_wrong_credentials_fail_blocking_and_the_secret_is_never_written(
    tmp_path: Path, auth_pypiserver: PypiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "ws"
    wrong = "wr0ng-Secret-Token-123"
    tree(
        root,
        DIAMOND[:1],
        config=f'registry = "{auth_pypiserver.url_with_auth(AUTH_USER, wrong)}"\n{NO_ISOLATION_BUILD}',
    )
    junit = tmp_path / "junit.xml"
    result = _run(root, f"--junitxml={junit}", "--release-report", str(tmp_path / "r.json"))
    assert result.returncode == 1
    assert "category: blocking" in result.stdout
    written = [result.stdout, result.stderr, junit.read_text(), (tmp_path / "r.json").read_text()]
    written += [p.read_text() for p in (root / ".releaseplan").glob("*.json")]
    for text in written:
        assert wrong not in text
    monkeypatch.setenv("TWINE_USERNAME", AUTH_USER)
    monkeypatch.setenv("TWINE_PASSWORD", AUTH_PASSWORD)
    (root / "releaseplan.toml").write_text(
        f'registry = "{auth_pypiserver.url}"\n{NO_ISOLATION_BUILD}'
    )
    ok = _run(root, f"--junitxml={junit}")
    assert ok.returncode == 0, ok.stdout
    for text in [
        ok.stdout,
        ok.stderr,
        junit.read_text(),
        *(p.read_text() for p in (root / ".releaseplan").glob("*.json")),
    ]:
        assert AUTH_PASSWORD not in text


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _pty_run(root: Path, answer: bytes) -> tuple[int, str]:
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    proc = subprocess.Popen(
        _argv(root),
        cwd=root,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        start_new_session=True,
        env=env,
        # as at a real terminal: an xdist worker running this test may ignore or block
        # SIGINT, and the child would inherit that
        preexec_fn=_default_sigint,  # noqa: PLW1509
    )
    os.close(slave)
    seen = b""
    answered = False
    next_interrupt = 0.0
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        if b"Continue? [y/N]" in seen and answer == b"\x03":
            # Ctrl-C: the terminal sends SIGINT to the foreground group. Repeated until the
            # run exits: a signal that lands while the xdist worker running this test is busy
            # starting the child can be lost on a loaded machine (a person presses again).
            if time.monotonic() >= next_interrupt:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGINT)
                next_interrupt = time.monotonic() + 3
        elif not answered and b"Continue? [y/N]" in seen:
            os.write(master, answer)
            answered = True
        if proc.poll() is not None and not ready:
            break
    proc.wait(timeout=60)
    os.close(master)
    return proc.returncode, seen.decode("utf-8", "replace")


def test_the_plan_is_confirmed_on_a_terminal(tmp_path: Path, pypiserver: PypiServer) -> None:
    root = tmp_path / "ws"
    tree(root, DIAMOND[:2], config=f'registry = "{pypiserver.url}"\n{NO_ISOLATION_BUILD}')
    before = git(root / "core", "rev-parse", "HEAD")
    code, out = _pty_run(root, b"n\n")
    assert code == 2, out  # declined: scripts must tell it from a release
    assert re.search(r"1\. core +1\.0\.0\.dev0 +release 1\.0\.0 \(tag v1\.0\.0\)", out), out
    assert "release declined: nothing was changed" in out
    code, out = _pty_run(root, b"\x03")  # Ctrl-C at the prompt
    assert code == 2, out
    assert "release cancelled (Ctrl-C): nothing was changed" in out
    assert git(root / "core", "rev-parse", "HEAD") == before
    assert _server_files(pypiserver) == []
    code, out = _pty_run(root, b"y\n")
    assert code == 0, out
    assert len(_server_files(pypiserver)) == 4
    code, out = _pty_run(root, b"y\n")  # nothing left to release: said, and not asked
    assert code == 0, out
    assert "Continue?" not in out
    assert "nothing to release: every package is up-to-date" in out
    assert re.search(r"core +1\.0\.1\.dev0 +up-to-date: no changes since 1\.0\.0", out), out


def test_status_and_mark_completed(tmp_path: Path, pypiserver: PypiServer) -> None:
    root = tmp_path / "ws"
    tree(root, DIAMOND[:2], config=f'registry = "{pypiserver.url}"\n{NO_ISOLATION_BUILD}')
    status = subprocess.run(
        release_argv(root, "--release-status"),
        capture_output=True,
        text=True,
        check=False,
        cwd=root,
    )
    assert status.returncode == 0
    assert "nothing has been published" in status.stdout
    refused = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--release-root",
            str(root),
            "--release-mark-completed",
            "core",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd=root,
    )
    assert refused.returncode == 4
    assert "is not on the index" in refused.stdout and "is not on remote origin" in refused.stdout
    assert _run(root).returncode == 0
    status = subprocess.run(
        release_argv(root, "--release-status"),
        capture_output=True,
        text=True,
        check=False,
        cwd=root,
    )
    assert "core" in status.stdout and "published" in status.stdout and "finished" in status.stdout


@pytest.mark.parametrize(("fail", "retries", "ok"), [(2, 3, True), (5, 2, False)])
def test_uploads_are_retried_through_a_flaky_registry(
    tmp_path: Path, pypiserver: PypiServer, faulty_proxy, fail: int, retries: int, ok: bool
) -> None:
    proxy = faulty_proxy(pypiserver.url, fail=fail, method="POST", mode="reset")
    root = tmp_path / "ws"
    tree(
        root,
        DIAMOND[:1],
        config=f'registry = "{proxy.url}"\nretries = {retries}\n{NO_ISOLATION_BUILD}',
    )
    result = _run(root)
    publish = _report(root)["packages"][0]["publish"]
    if ok:
        assert result.returncode == 0, result.stdout
        assert publish["outcome"] == "published"
        assert proxy.failed == fail
        assert len(_server_files(pypiserver)) == 2
    else:
        assert result.returncode == 1
        assert publish["failure"]["category"] == "transient"
        assert "rerun the same command" in " ".join(publish["failure"]["fix"])
        assert "category: transient" in result.stdout
        assert git(root / "core", "ls-remote", "--tags", "origin") == ""  # nothing pushed


def test_a_child_dies_with_the_run_that_started_it(tmp_path: Path) -> None:
    """process.run starts children in their own group (to kill them whole on timeout); a
    `kill -9` of the run itself must not leave them running (an upload landing after it)."""
    pidfile = tmp_path / "child.pid"
    child_code = (
        f"import os, time, pathlib; pathlib.Path({str(pidfile)!r}).write_text(str(os.getpid())); "
        "time.sleep(120)"
    )
    script = (
        "import sys; from pytest_releaseplan import process; "
        f"process.run([sys.executable, '-c', {child_code!r}], timeout=300)"
    )
    runner = subprocess.Popen([sys.executable, "-c", script])
    deadline = time.monotonic() + 60
    while not (pidfile.exists() and pidfile.read_text()) and time.monotonic() < deadline:
        time.sleep(0.1)
    child = int(pidfile.read_text())
    assert _alive(child)
    runner.kill()
    runner.wait()
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(child), "the child outlived the process that started it"
