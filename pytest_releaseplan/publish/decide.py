"""Pure decisions of the publish item."""

from __future__ import annotations

RELEASE = "release"
UP_TO_DATE = "up-to-date"
COMPLETE_TAG = "complete-tag"  # on the index, not tagged: tag and push
COMPLETE_UPLOAD = "complete-upload"  # tagged, not on the index: build from the tag and upload
NOTHING_NEW = "nothing-new"  # a previous release exists and nothing changed since
FINISH = "finish"  # tagged and on the index, but a crashed run left its push or bump undone


def action(tagged: bool, on_index: bool, changed_since_previous: bool | None) -> str:
    """What the publish item does (SPEC §4 'needs release').

    `changed_since_previous` is None when the package was never released, else whether
    commits other than our own `release:` commits touched it since its last release tag.
    """
    if tagged and on_index:
        return UP_TO_DATE
    if on_index:
        return COMPLETE_TAG
    if tagged:
        return COMPLETE_UPLOAD
    if changed_since_previous is False:
        return NOTHING_NEW
    return RELEASE


def finishing_steps(
    tag_on_remote: bool, release_in_progress: bool, bump: bool, uploaded: bool = True
) -> tuple[str, ...]:
    """For a release that is tagged and on the index: what a crashed run left undone.

    The tag may not have been pushed yet; and the next dev version is written only when
    this tool's own release of that version was in progress (the state file says so).
    """
    if release_in_progress and not uploaded:
        # killed mid-upload: some files may be on the index, not all; upload skips those
        return ("build-from-tag", "upload", "wait-index", "push", "next-version")
    steps: list[str] = []
    if not tag_on_remote or release_in_progress:
        steps.append("push")  # idempotent: pushes what a crash left unpushed
    if release_in_progress and bump:
        steps.append("next-version")  # writes only what is missing, then pushes
    return tuple(steps)


def is_own_commit(subject: str) -> bool:
    """Commits this tool makes start with `release:`; they are not changes to release."""
    return subject.startswith("release: ")
