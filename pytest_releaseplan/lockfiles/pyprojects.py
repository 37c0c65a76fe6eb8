"""What one pyproject declares that uv.lock records: requirements, extras, groups, version."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pytest_releaseplan import names
from pytest_releaseplan.lockfiles.files import TomlData, label, load_toml
from pytest_releaseplan.lockfiles.requirements import Req, declared_req
from pytest_releaseplan.workspace import Package, Workspace


@dataclass(frozen=True)
class Project:
    """What one pyproject declares that uv.lock records."""

    name: str
    label: str  # the pyproject, for messages
    version: str | None  # current version; None when unknown (dynamic, not a workspace package)
    static_version: bool
    requires: tuple[Req, ...]
    extras: tuple[str, ...]
    groups: Mapping[str, tuple[Req, ...]]


def project_from_pyproject(data: TomlData, label: str, version: str | None = None) -> Project:
    """A Project from a parsed pyproject (`version` overrides, e.g. a dynamic version)."""
    project = data.get("project", {})
    static = isinstance(project.get("version"), str)
    requires = [declared_req(raw, None) for raw in project.get("dependencies", []) or []]
    optional = project.get("optional-dependencies", {}) or {}
    for extra, entries in optional.items():
        requires += [declared_req(raw, extra) for raw in entries or []]
    return Project(
        name=names.normalize(str(project.get("name", ""))),
        label=label,
        version=version if version is not None else (project["version"] if static else None),
        static_version=static,
        requires=tuple(r for r in requires if r is not None),
        extras=tuple(sorted(names.normalize(e) for e in optional)),
        groups=dependency_groups(data),
    )


def dependency_groups(data: TomlData) -> dict[str, tuple[Req, ...]]:
    """`[dependency-groups]` (include-group expanded) plus `[tool.uv] dev-dependencies`."""
    raw_groups = data.get("dependency-groups", {}) or {}
    by_norm = {names.normalize(k): v for k, v in raw_groups.items()}
    groups = {name: _expand_group(name, by_norm, ()) for name in by_norm}
    legacy = data.get("tool", {}).get("uv", {}).get("dev-dependencies", []) or []
    if legacy:
        extra = tuple(r for r in (declared_req(raw, None) for raw in legacy) if r is not None)
        groups["dev"] = groups.get("dev", ()) + extra
    return groups


def _expand_group(name: str, groups: Mapping[str, Any], seen: tuple[str, ...]) -> tuple[Req, ...]:
    if name in seen:
        return ()
    out: list[Req] = []
    for item in groups.get(name, []) or []:
        if isinstance(item, dict) and isinstance(item.get("include-group"), str):
            out += _expand_group(names.normalize(item["include-group"]), groups, (*seen, name))
        elif (req := declared_req(item, None)) is not None:
            out.append(req)
    return tuple(out)


def project_for(
    workspace: Workspace, directory: Path, lock_label: str, package: Package | None
) -> tuple[Project | None, str]:
    """The Project in `directory` (a workspace package's version wins: it may be dynamic)."""
    pyproject = directory / "pyproject.toml"
    pyproject_label = label(workspace, pyproject)
    data, error = load_toml(pyproject, pyproject_label)
    if data is None:
        return None, f"{lock_label} records a project at {label(workspace, directory)}: {error}"
    version = package.version_text if package is not None else None
    return project_from_pyproject(data, pyproject_label, version), ""
