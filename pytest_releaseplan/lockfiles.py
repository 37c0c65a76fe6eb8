"""The `lockfile` check's static half (SPEC §3): is a lock out of sync with its pyprojects?

Pure logic over file contents; git (tracked / modified) is the caller's business.

* `uv.lock`: every local project the lock records (`editable`/`virtual`/`directory`/`path`
  sources) is compared with its pyproject: `requires-dist` vs `[project] dependencies` and
  optional dependencies, `requires-dev` vs `[dependency-groups]`, `provides-extras`, and the
  locked version vs the current version. uv records no specifier for path/workspace sources
  and no version for dynamic-version members, so those are compared against the pyprojects.
  Environment markers are not compared (uv rewrites them, e.g. `python_version` ->
  `python_full_version`); the `extra == '...'` part is.
* `poetry.lock`: `[metadata] content-hash`, Poetry's own algorithm (poetry 1.x and 2.x).
* `pdm.lock`: `[metadata] content_hash = "ALGO:HEX"`, PDM's own algorithm (incl. workspaces).
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_version
from packaging.version import InvalidVersion, Version

from pytest_releaseplan import names
from pytest_releaseplan.workspace import Package, Workspace

KINDS = {"uv.lock": "uv", "poetry.lock": "poetry", "pdm.lock": "pdm"}
LOCK_COMMANDS = {"uv": ("uv", "lock"), "poetry": ("poetry", "lock"), "pdm": ("pdm", "lock")}
LOCAL_SOURCES = ("editable", "virtual", "directory", "path")
# Locked requirements carrying one of these record no specifier (path/workspace/VCS/URL).
UNVERSIONED_SOURCES = (*LOCAL_SOURCES, "workspace", "git", "url")
_EXTRA_MARKER = re.compile(r"""\bextra\s*==\s*['"]([^'"]+)['"]""")
_POETRY_GENERATOR = re.compile(r"Poetry ([^ ]+)")
POETRY_GROUP_HASH_SINCE = Version("2.3.0")
TomlData = dict[str, Any]


def lock_kind(path: Path) -> str:
    """`uv`, `poetry` or `pdm`, from the lockfile's name."""
    try:
        return KINDS[path.name]
    except KeyError:
        raise ValueError(
            f"{path}: not a known lockfile (expected one of {', '.join(KINDS)})"
        ) from None


def default_lock_command(kind: str) -> tuple[str, ...]:
    """The argv that relocks a lockfile of this kind (run in the lockfile's directory)."""
    try:
        return LOCK_COMMANDS[kind]
    except KeyError:
        raise ValueError(
            f"unknown lockfile kind {kind!r} (one of {', '.join(LOCK_COMMANDS)})"
        ) from None


def stale_reasons(workspace: Workspace, package: Package) -> list[str]:
    """Why `package`'s lockfile is out of sync with the pyprojects; empty when in sync.

    A lock shared by several packages (a uv workspace root lock) is judged per package:
    each package answers for its own entry; entries no workspace package answers for (a
    virtual root, an opted-out member, a path dependency from another repository) and the
    workspace member list are judged by the lock's owner (the package in the lock's
    directory, else the first package using the lock), so one change fails one item.
    """
    lock = package.lockfile
    if lock is None:
        return []
    data, error = _load_toml(lock, _label(workspace, lock))
    if data is None:
        return [error]
    try:
        kind = lock_kind(lock)
        if kind == "poetry":
            return _poetry_package_reasons(workspace, package, lock, data)
        if kind == "pdm":
            return _pdm_package_reasons(workspace, package, lock, data)
        return _uv_package_reasons(workspace, package, lock, data)
    except (TypeError, AttributeError, KeyError, ValueError) as exc:
        return [f"{_label(workspace, lock)} has an unexpected structure ({exc!r}); relock it"]


# --------------------------------------------------------------------------- helpers


def _load_toml(path: Path, label: str) -> tuple[TomlData | None, str]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")), ""
    except tomllib.TOMLDecodeError as exc:
        return None, f"{label} is not valid TOML ({exc}); it cannot be checked, relock it"
    except (OSError, UnicodeDecodeError) as exc:
        return None, f"{label} cannot be read ({exc})"


def _label(workspace: Workspace, path: Path) -> str:
    try:
        return path.resolve().relative_to(workspace.root).as_posix()
    except ValueError:
        return str(path)


