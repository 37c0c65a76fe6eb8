"""The audit checks of SPEC §3: each returns a pass message or raises CheckFailure."""

from __future__ import annotations

from collections.abc import Callable

from pytest_releaseplan.checks import package, repository, workspace_checks
from pytest_releaseplan.context import Context
from pytest_releaseplan.workspace import Package

WORKSPACE_CHECKS: dict[str, Callable[[Context], str]] = {
    "dependency-graph": workspace_checks.dependency_graph,
}
REPOSITORY_CHECKS: dict[str, Callable[[Context, str], str]] = {
    "clean-worktree": repository.clean_worktree,
    "branch": repository.branch,
    "target-branch-sync": repository.target_branch_sync,
}
PACKAGE_CHECKS: dict[str, Callable[[Context, Package], str]] = {
    "version": package.version,
    "internal-deps": package.internal_deps,
    "lockfile": package.lockfile,
}
