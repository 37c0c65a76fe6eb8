"""Each lockfile parsed once per run: the in-process memo, the state-dir cache, git state once.

Summaries are counted with a summarize function that counts its calls (the real uv one
underneath), never by patching the parser.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from pytest_releaseplan import lockfiles, relock
from pytest_releaseplan.config import Config
from pytest_releaseplan.context import Context
from pytest_releaseplan.lockfiles import summary, uv
from pytest_releaseplan.lockfiles.files import TomlData
from pytest_releaseplan.settings import Settings
from pytest_releaseplan.workspace import discover
from tests.test_lockfiles import REGISTRY_ENTRY, edit, needs_uv, reasons_by_name, uv_workspace

__all__ = ["uv_workspace"]  # the fixture, shared with test_lockfiles

LOCK = f"""
version = 1
requires-python = ">=3.11"

[manifest]
members = ["reg"]

[[package]]
name = "Packaging"
version = "24.1"
source = {{ registry = "https://pypi.org/simple" }}
sdist = {{ url = "https://example.invalid/packaging-24.1.tar.gz", hash = "sha256:00", size = 1 }}
{REGISTRY_ENTRY}
"""


class Counting:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, lock: TomlData, first_line: str) -> TomlData:
        self.calls += 1
        return uv.summarize(lock, first_line)


@pytest.fixture(autouse=True)
def _cold() -> None:
    summary.forget()


def old_lock(path: Path, text: str) -> Path:
    """A lock written two seconds ago: old enough for the stat shortcut (racy-git rule)."""
    path.write_text(text, encoding="utf-8")
    past = path.stat().st_mtime_ns - 2_000_000_000
    os.utime(path, ns=(past, past))
    return path


def test_uv_summary_is_plain_json_data_indexed_by_normalized_name() -> None:
    data = uv.summarize(tomllib.loads(LOCK))
    assert json.loads(json.dumps(data)) == data
    assert set(data["local"]) == {"reg"}
    assert data["versions"] == {"packaging": ["24.1"], "reg": ["1.0"]}
    assert data["manifest"] == {"members": ["reg"]}
    assert "sdist" not in json.dumps(data)  # only what the comparisons read
    assert set(data["local"]["reg"]["metadata"]) == {
        "requires-dist",
        "requires-dev",
        "provides-extras",
    }


def test_a_lock_is_summarized_once_per_process(tmp_path: Path) -> None:
    lock = old_lock(tmp_path / "uv.lock", LOCK)
    counting = Counting()
    first = summary.load(lock, counting)
    assert all(summary.load(lock, counting) is first for _ in range(5))
    assert counting.calls == 1


def test_an_edited_lock_is_summarized_again_even_at_the_same_size(tmp_path: Path) -> None:
    lock = tmp_path / "uv.lock"
    lock.write_text(LOCK, encoding="utf-8")
    counting = Counting()
    before = summary.load(lock, counting)
    lock.write_text(LOCK.replace('version = "24.1"', 'version = "24.2"'), encoding="utf-8")
    after = summary.load(lock, counting)
    assert counting.calls == 2
    assert before["versions"]["packaging"] == ["24.1"]
    assert after["versions"]["packaging"] == ["24.2"]


def test_the_summary_is_cached_in_the_state_dir_for_other_processes(tmp_path: Path) -> None:
    lock = old_lock(tmp_path / "uv.lock", LOCK)
    statedir = tmp_path / ".releaseplan"
    counting = Counting()
    first = summary.load(lock, counting, statedir)
    [cached] = (statedir / summary.SCHEMA).glob("uv.lock-*.json")
    assert json.loads(cached.read_text()) == first
    assert (statedir / ".gitignore").is_file()
    # Another process: no memo, the JSON is read and nothing is parsed.
    code = (
        "import sys; from pathlib import Path; from pytest_releaseplan.lockfiles import summary\n"
        "def refuse(lock, line): raise SystemExit('parsed again')\n"
        "print(sorted(summary.load(Path(sys.argv[1]), refuse, Path(sys.argv[2]))['local']))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(lock), str(statedir)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['reg']"
    assert counting.calls == 1


def test_a_damaged_cache_file_is_rebuilt(tmp_path: Path) -> None:
    lock = old_lock(tmp_path / "uv.lock", LOCK)
    statedir = tmp_path / ".releaseplan"
    summary.load(lock, Counting(), statedir)
    [cached] = (statedir / summary.SCHEMA).glob("uv.lock-*.json")
    cached.write_text('{"local": ', encoding="utf-8")
    summary.forget()
    counting = Counting()
    assert set(summary.load(lock, counting, statedir)["local"]) == {"reg"}
    assert counting.calls == 1
    assert json.loads(cached.read_text())["versions"]["reg"] == ["1.0"]


def test_a_lock_that_is_not_toml_is_a_problem_not_an_exception(tmp_path: Path) -> None:
    lock = tmp_path / "uv.lock"
    lock.write_text("[[package]\n", encoding="utf-8")
    problem = summary.load(lock, Counting(), tmp_path / ".releaseplan")["problem"]
    assert problem.startswith("is not valid TOML")


@needs_uv
def test_the_state_dir_cache_gives_the_same_verdicts(uv_workspace: Path) -> None:
    statedir = uv_workspace / ".releaseplan"
    edit(uv_workspace / "libs/core/pyproject.toml", 'version = "1.4.0.dev0"', 'version = "1.5.0"')
    ws = discover(uv_workspace, Config())
    cached = {p.name: lockfiles.stale_reasons(ws, p, cache_dir=statedir) for p in ws.packages}
    summary.forget()
    assert cached == reasons_by_name(uv_workspace)
    assert len(cached["core"]) == 1 and cached["api"] == [] and cached["dyn"] == []


@needs_uv
def test_an_opted_out_member_is_judged_by_the_locks_owner(uv_workspace: Path) -> None:
    """uv locks members the audit does not release; their drift still fails one item."""
    edit(
        uv_workspace / "libs/dyn/pyproject.toml",
        "[tool.uv.sources]",
        "[tool.releaseplan]\nrelease = false\n\n[tool.uv.sources]",
    )
    assert reasons_by_name(uv_workspace) == {"core": [], "api": []}
    edit(uv_workspace / "libs/dyn/pyproject.toml", 'dependencies = ["core"]', "dependencies = []")
    reasons = reasons_by_name(uv_workspace)
    assert reasons["core"] == []
    [reason] = reasons["api"]  # libs/api is the first user of the root lock: its owner
    assert "libs/dyn/pyproject.toml" in reason and "no longer declares" in reason


# --------------------------------------------------------------------------- git state


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, timeout=60)


def context(root: Path) -> Context:
    settings = Settings(mode="audit", root=root, config=Config())
    return Context(settings, discover(root, Config()), run_id=f"run-{os.getpid()}-{root.name}")


@pytest.fixture
def locked_repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "p"\nversion = "1.0"\n')
    (root / "uv.lock").write_text("version = 1\n")
    git(root, "init", "-q", "-b", "main")
    return root


def test_git_state_of_an_untracked_lock(locked_repo: Path) -> None:
    ctx = context(locked_repo)
    assert relock.git_state(ctx, ctx.workspace.packages[0]) == "untracked"


def test_git_state_of_an_ignored_lock_never_added(locked_repo: Path) -> None:
    (locked_repo / ".gitignore").write_text("uv.lock\n")
    git(locked_repo, "add", ".gitignore", "pyproject.toml")
    git(locked_repo, "commit", "-q", "-m", "init")
    ctx = context(locked_repo)
    assert relock.git_state(ctx, ctx.workspace.packages[0]) == "untracked"


def test_git_state_of_a_clean_then_a_modified_lock(locked_repo: Path) -> None:
    git(locked_repo, "add", ".")
    git(locked_repo, "commit", "-q", "-m", "init")
    ctx = context(locked_repo)
    pkg = ctx.workspace.packages[0]
    assert relock.git_state(ctx, pkg) == "clean"
    (locked_repo / "uv.lock").write_text("version = 2\n")
    ctx.forget(locked_repo)
    assert relock.git_state(ctx, pkg) == "modified"
    git(locked_repo, "add", "uv.lock")
    ctx.forget(locked_repo)
    assert relock.git_state(ctx, pkg) == "modified"  # staged counts too
