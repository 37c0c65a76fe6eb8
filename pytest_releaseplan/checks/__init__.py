"""The audit checks of SPEC §3: each returns a pass message or raises CheckFailure."""

from __future__ import annotations

from collections.abc import Callable

from pytest_releaseplan.checks import internal, package, repository, workspace_checks
from pytest_releaseplan.context import Context
from pytest_releaseplan.workspace import Package

WORKSPACE_CHECKS: dict[str, Callable[[Context], str]] = {
    "discovery": workspace_checks.discovery,  # first: nothing else means much without it
    "dependency-graph": workspace_checks.dependency_graph,
}
REPOSITORY_CHECKS: dict[str, Callable[[Context, str], str]] = {
    "clean-worktree": repository.clean_worktree,
    "branch": repository.branch,
    "target-branch-sync": repository.target_branch_sync,
}
PACKAGE_CHECKS: dict[str, Callable[[Context, Package], str]] = {
    "version": package.version,
    "internal-deps": internal.internal_deps,
    "lockfile": package.lockfile,
}
