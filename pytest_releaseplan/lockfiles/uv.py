"""uv.lock: every local project it records, compared with that project's pyproject.

`requires-dist` vs `[project] dependencies` and optional dependencies, `requires-dev` vs
`[dependency-groups]`, `provides-extras`, and the locked version vs the current version.
uv records no specifier for path/workspace sources and no version for dynamic-version
members, so those are compared against the pyprojects. Environment markers are not
compared (uv rewrites them, e.g. `python_version` -> `python_full_version`); the
`extra == '...'` part is.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from packaging.specifiers import SpecifierSet

from pytest_releaseplan import names
from pytest_releaseplan.lockfiles.files import TomlData, label, load_toml
from pytest_releaseplan.lockfiles.pyprojects import Project, project_for
from pytest_releaseplan.lockfiles.requirements import (
    LOCAL_SOURCES,
    admits,
    locked_req,
    requirement_diff,
    version_equal,
)
from pytest_releaseplan.workspace import Package, Workspace

METADATA_KEYS = ("requires-dist", "requires-dev", "provides-extras")


def summarize(lock: TomlData, first_line: str = "") -> TomlData:
    """What the check reads of uv.lock, indexed by normalized name: `local` entries (source,
    version, metadata), every package's `versions`, and `[manifest] members`."""
    local = {
        name: {key: entry[key] for key in ("name", "version", "source") if key in entry}
        | {"metadata": _metadata(entry)}
        for name, entry in local_entries(lock).items()
    }
    out: TomlData = {"local": local, "versions": locked_versions(lock)}
    members = lock.get("manifest", {}).get("members")
    if members is not None:
        out["manifest"] = {"members": members}
    return out


def _metadata(entry: TomlData) -> TomlData:
    meta = entry.get("metadata", {}) or {}
    return {key: meta[key] for key in METADATA_KEYS if key in meta}


def local_entries(lock: TomlData) -> dict[str, TomlData]:
    """name -> `[[package]]` entry, for the projects the lock builds from local sources."""
    out: dict[str, TomlData] = {}
    for entry in lock.get("package", []):
        source = entry.get("source", {})
        if isinstance(source, dict) and any(k in source for k in LOCAL_SOURCES):
            out[names.normalize(str(entry["name"]))] = entry
    return out


def locked_versions(lock: TomlData) -> dict[str, list[str]]:
    """name -> every version the lock records for it (forks may lock several)."""
    out: dict[str, list[str]] = {}
    for entry in lock.get("package", []):
        if isinstance(entry.get("version"), str):
            out.setdefault(names.normalize(str(entry["name"])), []).append(entry["version"])
    return out


def uv_entry_reasons(
    entry: Mapping[str, Any],
    project: Project,
    lock_label: str,
    internal_versions: Mapping[str, Sequence[str]],
) -> list[str]:
    """Compare one local `[[package]]` entry of uv.lock with its project's pyproject."""
    reasons = _version_reasons(entry, project, lock_label)
    meta = entry.get("metadata", {}) or {}
    locked = [locked_req(e) for e in meta.get("requires-dist", []) or []]
    where = f"{project.label} [project] dependencies"
    reasons += requirement_diff(project.requires, locked, where, lock_label)
    reasons += _group_reasons(meta.get("requires-dev", {}) or {}, project, lock_label)
    provided = meta.get("provides-extras")
    if provided is not None and sorted(names.normalize(e) for e in provided) != list(
        project.extras
    ):
        reasons.append(
            f"{project.label} declares extras {list(project.extras)} but {lock_label} "
            f"records {sorted(provided)} for {project.name}"
        )
    return reasons + _excluded_internal(project, lock_label, internal_versions)


def _version_reasons(entry: Mapping[str, Any], project: Project, lock_label: str) -> list[str]:
    locked = entry.get("version")
    if isinstance(locked, str) and project.version is not None:
        if not version_equal(locked, project.version):
            return [
                f"{lock_label} records {project.name} {locked} but {project.label} now has "
                f"version {project.version} (version changed without relocking)"
            ]
    elif locked is None and project.static_version and project.version is not None:
        return [
            f"{lock_label} records no version for {project.name} (a dynamic version) but "
            f"{project.label} declares the static version {project.version}"
        ]
    return []


def _group_reasons(
    locked_groups: Mapping[str, Any], project: Project, lock_label: str
) -> list[str]:
    reasons: list[str] = []
    locked = {
        names.normalize(k): [locked_req(e) for e in v or []] for k, v in locked_groups.items()
    }
    for group in sorted(set(locked) | set(project.groups)):
        where = f"{project.label} [dependency-groups] {group}"
        reasons += requirement_diff(
            project.groups.get(group, ()), locked.get(group, []), where, lock_label
        )
    return reasons


def _excluded_internal(
    project: Project, lock_label: str, internal_versions: Mapping[str, Sequence[str]]
) -> list[str]:
    """Specifiers on workspace packages that exclude every version the lock holds for them."""
    reasons: list[str] = []
    declared = [*project.requires, *(r for reqs in project.groups.values() for r in reqs)]
    for req in sorted(set(declared), key=lambda r: r.show()):
        versions = internal_versions.get(req.name, ())
        if not req.specifier or not versions or req.name == project.name:
            continue
        spec = SpecifierSet(req.specifier)
        if not any(admits(spec, v) for v in versions):
            reasons.append(
                f"{project.label} requires {req.show()!r} but {lock_label} locks "
                f"{req.name} {', '.join(versions)}, which that specifier excludes"
            )
    return reasons


