"""npm's version and range rules, judged by the `node-semver` port of npm's own parser.

Why that port: on node-semver's range fixtures (tests/data/npm-range-cases.json, npm's
default options) it agrees with npm on 177 of 177 cases, `semantic_version.NpmSpec` on 146
(it rejects `>= 1.0.0`, `~>1`, `^x`, ... and admits `1.2.3-beta` in `<1.2.3`);
bench/npm_semver_agreement.py measures both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Literal, Protocol

import nodesemver  # type: ignore[import-untyped]  # the port ships no type hints

SpecKind = Literal["range", "workspace", "file", "link", "git", "url", "alias", "tag"]

MAX_LENGTH = 256  # node-semver's limits
MAX_SAFE_INTEGER = 2**53 - 1
WORKSPACE = "workspace:"
# workspace:* / workspace:^ / workspace:~ name the member's own version, whatever it is
_WORKSPACE_SELF = frozenset({"", "*", "^", "~"})
_PREFIXES: tuple[tuple[tuple[str, ...], SpecKind], ...] = (
    ((WORKSPACE,), "workspace"),
    (("npm:",), "alias"),
    (("link:",), "link"),
    (("http://", "https://"), "url"),
    (("file:",), "file"),
)
_ANY = frozenset({"", "*", "x", "X"})
_GIT = re.compile(
    r"^(?:git\+[a-z]+:|git:|git@|github:|gitlab:|bitbucket:|gist:)"
    r"|^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(?:#.*)?$",
)
_TARBALL = re.compile(r"\.(?:tgz|tar\.gz|tar)$", re.IGNORECASE)
_TAG = re.compile(r"^[A-Za-z0-9_.!~*'()-]+$")  # what encodeURIComponent leaves alone
_OPERATOR_GAP = re.compile(r"(<=|>=|<|>|=|\^|~>|~)\s+")
_HYPHEN = re.compile(r"^(\S+)\s+-\s+(\S+)$")
_TOKEN = re.compile(r"^(<=|>=|<|>|=|\^|~>|~)?v?(.*)$")
_EXACT = re.compile(r"^(=?)v?\d+\.\d+\.\d+(?:[-+]\S*)?$")
_FULL_VERSION = re.compile(r"^\d+\.\d+\.\d+(?:[-+].*)?$")


class _Comparator(Protocol):
    operator: str

    def test(self, version: object) -> bool: ...


class _Range(Protocol):
    set: list[list[_Comparator]]

    def test(self, version: object) -> bool: ...


class SemverError(ValueError):
    """A version or range npm would not accept, or a range that cannot be raised."""


@dataclass(frozen=True)
class NpmVersion:
    major: int
    minor: int
    patch: int
    prerelease: tuple[str, ...] = ()
    build: tuple[str, ...] = ()

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            text += "-" + ".".join(self.prerelease)
        if self.build:
            text += "+" + ".".join(self.build)
        return text

    @property
    def is_prerelease(self) -> bool:
        return bool(self.prerelease)


def parse_version(text: str) -> NpmVersion:
    """A strict semver version as npm publishes it: no `v`, no spaces, no leading zeros."""
    if not isinstance(text, str):
        raise SemverError(f'version {text!r} is not a string: write it as e.g. "1.0.0"')
    if len(text) > MAX_LENGTH:
        raise SemverError(f"version {text[:40]!r}... is longer than {MAX_LENGTH} characters")
    try:
        parsed = nodesemver.make_semver(text, loose=False)
    except ValueError:
        raise SemverError(
            f"version {text!r} is not a semver version (MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD],"
            " e.g. 1.4.0 or 1.4.1-dev.0)"
        ) from None
    version = NpmVersion(
        int(parsed.major),
        int(parsed.minor),
        int(parsed.patch),
        tuple(str(p) for p in parsed.prerelease),
        tuple(str(b) for b in parsed.build),
    )
    if str(version) != text:
        raise SemverError(f"version {text!r} is not in npm's normal form: write it as {version}")
    too_big = [n for n in (version.major, version.minor, version.patch) if n > MAX_SAFE_INTEGER]
    if too_big:
        raise SemverError(f"version {text!r} has a number above {MAX_SAFE_INTEGER}")
    return version


def release_of(version: NpmVersion | str) -> NpmVersion:
    """The release a version leads to: `1.4.0-dev.0` -> `1.4.0`."""
    v = _coerce(version)
    return NpmVersion(v.major, v.minor, v.patch)


def next_dev(release: NpmVersion | str) -> NpmVersion:
    """The development version after a release: `1.4.0` -> `1.4.1-dev.0`."""
    r = release_of(release)
    return replace(r, patch=r.patch + 1, prerelease=("dev", "0"))


def classify_spec(spec: str) -> SpecKind:
    """What kind of dependency spec npm sees in `spec` (npm-package-arg's categories)."""
    text = spec.strip()
    lower = text.lower()
    for prefixes, kind in _PREFIXES:
        if lower.startswith(prefixes):
            return kind
    if _is_path(text):
        return "file"
    if _GIT.search(text):
        return "git"
    if _valid_range(text):
        return "range"
    if _TAG.match(text):
        return "tag"
    raise SemverError(
        f"dependency spec {spec!r} is neither a semver range (e.g. ^1.2.0) nor a dist-tag,"
        " path, git or URL spec"
    )


def admits(range_text: str, version: NpmVersion | str) -> bool:
    """Whether npm would install `version` for `range_text` (prereleases only where the
    range names a prerelease of the same MAJOR.MINOR.PATCH)."""
    v = _coerce(version)
    text = range_text.strip()
    if text.startswith(WORKSPACE):
        text = text[len(WORKSPACE) :].strip()
        if text in _WORKSPACE_SELF:
            return True
    return bool(_range(text).test(nodesemver.make_semver(str(v), loose=False)))


def raise_range(range_text: str, new_version: NpmVersion | str) -> str:
    """The range that requires at least `new_version`, in the form of `range_text`.

    `^4.4.62` -> `^4.4.65`, `~1.2.0` -> `~1.2.3`, `1.2.0` -> `1.2.3`, `>=1 <2` -> `>=1.5.0 <2`,
    `*`, `x`, `1.x` and `workspace:^` are kept, a prerelease is pinned exactly. A range whose
    upper bound excludes the new version is an error: widening it is a person's decision.
    """
    new = _coerce(new_version)
    text = range_text.strip()
    if text.startswith(WORKSPACE):
        inner = text[len(WORKSPACE) :].strip()
        if inner in _WORKSPACE_SELF:
            return range_text
        return WORKSPACE + raise_range(inner, new)
    kind = classify_spec(text)
    if kind != "range":
        raise SemverError(f"{range_text!r} is a {kind} spec, not a version range: it is not raised")
    if text in _ANY:
        return range_text
    if new.is_prerelease:
        return str(new)
    exact = _EXACT.match(text)
    if exact:
        return f"{exact.group(1)}{new}"
    alternatives = re.split(r"\s*\|\|\s*", text)
    if not any(admits(alt, new) for alt in alternatives):
        raise SemverError(_exclusion(range_text, new))
    return " || ".join(_raise_one(alt, new) if admits(alt, new) else alt for alt in alternatives)


def _raise_one(alternative: str, new: NpmVersion) -> str:
    if alternative in _ANY:
        return alternative
    hyphen = _HYPHEN.match(alternative)
    if hyphen:
        return f"{new} - {hyphen.group(2)}"
    tokens = _OPERATOR_GAP.sub(r"\1", alternative).split()
    return " ".join(_raise_token(token, new) for token in tokens)


def _raise_token(token: str, new: NpmVersion) -> str:
    match = _TOKEN.match(token)
    op, rest = (match.group(1) or "", match.group(2)) if match else ("", token)
    if op in ("<", "<="):
        return token  # an upper bound that (as checked) still admits the new version
    if op in (">", ">="):
        return f">={new}"
    if op in ("^", "~", "~>"):
        return f"{op}{new}"
    if _FULL_VERSION.match(rest):
        return f"{op}{new}"  # exact stays exact
    return token  # an x-range such as 1.x or 1.2: kept, it admits the new version


def _exclusion(range_text: str, new: NpmVersion) -> str:
    v = nodesemver.make_semver(str(new), loose=False)
    comparators = [c for alt in _range(range_text.strip()).set for c in alt]
    if any(c.operator in ("<", "<=") and not c.test(v) for c in comparators):
        why = "has an upper bound that excludes"
    else:
        why = "does not admit"
    return (
        f"range {range_text!r} {why} the new version {new}: widen it by hand"
        f" (e.g. ^{new}) if the dependent works with {new}"
    )


def _coerce(version: NpmVersion | str) -> NpmVersion:
    return version if isinstance(version, NpmVersion) else parse_version(version)


def _is_path(text: str) -> bool:
    starts = text.startswith(("./", "../", "/", "~/", ".\\", "..\\")) or text in (".", "..")
    drive = re.match(r"^[A-Za-z]:[/\\]", text) is not None
    return starts or drive or bool(_TARBALL.search(text))


def _valid_range(text: str) -> bool:
    try:
        _range(text)
    except SemverError:
        return False
    return True


def _range(text: str) -> _Range:
    if len(text) > MAX_LENGTH:
        raise SemverError(f"range {text[:40]!r}... is longer than {MAX_LENGTH} characters")
    try:
        rng: _Range = nodesemver.make_range(text, loose=False)
    except ValueError:
        raise SemverError(f"{text!r} is not a valid npm version range") from None
    return rng