def _owner(workspace: Workspace, lock: Path) -> Package | None:
    users = [p for p in workspace.packages if p.lockfile == lock]
    at_lock = [p for p in users if p.path == lock.parent]
    candidates = at_lock or users
    return candidates[0] if candidates else None


def _version_equal(a: str, b: str) -> bool:
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


# --------------------------------------------------------------------------- requirements


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


# --------------------------------------------------------------------------- uv


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
    reasons = _uv_version_reasons(entry, project, lock_label)
    meta = entry.get("metadata", {}) or {}
    locked = [locked_req(e) for e in meta.get("requires-dist", []) or []]
    where = f"{project.label} [project] dependencies"
    reasons += requirement_diff(project.requires, locked, where, lock_label)
    reasons += _uv_group_reasons(meta.get("requires-dev", {}) or {}, project, lock_label)
    provided = meta.get("provides-extras")
    if provided is not None and sorted(names.normalize(e) for e in provided) != list(
        project.extras
    ):
        reasons.append(
            f"{project.label} declares extras {list(project.extras)} but {lock_label} "
            f"records {sorted(provided)} for {project.name}"
        )
    return reasons + _excluded_internal(project, lock_label, internal_versions)


def _uv_version_reasons(entry: Mapping[str, Any], project: Project, lock_label: str) -> list[str]:
    locked = entry.get("version")
    if isinstance(locked, str) and project.version is not None:
        if not _version_equal(locked, project.version):
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


