"""How npm versions cross into the shared code, which compares `packaging` Versions.

The mapping is exact, both ways, for the forms a release workflow uses: `X.Y.Z` <-> `X.Y.Z`
and `X.Y.Z-dev.N` <-> `X.Y.Z.devN` (same order, same release: npm's `1.4.0-dev.0` sorts below
`1.4.0` as PEP 440's `1.4.0.dev0` does). Other prereleases (`1.4.0-beta.1`) have no exact
PEP 440 twin whose release is `1.4.0`, so they fail `version` with the fix. The mapped value
prints as npm writes it (`SemverVersion.__str__`), so messages and ids say `1.4.0-dev.0`.
"""

from __future__ import annotations

import re

from packaging.version import Version

from pytest_releaseplan.errors import ConfigError
from pytest_releaseplan.npm.semver import SemverError, parse_version

_DEV = re.compile(r"^(\d+\.\d+\.\d+)-dev\.(\d+)$")
_RELEASE = re.compile(r"^\d+\.\d+\.\d+$")


class SemverVersion(Version):
    """A PEP 440 Version that remembers, and prints, the npm text it was read from."""

    def __init__(self, npm_text: str, pep440_text: str) -> None:
        super().__init__(pep440_text)
        self.npm_text = npm_text

    def __str__(self) -> str:
        return self.npm_text


def to_pep440(text: str, where: str) -> Version:
    """The comparable form of an npm version; ConfigError (the `version` check's) otherwise."""
    try:
        parse_version(text)
    except SemverError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    if _RELEASE.match(text):
        return SemverVersion(text, text)
    dev = _DEV.match(text)
    if dev:
        return SemverVersion(text, f"{dev.group(1)}.dev{dev.group(2)}")
    raise ConfigError(
        f"{where}: version {text!r} is a semver prerelease or build this tool cannot release "
        "(it releases X.Y.Z from X.Y.Z or X.Y.Z-dev.N): write it as e.g. "
        f"{text.split('-', maxsplit=1)[0].split('+', maxsplit=1)[0]}-dev.0"
    )


def to_npm(version: str | Version) -> str:
    """npm's spelling of a version the shared code made (`1.4.1.dev0` -> `1.4.1-dev.0`)."""
    if isinstance(version, SemverVersion):
        return version.npm_text
    v = version if isinstance(version, Version) else Version(str(version))
    if v.epoch or v.pre or v.post is not None or v.local or len(v.release) > 3:
        raise ConfigError(f"version {version} has no exact npm spelling")
    major, minor, patch = (*v.release, 0, 0)[:3]
    base = f"{major}.{minor}.{patch}"
    return base if v.dev is None else f"{base}-dev.{v.dev}"


def spelled(version: Version, ecosystem: str) -> str:
    """A version as its package's own files and users write it (`1.4.1-dev.0` for npm)."""
    return to_npm(version) if ecosystem == "npm" else str(version)
