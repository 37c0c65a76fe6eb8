"""Which directories may hold the workspace's packages (SPEC §2 discovery), and what was searched.

Only finding: reading each directory's pyproject is `workspace.discover`'s job.
"""

from __future__ import annotations

import glob
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pytest_releaseplan import pyproject
from pytest_releaseplan.config import Config
from pytest_releaseplan.errors import ConfigError
from pytest_releaseplan.npm.manifest import ManifestError, read_manifest
from pytest_releaseplan.pyproject import Problem

SKIP_DIRS = frozenset(
    {
        *("node_modules", "build", "dist", "venv", "__pycache__"),
        *("tests", "test", "examples", "docs"),
        *("templates", "template", "fixtures", "testdata"),  # project templates, test inputs
    }
)
MAX_DEPTH = 4
PACKAGE_JSON = "package.json"


@dataclass
class Found:
    dirs: list[Path]  # resolved, in discovery order
    searched: str  # what was looked for, said when nothing was found
    members: set[Path] = field(default_factory=set)  # uv workspace members
    problems: list[Problem] = field(default_factory=list)
    npm_dirs: list[Path] = field(default_factory=list)  # directories holding a package.json
    npm_members: set[Path] = field(default_factory=set)  # npm workspace members of the root


def candidates(root: Path, config: Config) -> Found:
    """The package directories the config, the uv workspace or the walk names, minus `exclude`."""
    uv_ws = _uv_workspace(root)
    if config.packages is not None:
        found = Found(
            _from_globs(root, config.packages, config.source, npm_too=True),
            f"the directories `packages` = {list(config.packages)} names ({config.source})",
        )
    elif uv_ws is not None:
        source = f"{root / 'pyproject.toml'} [tool.uv.workspace]"
        patterns = tuple(pyproject.string_list(uv_ws, "members", "tool.uv.workspace", source))
        ignored = tuple(pyproject.string_list(uv_ws, "exclude", "tool.uv.workspace", source))
        dirs = [d for d in _from_globs(root, patterns, source) if d not in expand(root, ignored)]
        found = Found(
            [root, *dirs] if root not in dirs else dirs,
            f"the uv workspace members {list(patterns)} ({source})",
            members=set(dirs),
        )
    else:
        dirs, problems = _walk(root)
        found = Found(
            dirs,
            f"a pyproject.toml with a [project] or [tool.poetry] name up to {MAX_DEPTH} levels "
            f"below {root} (skipping hidden dirs, virtualenvs, {', '.join(sorted(SKIP_DIRS))} "
            "and names holding '{{')",
            problems=problems,
        )
    _add_npm(root, config, found)
    excluded = expand(root, config.exclude)
    found.dirs = [d for d in dict.fromkeys(found.dirs) if d not in excluded]
    found.npm_dirs = [d for d in dict.fromkeys(found.npm_dirs) if d not in excluded]
    found.problems = [p for p in found.problems if resolved(Path(p.file)) not in excluded]
    return found


def _uv_workspace(root: Path) -> Mapping[str, Any] | None:
    path = root / "pyproject.toml"
    if not path.is_file():
        return None
    data = pyproject.load(path)
    if "workspace" not in pyproject.table(data, "tool.uv", path):
        return None
    return pyproject.table(data, "tool.uv.workspace", path)


