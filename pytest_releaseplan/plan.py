"""Which items a run has, in which order, and what each publish item waits for (pure)."""

from __future__ import annotations

from dataclasses import dataclass

from pytest_releaseplan import checks, graph
from pytest_releaseplan.workspace import Package, Workspace

WORKSPACE_NODE = "."
CHECK_WEIGHT = 0.01  # a check takes milliseconds next to a publish


@dataclass(frozen=True)
class Planned:
    parent: str  # the directory node: workspace ".", a repository or a package relpath
    name: str  # the check name, or "publish"
    scope: str  # "workspace" | "repository" | "package" | "publish"
    repository: str  # repository relpath ("" for the workspace check)
    package: Package | None = None
    variant: str = ""  # "[npm]": the npm package of a directory that also holds a Python one

    @property
    def item_name(self) -> str:
        """The item's name under its directory node: the check name, plus the variant."""
        return f"{self.name}{self.variant}"

    @property
    def nodeid(self) -> str:
        return f"{self.parent}::{self.item_name}"


def items(ws: Workspace, mode: str) -> list[Planned]:
    """Checks first (workspace, repositories, packages), then publish items dependencies first."""
    out = [Planned(WORKSPACE_NODE, name, "workspace", "") for name in checks.WORKSPACE_CHECKS]
    seen_repos: set[str] = set()
    for pkg in ws.packages:
        if pkg.repo_relpath not in seen_repos:
            seen_repos.add(pkg.repo_relpath)
            rel = pkg.repo_relpath
            out += [Planned(rel, name, "repository", rel) for name in checks.REPOSITORY_CHECKS]
        out += [
            Planned(pkg.relpath, name, "package", pkg.repo_relpath, pkg, variant(ws, pkg))
            for name in checks.PACKAGE_CHECKS
        ]
    if mode == "publish":
        out += [
            Planned(pkg.relpath, "publish", "publish", pkg.repo_relpath, pkg, variant(ws, pkg))
            for pkg in publish_order(ws)
        ]
    return out


def variant(ws: Workspace, pkg: Package) -> str:
    """`[npm]` for an npm package whose directory also holds a Python package (SPEC §8)."""
    if pkg.ecosystem == "python":
        return ""
    shared = any(p.path == pkg.path and p.ecosystem == "python" for p in ws.packages)
    return f"[{pkg.ecosystem}]" if shared else ""


def publish_order(ws: Workspace) -> list[Package]:
    deps = ws.runtime_graph()
    if graph.find_cycle(deps):
        return list(ws.packages)  # the dependency-graph check fails; publish items are skipped
    return [ws.by_name[name] for name in graph.topological(deps)]


def dependencies(ws: Workspace, planned: list[Planned]) -> dict[str, set[str]]:
    """publish node id -> the node ids that must have passed before it may start."""
    by_package: dict[str, list[str]] = {}
    by_repo: dict[str, list[str]] = {}
    workspace_checks: list[str] = []
    publish_of: dict[str, str] = {}
    for p in planned:
        if p.scope == "workspace":
            workspace_checks.append(p.nodeid)
        elif p.scope == "repository":
            by_repo.setdefault(p.repository, []).append(p.nodeid)
        elif p.scope == "package" and p.package is not None:
            by_package.setdefault(p.package.name, []).append(p.nodeid)
        elif p.package is not None:
            publish_of[p.package.name] = p.nodeid
    runtime = ws.runtime_graph()
    out: dict[str, set[str]] = {}
    for name, nodeid in publish_of.items():
        pkg = ws.by_name[name]
        needs = (
            set(workspace_checks)
            | set(by_package.get(name, []))
            | set(by_repo.get(pkg.repo_relpath, []))
        )
        needs |= {publish_of[d] for d in runtime[name] if d in publish_of}
        out[nodeid] = needs
    return out


def priorities(
    ws: Workspace, planned: list[Planned], durations: dict[str, float] | None = None
) -> dict[str, float]:
    """Remaining chain per node id (longest first). Publish items weigh what they took in the
    last run (unknown ones: the mean of the known, else 1); checks weigh next to nothing."""
    deps = dependencies(ws, planned)
    full = {p.nodeid: deps.get(p.nodeid, set()) for p in planned}
    known = durations or {}
    default = sum(known.values()) / len(known) if known else 1.0
    weight = {
        p.nodeid: known.get(p.nodeid, default) if p.scope == "publish" else CHECK_WEIGHT
        for p in planned
    }
    return graph.remaining_chain(full, weight)