def manifest_reasons(
    lock: TomlData, members: Iterable[str], lock_label: str, root_label: str
) -> list[str]:
    """uv workspace members added or removed since the lock was written."""
    recorded = lock.get("manifest", {}).get("members")
    if recorded is None:
        return []
    locked = {names.normalize(str(m)) for m in recorded}
    current = set(members)
    reasons = [
        f"{root_label} workspace member {name!r} is not in {lock_label} [manifest] members"
        for name in sorted(current - locked)
    ]
    reasons += [
        f"{lock_label} [manifest] lists member {name!r}, which is no longer in the workspace"
        for name in sorted(locked - current)
    ]
    return reasons


# --------------------------------------------------------------------------- per package


def package_reasons(
    workspace: Workspace, package: Package, lock: Path, summary: TomlData
) -> list[str]:
    """The package answers for its own entry; the lock's owner also for the rest (see
    `lockfiles.stale_reasons`)."""
    lock_label = label(workspace, lock)
    entries: dict[str, TomlData] = summary["local"]
    internal = _Internal(summary["versions"], workspace.by_name)
    reasons: list[str] = []
    entry = entries.get(package.name)
    project, error = project_for(workspace, package.path, lock_label, package)
    if project is None:
        reasons.append(error)
    elif entry is None:
        reasons.append(
            f"{lock_label} has no entry for {package.name} "
            f"({label(workspace, package.pyproject)}); it was added after the last lock"
        )
    else:
        reasons += uv_entry_reasons(entry, project, lock_label, internal)
    if owner(workspace, lock) == package:
        reasons += _unowned_reasons(workspace, lock, summary, entries, internal)
    return reasons


def owner(workspace: Workspace, lock: Path) -> Package | None:
    """The package in the lock's directory, else the first package using the lock."""
    # Called once per package: strings, not Path.__eq__, keep 160 members cheap.
    lock_text, directory = str(lock), str(lock.parent)
    first = None
    for p in workspace.packages:
        if p.lockfile is not None and str(p.lockfile) == lock_text:
            if str(p.path) == directory:
                return p
            first = first or p
    return first


class _Internal(Mapping[str, Sequence[str]]):
    """The locked versions of workspace packages, filtered on lookup (not copied per package)."""

    def __init__(self, versions: Mapping[str, Sequence[str]], workspace: Mapping[str, Any]) -> None:
        self._versions, self._workspace = versions, workspace

    def __getitem__(self, name: str) -> Sequence[str]:
        if name not in self._workspace:
            raise KeyError(name)
        return self._versions[name]

    def __iter__(self) -> Iterator[str]:
        return (n for n in self._versions if n in self._workspace)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _unowned_reasons(
    workspace: Workspace,
    lock: Path,
    summary: TomlData,
    entries: Mapping[str, TomlData],
    internal: Mapping[str, Sequence[str]],
) -> list[str]:
    """Entries no workspace package answers for (a virtual root, a `release = false` member,
    a path dependency from another repository), and the member list."""
    lock_label = label(workspace, lock)
    owned = {p.name for p in workspace.packages if p.lockfile == lock}
    reasons: list[str] = []
    for name, entry in sorted(entries.items()):
        if name in owned:
            continue
        source = entry["source"]
        rel = next(str(source[k]) for k in LOCAL_SOURCES if k in source)
        directory = (lock.parent / rel).resolve()
        known = workspace.by_name.get(name)
        project, error = project_for(
            workspace, directory, lock_label, known if known and known.path == directory else None
        )
        if project is None:
            reasons.append(error)
        else:
            reasons += uv_entry_reasons(entry, project, lock_label, internal)
    current = members(workspace, lock.parent)
    if current is not None:
        root_label = label(workspace, lock.parent / "pyproject.toml")
        reasons += manifest_reasons(summary, current, lock_label, root_label)
    return reasons


def members(workspace: Workspace, root: Path) -> list[str] | None:
    """Names of the uv workspace members rooted at `root` (None: not a uv workspace root).

    The directories come from uv's own globs, not from the workspace's package list: uv
    locks members the audit does not release (`release = false`, a virtual root, members
    left out by `packages`/`exclude`). A directory that is a workspace package is named
    from it; only the others' pyprojects are read.
    """
    data, _ = load_toml(root / "pyproject.toml", "")
    uv_workspace = (data or {}).get("tool", {}).get("uv", {}).get("workspace")
    if not isinstance(uv_workspace, dict):
        return None
    excluded = {
        p.resolve() for pattern in uv_workspace.get("exclude", []) for p in root.glob(pattern)
    }
    dirs = {root.resolve()}
    for pattern in uv_workspace.get("members", []):
        dirs |= {p.resolve() for p in root.glob(pattern) if (p / "pyproject.toml").is_file()}
    known = {p.path: p.name for p in workspace.packages}
    found: list[str] = []
    for directory in sorted(dirs - excluded):
        if directory in known:
            found.append(known[directory])
            continue
        member, _ = load_toml(directory / "pyproject.toml", "")
        name = (member or {}).get("project", {}).get("name")
        if isinstance(name, str):
            found.append(names.normalize(name))
    return found
