"""Workspace checks, once per workspace: `discovery`, `dependency-graph`."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from pytest_releaseplan import graph
from pytest_releaseplan.context import Context
from pytest_releaseplan.errors import Category, CheckFailure
from pytest_releaseplan.pyproject import Problem


def _kinds(problems: Sequence[Problem]) -> str:
    """`pyproject.toml`, `package.json`, or both, as the problems' files are named."""
    names = sorted(
        {"package.json" if p.file.endswith("package.json") else "pyproject.toml" for p in problems},
        reverse=True,
    )
    return "/".join(names)


def discovery(ctx: Context) -> str:
    ws = ctx.workspace
    if ws.problems:
        count = len(ws.problems)
        raise CheckFailure(
            f"{count} {_kinds(ws.problems)} file{'' if count == 1 else 's'} could not be read as "
            f"{'a package' if count == 1 else 'packages'}; the other packages are audited",
            Category.BLOCKING,
            [problem.render() for problem in ws.problems],
            list(dict.fromkeys(f"{problem.file}: {problem.fix}" for problem in ws.problems)),
        )
    if not ws.packages:
        raise CheckFailure(
            f"no packages under {ws.root}",
            Category.BLOCKING,
            [f"looked for {ws.searched}"],
            [
                "run from the workspace root or pass --release-root DIR; or set `packages` "
                "(globs of package directories) in [tool.releaseplan] or releaseplan.toml"
            ],
        )
    count = len(ws.packages)
    return f"{count} package{'' if count == 1 else 's'} found ({ws.searched})"


def dependency_graph(ctx: Context) -> str:
    ws = ctx.workspace
    if ws.duplicates:
        evidence = [f"{name}: {a} and {b}" for name, a, b in ws.duplicates]
        raise CheckFailure(
            "two packages share one normalized name (PEP 503)",
            Category.BLOCKING,
            evidence,
            ["rename one of them, or exclude one with `exclude` in [tool.releaseplan]"],
        )
    deps = ws.runtime_graph()
    cycle = graph.find_cycle(deps)
    if cycle:
        raise CheckFailure(
            f"dependency cycle among runtime dependencies: {' -> '.join(cycle)}",
            Category.BLOCKING,
            [
                f"{a} depends on {b} ({ws.by_name[a].pyproject})"
                for a, b in itertools.pairwise(cycle)
            ],
            [
                "move one of these dependencies to an extra or a dependency group "
                "(those never order the release), or merge the packages"
            ],
        )
    edges = sum(len(v) for v in deps.values())
    return f"{len(ws.packages)} packages, {edges} runtime edges, no cycle"
