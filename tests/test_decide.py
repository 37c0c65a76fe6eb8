"""The one publish decision, row by row (pure: no process, no repository)."""

from __future__ import annotations

import dataclasses

import pytest
from packaging.version import Version

from pytest_releaseplan.publish import decide
from pytest_releaseplan.publish.decide import Facts

V = Version("1.4.0")
BASE = Facts(name="core", release=V, tag="v1.4.0", tagged=False, on_index=False)


def facts(**changes: object) -> Facts:
    return dataclasses.replace(BASE, **changes)  # type: ignore[arg-type]


# (facts, action, steps, outcome, version, words in the plan line)
ROWS = [
    pytest.param(facts(), decide.RELEASE, decide.FULL, "published", V, "release 1.4.0", id="new"),
    pytest.param(
        facts(previous=Version("1.3.0"), changed_since_previous=True),
        decide.RELEASE,
        decide.FULL,
        "published",
        V,
        "release 1.4.0",
        id="changed-since-last",
    ),
    pytest.param(
        facts(previous=Version("1.3.0"), changed_since_previous=False),
        decide.NOTHING_NEW,
        (),
        "up-to-date",
        Version("1.3.0"),
        "no changes since 1.3.0",
        id="nothing-new",
    ),
    pytest.param(
        facts(tagged=True, on_index=True, tag_on_remote=True),
        decide.UP_TO_DATE,
        (),
        "up-to-date",
        V,
        "up-to-date",
        id="up-to-date",
    ),
    pytest.param(
        facts(on_index=True),
        decide.COMPLETE_TAG,
        decide.COMPLETE_TAG_STEPS,
        "already-published",
        V,
        "complete the tag of 1.4.0",
        id="complete-tag",
    ),
    pytest.param(
        facts(tagged=True),
        decide.COMPLETE_UPLOAD,
        decide.COMPLETE_UPLOAD_STEPS,
        "already-published",
        V,
        "complete the upload of 1.4.0",
        id="complete-upload",
    ),
    pytest.param(
        facts(tagged=True, in_progress=True, uploaded=False),
        decide.COMPLETE_UPLOAD,
        decide.COMPLETE_UPLOAD_STEPS,
        "published",
        V,
        "complete the upload",
        id="resumed-after-tagging",
    ),
    pytest.param(
        facts(tagged=True, on_index=True, tag_on_remote=False),
        decide.FINISH,
        ("push",),
        "already-published",
        V,
        "finish 1.4.0: push",
        id="finish-unpushed-tag",
    ),
    pytest.param(
        facts(tagged=True, on_index=True, tag_on_remote=True, in_progress=True),
        decide.FINISH,
        ("push", "next-version"),
        "published",
        V,
        "push, next-version",
        id="finish-after-crash",
    ),
    pytest.param(
        facts(tagged=True, on_index=True, tag_on_remote=True, in_progress=True, bump=False),
        decide.FINISH,
        ("push",),
        "published",
        V,
        "finish",
        id="finish-no-bump",
    ),
    pytest.param(
        facts(tagged=True, on_index=True, tag_on_remote=True, in_progress=True, uploaded=False),
        decide.FINISH,
        decide.COMPLETE_UPLOAD_STEPS,
        "published",
        V,
        "upload",
        id="killed-mid-upload",
    ),
    pytest.param(
        facts(dry_run=True), decide.RELEASE, decide.FULL, "dry-run", V, "release", id="dry-run"
    ),
    pytest.param(
        facts(dry_run=True, tagged=True),
        decide.COMPLETE_UPLOAD,
        decide.COMPLETE_UPLOAD_STEPS,
        "dry-run",
        V,
        "complete the upload",
        id="dry-run-complete",
    ),
    pytest.param(
        facts(release=None),
        decide.SKIP,
        (),
        "skipped",
        None,
        "VCS tags",
        id="vcs-version",
    ),
]


@pytest.mark.parametrize(("f", "action", "steps", "outcome", "version", "words"), ROWS)
def test_each_row_of_the_decision(
    f: Facts, action: str, steps: tuple[str, ...], outcome: str, version: Version | None, words: str
) -> None:
    d = decide.decide(f)
    assert (d.action, d.steps, d.outcome, d.version) == (action, steps, outcome, version)
    assert words in d.line("core", "1.4.0.dev0")
    assert d.runs == bool(steps)


def test_the_remote_tag_is_asked_only_when_it_can_change_the_decision() -> None:
    assert decide.needs_remote_tag(tagged=True, on_index=True)
    assert not decide.needs_remote_tag(tagged=True, on_index=False)
    assert not decide.needs_remote_tag(tagged=False, on_index=True)


def test_a_fresh_release_never_reads_as_finished_without_the_ledger() -> None:
    # Tagged and on the index by someone else: nothing of ours to finish, the tag is pushed.
    d = decide.decide(facts(tagged=True, on_index=True, tag_on_remote=True, in_progress=False))
    assert d.action == decide.UP_TO_DATE
    assert "next-version" not in d.steps
