"""The release graph: runtime edges only; cycles, topological order, chains (all pure)."""

from __future__ import annotations

from collections.abc import Mapping, Set
from graphlib import CycleError, TopologicalSorter


def find_cycle(deps: Mapping[str, Set[str]]) -> list[str] | None:
    """A cycle as `[a, b, ..., a]` (a depends on b ...), or None."""
    try:
        TopologicalSorter({k: sorted(v) for k, v in deps.items()}).prepare()
    except CycleError as exc:
        cycle = list(exc.args[1])
        # graphlib lists the cycle in reverse dependency order; report "a -> b" as "a needs b".
        return list(reversed(cycle))
    return None


def topological(deps: Mapping[str, Set[str]]) -> list[str]:
    """Dependencies first; ties broken by name so the plan is stable."""
    sorter = TopologicalSorter({k: sorted(v) for k, v in deps.items()})
    sorter.prepare()
    order: list[str] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready())
        order += ready
        sorter.done(*ready)
    return [n for n in order if n in deps]


def dependents(deps: Mapping[str, Set[str]]) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {n: set() for n in deps}
    for node, needs in deps.items():
        for need in needs:
            out.setdefault(need, set()).add(node)
    return out


def transitive_dependents(deps: Mapping[str, Set[str]], node: str) -> set[str]:
    reverse = dependents(deps)
    seen: set[str] = set()
    stack = [node]
    while stack:
        for child in reverse.get(stack.pop(), ()):
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return seen


def remaining_chain(
    deps: Mapping[str, Set[str]], weight: Mapping[str, float] | None = None
) -> dict[str, float]:
    """For each node, its weight plus the heaviest chain of nodes that wait on it."""
    reverse = dependents(deps)
    chain: dict[str, float] = {}
    for node in reversed(topological(deps)):
        own = 1.0 if weight is None else weight.get(node, 1.0)
        chain[node] = own + max(
            (chain[c] for c in reverse.get(node, ()) if c in chain), default=0.0
        )
    return chain


def critical_path(deps: Mapping[str, Set[str]], weight: Mapping[str, float]) -> float:
    """The heaviest dependency chain: no scheduler can finish sooner."""
    return max(remaining_chain(deps, weight).values(), default=0.0)
