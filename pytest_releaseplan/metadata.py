"""Read one package's pyproject: name, version (static or dynamic), dependencies."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement

from pytest_releaseplan import config, names, pyproject, versionsource
from pytest_releaseplan.errors import ConfigError
from pytest_releaseplan.pyproject import DepKind, PyprojectError
from pytest_releaseplan.versionsource import (
    HATCH_PATTERN,
    VersionLocation,
    read_file_version,
    replace_file_version,
)

VERSION_KINDS = ("project", "poetry", "file")


@dataclass(frozen=True)
class Dependency:
    name: str  # normalized
    specifier: str
    kind: DepKind
    section: str  # the extra's or group's name; "" otherwise
    raw: str

    @property
    def group(self) -> str:
        """`runtime`, `extra:NAME`, `group:NAME`, `poetry`, `poetry-group:NAME`, `poetry-dev`."""
        return self.kind.label(self.section)

    @property
    def orders(self) -> bool:
        """Only runtime dependencies order the release graph (SPEC §2)."""
        return self.kind.orders

    @property
    def poetry(self) -> bool:
        """The specifier is a Poetry constraint (`^1.0`), not PEP 440."""
        return self.kind.poetry


@dataclass(frozen=True)
class Metadata:
    name: str
    display_name: str
    version_text: str | None  # None: derived from VCS tags at build time (or see version_error)
    locations: tuple[VersionLocation, ...]
    version_texts: tuple[str, ...]  # what each location says, in order
    dependencies: tuple[Dependency, ...]
    release_opt_out: bool
    is_package: bool
    version_source: str = "static"
    version_writable: bool = True
    version_error: str | None = None


NOT_A_PACKAGE = Metadata("", "", None, (), (), (), False, is_package=False)


def read(path: Path, *, workspace_root: bool = False, strict_version: bool = True) -> Metadata:
    """The package's metadata; at the workspace root, [tool.releaseplan] is the workspace config.

    A pyproject that cannot be read as a package raises PyprojectError (file and key). With
    `strict_version=False` a version that cannot be read is kept in `version_error` instead
    (the package's `version` check reports it; its other checks still run).
    """
    data = pyproject.load(path)
    pyproject.check_known_tables(data, path)
    raw_name = pyproject.raw_name(data, path)
    uv = pyproject.table(data, "tool.uv", path)
    if raw_name is None or uv.get("package", True) is False:
        return NOT_A_PACKAGE
    name = pyproject.valid_name(raw_name, path)
    release = _own_table(data, path, workspace_root)
    deps = _dependencies(data, path)
    try:
        version = versionsource.resolve(data, path, raw_name)
    except PyprojectError:
        raise
    except ConfigError as exc:
        if strict_version:
            raise
        version = versionsource.Resolved(None, source="unreadable", error=str(exc))
    return Metadata(
        name=name,
        display_name=raw_name,
        version_text=version.text,
        locations=version.locations,
        version_texts=version.texts,
        dependencies=tuple(deps),
        release_opt_out=not release,
        is_package=True,
        version_source=version.source,
        version_writable=version.writable,
        version_error=version.error,
    )


def _own_table(data: Mapping[str, Any], path: Path, workspace_root: bool) -> bool:
    own = pyproject.table(data, "tool.releaseplan", path)
    unknown = sorted(set(own) - {"release"} - (set(config.KEYS) if workspace_root else set()))
    if unknown:
        raise PyprojectError(
            path,
            "tool.releaseplan",
            f"unknown key {', '.join(map(repr, unknown))}; a package's own table knows only "
            "'release'",
            "remove the key (workspace settings belong in the root's [tool.releaseplan])",
        )
    release = own.get("release", True)
    if not isinstance(release, bool):
        raise PyprojectError(path, "tool.releaseplan.release", "must be true or false")
    return release


def _dependencies(data: Mapping[str, Any], path: Path) -> list[Dependency]:
    deps: list[Dependency] = []
    for dep_table in pyproject.dependency_tables(data, path):
        if dep_table.kind.poetry:
            deps += [
                Dependency(
                    names.normalize(key),
                    text,
                    dep_table.kind,
                    dep_table.section,
                    f"{key} = {text!r}",
                )
                for key, text, _ in pyproject.poetry_entries(dep_table, path)
            ]
            continue
        for raw in dep_table.entries:
            if isinstance(raw, str):
                deps.append(_requirement(raw, dep_table, path))
    return deps


def _requirement(raw: str, dep_table: pyproject.DepTable, path: Path) -> Dependency:
    try:
        req = Requirement(raw)
    except InvalidRequirement as exc:
        raise PyprojectError(
            path, dep_table.key, f"invalid dependency {raw!r} ({dep_table.label}): {exc}"
        ) from None
    return Dependency(
        names.normalize(req.name), str(req.specifier), dep_table.kind, dep_table.section, raw
    )


__all__ = [
    "HATCH_PATTERN",
    "VERSION_KINDS",
    "Dependency",
    "Metadata",
    "VersionLocation",
    "read",
    "read_file_version",
    "replace_file_version",
]
