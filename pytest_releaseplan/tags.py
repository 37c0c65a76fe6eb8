"""Release tags: matching a package's tags and finding its latest release (pure)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from packaging.version import InvalidVersion, Version

from pytest_releaseplan.workspace import Package, Workspace


def tag_pattern(tag_format: str, name: str) -> re.Pattern[str]:
    head, _, tail = tag_format.partition("{version}")
    return re.compile(
        re.escape(head.format(name=name))
        + r"(?P<version>.+)"
        + re.escape(tail.format(name=name))
        + "$"
    )


def previous_release(
    tags: Iterable[str], pattern: re.Pattern[str], below: Version
) -> tuple[str, Version] | None:
    """The highest tagged version below `below` (the release in progress), with its tag."""
    best: tuple[str, Version] | None = None
    for tag in tags:
        match = pattern.match(tag)
        if not match:
            continue
        try:
            version = Version(match.group("version"))
        except InvalidVersion:
            continue
        if version < below and (best is None or version > best[1]):
            best = (tag, version)
    return best


def last_release_before(
    ws: Workspace, pkg: Package, refs: Mapping[str, str], below: Version
) -> tuple[str, Version] | None:
    """The package's latest tagged release below `below`, from `refs` (as gitops.refs gives)."""
    tags = [r.removeprefix("refs/tags/") for r in refs if r.startswith("refs/tags/")]
    return previous_release(tags, tag_pattern(ws.tag_for(pkg, "{version}"), pkg.name), below)
