"""The one publish decision (pure): from plain facts about a package, what publish does.

The publish item runs the decision's steps and records its outcome; `--collect-only`, the
confirmation prompt and the dry-run header print its `line`. Nothing else decides.
"""

from __future__ import annotations

from dataclasses import dataclass

from packaging.version import Version

RELEASE = "release"
UP_TO_DATE = "up-to-date"
COMPLETE_TAG = "complete-tag"  # on the index, not tagged: tag and push
COMPLETE_UPLOAD = "complete-upload"  # tagged, not on the index: build from the tag and upload
NOTHING_NEW = "nothing-new"  # a previous release exists and nothing changed since
FINISH = "finish"  # tagged and on the index, but a crashed run left its push or bump undone
SKIP = "skip"  # cannot be released by this tool (version from VCS tags)

FULL = (
    "update-internal-deps",
    "set-version",
    "check",
    "build",
    "upload",
    "wait-index",
    "push",
    "next-version",
)
COMPLETE_UPLOAD_STEPS = ("build-from-tag", "upload", "wait-index", "push", "next-version")
COMPLETE_TAG_STEPS = ("tag", "push", "next-version")
# A check or build failure after tagging takes the never-pushed tag back.
UNTAG_ON_FAILURE = ("check", "build")


@dataclass(frozen=True)
class Facts:
    """What is known about one package when its publish starts (or is planned)."""

    name: str
    release: Version | None  # None: the version comes from VCS tags
    tag: str
    tagged: bool  # the release tag exists locally
    on_index: bool  # the release version is on the index
    previous: Version | None = None  # the latest tagged release below `release`
    changed_since_previous: bool | None = None  # None when never released
    tag_on_remote: bool | None = None  # asked only when tagged and on the index
    in_progress: bool = False  # the ledger shows this tool's own release of `release` unfinished
    previous_in_progress: bool = False  # ... of `previous`: its next-version was never pushed
    uploaded: bool = True  # in progress: the ledger says the upload step passed
    bump: bool = True  # next-version = "dev"
    dry_run: bool = False


@dataclass(frozen=True)
class Decision:
    action: str
    steps: tuple[str, ...]
    outcome: str  # recorded when the steps (if any) pass
    version: Version | None  # the version the outcome is about
    why: str

    @property
    def runs(self) -> bool:
        return bool(self.steps)

    def line(self, name: str, current: str) -> str:
        """One line of the plan: what publish will do for this package."""
        return f"{name:<24} {current:<16} {self.why}"


def decide(f: Facts) -> Decision:  # noqa: PLR0911 - one return per row of the table
    if f.release is None:
        return Decision(
            SKIP, (), "skipped", None, "skip: version comes from VCS tags; release it by tagging"
        )
    release = f.release
    if f.tagged and f.on_index:
        steps = finishing_steps(f)
        if not steps:
            return Decision(
                UP_TO_DATE,
                (),
                UP_TO_DATE,
                release,
                f"up-to-date: {f.tag} tagged, pushed and on the index",
            )
        return _running(
            f,
            FINISH,
            steps,
            f"finish {release}: {', '.join(steps)} left undone by an interrupted run",
        )
    if f.on_index:
        return _running(
            f,
            COMPLETE_TAG,
            COMPLETE_TAG_STEPS,
            f"complete the tag of {release}: on the index, tag {f.tag} missing",
        )
    if f.tagged:
        return _running(
            f,
            COMPLETE_UPLOAD,
            COMPLETE_UPLOAD_STEPS,
            f"complete the upload of {release}: tagged {f.tag}, not on the index",
        )
    if f.changed_since_previous is False and f.previous is not None and f.previous_in_progress:
        # The bump after `previous` was committed but not pushed (a refused push, a kill):
        # next-version writes only what is missing, then pushes.
        steps = ("next-version",) if f.bump else ("push",)
        outcome = "dry-run" if f.dry_run else "published"
        why = f"finish {f.previous}: {steps[0]} left undone by an interrupted run"
        return Decision(FINISH, steps, outcome, f.previous, why)
    if f.changed_since_previous is False and f.previous is not None:
        return Decision(
            NOTHING_NEW, (), UP_TO_DATE, f.previous, f"up-to-date: no changes since {f.previous}"
        )
    return _running(f, RELEASE, FULL, f"release {release} (tag {f.tag})")


def _running(f: Facts, action: str, steps: tuple[str, ...], why: str) -> Decision:
    if f.dry_run:
        outcome = "dry-run"
    elif action == RELEASE or f.in_progress:
        outcome = "published"  # ours, or our own release finished by this rerun
    else:
        outcome = "already-published"
    return Decision(action, steps, outcome, f.release, why)


def finishing_steps(f: Facts) -> tuple[str, ...]:
    """For a release that is tagged and on the index: what a crashed run left undone.

    The tag may not have been pushed yet; and the next dev version is written only when
    this tool's own release of that version was in progress (the ledger says so).
    """
    if f.in_progress and not f.uploaded:
        # killed mid-upload: some files may be on the index, not all; upload skips those
        return COMPLETE_UPLOAD_STEPS
    steps: list[str] = []
    if f.tag_on_remote is False or f.in_progress:
        steps.append("push")  # idempotent: pushes what a crash left unpushed
    if f.in_progress and f.bump:
        steps.append("next-version")  # writes only what is missing, then pushes
    return tuple(steps)


def needs_remote_tag(tagged: bool, on_index: bool) -> bool:
    """Whether `tag_on_remote` matters to the decision (it costs a round trip)."""
    return tagged and on_index
