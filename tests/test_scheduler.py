from __future__ import annotations

from collections.abc import Mapping, Sequence

import pytest

from pytest_releaseplan.scheduler import NO_OUTCOME, DagPlan, DagScheduling, Gate, run_order


class MockGateway:
    def __init__(self, id: str) -> None:
        self.id = id


class MockNode:
    """Records what the scheduler sends, like pytest-xdist's own testing/test_dsession.py."""

    def __init__(self, id: str) -> None:
        self.gateway = MockGateway(id)
        self.sent: list[list[int]] = []
        self._shutdown = False

    def send_runtest_some(self, indices: Sequence[int]) -> None:
        self.sent.append(list(indices))

    def send_runtest_all(self) -> None:
        raise AssertionError("a dependency-aware scheduler never sends everything")

    def shutdown(self) -> None:
        self._shutdown = True

    @property
    def shutting_down(self) -> bool:
        return self._shutdown


class Run:
    """A scheduler over `items` on `workers` fake nodes (each worker's idle item is at index
    len(items), outside the announced collection)."""

    def __init__(
        self,
        items: Sequence[str],
        deps: Mapping[str, Sequence[str]] | None = None,
        priority: Mapping[str, float] | None = None,
        workers: int = 1,
        config: pytest.Config | None = None,
        gate: Gate | None = None,
    ) -> None:
        self.collection = list(items)
        self.skips: list[tuple[str, str]] = []
        self.sched = DagScheduling(
            config,
            deps or {},
            priority or {},
            lambda n, r: self.skips.append((n, r)),
            gate=gate,
        )
        self.nodes = [MockNode(f"gw{i}") for i in range(workers)]
        for node in self.nodes:
            self.sched.add_node(node)
        for node in self.nodes:
            self.sched.add_node_collection(node, self.collection)
        if self.sched.collection_is_completed:  # as DSession does
            self.sched.schedule()

    def running(self) -> list[str | None]:
        return [self.current(node) for node in self.nodes]

    def current(self, node: MockNode) -> str | None:
        index = self.sched.node2running.get(node)  # type: ignore[call-overload]
        return None if index is None else self.collection[index]

    def sent(self, node: MockNode) -> list[str]:
        assert all(batch[1] == len(self.collection) for batch in node.sent)
        return [self.collection[batch[0]] for batch in node.sent]

    def finish(self, node: MockNode, passed: bool = True, outcome: str = "failed") -> str:
        nodeid = self.current(node)
        assert nodeid is not None
        self.sched.record_outcome(nodeid, passed, outcome)
        self.sched.mark_test_complete(node, self.collection.index(nodeid))  # type: ignore[arg-type]
        return nodeid


# -- the pure plan --


def test_plan_readies_only_items_without_dependencies() -> None:
    plan = DagPlan(["a", "b", "c"], {"b": ["a"], "c": ["b"]})
    assert plan.ready() == ["a"]


def test_plan_readies_a_dependent_only_after_its_dependency_succeeded() -> None:
    plan = DagPlan(["a", "b", "c"], {"b": ["a"], "c": ["b"]})
    plan.start("a")
    assert plan.ready() == []
    assert plan.finish("a", succeeded=True) == []
    assert plan.ready() == ["b"]


def test_plan_orders_ready_items_by_priority_then_collection_order() -> None:
    plan = DagPlan(["a", "b", "c", "d"], {}, {"c": 3.0, "b": 1.0, "d": 1.0})
    assert plan.ready() == ["c", "b", "d", "a"]
    assert plan.next_ready() == "c"


def test_plan_skips_dependents_transitively_naming_the_dependency() -> None:
    plan = DagPlan(["core", "mid", "top", "other"], {"mid": ["core"], "top": ["mid"]})
    plan.start("core")
    skips = plan.finish("core", succeeded=False)
    assert skips == [
        ("mid", "dependency core did not succeed (failed)"),
        ("top", "dependency mid did not succeed (skipped: core failed)"),
    ]
    assert plan.skip_reason("top") == "dependency mid did not succeed (skipped: core failed)"
    assert plan.ready() == ["other"]


def test_plan_skips_an_item_once_when_two_of_its_dependencies_fail() -> None:
    plan = DagPlan(["a", "b", "c"], {"c": ["a", "b"]})
    plan.start("a")
    plan.start("b")
    assert plan.finish("a", succeeded=False) == [("c", "dependency a did not succeed (failed)")]
    assert plan.finish("b", succeeded=False) == []
    assert plan.finished


def test_plan_ignores_dependencies_outside_the_collection() -> None:
    plan = DagPlan(["b"], {"b": ["deselected"]})
    assert plan.ready() == ["b"]


