"""Read the package.json directories discovery found into plain records (SPEC §8).

A package.json that cannot be read as a package is a discovery `Problem` naming the file,
the key and the fix; the other packages are still audited.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from packaging.version import Version

from pytest_releaseplan.discovery import Found
from pytest_releaseplan.metadata import Dependency
from pytest_releaseplan.npm import pep440, semver
from pytest_releaseplan.npm.lockfile import lock_path
from pytest_releaseplan.npm.manifest import (
    ORDERING_SECTIONS,
    Manifest,
    ManifestError,
    read_manifest,
)
from pytest_releaseplan.pyproject import DepKind, Problem, PyprojectError

REPAIR = "repair it, or add its directory to `exclude` in [tool.releaseplan]"


@dataclass(frozen=True)
class NpmDependency(Dependency):
    """A package.json dependency, shaped like a pyproject one for the shared code."""

    spec_kind: str = "range"  # npm.semver.SpecKind

    @property
    def group(self) -> str:
        return self.section

    @property
    def orders(self) -> bool:
        return self.section in ORDERING_SECTIONS

    @property
    def poetry(self) -> bool:
        return False

    def admits(self, version: Version) -> bool:
        """npm's verdict on `version` (a mapped npm version); False for non-range specs."""
        if self.spec_kind not in ("range", "workspace"):
            return False
        try:
            return semver.admits(self.specifier, pep440.to_npm(version))
        except (semver.SemverError, ValueError):
            return False


@dataclass(frozen=True)
class Entry:
    directory: Path
    repo: Path
    manifest: Manifest
    lockfile: Path | None
    member: bool  # a member of the root package.json's `workspaces`


@dataclass
class NpmFound:
    entries: list[Entry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    duplicates: list[tuple[str, str, str]] = field(default_factory=list)


def read_all(root: Path, found: Found, find_repo: Callable[[Path, Path], Path]) -> NpmFound:
    out = NpmFound()
    seen: dict[str, Path] = {}
    for directory in found.npm_dirs:
        path = directory / "package.json"
        try:
            manifest = read_manifest(path)
            if not manifest.is_package:
                continue
            repo = find_repo(directory, root)
        except ManifestError as exc:
            fix = exc.fix if "exclude" in exc.fix else f"{exc.fix}, or {REPAIR}"
            out.problems.append(Problem(str(exc.path), exc.key, exc.problem, fix))
            continue
        except PyprojectError as exc:
            out.problems.append(Problem(str(path), "", exc.problem.message, exc.problem.fix))
            continue
        assert manifest.name is not None
        if manifest.name in seen:
            out.duplicates.append((manifest.name, _rel(seen[manifest.name], root), _rel(directory, root)))
            continue
        seen[manifest.name] = directory
        member = directory in found.npm_members
        out.entries.append(Entry(directory, repo, manifest, _lockfile(root, directory, member), member))
    return out


def dependencies(manifest: Manifest) -> tuple[Dependency, ...]:
    return tuple(
        NpmDependency(
            name=d.name,
            specifier=d.spec,
            kind=DepKind.RUNTIME,  # unused for npm: `orders` and `group` read `section`
            section=d.section,
            raw=f'"{d.name}": "{d.spec}"',
            spec_kind=d.kind,
        )
        for d in manifest.dependencies
    )


def _lockfile(root: Path, directory: Path, member: bool) -> Path | None:
    own = lock_path(directory)
    if own.is_file():
        return own
    if member and lock_path(root).is_file():
        return lock_path(root)
    return None


def _rel(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix() or "."