def _uv_group_reasons(
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
        if not any(_admits(spec, v) for v in versions):
            reasons.append(
                f"{project.label} requires {req.show()!r} but {lock_label} locks "
                f"{req.name} {', '.join(versions)}, which that specifier excludes"
            )
    return reasons


def _admits(spec: SpecifierSet, version: str) -> bool:
    try:
        return spec.contains(Version(version), prereleases=True)
    except InvalidVersion:
        return True


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


def _uv_package_reasons(
    workspace: Workspace, package: Package, lock: Path, data: TomlData
) -> list[str]:
    lock_label = _label(workspace, lock)
    entries = local_entries(data)
    all_versions = locked_versions(data)
    internal = {n: v for n, v in all_versions.items() if n in workspace.by_name}
    reasons: list[str] = []
    entry = entries.get(package.name)
    project, error = _project_for(workspace, package.path, lock_label, package)
    if project is None:
        reasons.append(error)
    elif entry is None:
        reasons.append(
            f"{lock_label} has no entry for {package.name} "
            f"({_label(workspace, package.pyproject)}); it was added after the last lock"
        )
    else:
        reasons += uv_entry_reasons(entry, project, lock_label, internal)
    if _owner(workspace, lock) == package:
        reasons += _uv_unowned_reasons(workspace, lock, data, entries, internal)
    return reasons


def _uv_unowned_reasons(
    workspace: Workspace,
    lock: Path,
    data: TomlData,
    entries: Mapping[str, TomlData],
    internal: Mapping[str, Sequence[str]],
) -> list[str]:
    lock_label = _label(workspace, lock)
    owned = {p.name for p in workspace.packages if p.lockfile == lock}
    reasons: list[str] = []
    for name, entry in sorted(entries.items()):
        if name in owned:
            continue
        source = entry["source"]
        rel = next(str(source[k]) for k in LOCAL_SOURCES if k in source)
        directory = (lock.parent / rel).resolve()
        known = workspace.by_name.get(name)
        project, error = _project_for(
            workspace, directory, lock_label, known if known and known.path == directory else None
        )
        if project is None:
            reasons.append(error)
        else:
            reasons += uv_entry_reasons(entry, project, lock_label, internal)
    members = _uv_members(lock.parent)
    if members is not None:
        reasons += manifest_reasons(
            data, members, lock_label, _label(workspace, lock.parent / "pyproject.toml")
        )
    return reasons


def _project_for(
    workspace: Workspace, directory: Path, lock_label: str, package: Package | None
) -> tuple[Project | None, str]:
    pyproject = directory / "pyproject.toml"
    label = _label(workspace, pyproject)
    data, error = _load_toml(pyproject, label)
    if data is None:
        return None, f"{lock_label} records a project at {_label(workspace, directory)}: {error}"
    version = package.version_text if package is not None else None
    return project_from_pyproject(data, label, version), ""


def _uv_members(root: Path) -> list[str] | None:
    """Names of the uv workspace members rooted at `root` (None: not a uv workspace root)."""
    data, _ = _load_toml(root / "pyproject.toml", "")
    workspace = (data or {}).get("tool", {}).get("uv", {}).get("workspace")
    if not isinstance(workspace, dict):
        return None
    excluded = {p.resolve() for pattern in workspace.get("exclude", []) for p in root.glob(pattern)}
    dirs = {root.resolve()}
    for pattern in workspace.get("members", []):
        dirs |= {p.resolve() for p in root.glob(pattern) if (p / "pyproject.toml").is_file()}
    found: list[str] = []
    for directory in sorted(dirs - excluded):
        member, _ = _load_toml(directory / "pyproject.toml", "")
        name = (member or {}).get("project", {}).get("name")
        if isinstance(name, str):
            found.append(names.normalize(name))
    return found


# --------------------------------------------------------------------------- poetry

POETRY_LEGACY_KEYS = ("dependencies", "source", "extras", "dev-dependencies")
POETRY_KEYS = (*POETRY_LEGACY_KEYS, "group")
POETRY_PROJECT_KEYS = ("requires-python", "dependencies", "optional-dependencies")


def poetry_content_hash(pyproject: TomlData, *, with_dependency_groups: bool = True) -> str:
    """Poetry's `Locker._get_content_hash` (poetry 2.x; identical to 1.x for 1.x pyprojects)."""
    project = pyproject.get("project", {})
    groups = pyproject.get("dependency-groups", {}) if with_dependency_groups else {}
    poetry = pyproject.get("tool", {}).get("poetry", {})
    relevant_project = {k: project[k] for k in POETRY_PROJECT_KEYS if project.get(k) is not None}
    relevant_poetry: dict[str, Any] = {}
    for key in POETRY_KEYS:
        value = poetry.get(key)
        if value is None and (key not in POETRY_LEGACY_KEYS or relevant_project or groups):
            continue
        relevant_poetry[key] = value
    content: dict[str, Any] = {}
    if relevant_project:
        content["project"] = relevant_project
    if groups:
        content["dependency-groups"] = groups
    if content:
        content["tool"] = {"poetry": relevant_poetry}
    else:
        content = relevant_poetry
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def poetry_reasons(
    pyproject: TomlData, lock: TomlData, first_line: str, lock_label: str, pyproject_label: str
) -> list[str]:
    """Compare poetry.lock's content-hash with the pyproject (pure)."""
    locked = lock.get("metadata", {}).get("content-hash")
    if not isinstance(locked, str):
        return [f"{lock_label} has no [metadata] content-hash; relock it"]
    current = poetry_content_hash(pyproject)
    if locked == current:
        return []
    generator = _POETRY_GENERATOR.search(first_line)
    try:
        old = generator is not None and Version(generator.group(1)) < POETRY_GROUP_HASH_SINCE
    except InvalidVersion:
        old = False
    if old and locked == poetry_content_hash(pyproject, with_dependency_groups=False):
        return []
    return [
        f"{lock_label} content-hash does not match {pyproject_label}: locked {locked[:12]}…, "
        f"the pyproject now hashes to {current[:12]}… (dependencies, groups, extras, sources "
        "or requires-python changed since the last `poetry lock`)"
    ]


def _poetry_package_reasons(
    workspace: Workspace, package: Package, lock: Path, data: TomlData
) -> list[str]:
    pyproject_path = lock.parent / "pyproject.toml"
    label = _label(workspace, pyproject_path)
    pyproject, error = _load_toml(pyproject_path, label)
    if pyproject is None:
        return [error]
    first_line = lock.read_text(encoding="utf-8").split("\n", 1)[0]
    return poetry_reasons(pyproject, data, first_line, _label(workspace, lock), label)


# --------------------------------------------------------------------------- pdm


def pdm_content_hash(pyproject: TomlData, algo: str = "sha256") -> str:
    """PDM's `PyProject.content_hash` for one project."""
    project = pyproject.get("project", {})
    settings = pyproject.get("tool", {}).get("pdm", {})
    dump = {
        "sources": settings.get("source", []),
        "dependencies": project.get("dependencies", []),
        "dev-dependencies": pdm_dev_dependencies(pyproject),
        "optional-dependencies": project.get("optional-dependencies", {}),
        "requires-python": project.get("requires-python", ""),
        "resolution": settings.get("resolution", {}),
    }
    hasher = hashlib.new(algo)
    hasher.update(json.dumps(dump, sort_keys=True).encode("utf-8"))
    return hasher.hexdigest()


def pdm_dev_dependencies(pyproject: TomlData) -> dict[str, list[Any]]:
    groups: dict[str, list[Any]] = {}
    for group, deps in pyproject.get("dependency-groups", {}).items():
        groups[_pdm_normalize(group)] = list(deps)
    legacy = pyproject.get("tool", {}).get("pdm", {}).get("dev-dependencies", {})
    for group, deps in legacy.items():
        groups.setdefault(_pdm_normalize(group), []).extend(deps)
    return groups


def _pdm_normalize(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", name).lower()


def pdm_workspace_hash(
    root: TomlData, members: Sequence[tuple[str, TomlData]], algo: str = "sha256"
) -> str:
    """PDM's `WorkspaceManager.content_hash` (pdm ≥ 2.27 `[tool.pdm.workspace]` roots)."""
    hasher = hashlib.new(algo)
    hasher.update(pdm_content_hash(root, algo).encode("utf-8"))
    for relpath, member in sorted(members, key=lambda m: m[0]):
        hasher.update(b"\0" + relpath.encode("utf-8") + b"\0")
        hasher.update(pdm_content_hash(member, algo).encode("utf-8"))
    return hasher.hexdigest()


def pdm_reasons(
    pyproject: TomlData,
    lock: TomlData,
    lock_label: str,
    pyproject_label: str,
    members: Sequence[tuple[str, TomlData]] | None = None,
) -> list[str]:
    """Compare pdm.lock's content_hash with the pyproject (and workspace members) (pure)."""
    metadata = lock.get("metadata", {})
    algo, sep, locked = str(metadata.get("content_hash", "")).partition(":")
    if not sep:
        if "lock_inputs" in metadata:
            return []  # pdm's opt-in lock_inputs freshness: not a content hash to compare
        return [f"{lock_label} has no [metadata] content_hash; relock it"]
    if algo not in hashlib.algorithms_available:
        return [f"{lock_label} content_hash uses an unknown algorithm {algo!r}; relock it"]
    current = (
        pdm_content_hash(pyproject, algo)
        if members is None
        else pdm_workspace_hash(pyproject, members, algo)
    )
    if current == locked:
        return []
    return [
        f"{lock_label} content_hash does not match {pyproject_label}: "
        f"locked {algo}:{locked[:12]}…, the pyproject now hashes to {algo}:{current[:12]}… "
        "(dependencies, groups, sources, resolution or requires-python changed "
        "since the last `pdm lock`)"
    ]


def _pdm_package_reasons(
    workspace: Workspace, package: Package, lock: Path, data: TomlData
) -> list[str]:
    root = lock.parent
    label = _label(workspace, root / "pyproject.toml")
    pyproject, error = _load_toml(root / "pyproject.toml", label)
    if pyproject is None:
        return [error]
    if "project" not in pyproject and "poetry" in pyproject.get("tool", {}):
        return []  # pdm hashes its own conversion of a Poetry pyproject: not reproducible here
    members = None
    if pyproject.get("tool", {}).get("pdm", {}).get("workspace"):
        members, error = _pdm_members(workspace, root, pyproject)
        if members is None:
            return [error]
    return pdm_reasons(pyproject, data, _label(workspace, lock), label, members)


def _pdm_members(
    workspace: Workspace, root: Path, pyproject: TomlData
) -> tuple[list[tuple[str, TomlData]] | None, str]:
    patterns = pyproject["tool"]["pdm"]["workspace"].get("members", [])
    dirs: set[Path] = set()
    for pattern in patterns:
        paths = root.glob(pattern) if any(c in pattern for c in "*?[") else [root / pattern]
        dirs |= {p.resolve() for p in paths if p.is_dir() and (p / "pyproject.toml").is_file()}
    members: list[tuple[str, TomlData]] = []
    for directory in dirs:
        member_label = _label(workspace, directory / "pyproject.toml")
        data, error = _load_toml(directory / "pyproject.toml", member_label)
        if data is None:
            return None, error
        members.append((directory.relative_to(root.resolve()).as_posix(), data))
    return members, ""
