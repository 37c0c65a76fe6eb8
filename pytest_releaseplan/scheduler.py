"""Dependency-aware scheduling: a pure DAG plan, and a pytest-xdist scheduler built on it."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pytest

from pytest_releaseplan import compat

if TYPE_CHECKING:
    from xdist.workermanage import WorkerController

Skip = tuple[str, str]
"""(node id, human reason) of an item skipped because a dependency did not succeed."""

Gate = Callable[[Sequence[str]], Mapping[str, str]]
"""Given the selected node ids, the ones that must not run at all: id -> reason."""

NO_OUTCOME = "reported no outcome"
_PASSED = "passed"


class DagPlan:
    """Which items may start, given which ones finished and how. Pure bookkeeping over ids.

    Every item is pending, running, succeeded, failed or skipped. An item is ready when
    all its dependencies succeeded; when one fails, its dependents are skipped, transitively.
    Dependencies outside `order` (deselected items) are ignored.
    """

    def __init__(
        self,
        order: Sequence[str],
        deps: Mapping[str, Collection[str]],
        priority: Mapping[str, float] | None = None,
    ) -> None:
        prio = priority or {}
        self._key = {n: (-prio.get(n, 0.0), i) for i, n in enumerate(order)}
        self._needs = {n: {d for d in deps.get(n, ()) if d in self._key} for n in order}
        self._dependents: dict[str, list[str]] = {n: [] for n in order}
        for n in order:
            for need in self._needs[n]:
                self._dependents[need].append(n)
        self._unmet = {n: len(needs) for n, needs in self._needs.items()}
        self._pending = set(order)
        self._ready = {n for n in order if not self._unmet[n]}
        self._running: dict[str, str] = {}  # id -> outcome recorded so far
        self._succeeded: set[str] = set()
        self._failed: dict[str, str] = {}  # id -> outcome, e.g. "failed", "crashed"
        self._skipped: dict[str, str] = {}  # id -> reason

    @property
    def finished(self) -> bool:
        return not self._pending and not self._running

    def ready(self) -> list[str]:
        """Items that may start now: highest priority first, then collection order."""
        return sorted(self._ready, key=self._key.__getitem__)

    def next_ready(self) -> str | None:
        return min(self._ready, key=self._key.__getitem__, default=None)

    def skip_reason(self, nodeid: str) -> str | None:
        return self._skipped.get(nodeid)

    def start(self, nodeid: str) -> None:
        if nodeid not in self._ready:
            raise ValueError(f"{nodeid} cannot start: it is {self._state(nodeid)}")
        self._ready.discard(nodeid)
        self._pending.discard(nodeid)
        self._running[nodeid] = NO_OUTCOME

    def record(self, nodeid: str, succeeded: bool, outcome: str = "failed") -> None:
        """Note one report of a running item; the first non-success sticks."""
        current = self._running.get(nodeid)
        if current not in (NO_OUTCOME, _PASSED):
            return  # not running (e.g. a skip reported for a skipped item), or already failed
        self._running[nodeid] = _PASSED if succeeded else outcome

    def complete(self, nodeid: str) -> list[Skip]:
        """Finish a running item with the verdict its reports gave (none means no success)."""
        outcome = self._running.get(nodeid, NO_OUTCOME)
        return self.finish(nodeid, outcome == _PASSED, outcome)

    def finish(self, nodeid: str, succeeded: bool, outcome: str = "failed") -> list[Skip]:
        """End a running item; returns the dependents that are now skipped, in order."""
        if self._running.pop(nodeid, None) is None:
            return []
        if not succeeded:
            self._failed[nodeid] = outcome
            return self._skip_dependents(nodeid, outcome)
        self._succeeded.add(nodeid)
        for child in self._dependents[nodeid]:
            self._unmet[child] -= 1
            if not self._unmet[child] and child in self._pending:
                self._ready.add(child)
        return []

    def requeue(self, nodeid: str) -> None:
        """Run a running or failed item again (xdist's crash rerun); skipped dependents stay."""
        if self._running.pop(nodeid, None) is None and self._failed.pop(nodeid, None) is None:
            return
        self._pending.add(nodeid)
        self._ready.add(nodeid)

    def block(self, nodeid: str, reason: str) -> list[Skip]:
        """Skip a pending item before it starts, and its dependents; returns the skips."""
        if nodeid not in self._pending or nodeid in self._running:
            return []
        self._pending.discard(nodeid)
        self._ready.discard(nodeid)
        self._skipped[nodeid] = reason
        return [(nodeid, reason), *self._skip_dependents(nodeid, "skipped")]

    def skip_blocked(self) -> list[Skip]:
        """When nothing can ever become ready (a dependency cycle), skip what is left."""
        if self._running or self._ready or not self._pending:
            return []
        blocked = sorted(self._pending, key=self._key.__getitem__)
        skips: list[Skip] = []
        for nodeid in blocked:
            waits = ", ".join(sorted(self._needs[nodeid] & self._pending))
            skips.append((nodeid, f"waits for {waits}, which can never run (dependency cycle)"))
        self._pending.clear()
        self._skipped.update(skips)
        return skips

    def _skip_dependents(self, root: str, outcome: str) -> list[Skip]:
        cause = f"{root} {outcome}"
        skips: list[Skip] = []
        stack = [(root, f"dependency {root} did not succeed ({outcome})")]
        while stack:
            parent, reason = stack.pop()
            for child in self._dependents[parent]:
                if child not in self._pending:
                    continue
                self._pending.discard(child)
                self._ready.discard(child)
                self._skipped[child] = reason
                skips.append((child, reason))
                stack.append((child, f"dependency {child} did not succeed (skipped: {cause})"))
        return sorted(skips, key=lambda skip: self._key[skip[0]])

    def _state(self, nodeid: str) -> str:
        if nodeid not in self._key:
            return "not in the plan"
        if nodeid in self._running:
            return "already running"
        if nodeid in self._skipped:
            return f"skipped ({self._skipped[nodeid]})"
        if nodeid in self._succeeded or nodeid in self._failed:
            return "already finished"
        waits = sorted(self._needs[nodeid] - self._succeeded, key=self._key.__getitem__)
        return f"waiting for {', '.join(waits)}"


def run_order(
    order: Sequence[str],
    deps: Mapping[str, Collection[str]],
    priority: Mapping[str, float] | None = None,
) -> list[str]:
    """A serial order (dependencies first, longest chain first); cycle members go last."""
    plan = DagPlan(order, deps, priority)
    out: list[str] = []
    while (nodeid := plan.next_ready()) is not None:
        plan.start(nodeid)
        plan.finish(nodeid, succeeded=True)
        out.append(nodeid)
    placed = set(out)
    return out + [n for n in order if n not in placed]


class DagScheduling:
    """pytest-xdist scheduler: a ready item goes to an idle worker at once, one per worker.

    A worker runs an item only once the next index is queued behind it, so each dispatch
    is `[item, idle]`: the worker's idle item, at the index just past its announced
    collection, waits at the end of its queue (and never reports). Outcomes come from
    `record_outcome`, called by the plugin's `pytest_runtest_logreport`; dependents of an
    item that did not succeed are never sent, but reported through `on_skip(nodeid, reason)`,
    and so are the items `gate` refuses for the collection the workers selected.
    """

    def __init__(
        self,
        config: pytest.Config | None,
        deps: Mapping[str, Collection[str]],
        priority: Mapping[str, float],
        on_skip: Callable[[str, str], None],
        log: Any = None,  # noqa: ANN401 - xdist's Producer
        gate: Gate | None = None,
    ) -> None:
        self.config = config
        self.numnodes = compat.configured_nodes(config) if config is not None else 0
        self.log: Any = compat.scheduler_log(log, "dagsched")
        self._deps = deps
        self._priority = priority
        self._gate = gate
        self._on_skip = on_skip
        self.node2collection: dict[WorkerController, list[str]] = {}
        self.node2running: dict[WorkerController, int | None] = {}
        self.full_collection: list[str] | None = None
        self._positions: dict[str, int] = {}
        self.plan: DagPlan | None = None
        self.collection_failed = False
        self._noop_index = -1

    @property
    def nodes(self) -> list[WorkerController]:
        return list(self.node2running)

    @property
    def collection_is_completed(self) -> bool:
        if self.plan is not None or self.collection_failed:
            return True  # nodes added later (replacements) do not hold up a running plan
        # Without a config (unit tests), every node added so far must have collected.
        expected = self.numnodes or len(self.node2running)
        return bool(self.node2collection) and len(self.node2collection) >= expected

    @property
    def tests_finished(self) -> bool:
        if not self.collection_is_completed:
            return False
        if self.collection_failed:
            return True
        return self.plan is not None and self.plan.finished

    @property
    def has_pending(self) -> bool:
        return self.plan is not None and not self.plan.finished

    def add_node(self, node: WorkerController) -> None:
        assert node not in self.node2running
        self.node2running[node] = None

    def add_node_collection(
        self,
        node: WorkerController,
        collection: Sequence[str],
        group_names: object = None,
    ) -> None:
        """`group_names`: passed by pytest-xdist's main branch (after 3.8) for --dist
        loadgroup; this scheduler orders by dependencies, not groups, and ignores it."""
        assert node in self.node2running
        if self.full_collection is not None and list(collection) != self.full_collection:
            # A late node (e.g. replacing a crashed one) that collected differently gets no work.
            other = next(iter(self.node2collection))
            self.log(
                compat.collection_diff(
                    self.full_collection, collection, compat.node_id(other), compat.node_id(node)
                )
            )
            return
        self.node2collection[node] = list(collection)

    def record_outcome(self, nodeid: str, succeeded: bool, outcome: str = "failed") -> None:
        """One report of an item; `outcome` names a non-success ("failed", "skipped")."""
        if self.plan is not None:
            self.plan.record(nodeid, succeeded, outcome)

    def mark_test_complete(
        self, node: WorkerController, item_index: int, duration: float = 0
    ) -> None:
        if item_index == self._noop_index or self.plan is None:
            return
        if self.node2running.get(node) != item_index:
            self.log(
                "ignoring completion of an item not running on", compat.node_id(node), item_index
            )
            return
        self.node2running[node] = None
        self._skip(self.plan.complete(self._nodeid(item_index)))
        self._dispatch()

    def mark_test_pending(self, item: str) -> None:
        if self.plan is not None:
            self.plan.requeue(item)
            self._dispatch()

    def remove_pending_tests_from_node(
        self, node: WorkerController, indices: Sequence[int]
    ) -> None:
        raise NotImplementedError  # only answers a "steal", which this scheduler never sends

    def remove_node(self, node: WorkerController) -> str | None:
        """Drop a node; if it crashed while running an item, that item failed: return it."""
        index = self.node2running.pop(node)
        if index is None or self.plan is None:
            return None
        nodeid = self._nodeid(index)
        self._skip(self.plan.finish(nodeid, succeeded=False, outcome="crashed"))
        self._dispatch()
        return nodeid

    def schedule(self) -> None:
        assert self.collection_is_completed
        if self.plan is None and not self.collection_failed:
            self._make_plan()
        self._dispatch()

    def _make_plan(self) -> None:
        if not self._check_nodes_have_same_collection():
            self.log("**Different tests collected, aborting run**")
            self.collection_failed = True
            return
        full = next(iter(self.node2collection.values()))
        self.full_collection = full
        self._positions = {nodeid: i for i, nodeid in enumerate(full)}
        self._noop_index = len(full)
        self.plan = DagPlan(full, self._deps, self._priority)
        for nodeid, reason in (self._gate(full) if self._gate else {}).items():
            self._skip(self.plan.block(nodeid, reason))

    def _dispatch(self) -> None:
        if self.plan is None:
            return
        self._skip(self.plan.skip_blocked())
        for node, running in self.node2running.items():
            if running is not None or node.shutting_down or node not in self.node2collection:
                continue
            nodeid = self.plan.next_ready()
            if nodeid is None:
                return
            self.plan.start(nodeid)
            index = self._positions[nodeid]
            self.node2running[node] = index
            node.send_runtest_some([index, self._noop_index])

    def _skip(self, skips: list[Skip]) -> None:
        for nodeid, reason in skips:
            self.log("skipping", nodeid, "-", reason)
            self._on_skip(nodeid, reason)

    def _nodeid(self, index: int) -> str:
        assert self.full_collection is not None
        return self.full_collection[index]

    def _check_nodes_have_same_collection(self) -> bool:
        """Like LoadScheduling's: log each difference and post it as a collection error."""
        (first, col), *others = self.node2collection.items()
        same = True
        for node, collection in others:
            msg = compat.collection_diff(
                col, collection, compat.node_id(first), compat.node_id(node)
            )
            if msg:
                same = False
                self._report_collection_error(compat.node_id(node), msg)
        return same

    def _report_collection_error(self, nodeid: str, msg: str) -> None:
        self.log(msg)
        if self.config is not None:
            rep = pytest.CollectReport(nodeid=nodeid, outcome="failed", longrepr=msg, result=[])
            self.config.hook.pytest_collectreport(report=rep)
