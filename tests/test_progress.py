"""Live progress: ledger snapshots become step lines; a real run shows them as they happen."""

from __future__ import annotations

import io
import json
import os
import pty
import re
import select
import subprocess
import time
from pathlib import Path

import pytest

from pytest_releaseplan.progress import Event, LiveFile, Row, Tracker, render_view, view
from pytest_releaseplan.publish.ledger import Entry, RunState
from pytest_releaseplan.scaffold import tree
from tests.conftest import DIAMOND, NO_ISOLATION_BUILD, release_argv
from tests.servers import PypiServer


def _run(**packages: Entry) -> RunState:
    return RunState(run_id="r", finished=False, packages=dict(packages))


def _entry(step: str | None = None, outcome: str | None = None, **steps: str) -> Entry:
    return Entry(
        release_version="1.4.0",
        step=step,
        steps={k.replace("_", "-"): v for k, v in steps.items()},
        outcome=outcome,
        updated=100.0,
    )


# -- the pure part ---------------------------------------------------------------------------


def test_a_step_that_starts_then_passes_gives_two_lines_with_its_duration() -> None:
    tracker = Tracker.seeded(_run(), now=0.0)
    started = tracker.update(_run(core=_entry("upload", upload="started")), now=1.0)
    assert [e.line() for e in started] == ["releaseplan: core 1.4.0 upload started"]
    passed = tracker.update(_run(core=_entry("upload", upload="passed")), now=3.1)
    assert [e.line() for e in passed] == ["releaseplan: core 1.4.0 upload passed (2.1 s)"]
    assert tracker.update(_run(core=_entry("upload", upload="passed")), now=4.0) == []


def test_a_step_shorter_than_a_poll_still_gets_both_lines() -> None:
    tracker = Tracker.seeded(_run(core=_entry("check", check="started")), now=0.0)
    events = tracker.update(
        _run(core=_entry("build", "failed", check="passed", build="failed")), now=0.4
    )
    assert [e.line() for e in events] == [
        "releaseplan: core 1.4.0 check passed (0.4 s)",
        "releaseplan: core 1.4.0 build started",
        "releaseplan: core 1.4.0 build failed (0.4 s)",
        "releaseplan: core 1.4.0 failed (0.4 s)",
    ]


def test_a_dependency_that_finishes_in_the_same_poll_is_logged_before_its_dependent() -> None:
    tracker = Tracker.seeded(_run(cli=_entry("next-version", next_version="started")), now=0.0)
    events = tracker.update(
        _run(
            app=_entry("update-internal-deps", update_internal_deps="started"),
            cli=_entry("next-version", "published", next_version="passed"),
        ),
        now=0.4,
    )
    assert [e.line() for e in events] == [
        "releaseplan: cli 1.4.0 next-version passed (0.4 s)",
        "releaseplan: cli 1.4.0 published (0.4 s)",
        "releaseplan: app 1.4.0 update-internal-deps started",
    ]


def test_a_resumed_runs_earlier_steps_are_not_news() -> None:
    before = _run(core=_entry("push", push="passed", upload="passed"))
    tracker = Tracker.seeded(before, now=0.0)
    assert tracker.update(before, now=1.0) == []
    after = _run(
        core=_entry("next-version", push="passed", upload="passed", next_version="started")
    )
    assert [e.line() for e in tracker.update(after, now=2.0)] == [
        "releaseplan: core 1.4.0 next-version started"
    ]


def test_the_outcome_line_carries_the_time_since_the_first_step() -> None:
    tracker = Tracker.seeded(_run(), now=0.0)
    tracker.update(_run(core=_entry("set-version", set_version="started")), now=1.0)
    events = tracker.update(
        _run(core=_entry("next-version", "published", set_version="passed")), now=13.5
    )
    assert events[-1] == Event("core", "1.4.0", "publish", "published", 12.5)
    assert events[-1].line() == "releaseplan: core 1.4.0 published (12.5 s)"


