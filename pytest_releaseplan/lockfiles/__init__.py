"""The `lockfile` check's static half (SPEC §3): is a lock out of sync with its pyprojects?

One module per format (`uv`, `poetry`, `pdm`); `summary` parses each lockfile once per
run; the comparisons are pure functions over plain data. Git (tracked / modified) is
the caller's business.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pytest_releaseplan.lockfiles import pdm, poetry, summary, uv
from pytest_releaseplan.lockfiles.files import STRUCTURE_ERRORS, TomlData, label
from pytest_releaseplan.lockfiles.pdm import (
    pdm_content_hash,
    pdm_dev_dependencies,
    pdm_reasons,
    pdm_workspace_hash,
)
from pytest_releaseplan.lockfiles.poetry import poetry_content_hash, poetry_reasons
from pytest_releaseplan.lockfiles.pyprojects import (
    Project,
    dependency_groups,
    project_from_pyproject,
)
from pytest_releaseplan.lockfiles.requirements import (
    Req,
    canonical_specifier,
    declared_req,
    locked_req,
    requirement_diff,
)
from pytest_releaseplan.lockfiles.uv import (
    local_entries,
    locked_versions,
    manifest_reasons,
    uv_entry_reasons,
)
from pytest_releaseplan.workspace import Package, Workspace

__all__ = [
    "Project",
    "Req",
    "canonical_specifier",
    "declared_req",
    "default_lock_command",
    "dependency_groups",
    "local_entries",
    "lock_kind",
    "locked_req",
    "locked_versions",
    "manifest_reasons",
    "pdm_content_hash",
    "pdm_dev_dependencies",
    "pdm_reasons",
    "pdm_workspace_hash",
    "poetry_content_hash",
    "poetry_reasons",
    "project_from_pyproject",
    "requirement_diff",
    "stale_reasons",
    "uv_entry_reasons",
]

KINDS = {"uv.lock": "uv", "poetry.lock": "poetry", "pdm.lock": "pdm"}
LOCK_COMMANDS = {"uv": ("uv", "lock"), "poetry": ("poetry", "lock"), "pdm": ("pdm", "lock")}


@dataclass(frozen=True)
class Format:
    """What each format module provides: the summary it keeps, and the comparison over it."""

    summarize: summary.Summarize
    package_reasons: Callable[[Workspace, Package, Path, TomlData], list[str]]


FORMATS = {
    "uv": Format(uv.summarize, uv.package_reasons),
    "poetry": Format(poetry.summarize, poetry.package_reasons),
    "pdm": Format(pdm.summarize, pdm.package_reasons),
}


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


def stale_reasons(
    workspace: Workspace, package: Package, *, cache_dir: Path | None = None
) -> list[str]:
    """Why `package`'s lockfile is out of sync with the pyprojects; empty when in sync.

    A lock shared by several packages (a uv workspace root lock) is judged per package:
    each package answers for its own entry; entries no workspace package answers for (a
    virtual root, an opted-out member, a path dependency from another repository) and the
    workspace member list are judged by the lock's owner (the package in the lock's
    directory, else the first package using the lock), so one change fails one item.

    The lock is parsed once per process; with `cache_dir` (the run's state dir) once per
    run, its summary shared with every other process of the run.
    """
    lock = package.lockfile
    if lock is None:
        return []
    lock_label = label(workspace, lock)
    fmt = FORMATS[lock_kind(lock)]
    try:
        data = summary.load(lock, fmt.summarize, cache_dir)
    except OSError as exc:
        return [f"{lock_label} cannot be read ({exc})"]
    if "problem" in data:
        return [f"{lock_label} {data['problem']}"]
    try:
        return fmt.package_reasons(workspace, package, lock, data)
    except STRUCTURE_ERRORS as exc:
        return [f"{lock_label} has an unexpected structure ({exc!r}); relock it"]
