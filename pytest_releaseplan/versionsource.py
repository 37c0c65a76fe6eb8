"""Where a package's version lives: static, a file a plugin names, VCS tags, or the backend.

SPEC §2: static `[project] version`; dynamic, read from (and written to) the file the build
configuration names; derived from VCS tags by one of the plugins real projects use (released
by tagging alone); or, when no plugin places it, asked of the package's own build backend and
then read-only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement

from pytest_releaseplan import backend, names
from pytest_releaseplan.errors import ConfigError
from pytest_releaseplan.pyproject import string, table

HATCH_PATTERN = re.compile(
    r"""(?im)^(?P<lhs>(__version__|VERSION)\s*(:\s*str\s*)?=\s*)(?P<q>['"])v?(?P<version>[^'"]+)(?P=q)"""
)
# Build requirements whose presence (with a dynamic version) means "the version is the tag".
VCS_REQUIRES = {
    "setuptools-scm": "setuptools-scm",
    "hatch-vcs": "hatch-vcs",
    "uv-dynamic-versioning": "uv-dynamic-versioning",
    "versioningit": "versioningit",
    "setuptools-git-versioning": "setuptools-git-versioning",
    "pbr": "pbr",
    "dunamai": "dunamai",
}
HATCH_VCS_SOURCES = {
    "vcs": "hatch-vcs",
    "uv-dynamic-versioning": "uv-dynamic-versioning",
    "versioningit": "versioningit",
}
TOOL_TABLES = ("setuptools_scm", "setuptools-scm", "versioningit", "uv-dynamic-versioning")
PLACED_BACKENDS = ("setuptools.build_meta", "hatchling.build", "")


@dataclass(frozen=True)
class VersionLocation:
    """One place a version is written: `project`/`poetry` tables of a pyproject, or a file."""

    kind: str
    path: Path
    attr: str = "__version__"


@dataclass(frozen=True)
class Resolved:
    text: str | None  # None: derived from VCS tags at build time (or unreadable: see error)
    locations: tuple[VersionLocation, ...] = ()
    texts: tuple[str, ...] = ()  # what each location says, in order
    source: str = "static"  # "static", "file", "vcs (PLUGIN)", "build backend (BACKEND)"
    writable: bool = True
    error: str | None = None

    @property
    def vcs(self) -> bool:
        return self.text is None and self.error is None


def resolve(data: Mapping[str, Any], path: Path, raw_name: str) -> Resolved:
    """The declared version and every place it is written (all must agree: `version` check)."""
    project = table(data, "project", path)
    poetry = table(data, "tool.poetry", path)
    plugin = vcs_plugin(data, path)
    locations: list[VersionLocation] = []
    texts: list[str] = []
    if plugin == "poetry-dynamic-versioning":  # the static version is a placeholder
        return Resolved(None, source=f"vcs ({plugin})", writable=False)
    for kind, where, holder in (("project", "project", project), ("poetry", "tool.poetry", poetry)):
        text = string(holder, "version", where, path)
        if text is not None:
            locations.append(VersionLocation(kind, path))
            texts.append(text)
    dynamic = project.get("dynamic", [])
    if not texts and isinstance(dynamic, list) and "version" in dynamic:
        if plugin is not None:
            return Resolved(None, source=f"vcs ({plugin})", writable=False)
        location = _dynamic_location(data, path, raw_name)
        if location is None:
            return _from_backend(data, path)
        locations.append(location)
        texts.append(read_file_version(location))
    if not texts:
        raise ConfigError(
            f"{path}: no version found; set [project] version, or declare where the dynamic "
            "version lives ([tool.hatch.version] path or [tool.setuptools.dynamic] version)"
        )
    source = "file" if locations[0].kind in {"file", "plain"} else "static"
    if locations[0].kind != "file":
        conventional = _conventional_file(path.parent, raw_name)
        if conventional is not None:
            locations.append(conventional)
            texts.append(read_file_version(conventional))
    return Resolved(texts[0], tuple(locations), tuple(texts), source)


def vcs_plugin(data: Mapping[str, Any], path: Path) -> str | None:
    """The VCS-tag version plugin the pyproject configures, if any."""
    tool = table(data, "tool", path)
    pdv = tool.get("poetry-dynamic-versioning")
    if isinstance(pdv, Mapping) and pdv.get("enable") is True:
        return "poetry-dynamic-versioning"
    dynamic = table(data, "project", path).get("dynamic", [])
    if not (isinstance(dynamic, list) and "version" in dynamic):
        return None
    hatch_source = string(
        table(data, "tool.hatch.version", path), "source", "tool.hatch.version", path
    )
    pdm_source = string(table(data, "tool.pdm.version", path), "source", "tool.pdm.version", path)
    sgv = tool.get("setuptools-git-versioning")
    candidates = [
        HATCH_VCS_SOURCES.get(hatch_source or ""),
        "pdm-backend scm" if pdm_source == "scm" else None,
        *(key.replace("_", "-") for key in TOOL_TABLES if key in tool),
        "setuptools-git-versioning"
        if isinstance(sgv, Mapping) and sgv.get("enabled") is True
        else None,
        *(
            VCS_REQUIRES[name]
            for name in _build_requires(data, path)
            if name in VCS_REQUIRES and hatch_source is None
        ),
    ]
    return next((c for c in candidates if c), None)


def _build_requires(data: Mapping[str, Any], path: Path) -> list[str]:
    requires = table(data, "build-system", path).get("requires", [])
    out: list[str] = []
    for raw in requires if isinstance(requires, list) else []:
        try:
            out.append(names.normalize(Requirement(raw).name) if isinstance(raw, str) else "")
        except InvalidRequirement:
            continue
    return out


def build_backend(data: Mapping[str, Any], path: Path) -> str:
    return string(table(data, "build-system", path), "build-backend", "build-system", path) or ""


def _dynamic_location(data: Mapping[str, Any], path: Path, raw_name: str) -> VersionLocation | None:
    """The file a plugin names for the dynamic version; None when only the backend knows."""
    hatch = table(data, "tool.hatch.version", path)
    if string(hatch, "source", "tool.hatch.version", path) not in (None, "regex"):
        return None  # "code", "env" or a third-party source: ask hatchling
    found = _plugin_file(data, path) or _setuptools_location(data, path)
    backend_name = build_backend(data, path)
    if found is None and backend_name.startswith("flit_core"):
        found = _conventional_file(path.parent, _flit_module(data, path, raw_name))
    if found is not None or backend_name not in PLACED_BACKENDS:
        return found
    raise ConfigError(
        f"{path}: version is dynamic but no source is declared; add [tool.hatch.version] "
        "path = 'pkg/__about__.py' or [tool.setuptools.dynamic] version = {attr = 'pkg.__version__'}"
    )


def _plugin_file(data: Mapping[str, Any], path: Path) -> VersionLocation | None:
    """`[tool.hatch.version] path`, or pdm-backend's `source = "file"` path."""
    hatch_path = string(table(data, "tool.hatch.version", path), "path", "tool.hatch.version", path)
    pdm = table(data, "tool.pdm.version", path)
    pdm_path = string(pdm, "path", "tool.pdm.version", path)
    if string(pdm, "source", "tool.pdm.version", path) != "file":
        pdm_path = None
    rel = hatch_path if hatch_path is not None else pdm_path
    return None if rel is None else VersionLocation("file", _inside(path.parent, rel, path))


def _setuptools_location(data: Mapping[str, Any], path: Path) -> VersionLocation | None:
    dyn = table(data, "tool.setuptools.dynamic", path).get("version")
    if isinstance(dyn, Mapping) and "attr" in dyn:
        return _attr_location(dyn, path)
    if isinstance(dyn, Mapping) and "file" in dyn:
        rel = dyn["file"]
        rel = rel[0] if isinstance(rel, list) and rel else rel
        if not isinstance(rel, str):
            raise ConfigError(f"{path}: [tool.setuptools.dynamic] version.file must be a path")
        return VersionLocation("plain", _inside(path.parent, rel, path))
    return None


def _attr_location(dyn: Mapping[str, Any], path: Path) -> VersionLocation:
    attr = dyn["attr"]
    if not isinstance(attr, str):
        raise ConfigError(f"{path}: [tool.setuptools.dynamic] version.attr must be a string")
    module, _, name = attr.rpartition(".")
    for candidate in _module_files(path.parent, module):
        if candidate.is_file():
            return VersionLocation("file", candidate, name)
    raise ConfigError(
        f"{path}: [tool.setuptools.dynamic] version.attr = {attr!r} names module "
        f"{module!r}, which is neither {module.replace('.', '/')}.py nor a package "
        "(also tried under src/)"
    )


def _flit_module(data: Mapping[str, Any], path: Path, raw_name: str) -> str:
    name = string(table(data, "tool.flit.module", path), "name", "tool.flit.module", path)
    return name or raw_name


def _from_backend(data: Mapping[str, Any], path: Path) -> Resolved:
    name = build_backend(data, path) or "setuptools.build_meta:__legacy__"
    try:
        text = backend.ask_version(path.parent)
    except ConfigError as exc:
        return Resolved(None, source=f"build backend ({name})", writable=False, error=str(exc))
    return Resolved(text, (), (text,), source=f"build backend ({name})", writable=False)


def _conventional_file(base: Path, name: str) -> VersionLocation | None:
    """`__version__ = "X"` in the import package's `__init__.py`, which must agree too."""
    module = re.sub(r"[-.]", "_", name)
    for candidate in (base / module / "__init__.py", base / "src" / module / "__init__.py"):
        try:
            found = candidate.is_file() and HATCH_PATTERN.search(
                candidate.read_text(encoding="utf-8")
            )
        except (OSError, UnicodeDecodeError):
            continue
        if found:
            return VersionLocation("file", candidate)
    return None


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
    except (OSError, UnicodeDecodeError) as exc:
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