def test_the_view_says_what_each_package_waits_for() -> None:
    publishing = {
        "core": ("1.4.0", set()),
        "api": ("1.4.0", {"core"}),
        "cli": ("1.4.0", {"core", "outside"}),
        "app": ("1.4.0", {"api", "cli"}),
        "solo": ("2.0.0", set()),
    }
    run = _run(
        core=_entry("wait-index", wait_index="started"),
        api=_entry("build", build="started"),
    )
    tracker = Tracker.seeded(_run(), now=0.0)
    tracker.update(run, now=1.0)
    head, rows = view(run, tracker, publishing, run_started=50.0, now=4.0)
    assert head == "releaseplan: 2 running, 3 waiting, 0 of 5 done"
    assert rows == [
        Row("api", "1.4.0", "build", 3.0, ""),
        Row("core", "1.4.0", "wait-index", 3.0, "the index"),
        Row("app", "1.4.0", "-", None, "api, cli"),
        Row("cli", "1.4.0", "-", None, "core"),
        Row("solo", "2.0.0", "-", None, "its checks or a free worker"),
    ]
    done = _run(core=_entry("next-version", "published"), api=_entry(outcome="up-to-date"))
    head, rows = view(done, tracker, publishing, run_started=50.0, now=5.0)
    assert head == "releaseplan: 0 running, 3 waiting, 2 of 5 done"
    assert [r.waits_for for r in rows] == ["cli"] + ["its checks or a free worker"] * 2


def test_an_outcome_left_by_an_earlier_run_is_not_done_yet() -> None:
    # A failure recorded by the previous (resumed) run: this run will try again.
    run = _run(core=_entry("build", "failed", build="failed"))
    _, rows = view(run, Tracker(), {"core": ("1.4.0", set())}, run_started=500.0, now=1.0)
    assert [r.package for r in rows] == ["core"]


def test_rendered_lines_fit_the_terminal() -> None:
    rows = [Row(f"package-{i}", "1.0.0", "upload", 1.0, "") for i in range(20)]
    lines = render_view("releaseplan: 20 running", rows, width=30, limit=5)
    assert len(lines) == 7
    assert lines[-1].startswith("  … and 15 more")
    assert all(len(line) <= 29 for line in lines)
    assert lines[1] == "  package-0  1.0.0  upload    "[:29]


def test_the_live_block_is_erased_before_pytest_writes() -> None:
    real = io.StringIO()
    live = LiveFile(real)
    live.write("ws/core ..")
    live.draw(["releaseplan: 1 running", "  core  upload"])
    live.write(".\n")
    out = real.getvalue()
    # drawn below pytest's partial line, then erased and the partial line restored
    assert out == (
        "ws/core ..\nreleaseplan: 1 running\n  core  upload"
        "\r\x1b[2K\x1b[1A\x1b[2K\x1b[1A\r\x1b[2Kws/core ...\n"
    )
    assert live.partial == ""
    live.draw(["x"])
    live.clear()
    assert real.getvalue().endswith("x\r\x1b[2K")


# -- real runs -------------------------------------------------------------------------------


@pytest.fixture
def slow_tree(tmp_path: Path, pypiserver: PypiServer) -> Path:
    root = tmp_path / "ws"
    check = json.dumps(["{python}", "-c", "import time; time.sleep(1.5)"])
    tree(
        root,
        DIAMOND,
        config=f'registry = "{pypiserver.url}"\ncheck = {check}\n{NO_ISOLATION_BUILD}',
    )
    return root


def _argv(root: Path, *args: str) -> list[str]:
    return release_argv(root, "--release-publish", "--release-yes", *args)


def _env() -> dict[str, str]:
    return {
        **os.environ,
        "TWINE_USERNAME": "anyone",
        "TWINE_PASSWORD": "not-a-secret",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring",
    }


