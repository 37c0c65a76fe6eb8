"""Requirements as a pyproject declares them and as uv.lock records them, and their diff."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_version
from packaging.version import InvalidVersion, Version

from pytest_releaseplan import names

LOCAL_SOURCES = ("editable", "virtual", "directory", "path")
# Locked requirements carrying one of these record no specifier (path/workspace/VCS/URL).
UNVERSIONED_SOURCES = (*LOCAL_SOURCES, "workspace", "git", "url")
_EXTRA_MARKER = re.compile(r"""\bextra\s*==\s*['"]([^'"]+)['"]""")


@dataclass(frozen=True)
class Req:
    """One requirement as both a pyproject and uv.lock can express it."""

    name: str
    extras: tuple[str, ...] = ()
    extra: str | None = None  # the optional-dependency it belongs to
    specifier: str = ""  # canonical; "" when none
    sourced: bool = False  # locked from a path/workspace/VCS/URL source: no specifier recorded
    raw: str = field(default="", compare=False)  # as the pyproject spells it, for messages

    def matches(self, other: Req) -> bool:
        same = (self.name, self.extras, self.extra) == (other.name, other.extras, other.extra)
        if not same:
            return False
        if self.sourced or other.sourced:
            return True
        return self.specifier == other.specifier

    def show(self) -> str:
        extras = f"[{','.join(self.extras)}]" if self.extras else ""
        base = self.raw or f"{self.name}{extras}{self.specifier}"
        marker = f" (extra {self.extra!r})" if self.extra else ""
        source = " (path/workspace source)" if self.sourced and not self.raw else ""
        return f"{base}{marker}{source}"


def canonical_specifier(text: str) -> str:
    """A comparable form: sorted clauses, versions canonicalized (`>=2.0` == `>=2`)."""
    try:
        spec = SpecifierSet(text)
    except InvalidSpecifier:
        return text.replace(" ", "")
    clauses = []
    for clause in spec:
        version = clause.version
        if not version.endswith(".*"):
            version = canonicalize_version(version)
        clauses.append(f"{clause.operator}{version}")
    return ",".join(sorted(clauses))


def declared_req(raw: object, extra: str | None) -> Req | None:
    """A pyproject requirement string as a Req; None when it is not one (left to `version`)."""
    if not isinstance(raw, str):
        return None
    try:
        req = Requirement(raw)
    except InvalidRequirement:
        return None
    return Req(
        name=names.normalize(req.name),
        extras=tuple(sorted(names.normalize(e) for e in req.extras)),
        extra=names.normalize(extra) if extra else None,
        specifier=canonical_specifier(str(req.specifier)) if str(req.specifier) else "",
        sourced=req.url is not None,
        raw=raw.strip(),
    )


def locked_req(entry: Mapping[str, Any]) -> Req:
    """One `requires-dist`/`requires-dev` entry of uv.lock as a Req."""
    marker = entry.get("marker", "")
    extra = _EXTRA_MARKER.search(marker) if isinstance(marker, str) else None
    spec = entry.get("specifier", "")
    return Req(
        name=names.normalize(str(entry["name"])),
        extras=tuple(sorted(names.normalize(e) for e in entry.get("extras", []) or [])),
        extra=names.normalize(extra.group(1)) if extra else None,
        specifier=canonical_specifier(spec) if spec else "",
        sourced=any(key in entry for key in UNVERSIONED_SOURCES) and not spec,
    )


def requirement_diff(
    declared: Iterable[Req], locked: Iterable[Req], where: str, lock_label: str
) -> list[str]:
    """Sentences for requirements added, changed or removed since the lock was written."""
    unmatched = sorted(set(locked), key=lambda r: r.show())
    missing: list[Req] = []
    for req in sorted(set(declared), key=lambda r: r.show()):
        found = next((lk for lk in unmatched if lk.matches(req)), None)
        if found is None:
            missing.append(req)
        else:
            unmatched.remove(found)
    reasons: list[str] = []
    for req in missing:
        old = next((lk for lk in unmatched if (lk.name, lk.extra) == (req.name, req.extra)), None)
        if old is None:
            reasons.append(f"{where} declares {req.show()!r}, which {lock_label} does not record")
        else:
            unmatched.remove(old)
            reasons.append(
                f"{where} declares {req.show()!r} but {lock_label} records {old.show()!r}"
            )
    reasons += [
        f"{lock_label} records {old.show()!r}, which {where} no longer declares"
        for old in unmatched
    ]
    return reasons


def version_equal(a: str, b: str) -> bool:
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


def admits(spec: SpecifierSet, version: str) -> bool:
    try:
        return spec.contains(Version(version), prereleases=True)
    except InvalidVersion:
        return True
