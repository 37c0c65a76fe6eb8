"""The release ledger: named transitions, resume semantics, and a corrupt file as one error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from packaging.version import Version

from pytest_releaseplan.errors import Category, CheckFailure
from pytest_releaseplan.publish.ledger import SCHEMA, Ledger, LedgerError
from pytest_releaseplan.publish.status import render

V = Version("1.0.0")


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    return Ledger.of(tmp_path / ".releaseplan")


def test_a_missing_file_is_an_empty_finished_state(ledger: Ledger) -> None:
    run = ledger.read()
    assert run.finished and run.packages == {} and run.released_in_run() == {}
    assert "nothing has been published" in render(ledger)


def test_steps_are_recorded_and_a_release_is_remembered(ledger: Ledger) -> None:
    ledger.begin_run("r1", ["core", "app"], restart=False)
    ledger.step_started("core", V, "upload")
    ledger.writing("core", V, [Path("/x/pyproject.toml")])
    assert ledger.read().interrupted_writes() == {Path("/x/pyproject.toml")}
    ledger.step_passed("core", V, "upload")
    ledger.finished("core", V, "published", V)
    run = ledger.read()
    assert run.packages["core"].steps == {"upload": "passed"}
    assert run.interrupted_writes() == set()
    assert run.released_in_run() == {"core": V}
    data = json.loads(ledger.path.read_text())
    assert data["schema"] == SCHEMA and data["packages"]["core"]["outcome"] == "published"


def test_an_unfinished_run_is_resumed_and_a_finished_one_starts_over(ledger: Ledger) -> None:
    ledger.begin_run("r1", ["core"], restart=False)
    ledger.finished("core", V, "published", V)
    ledger.begin_run("r2", ["core"], restart=False)  # r1 never finished: resume
    assert ledger.read().released_in_run() == {"core": V}
    ledger.finish_run(complete=True)
    ledger.begin_run("r3", ["core"], restart=False)
    assert ledger.read().packages == {}


def test_up_to_date_after_a_release_in_the_same_run_keeps_the_release(ledger: Ledger) -> None:
    """A resumed run finds its own earlier release up-to-date: dependents still raise to it."""
    ledger.begin_run("r1", ["x0"], restart=False)
    ledger.finished("x0", V, "published", V)
    ledger.finished("x0", Version("1.0.1"), "up-to-date", V)
    assert ledger.read().released_in_run() == {"x0": V}


def test_a_failure_before_the_first_step_is_shown_with_its_fix(ledger: Ledger) -> None:
    ledger.begin_run("r1", ["core", "app"], restart=False)
    failure = CheckFailure("no registry configured", Category.FIXABLE, [], ["set `registry`"])
    ledger.failed_before_steps("core", V, failure)
    text = render(ledger)
    assert "unfinished" in text
    assert "fixable: no registry configured" in text
    assert "Fix: set `registry`" in text
    assert "app" in text and "not started" in text


def test_an_interrupted_step_reads_as_transient_with_the_rerun_fix(ledger: Ledger) -> None:
    ledger.begin_run("r1", ["core"], restart=False)
    ledger.step_started("core", V, "build")
    ledger.step_failed("core", V, "build", None)
    entry = ledger.read().packages["core"]
    assert entry.outcome == "failed" and entry.failure is not None
    assert entry.failure.category == "transient"
    assert entry.in_progress(V)


@pytest.mark.parametrize(
    "content",
    [
        '{"packages": {"core": ',  # truncated
        "not json at all",
        "[1, 2, 3]",  # valid JSON, wrong shape
        '{"packages": ["core"]}',
        '{"packages": {"core": {"steps": "upload"}}}',
        '{"packages": {"core": {"release_version": "not a version"}}}',
        '{"schema": 99, "packages": {}}',  # another layout
        '{"planned": "core"}',
    ],
)
def test_a_corrupt_or_foreign_file_is_one_clear_error_and_restart_recovers(
    ledger: Ledger, content: str
) -> None:
    ledger.path.parent.mkdir(parents=True)
    ledger.path.write_text(content)
    with pytest.raises(LedgerError) as info:
        ledger.read()
    message = str(info.value)
    assert str(ledger.path) in message and "--release-restart" in message
    with pytest.raises(LedgerError):
        ledger.begin_run("r2", ["core"], restart=False)
    ledger.begin_run("r2", ["core"], restart=True)
    assert ledger.read().run_id == "r2"


def test_a_file_of_the_first_layout_is_read(ledger: Ledger) -> None:
    ledger.path.parent.mkdir(parents=True)
    ledger.path.write_text(
        json.dumps(
            {
                "run_id": "old",
                "finished": False,
                "planned": ["core"],
                "updated": 1,
                "packages": {
                    "core": {
                        "release_version": "1.0.0",
                        "steps": {"set-version": "passed", "upload": "started"},
                        "step": "upload",
                        "writing": [],
                        "updated": 2.5,
                    }
                },
            }
        )
    )
    run = ledger.read()
    assert run.packages["core"].in_progress(V)
    assert not run.packages["core"].passed("upload")