def test_plan_counts_a_failed_phase_even_after_a_passed_one() -> None:
    plan = DagPlan(["a", "b"], {"b": ["a"]})
    plan.start("a")
    plan.record("a", succeeded=True)
    plan.record("a", succeeded=False, outcome="failed")
    plan.record("a", succeeded=True)
    assert plan.complete("a") == [("b", "dependency a did not succeed (failed)")]


def test_plan_counts_an_item_without_reports_as_not_succeeded() -> None:
    plan = DagPlan(["a", "b"], {"b": ["a"]})
    plan.start("a")
    assert plan.complete("a") == [("b", f"dependency a did not succeed ({NO_OUTCOME})")]


def test_plan_ignores_reports_of_items_that_are_not_running() -> None:
    plan = DagPlan(["a", "b"], {"b": ["a"]})
    plan.record("a", succeeded=False)
    plan.start("a")
    plan.record("a", succeeded=True)
    assert plan.complete("a") == []
    assert plan.finish("a", succeeded=False) == []
    assert plan.ready() == ["b"]


def test_plan_refuses_to_start_an_item_whose_dependencies_are_waiting() -> None:
    plan = DagPlan(["a", "b"], {"b": ["a"]})
    with pytest.raises(ValueError, match="b cannot start: it is waiting for a"):
        plan.start("b")


def test_plan_skips_a_dependency_cycle_once_nothing_else_can_run() -> None:
    plan = DagPlan(["a", "b", "c"], {"a": ["b"], "b": ["a"]})
    assert plan.skip_blocked() == []
    plan.start("c")
    assert plan.skip_blocked() == []
    plan.finish("c", succeeded=True)
    assert plan.skip_blocked() == [
        ("a", "waits for b, which can never run (dependency cycle)"),
        ("b", "waits for a, which can never run (dependency cycle)"),
    ]
    assert plan.finished


def test_run_order_puts_dependencies_first_and_the_longest_chain_first() -> None:
    deps = {"b": ["a"], "d": ["c"], "f": ["d"]}
    priority = {"a": 2.0, "b": 1.0, "c": 3.0, "d": 2.0, "e": 1.0, "f": 1.0}
    order = run_order(["a", "b", "c", "d", "e", "f"], deps, priority)
    assert order == ["c", "a", "d", "b", "e", "f"]


def test_run_order_keeps_cycle_members_at_the_end() -> None:
    assert run_order(["a", "b", "c"], {"a": ["b"], "b": ["a"]}) == ["c", "a", "b"]


# -- the xdist scheduler --


def test_it_sends_a_dependent_only_after_its_dependency_passed() -> None:
    run = Run(["a", "b", "c"], {"b": ["a"], "c": ["b"]}, workers=2)
    node1, node2 = run.nodes
    assert run.running() == ["a", None]
    assert node2.sent == []
    run.finish(node1)
    assert run.running() == ["b", None]
    run.finish(node1)
    run.finish(node1)
    assert run.sent(node1) == ["a", "b", "c"]
    assert node1.sent[0] == [0, 3]  # the real item, then the no-op that holds the queue
    assert run.sched.tests_finished


def test_it_sends_the_item_with_the_longest_remaining_chain_first() -> None:
    deps = {"long2": ["long1"], "long3": ["long2"]}
    priority = {"long1": 3.0, "long2": 2.0, "long3": 1.0, "short": 1.0}
    run = Run(["short", "long1", "long2", "long3"], deps, priority)
    (node,) = run.nodes
    while run.current(node) is not None:
        run.finish(node)
    # short and long3 both have one item left: collection order breaks the tie
    assert run.sent(node) == ["long1", "long2", "short", "long3"]


@pytest.mark.parametrize("workers", [2, 4])
def test_it_spreads_a_fan_out_across_all_idle_workers(workers: int) -> None:
    leaves = [f"leaf{i}" for i in range(6)]
    run = Run(["root", *leaves], {leaf: ["root"] for leaf in leaves}, workers=workers)
    assert run.running() == ["root"] + [None] * (workers - 1)
    run.finish(run.nodes[0])
    assert run.running() == leaves[:workers]
    run.finish(run.nodes[1])
    assert run.current(run.nodes[1]) == leaves[workers]
    while any(run.running()):
        run.finish(next(n for n in run.nodes if run.current(n) is not None))
    assert sorted(item for n in run.nodes for item in run.sent(n)) == sorted(["root", *leaves])
    assert run.sched.tests_finished


