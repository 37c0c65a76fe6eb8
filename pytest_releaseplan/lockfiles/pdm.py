"""pdm.lock: `[metadata] content_hash = "ALGO:HEX"`, PDM's own algorithm (incl. workspaces)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pytest_releaseplan.lockfiles.files import TomlData, label, load_toml
from pytest_releaseplan.workspace import Package, Workspace


def summarize(lock: TomlData, first_line: str = "") -> TomlData:
    """`content_hash` (in pdm.lock's shape) and whether pdm's `lock_inputs` mode is on."""
    metadata = lock.get("metadata", {})
    kept: TomlData = {}
    if "content_hash" in metadata:
        kept["content_hash"] = str(metadata["content_hash"])
    if "lock_inputs" in metadata:
        kept["lock_inputs"] = True  # only its presence matters
    return {"metadata": kept}


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


def package_reasons(
    workspace: Workspace, package: Package, lock: Path, summary: TomlData
) -> list[str]:
    root = lock.parent
    pyproject_label = label(workspace, root / "pyproject.toml")
    pyproject, error = load_toml(root / "pyproject.toml", pyproject_label)
    if pyproject is None:
        return [error]
    if "project" not in pyproject and "poetry" in pyproject.get("tool", {}):
        return []  # pdm hashes its own conversion of a Poetry pyproject: not reproducible here
    members = None
    if pyproject.get("tool", {}).get("pdm", {}).get("workspace"):
        members, error = _members(workspace, root, pyproject)
        if members is None:
            return [error]
    return pdm_reasons(pyproject, summary, label(workspace, lock), pyproject_label, members)


def _members(
    workspace: Workspace, root: Path, pyproject: TomlData
) -> tuple[list[tuple[str, TomlData]] | None, str]:
    patterns = pyproject["tool"]["pdm"]["workspace"].get("members", [])
    dirs: set[Path] = set()
    for pattern in patterns:
        paths = root.glob(pattern) if any(c in pattern for c in "*?[") else [root / pattern]
        dirs |= {p.resolve() for p in paths if p.is_dir() and (p / "pyproject.toml").is_file()}
    members: list[tuple[str, TomlData]] = []
    for directory in dirs:
        member_label = label(workspace, directory / "pyproject.toml")
        data, error = load_toml(directory / "pyproject.toml", member_label)
        if data is None:
            return None, error
        members.append((directory.relative_to(root.resolve()).as_posix(), data))
    return members, ""
