"""Release tags: a package's tags, its latest release, and tags in other forms (pure)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

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
    pattern = tag_pattern(ws.tag_for(pkg, "{version}"), ws.tag_name(pkg))
    return previous_release(tags, pattern, below)


# -- tags in other forms --------------------------------------------------------------------

NAMED_FORMS = (
    "{name}-v{version}",
    "{name}@v{version}",
    "{name}@{version}",
    "{name}/v{version}",
    "{name}/{version}",
    "{name}_v{version}",
    "{name}-{version}",
    "{name}_{version}",
)
NAMELESS_FORMS = ("v{version}", "{version}")
_PREFIX = r"(?P<prefix>(?:[^/]+/)*)"


@dataclass(frozen=True)
class TagForm:
    """Tags of one package in one recognisable form (a `tag-format` value)."""

    format: str
    tags: dict[Version, str]  # version -> tag


def other_forms(
    tags: Iterable[str], spellings: Sequence[str], name: str, configured: str, alone: bool
) -> list[TagForm]:
    """The forms other than `configured` in which `tags` name the package, most used first.

    `spellings` are the ways the name may be written (normalized first); `alone` allows
    name-less forms (`v1.7.0`), which in a repository of several packages say nothing.
    """
    mine = tag_pattern(configured, name)
    others = [tag for tag in tags if not mine.match(tag)]
    # Only spellings some tag contains can match a named form: most packages' tags compile
    # no pattern at all (compiling every form for every package cost ~10 ms a package).
    named = [s for s in dict.fromkeys(spellings) if any(s in tag for tag in others)]
    candidates = _candidates(named, name, alone) if others and (named or alone) else []
    found: dict[str, dict[Version, str]] = {}
    for tag in others:
        for form, pattern in candidates:
            match = pattern.match(tag)
            version = _version(match["version"]) if match else None
            if match is None or version is None:
                continue
            full = match["prefix"] + form
            if full != configured:
                found.setdefault(full, {})[version] = tag
            break
    ranked = sorted(found.items(), key=lambda item: -len(item[1]))
    return [TagForm(form, versions) for form, versions in ranked]


def _candidates(
    spellings: Sequence[str], name: str, alone: bool
) -> list[tuple[str, re.Pattern[str]]]:
    out: list[tuple[str, re.Pattern[str]]] = []
    for template in NAMED_FORMS:
        for spelling in dict.fromkeys(spellings):
            head, _, tail = template.partition("{version}")
            written = head.replace("{name}", spelling)
            pattern = re.compile(
                _PREFIX + re.escape(written) + r"(?P<version>.+)" + re.escape(tail) + "$"
            )
            form = template if spelling == name else template.replace("{name}", spelling)
            out.append((form, pattern))
    if alone:
        out += [
            (
                form,
                re.compile(
                    "(?P<prefix>)" + re.escape(form.partition("{version}")[0]) + r"(?P<version>.+)$"
                ),
            )
            for form in NAMELESS_FORMS
        ]
    return out


def _version(text: str) -> Version | None:
    try:
        return Version(text)
    except InvalidVersion:
        return None


def forms_of(ws: Workspace, pkg: Package, refs: Mapping[str, str]) -> list[TagForm]:
    """`other_forms` for a workspace package, from `refs` (as gitops.refs gives)."""
    names = [ws.tag_name(pkg), pkg.name, pkg.display_name, pkg.display_name.lower(), pkg.name.replace("-", "_")]
    tags = [r.removeprefix("refs/tags/") for r in refs if r.startswith("refs/tags/")]
    alone = len(ws.packages_in(pkg.repo_relpath)) == 1
    return other_forms(tags, names, ws.tag_name(pkg), ws.tag_format(pkg), alone)
