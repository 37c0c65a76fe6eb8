"""Discover the workspace's packages (SPEC §2) and model them."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

from packaging.version import Version

from pytest_releaseplan import discovery, metadata, versions
from pytest_releaseplan.config import Config
from pytest_releaseplan.errors import ConfigError
from pytest_releaseplan.metadata import Dependency, VersionLocation
from pytest_releaseplan.npm import discover as npm_discover
from pytest_releaseplan.npm import pep440
from pytest_releaseplan.pyproject import Problem, PyprojectError

SKIP_DIRS = discovery.SKIP_DIRS
MAX_DEPTH = discovery.MAX_DEPTH
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
    version_source: str = "static"  # "static", "file", "vcs (PLUGIN)", "build backend (NAME)"
    version_writable: bool = True  # False: VCS-derived, or only the build backend knows it
    version_error: str | None = None  # why the version could not be read (`version` check)
    ecosystem: str = "python"  # "npm": a package.json package (SPEC §8)
    private: bool = False  # npm `"private": true`: audited, never published

    @cached_property
    def version(self) -> Version | None:
        if self.version_error is not None:
            raise ConfigError(self.version_error)
        if self.version_text is None:
            return None
        if self.ecosystem == "npm":
            return pep440.to_pep440(self.version_text, str(self.manifest))
        return versions.parse(self.version_text, f"{self.path / 'pyproject.toml'}")

    @property
    def manifest(self) -> Path:
        """The file declaring the package: pyproject.toml, or package.json for npm."""
        return self.path / ("package.json" if self.ecosystem == "npm" else "pyproject.toml")

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
    problems: tuple[Problem, ...] = ()  # pyprojects that could not be read as packages
    searched: str = ""  # what discovery looked for (said when it found nothing)
    by_name: dict[str, Package] = field(init=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {p.name: p for p in self.packages})

    def internal(self, package: Package) -> list[Dependency]:
        """Dependencies on other workspace packages of the same ecosystem."""
        return [
            d
            for d in package.dependencies
            if d.name in self.by_name
            and d.name != package.name
            and self.by_name[d.name].ecosystem == package.ecosystem
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

    def tag_format(self, package: Package) -> str:
        """The configured `tag-format`, else the default for the package's repository."""
        if self.config.tag_format is not None:
            return self.config.tag_format
        crowded = len(self.packages_in(package.repo_relpath)) > 1
        if not crowded:
            return "v{version}"
        return "{name}@{version}" if package.ecosystem == "npm" else "{name}-v{version}"

    def tag_name(self, package: Package) -> str:
        """The name tags spell: npm's own (`@scope/name`), else the normalized name."""
        return package.display_name if package.ecosystem == "npm" else package.name

    def tag_for(self, package: Package, version: Version | str) -> str:
        return self.tag_format(package).format(name=self.tag_name(package), version=version)


def discover(root: Path, config: Config) -> Workspace:
    """The workspace's packages; a pyproject that is not a readable package is a Problem."""
    root = root.resolve()
    if not root.is_dir():
        raise ConfigError(f"release root {root} is not a directory")
    found = discovery.candidates(root, config)
    problems = list(found.problems)
    packages: list[Package] = []
    seen: dict[str, Package] = {}
    duplicates: list[tuple[str, str, str]] = []
    for directory in found.dirs:
        try:
            package = _read_package(root, directory, directory in found.members)
        except PyprojectError as exc:
            problems.append(exc.problem)
            continue
        if package is None:
            continue
        if package.name in seen:
            duplicates.append((package.name, seen[package.name].relpath, package.relpath))
            continue
        seen[package.name] = package
        packages.append(package)
    npm_found = npm_discover.read_all(root, found, find_repo)
    problems += npm_found.problems
    duplicates += npm_found.duplicates
    packages += _npm_packages(root, npm_found.entries, {p.name for p in packages})
    _check_tag_format(config, packages)
    return Workspace(
        root=root,
        config=config,
        packages=tuple(packages),
        duplicates=tuple(duplicates),
        problems=tuple(problems),
        searched=found.searched,
    )


def _read_package(root: Path, directory: Path, uv_member: bool) -> Package | None:
    if not directory.is_relative_to(root):
        raise PyprojectError(
            directory / "pyproject.toml",
            "",
            f"the package directory is outside the workspace root {root} (a symlink?)",
            "move the package under the root, or add the link to `exclude`",
        )
    path = directory / "pyproject.toml"
    meta = metadata.read(path, workspace_root=directory == root, strict_version=False)
    if not meta.is_package or meta.release_opt_out:
        return None
    return _package(root, directory, meta, uv_member)


def _check_tag_format(config: Config, packages: list[Package]) -> None:
    """A format without {name} in a repository holding several packages: their tags collide."""
    fmt = config.tag_format
    if fmt is None or "{name}" in fmt:
        return
    per_repo = Counter(p.repo_relpath for p in packages)
    crowded = sorted(rel for rel, n in per_repo.items() if n > 1)
    if crowded:
        held = [p.name for p in packages if p.repo_relpath == crowded[0]]
        raise ConfigError(
            f"{config.source}: 'tag-format' = {fmt!r} has no {{name}}, but repository "
            f"{crowded[0]} holds {len(held)} packages ({', '.join(held)}): one package's tag "
            "would be read as another's. Use a format with {name}, e.g. '{name}-v{version}'"
        )


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
        version_source=meta.version_source,
        version_writable=meta.version_writable,
        version_error=meta.version_error,
    )


def _npm_packages(root: Path, entries: list[npm_discover.Entry], taken: set[str]) -> list[Package]:
    """npm packages; one named like a Python package of the workspace is keyed `NAME[npm]`
    (names are unique per ecosystem, keys across the workspace), and so are deps on it."""
    keys = {e.manifest.name: _key(str(e.manifest.name), taken) for e in entries}
    out: list[Package] = []
    for e in entries:
        name, version = str(e.manifest.name), e.manifest.version
        deps = tuple(
            replace(d, name=keys[d.name]) if d.name in keys else d
            for d in npm_discover.dependencies(e.manifest)
        )
        out.append(
            Package(
                name=keys[name],
                display_name=name,
                path=e.directory,
                relpath=_rel(e.directory, root),
                repo=e.repo,
                repo_relpath=os.path.relpath(e.repo, root).replace(os.sep, "/"),
                version_text=version,
                locations=(),
                version_texts=(version,) if version is not None else (),
                dependencies=deps,
                lockfile=e.lockfile,
                uv_member=e.member,
                version_source="package.json",
                ecosystem="npm",
                private=e.manifest.private,
            )
        )
    return out


def _key(name: str, taken: set[str]) -> str:
    return f"{name}[npm]" if name in taken else name


def _rel(path: Path, root: Path) -> str:
    rel = path.relative_to(root).as_posix()
    return rel or "."


def find_repo(directory: Path, root: Path) -> Path:
    for candidate in (directory, *directory.parents):
        if (candidate / ".git").exists():
            return candidate
    raise PyprojectError(
        directory / "pyproject.toml",
        "",
        f"the package at {directory} is not inside a git repository",
        f"git -C {directory} init   # or add it to `exclude`",
    )


def _lockfile(root: Path, directory: Path, uv_member: bool) -> Path | None:
    for name in LOCKFILES:
        if (directory / name).is_file():
            return directory / name
    if uv_member and (root / "uv.lock").is_file():
        return root / "uv.lock"
    return None
