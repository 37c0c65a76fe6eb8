"""Distribution file names: which project and version a file is, and whether it is published."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version


def dist_name_version(filename: str) -> tuple[str, Version] | None:
    """(normalized project name, version) of a wheel or sdist file name; None otherwise."""
    try:
        if filename.endswith(".whl"):
            name, version, _build, _tags = parse_wheel_filename(filename)
            return str(name), version
        if filename.endswith((".tar.gz", ".zip")):
            sname, sversion = parse_sdist_filename(filename)
            return str(sname), sversion
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None
    return None


def already_uploaded(filename: str, published: Iterable[str]) -> bool:
    """The index already has this file (by name: a rebuilt file of a released version is
    the same release, and indexes refuse to replace files anyway)."""
    return Path(filename).name in set(published)


def project_files(filenames: Iterable[str], name: str) -> set[str]:
    """The distribution files among `filenames` that belong to project `name`."""
    wanted = canonicalize_name(name)
    return {f for f in filenames if (nv := dist_name_version(f)) is not None and nv[0] == wanted}
