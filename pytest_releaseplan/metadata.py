"""Read one package's pyproject: name, version (static or dynamic), dependencies."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement

from pytest_releaseplan import config, names
from pytest_releaseplan.config import read_toml
from pytest_releaseplan.errors import ConfigError

HATCH_PATTERN = re.compile(
    r"""(?im)^(?P<lhs>(__version__|VERSION)\s*(:\s*str\s*)?=\s*)(?P<q>['"])v?(?P<version>[^'"]+)(?P=q)"""
)
VERSION_KINDS = ("project", "poetry", "file")


@dataclass(frozen=True)
class VersionLocation:
    """One place a version is written: `project`/`poetry` tables of a pyproject, or a file."""

    kind: str
    path: Path
    attr: str = "__version__"


@dataclass(frozen=True)
class Dependency:
    name: str  # normalized
    specifier: str
    group: str  # "runtime", "extra:NAME", "group:NAME", "poetry", "poetry-group:NAME"
    raw: str

    @property
    def orders(self) -> bool:
        """Only runtime dependencies order the release graph (SPEC §2)."""
        return self.group in {"runtime", "poetry"}


@dataclass(frozen=True)
class Metadata:
    name: str
    display_name: str
    version_text: str | None  # None: derived from VCS tags at build time
    locations: tuple[VersionLocation, ...]
    version_texts: tuple[str, ...]  # what each location says, in order
    dependencies: tuple[Dependency, ...]
    release_opt_out: bool
    is_package: bool


def read(pyproject: Path, *, workspace_root: bool = False) -> Metadata:
    """The package's metadata; at the workspace root, [tool.releaseplan] is the workspace config."""
    data = read_toml(pyproject)
    project = _table(data, "project", pyproject)
    tool = _table(data, "tool", pyproject)
    poetry = _table(tool, "poetry", pyproject)
    own = _table(tool, "releaseplan", pyproject)
    uv = _table(tool, "uv", pyproject)
    raw_name = project.get("name", poetry.get("name"))
    is_package = raw_name is not None and uv.get("package", True) is not False
    if raw_name is None or not is_package:
        return Metadata("", "", None, (), (), (), False, is_package=False)
    name = names.validated(raw_name, str(pyproject))
    unknown = sorted(set(own) - {"release"} - (set(config.KEYS) if workspace_root else set()))
    if unknown:
        raise ConfigError(
            f"{pyproject} [tool.releaseplan]: unknown key {', '.join(map(repr, unknown))}; "
            "a package's own table knows only 'release'"
        )
    release = own.get("release", True)
    if not isinstance(release, bool):
        raise ConfigError(f"{pyproject} [tool.releaseplan] release must be true or false")
    texts, locations = _version(data, project, poetry, tool, pyproject)
    if texts and locations[0].kind != "file":
        conventional = _conventional_file(pyproject.parent, str(raw_name))
        if conventional is not None:
            locations.append(conventional)
            texts.append(read_file_version(conventional))
    deps = _dependencies(data, project, poetry, pyproject)
    return Metadata(
        name=name,
        display_name=str(raw_name),
        version_text=texts[0] if texts else None,
        locations=tuple(locations),
        version_texts=tuple(texts),
        dependencies=tuple(deps),
        release_opt_out=not release,
        is_package=is_package,
    )


def _table(data: dict[str, Any], key: str, path: Path) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: [{key}] must be a table")
    return value


def _version(
    data: dict[str, Any],
    project: dict[str, Any],
    poetry: dict[str, Any],
    tool: dict[str, Any],
    path: Path,
) -> tuple[list[str], list[VersionLocation]]:
    """The declared version and every place it is written (all must agree: `version` check)."""
    locations: list[VersionLocation] = []
    texts: list[str] = []
    if "version" in project:
        locations.append(VersionLocation("project", path))
        texts.append(_str(project["version"], f"{path} [project] version"))
    if "version" in poetry:
        locations.append(VersionLocation("poetry", path))
        texts.append(_str(poetry["version"], f"{path} [tool.poetry] version"))
    dynamic = project.get("dynamic", [])
    if "version" in dynamic and not texts:
        if _is_vcs(data, tool):
            return [], []
        location = _dynamic_location(tool, path)
        locations.append(location)
        texts.append(read_file_version(location))
    if not texts:
        raise ConfigError(
            f"{path}: no version found; set [project] version, or declare where the dynamic "
            "version lives ([tool.hatch.version] path or [tool.setuptools.dynamic] version)"
        )
    return texts, locations


def _conventional_file(base: Path, name: str) -> VersionLocation | None:
    """`__version__ = "X"` in the import package's `__init__.py`, which must agree too."""
    module = re.sub(r"[-.]", "_", name)
    for candidate in (base / module / "__init__.py", base / "src" / module / "__init__.py"):
        if candidate.is_file() and HATCH_PATTERN.search(candidate.read_text(encoding="utf-8")):
            return VersionLocation("file", candidate)
    return None


def _str(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{where} must be a string, got {value!r}")
    return value


def _is_vcs(data: dict[str, Any], tool: dict[str, Any]) -> bool:
    hatch_version = tool.get("hatch", {}).get("version", {})
    if isinstance(hatch_version, dict) and hatch_version.get("source") == "vcs":
        return True
    if "setuptools_scm" in tool or "setuptools-scm" in tool:
        return True
    requires = data.get("build-system", {}).get("requires", [])
    return any(isinstance(r, str) and "setuptools-scm" in r.replace("_", "-") for r in requires)


def _dynamic_location(tool: dict[str, Any], path: Path) -> VersionLocation:
    base = path.parent
    hatch_version = tool.get("hatch", {}).get("version", {})
    if isinstance(hatch_version, dict) and "path" in hatch_version:
        rel = _str(hatch_version["path"], f"{path} [tool.hatch.version] path")
        return VersionLocation("file", _inside(base, rel, path))
    dyn = tool.get("setuptools", {}).get("dynamic", {}).get("version")
    if isinstance(dyn, dict) and "attr" in dyn:
        attr = _str(dyn["attr"], f"{path} [tool.setuptools.dynamic] version.attr")
        module, _, name = attr.rpartition(".")
        for candidate in _module_files(base, module):
            if candidate.is_file():
                return VersionLocation("file", candidate, name)
        raise ConfigError(
            f"{path}: [tool.setuptools.dynamic] version.attr = {attr!r} names module "
            f"{module!r}, which is neither {module.replace('.', '/')}.py nor a package "
            "(also tried under src/)"
        )
    if isinstance(dyn, dict) and "file" in dyn:
        rel = dyn["file"]
        rel = rel[0] if isinstance(rel, list) and rel else rel
        return VersionLocation("plain", _inside(base, _str(rel, f"{path} version.file"), path))
    raise ConfigError(
        f"{path}: version is dynamic but no source is declared; add [tool.hatch.version] "
        "path = 'pkg/__about__.py' or [tool.setuptools.dynamic] version = {attr = 'pkg.__version__'}"
    )


def _inside(base: Path, rel: str, pyproject: Path) -> Path:
    target = (base / rel).resolve()
    if not target.is_relative_to(base.resolve()):
        raise ConfigError(f"{pyproject}: version path {rel!r} leaves the package directory")
    return target


def _module_files(base: Path, module: str) -> list[Path]:
    rel = module.replace(".", "/")
    return [
        base / f"{rel}/__init__.py",
        base / f"{rel}.py",
        base / f"src/{rel}/__init__.py",
        base / f"src/{rel}.py",
    ]


def read_file_version(location: VersionLocation) -> str:
    try:
        text = location.path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{location.path}: cannot read the version file: {exc}") from None
    if location.kind == "plain":
        return text.strip()
    match = _attr_pattern(location.attr).search(text)
    if not match:
        raise ConfigError(
            f'{location.path}: no `{location.attr} = "X.Y.Z"` line found for the dynamic version'
        )
    return match.group("version")


def _attr_pattern(attr: str) -> re.Pattern[str]:
    if attr == "__version__":
        return HATCH_PATTERN
    return re.compile(
        rf"""(?m)^(?P<lhs>{re.escape(attr)}\s*(:\s*str\s*)?=\s*)(?P<q>['"])v?(?P<version>[^'"]+)(?P=q)"""
    )


def replace_file_version(location: VersionLocation, text: str, version: str) -> str:
    """The version file's text with the version replaced (pure)."""
    if location.kind == "plain":
        return version + "\n"
    return _attr_pattern(location.attr).sub(
        lambda m: f"{m.group('lhs')}{m.group('q')}{version}{m.group('q')}", text, count=1
    )


def _dependencies(
    data: dict[str, Any], project: dict[str, Any], poetry: dict[str, Any], path: Path
) -> list[Dependency]:
    deps: list[Dependency] = []
    for raw in project.get("dependencies", []) or []:
        deps.append(_requirement(raw, "runtime", path))
    extras = project.get("optional-dependencies", {}) or {}
    for extra, entries in extras.items():
        deps += [_requirement(raw, f"extra:{extra}", path) for raw in entries]
    groups = data.get("dependency-groups", {})
    for group, entries in (groups if isinstance(groups, dict) else {}).items():
        deps += [
            _requirement(raw, f"group:{group}", path) for raw in entries if isinstance(raw, str)
        ]
    for group, table in _poetry_tables(poetry).items():
        for raw_name, spec in table.items():
            if raw_name.lower() == "python":
                continue
            deps.append(_poetry_dep(raw_name, spec, group, path))
    return deps


def _poetry_tables(poetry: dict[str, Any]) -> dict[str, dict[str, Any]]:
    tables: dict[str, dict[str, Any]] = {}
    if isinstance(poetry.get("dependencies"), dict):
        tables["poetry"] = poetry["dependencies"]
    for group, body in (poetry.get("group") or {}).items():
        if isinstance(body, dict) and isinstance(body.get("dependencies"), dict):
            tables[f"poetry-group:{group}"] = body["dependencies"]
    return tables


def _requirement(raw: object, group: str, path: Path) -> Dependency:
    if not isinstance(raw, str):
        raise ConfigError(f"{path}: dependency {raw!r} ({group}) must be a string")
    try:
        req = Requirement(raw)
    except InvalidRequirement as exc:
        raise ConfigError(f"{path}: invalid dependency {raw!r} ({group}): {exc}") from None
    return Dependency(names.normalize(req.name), str(req.specifier), group, raw)


def _poetry_dep(raw_name: str, spec: object, group: str, path: Path) -> Dependency:
    text = spec.get("version", "") if isinstance(spec, dict) else spec
    if not isinstance(text, str):
        raise ConfigError(f"{path}: poetry dependency {raw_name!r} has a bad version {spec!r}")
    return Dependency(names.normalize(raw_name), text, group, f"{raw_name} = {text!r}")