def test_it_skips_dependents_of_a_failure_transitively_without_sending_them() -> None:
    deps = {"libs/app::publish": ["libs/core::publish"], "top": ["libs/app::publish"]}
    run = Run(["libs/core::publish", "libs/app::publish", "top", "other"], deps, workers=2)
    node1, node2 = run.nodes
    assert run.running() == ["libs/core::publish", "other"]
    run.finish(node1, passed=False)
    assert run.skips == [
        ("libs/app::publish", "dependency libs/core::publish did not succeed (failed)"),
        ("top", "dependency libs/app::publish did not succeed "
                "(skipped: libs/core::publish failed)"),
    ]  # fmt: skip
    assert run.running() == [None, "other"]
    assert not run.sched.tests_finished
    run.finish(node2)
    assert run.sched.tests_finished
    assert run.sent(node1) == ["libs/core::publish"]


def test_a_skipped_item_skips_its_dependents_with_that_outcome() -> None:
    run = Run(["a", "b"], {"b": ["a"]})
    run.sched.record_outcome("a", succeeded=False, outcome="skipped")
    run.sched.mark_test_complete(run.nodes[0], 0)  # type: ignore[arg-type]
    assert run.skips == [("b", "dependency a did not succeed (skipped)")]


def test_a_failed_teardown_after_a_passed_call_skips_dependents() -> None:
    run = Run(["a", "b"], {"b": ["a"]})
    run.sched.record_outcome("a", succeeded=True)
    run.sched.record_outcome("a", succeeded=False)
    run.sched.mark_test_complete(run.nodes[0], 0)  # type: ignore[arg-type]
    assert run.skips == [("b", "dependency a did not succeed (failed)")]


def test_it_ignores_the_skip_reports_of_items_it_skipped() -> None:
    run = Run(["a", "b"], {"b": ["a"]})
    run.sched._on_skip = lambda nodeid, _: run.sched.record_outcome(nodeid, False, "skipped")
    run.finish(run.nodes[0], passed=False)
    assert run.sched.tests_finished


def test_a_crashed_worker_fails_its_item_and_the_rest_continues_elsewhere() -> None:
    deps = {"dep": ["crash"], "after": ["ok"]}
    run = Run(["crash", "ok", "dep", "after"], deps, workers=2)
    node1, node2 = run.nodes
    assert run.running() == ["crash", "ok"]
    assert run.sched.remove_node(node1) == "crash"  # type: ignore[arg-type]
    assert run.skips == [("dep", "dependency crash did not succeed (crashed)")]
    assert run.sched.nodes == [node2]
    run.finish(node2)
    assert run.current(node2) == "after"
    run.finish(node2)
    assert run.sched.tests_finished


def test_a_replacement_worker_gets_ready_items() -> None:
    run = Run(["a", "b", "c"], {"b": ["a"]}, workers=1)
    (node,) = run.nodes
    run.sched.remove_node(node)  # type: ignore[arg-type]
    replacement = MockNode("gw1")
    run.sched.add_node(replacement)  # type: ignore[arg-type]
    run.sched.add_node_collection(replacement, run.collection)  # type: ignore[arg-type]
    run.sched.schedule()
    assert run.sent(replacement) == ["c"]
    assert run.skips == [("b", "dependency a did not succeed (crashed)")]


def test_a_crashed_item_put_back_pending_runs_again() -> None:
    run = Run(["a", "b"], {"b": ["a"]}, workers=2)
    node1, node2 = run.nodes
    run.sched.remove_node(node1)  # type: ignore[arg-type]
    run.sched.mark_test_pending("a")  # what a pytest_handlecrashitem rerun does
    assert run.current(node2) == "a"
    run.sched.record_outcome("a", False)  # the crash report arrives after the rerun is queued
    run.finish(node2)
    assert run.skips == [("b", "dependency a did not succeed (crashed)")]
    assert run.sched.tests_finished


def test_removing_an_idle_worker_returns_no_item_despite_the_queued_noop() -> None:
    run = Run(["a"])
    (node,) = run.nodes
    run.finish(node)
    run.sched.mark_test_complete(node, len(run.collection))  # type: ignore[arg-type]
    assert run.sched.tests_finished
    assert run.sched.remove_node(node) is None  # type: ignore[arg-type]


def test_it_ignores_deselected_dependencies() -> None:
    run = Run(["b"], {"b": ["deselected::publish"]})
    assert run.running() == ["b"]


def test_tests_finished_waits_for_every_item_to_complete_or_be_skipped() -> None:
    run = Run(["a", "b", "c"], {"b": ["a"]}, workers=2)
    node1, node2 = run.nodes
    assert run.sched.has_pending
    assert not run.sched.tests_finished
    run.finish(node2)  # c
    assert not run.sched.tests_finished  # a is running, b waits for it
    run.finish(node1, passed=False)
    assert not run.sched.has_pending
    assert run.sched.tests_finished


