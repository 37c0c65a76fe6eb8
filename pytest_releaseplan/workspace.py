"""Discover the workspace's packages (SPEC §2) and model them."""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from packaging.version import Version

from pytest_releaseplan import metadata, versions
from pytest_releaseplan.config import Config, read_toml
from pytest_releaseplan.errors import ConfigError
from pytest_releaseplan.metadata import Dependency, VersionLocation

SKIP_DIRS = frozenset(
    {"node_modules", "build", "dist", "tests", "test", "examples", "docs", "venv", "__pycache__"}
)
MAX_DEPTH = 4
LOCKFILES = ("uv.lock", "poetry.lock", "pdm.lock")


@dataclass(frozen=True)
class Package:
    name: str
    display_name: str
    path: Path
    relpath: str
    repo: Path
    repo_relpath: str
    version_text: str | None
    locations: tuple[VersionLocation, ...]
    version_texts: tuple[str, ...]
    dependencies: tuple[Dependency, ...]
    lockfile: Path | None
    uv_member: bool = False

    @cached_property
    def version(self) -> Version | None:
        if self.version_text is None:
            return None
        return versions.parse(self.version_text, f"{self.path / 'pyproject.toml'}")

    @property
    def release_version(self) -> Version | None:
        """None for a VCS-derived version, and for an invalid one (the `version` check says why)."""
        try:
            version = self.version
        except ConfigError:
            return None
        return None if version is None else versions.release_of(version)

    @property
    def pyproject(self) -> Path:
        return self.path / "pyproject.toml"


@dataclass(frozen=True)
class Workspace:
    root: Path
    config: Config
    packages: tuple[Package, ...]
    duplicates: tuple[tuple[str, str, str], ...] = ()  # (name, path, path)
    by_name: dict[str, Package] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {p.name: p for p in self.packages})

    def internal(self, package: Package) -> list[Dependency]:
        return [
            d for d in package.dependencies if d.name in self.by_name and d.name != package.name
        ]

    def runtime_graph(self) -> dict[str, set[str]]:
        return {p.name: {d.name for d in self.internal(p) if d.orders} for p in self.packages}

    @cached_property
    def repositories(self) -> dict[str, Path]:
        """repository relpath -> path, in package order."""
        repos: dict[str, Path] = {}
        for p in self.packages:
            repos.setdefault(p.repo_relpath, p.repo)
        return repos

    def packages_in(self, repo_relpath: str) -> list[Package]:
        return [p for p in self.packages if p.repo_relpath == repo_relpath]

    def tag_for(self, package: Package, version: Version | str) -> str:
        fmt = self.config.tag_format
        if fmt is None:
            fmt = (
                "{name}-v{version}"
                if len(self.packages_in(package.repo_relpath)) > 1
                else "v{version}"
            )
        return fmt.format(name=package.name, version=version)


def discover(root: Path, config: Config) -> Workspace:
    root = root.resolve()
    if not root.is_dir():
        raise ConfigError(f"release root {root} is not a directory")
    root_data = read_toml(root / "pyproject.toml") if (root / "pyproject.toml").is_file() else {}
    uv_ws = root_data.get("tool", {}).get("uv", {}).get("workspace")
    members: set[Path] = set()
    if config.packages is not None:
        dirs = _from_globs(root, config.packages, config.source)
    elif isinstance(uv_ws, dict):
        source = f"{root / 'pyproject.toml'} [tool.uv.workspace] members"
        dirs = _from_globs(root, tuple(uv_ws.get("members", [])), source)
        dirs = [d for d in dirs if d not in _expand(root, tuple(uv_ws.get("exclude", [])))]
        members = set(dirs)
        if root not in dirs:
            dirs.insert(0, root)
    else:
        dirs = _walk(root)
    excluded = _expand(root, config.exclude)
    packages: list[Package] = []
    seen: dict[str, Package] = {}
    duplicates: list[tuple[str, str, str]] = []
    for directory in dirs:
        if directory in excluded:
            continue
        meta = metadata.read(directory / "pyproject.toml", workspace_root=directory == root)
        if not meta.is_package or meta.release_opt_out:
            continue
        package = _package(root, directory, meta, directory in members)
        if meta.name in seen:
            duplicates.append((meta.name, seen[meta.name].relpath, package.relpath))
            continue
        seen[meta.name] = package
        packages.append(package)
    return Workspace(
        root=root, config=config, packages=tuple(packages), duplicates=tuple(duplicates)
    )