def test_step_lines_reach_a_pipe_while_the_run_goes_on(slow_tree: Path) -> None:
    proc = subprocess.Popen(
        _argv(slow_tree, "-n", "2"),
        cwd=slow_tree,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=_env(),
        start_new_session=True,
    )
    assert proc.stdout is not None
    lines: list[tuple[float, str]] = []
    for line in proc.stdout:
        lines.append((time.monotonic(), line.rstrip("\n")))
    proc.wait(timeout=300)
    ended = time.monotonic()
    out = "\n".join(text for _, text in lines)
    assert proc.returncode == 0, out
    first_check = next(t for t, text in lines if text == "releaseplan: core 1.0.0 check started")
    # the line came while core's check slept, long before the run ended
    assert ended - first_check > 3.0, out
    for name in ("core", "api", "cli", "app"):
        for step in ("set-version", "check", "build", "upload", "wait-index", "push"):
            assert f"releaseplan: {name} 1.0.0 {step} started" in out, out
            assert re.search(rf"releaseplan: {name} 1\.0\.0 {step} passed \(\d+\.\d s\)", out), out
        assert re.search(rf"^releaseplan: {name} 1\.0\.0 published \(\d+\.\d s\)$", out, re.M), out

    # app's steps start only after api and cli passed their last one
    def at(prefix: str) -> int:
        return next(i for i, (_, text) in enumerate(lines) if text.startswith(prefix))

    assert at("releaseplan: app 1.0.0 set-version started") > max(
        at(f"releaseplan: {dep} 1.0.0 published") for dep in ("api", "cli")
    ), out
    # each line whole: none glued to pytest's dots
    assert all(text.startswith("releaseplan:") for _, text in lines if "releaseplan: " in text)


def test_step_lines_without_xdist(tmp_path: Path, pypiserver: PypiServer) -> None:
    root = tmp_path / "ws"
    tree(root, DIAMOND[:1], config=f'registry = "{pypiserver.url}"\n{NO_ISOLATION_BUILD}')
    result = subprocess.run(
        _argv(root), cwd=root, env=_env(), text=True, capture_output=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stdout
    assert "releaseplan: core 1.0.0 upload started" in result.stdout
    assert re.search(r"releaseplan: core 1\.0\.0 upload passed \(\d+\.\d s\)", result.stdout)
    assert "releaseplan: core 1.0.0 published" in result.stdout


def test_a_terminal_gets_a_live_view_that_leaves_a_clean_log(slow_tree: Path) -> None:
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        _argv(slow_tree, "-n", "2"),
        cwd=slow_tree,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        start_new_session=True,
        env={k: v for k, v in _env().items() if k != "CI"} | {"TERM": "xterm"},
    )
    os.close(slave)
    seen = b""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
        if proc.poll() is not None and not ready:
            break
    proc.wait(timeout=60)
    os.close(master)
    out = seen.decode("utf-8", "replace")
    assert proc.returncode == 0, out
    assert re.search(r"releaseplan: \d running, \d waiting, \d of 4 done", out), out
    assert re.search(r"core +1\.0\.0 +check +\d+\.\d s", out), out
    assert re.search(r"app +1\.0\.0 +- +waiting for api, cli", out), out
    assert "\x1b[1A\x1b[2K" in out  # the block is erased, not left in the log
    # The log as the terminal shows it at the end: no block line survives.
    assert "waiting for" not in _screen(out), _screen(out)
    assert "releaseplan: core 1.0.0 upload started" not in out  # no step lines on a terminal


def _screen(raw: str) -> str:
    """Replay the cursor movements the view uses into the final text of the screen."""
    rows: list[str] = [""]
    row = 0
    i = 0
    while i < len(raw):
        if raw.startswith("\x1b[1A", i):
            row = max(0, row - 1)
            i += 4
        elif raw.startswith("\x1b[2K", i):
            rows[row] = ""
            i += 4
        elif raw[i] == "\x1b":
            end = re.match(r"\x1b\[[0-9;?]*[A-Za-z]", raw[i:])
            i += end.end() if end else 1
        elif raw[i] == "\r":
            rows[row] = rows[row]  # column 0: the next write of ours follows a clear
            i += 1
        elif raw[i] == "\n":
            row += 1
            if row == len(rows):
                rows.append("")
            i += 1
        else:
            rows[row] += raw[i]
            i += 1
    return "\n".join(rows)