def _from_globs(
    root: Path, patterns: tuple[str, ...], source: str, npm_too: bool = False
) -> list[Path]:
    found: list[Path] = []
    for pattern in patterns:
        if not pattern or Path(pattern).is_absolute() or ".." in Path(pattern).parts:
            raise ConfigError(f"{source}: package path {pattern!r} must stay inside {root}")
        if not glob.has_magic(pattern):
            directory = resolved(root / pattern)
            if npm_too and directory is not None and (directory / PACKAGE_JSON).is_file():
                if (directory / "pyproject.toml").is_file():
                    found += [directory] if directory not in found else []
                continue  # an npm package directory: _add_npm reads it
            if directory is None or not (directory / "pyproject.toml").is_file():
                raise ConfigError(
                    f"{source}: package path {pattern!r} has no pyproject.toml "
                    f"({root / pattern / 'pyproject.toml'} missing); fix the path or remove it"
                )
            matches = [directory]
        else:
            matched = sorted(expand(root, (pattern,)))
            matches = [d for d in matched if (d / "pyproject.toml").is_file()]
            if npm_too and any((d / PACKAGE_JSON).is_file() for d in matched):
                pass  # npm package directories, read by _add_npm
            elif not matches:
                raise ConfigError(
                    f"{source}: glob {pattern!r} matches no package directory "
                    "(a directory holding a pyproject.toml or a package.json); fix or remove it"
                )
        found += [m for m in matches if m not in found]
    return found


def expand(root: Path, patterns: tuple[str, ...]) -> set[Path]:
    """The directories the globs match, symlinks resolved (config validated the patterns)."""
    out: set[Path] = set()
    for pattern in patterns:
        for match in root.glob(pattern):
            real = resolved(match)
            if real is not None and real.is_dir():
                out.add(real)
    return out


def resolved(path: Path) -> Path | None:
    """The real path; None for a symlink loop."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return None


def _walkable(child: Path) -> bool:
    return (
        not child.name.startswith(".")
        and child.name not in SKIP_DIRS
        and "{{" not in child.name
        and child.is_dir()
        and not (child / "pyvenv.cfg").exists()
    )


def _walk(root: Path, marker: str = "pyproject.toml") -> tuple[list[Path], list[Problem]]:
    """Package directories (symlinks followed within the root, each real directory once)."""
    found: list[Path] = []
    problems: list[Problem] = []
    visited = {root}

    def visit(directory: Path, depth: int) -> None:
        if (directory / marker).is_file():
            found.append(directory)
        if depth == MAX_DEPTH:
            return
        try:
            children = sorted(directory.iterdir())
        except OSError:
            return
        for child in children:
            if not _walkable(child):
                continue
            real = resolved(child) if child.is_symlink() else child  # parents are resolved
            if real is None or real in visited:
                continue
            if not real.is_relative_to(root):
                if (real / marker).is_file():
                    problems.append(outside(child, real, root))
                continue
            visited.add(real)
            visit(real, depth + 1)

    visit(root, 0)
    return found, problems


def outside(link: Path, real: Path, root: Path) -> Problem:
    return Problem(
        str(link),
        "",
        f"a symlink to {real}, outside the workspace root {root}: packages must live under "
        "the root",
        "move the package under the root, or add the link to `exclude`",
    )


def _add_npm(root: Path, config: Config, found: Found) -> None:
    """package.json directories (SPEC §8): those `packages` names, else the root package.json's
    `workspaces` (and the root), else the walk's; never under node_modules."""
    if config.packages is not None:
        found.npm_dirs = [
            d
            for pattern in config.packages
            for d in sorted(expand(root, (pattern,)))
            if (d / PACKAGE_JSON).is_file()
        ]
        return
    patterns = _npm_workspaces(root, found)
    if patterns is not None:
        members = [
            d
            for d in sorted(expand(root, patterns))
            if (d / PACKAGE_JSON).is_file() and "node_modules" not in d.relative_to(root).parts
        ]
        found.npm_dirs = [root, *members]
        found.npm_members = set(members)
        return
    found.npm_dirs, problems = _walk(root, PACKAGE_JSON)
    found.problems += [p for p in problems if p not in found.problems]


def _npm_workspaces(root: Path, found: Found) -> tuple[str, ...] | None:
    """The root package.json's `workspaces` globs; None without them (or when it is unreadable:
    its package then fails `discovery` when read)."""
    path = root / PACKAGE_JSON
    if not path.is_file():
        return None
    try:
        patterns = read_manifest(path).workspaces
    except ManifestError:
        return None
    safe = tuple(p for p in patterns if p and not Path(p).is_absolute() and ".." not in Path(p).parts)
    return safe or None