def _has_magic(pattern: str) -> bool:
    return glob.has_magic(pattern)


def _from_globs(root: Path, patterns: tuple[str, ...], source: str) -> list[Path]:
    found: list[Path] = []
    for pattern in patterns:
        if Path(pattern).is_absolute() or ".." in Path(pattern).parts:
            raise ConfigError(f"{source}: package path {pattern!r} must stay inside {root}")
        if not _has_magic(pattern):
            directory = (root / pattern).resolve()
            if not (directory / "pyproject.toml").is_file():
                raise ConfigError(
                    f"{source}: package path {pattern!r} has no pyproject.toml "
                    f"({directory / 'pyproject.toml'} missing); fix the path or remove it"
                )
            matches = [directory]
        else:
            matches = [
                d for d in sorted(_expand(root, (pattern,))) if (d / "pyproject.toml").is_file()
            ]
            if not matches:
                raise ConfigError(
                    f"{source}: glob {pattern!r} matches no package directory "
                    "(a directory holding a pyproject.toml); fix or remove it"
                )
        found += [m for m in matches if m not in found]
    return found


def _expand(root: Path, patterns: tuple[str, ...]) -> set[Path]:
    out: set[Path] = set()
    for pattern in patterns:
        out |= {p.resolve() for p in root.glob(pattern) if p.is_dir()}
    return out


def _walk(root: Path) -> list[Path]:
    found: list[Path] = []

    def visit(directory: Path, depth: int) -> None:
        pyproject = directory / "pyproject.toml"
        if pyproject.is_file():
            found.append(directory)
        if depth == MAX_DEPTH:
            return
        try:
            children = sorted(directory.iterdir())
        except OSError:
            return
        for child in children:
            if (
                child.is_dir()
                and not child.is_symlink()
                and not child.name.startswith(".")
                and child.name not in SKIP_DIRS
                and not (child / "pyvenv.cfg").exists()
            ):
                visit(child, depth + 1)

    visit(root, 0)
    return found


def _package(root: Path, directory: Path, meta: metadata.Metadata, uv_member: bool) -> Package:
    repo = find_repo(directory, root)
    return Package(
        name=meta.name,
        display_name=meta.display_name,
        path=directory,
        relpath=_rel(directory, root),
        repo=repo,
        repo_relpath=os.path.relpath(repo, root).replace(os.sep, "/"),
        version_text=meta.version_text,
        locations=meta.locations,
        version_texts=meta.version_texts,
        dependencies=meta.dependencies,
        lockfile=_lockfile(root, directory, uv_member),
        uv_member=uv_member,
    )


def _rel(path: Path, root: Path) -> str:
    rel = path.relative_to(root).as_posix()
    return rel or "."


def find_repo(directory: Path, root: Path) -> Path:
    for candidate in (directory, *directory.parents):
        if (candidate / ".git").exists():
            return candidate
    raise ConfigError(
        f"package at {directory} is not inside a git repository; "
        f"run `git -C {directory} init` (or exclude it with `exclude`)"
    )


def _lockfile(root: Path, directory: Path, uv_member: bool) -> Path | None:
    for name in LOCKFILES:
        if (directory / name).is_file():
            return directory / name
    if uv_member and (root / "uv.lock").is_file():
        return root / "uv.lock"
    return None