def test_it_is_not_finished_before_every_worker_collected() -> None:
    sched = DagScheduling(None, {}, {}, lambda n, r: None)
    node1, node2 = MockNode("gw0"), MockNode("gw1")
    sched.add_node(node1)  # type: ignore[arg-type]
    sched.add_node(node2)  # type: ignore[arg-type]
    sched.add_node_collection(node1, ["a"])  # type: ignore[arg-type]
    assert not sched.collection_is_completed
    assert not sched.tests_finished
    assert not sched.has_pending


def test_collection_completes_when_the_configured_workers_collected(
    pytester: pytest.Pytester,
) -> None:
    config = pytester.parseconfig("--tx=2*popen")
    run = Run(["a"], workers=1, config=config)
    assert not run.sched.collection_is_completed
    late = MockNode("gw1")
    run.sched.add_node(late)  # type: ignore[arg-type]
    run.sched.add_node_collection(late, run.collection)  # type: ignore[arg-type]
    assert run.sched.collection_is_completed


def test_an_empty_collection_is_finished_at_once() -> None:
    run = Run([], workers=2)
    assert run.sched.tests_finished
    assert run.nodes[0].sent == []


class CollectReports:
    def __init__(self) -> None:
        self.reports: list[pytest.CollectReport] = []

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        self.reports.append(report)


def test_it_reports_mismatched_collections_and_sends_nothing(pytester: pytest.Pytester) -> None:
    config = pytester.parseconfig("--tx=2*popen")
    hook = CollectReports()
    config.pluginmanager.register(hook, "collect_reports")
    sched = DagScheduling(config, {}, {}, lambda n, r: None)
    node1, node2 = MockNode("gw0"), MockNode("gw1")
    sched.add_node(node1)  # type: ignore[arg-type]
    sched.add_node(node2)  # type: ignore[arg-type]
    sched.add_node_collection(node1, ["a.py::test_1"])  # type: ignore[arg-type]
    sched.add_node_collection(node2, ["a.py::test_2"])  # type: ignore[arg-type]
    sched.schedule()
    assert [r.nodeid for r in hook.reports] == ["gw1"]
    assert "Different tests were collected between gw0 and gw1" in str(hook.reports[0].longrepr)
    assert node1.sent == node2.sent == []
    assert sched.tests_finished


def test_a_late_worker_with_a_different_collection_gets_no_work() -> None:
    run = Run(["a", "b"])
    late = MockNode("gw1")
    run.sched.add_node(late)  # type: ignore[arg-type]
    run.sched.add_node_collection(late, ["b", "a"])  # type: ignore[arg-type]
    run.sched.schedule()
    assert late.sent == []
    assert run.running() == ["a"]


def test_it_accepts_the_group_names_newer_xdist_passes() -> None:
    sched = DagScheduling(None, {}, {}, lambda n, r: None)
    node = MockNode("gw0")
    sched.add_node(node)  # type: ignore[arg-type]
    sched.add_node_collection(node, ["a"], group_names=["default"])  # type: ignore[arg-type]
    sched.schedule()
    assert node.sent == [[0, 1]]


def test_plan_block_skips_an_item_and_its_dependents_before_they_start() -> None:
    plan = DagPlan(["a", "b", "c"], {"b": ["a"], "c": ["b"]})
    assert plan.block("a", "not selected") == [
        ("a", "not selected"),
        ("b", "dependency a did not succeed (skipped)"),
        ("c", "dependency b did not succeed (skipped: a skipped)"),
    ]
    assert plan.finished
    assert plan.skip_reason("a") == "not selected"


def test_plan_block_leaves_a_running_item_alone() -> None:
    plan = DagPlan(["a"], {})
    plan.start("a")
    assert plan.block("a", "too late") == []
    assert plan.skip_reason("a") is None


def test_gated_items_are_reported_skipped_and_never_sent() -> None:
    def gate(selected: Sequence[str]) -> dict[str, str]:
        return {"core::publish": "checks not selected"} if "core::check" not in selected else {}

    deps = {"core::publish": ["core::check"], "app::publish": ["core::publish"]}
    run = Run(["core::publish", "app::publish", "solo::publish"], deps, gate=gate)
    assert run.skips == [
        ("core::publish", "checks not selected"),
        ("app::publish", "dependency core::publish did not succeed (skipped)"),
    ]
    (node,) = run.nodes
    run.finish(node)
    assert run.sent(node) == ["solo::publish"]
    assert run.sched.tests_finished
