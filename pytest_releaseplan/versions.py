"""Pure version arithmetic: release versions and the next development version."""

from __future__ import annotations

from packaging.version import InvalidVersion, Version

from pytest_releaseplan.errors import ConfigError


def parse(text: str, where: str) -> Version:
    try:
        return Version(text)
    except InvalidVersion:
        raise ConfigError(
            f"{where}: version {text!r} is not a valid PEP 440 version "
            "(examples: 1.4.0, 1.4.1.dev0, 0.66b0)"
        ) from None


def release_of(version: Version) -> Version:
    """The version without its dev and local segments (`1.4.0.dev3+g12` -> `1.4.0`)."""
    parts = ".".join(str(p) for p in version.release)
    text = f"{version.epoch}!{parts}" if version.epoch else parts
    if version.pre is not None:
        text += f"{version.pre[0]}{version.pre[1]}"
    if version.post is not None:
        text += f".post{version.post}"
    return Version(text)


def next_dev(version: Version) -> Version:
    """The development version that follows a release.

    `1.4.0` -> `1.4.1.dev0`; `0.66b0` -> `0.66b1.dev0`; `1.0.post1` -> `1.0.post2.dev0`.
    """
    rel = release_of(version)
    base = ".".join(str(p) for p in rel.release)
    epoch = f"{rel.epoch}!" if rel.epoch else ""
    if rel.post is not None:
        pre = f"{rel.pre[0]}{rel.pre[1]}" if rel.pre else ""
        return Version(f"{epoch}{base}{pre}.post{rel.post + 1}.dev0")
    if rel.pre is not None:
        return Version(f"{epoch}{base}{rel.pre[0]}{rel.pre[1] + 1}.dev0")
    parts = list(rel.release)
    parts[-1] += 1
    return Version(f"{epoch}{'.'.join(str(p) for p in parts)}.dev0")
