"""The fuzzer's pure parts: the scenario generator and the invariant checker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from bench import fuzz_gen
from bench.fuzz_check import Release, RepoState, World, check
from bench.fuzz_gen import Pkg
from pytest_releaseplan import faults

SEEDS = range(60)


def test_the_same_seed_draws_the_same_scenario() -> None:
    assert fuzz_gen.draw(7) == fuzz_gen.draw(7)
    assert len({fuzz_gen.draw(s).describe() for s in SEEDS}) == len(SEEDS)


@pytest.mark.parametrize("seed", SEEDS)
def test_dependencies_point_only_to_earlier_packages_so_the_graph_is_acyclic(seed: int) -> None:
    sc = fuzz_gen.draw(seed)
    order = {p.name: i for i, p in enumerate(sc.packages)}
    assert 3 <= len(sc.packages) <= 15
    for i, pkg in enumerate(sc.packages):
        assert all(order[d] < i for d in pkg.dep_names), pkg
        assert len(set(pkg.dep_names)) == len(pkg.dep_names)


@pytest.mark.parametrize("seed", SEEDS)
def test_every_pin_passes_the_audit_of_the_workspace_it_is_drawn_for(seed: int) -> None:
    sc = fuzz_gen.draw(seed)
    by_name = {p.name: p for p in sc.packages}
    for pkg in sc.packages:
        for raw in pkg.deps:
            req = Requirement(raw)
            dep = by_name[req.name]
            if dep.previous:  # a pin on the last release is what publish itself writes
                assert req.specifier.contains(Version(dep.previous), prereleases=True), raw
            else:
                current = Version(dep.version)
                assert req.specifier.contains(current, prereleases=True), raw
                release = Version(dep.version.removesuffix(".dev0"))
                exact = str(req.specifier).startswith("==")  # a uv-style pin on the dev version
                assert exact or req.specifier.contains(release, prereleases=True), raw
        if pkg.previous:  # released before: so were all its dependencies
            assert all(by_name[d].previous for d in pkg.dep_names)


def test_the_draws_cover_every_shape_the_fuzzer_promises() -> None:
    drawn = [fuzz_gen.draw(s) for s in range(200)]
    kinds = Counter(f.kind for sc in drawn for f in sc.faults)
    assert set(kinds) == {
        fuzz_gen.KILL_STEP, fuzz_gen.KILL_TIME, fuzz_gen.REG_RESET, fuzz_gen.REG_503,
        fuzz_gen.REG_429, fuzz_gen.REG_SLOW, fuzz_gen.INDEX_LATE, fuzz_gen.PUSH_REJECT,
        fuzz_gen.REMOTE_AWAY,
    }  # fmt: skip
    assert {sc.layout for sc in drawn} == {"tree", "monorepo"}
    assert {sc.workers for sc in drawn} == {0, 2, 4}
    pins = " ".join(d for sc in drawn for p in sc.packages for d in p.deps)
    for style in (">=", "~=", ",<", " == ", "==1.0.0.dev0"):
        assert style in pins
    diamonds = [
        sc for sc in drawn
        if any(len(set(p.dep_names)) >= 2 and _share_a_dependency(sc, p) for p in sc.packages)
    ]  # fmt: skip
    assert diamonds
    assert any(p.previous and p.changed for sc in drawn for p in sc.packages)
    assert any(p.dynamic for sc in drawn for p in sc.packages)


def _share_a_dependency(sc: fuzz_gen.Scenario, pkg: Pkg) -> bool:
    by_name = {p.name: p for p in sc.packages}
    below = [set(by_name[d].dep_names) for d in pkg.dep_names]
    return any(a & b for i, a in enumerate(below) for b in below[i + 1 :])


# --- the invariant checker -------------------------------------------------------------------

CORE = Pkg("core", "1.0.0.dev0", ())
APP = Pkg("app", "1.0.0.dev0", ("core>=1.0.0.dev0",))


def _sound() -> World:
    files = frozenset(
        f"{n}-1.0.0{ext}" for n in ("core", "app") for ext in (".tar.gz", "-py3-none-any.whl")
    )
    return World(
        index_files=files,
        uploads=Counter(dict.fromkeys(files, 1)),
        releases=(
            Release("core", "1.0.0", "core-v1.0.0", "c1", "1.0.0"),
            Release("app", "1.0.0", "app-v1.0.0", "c2", "1.0.0", ("core>=1.0.0",)),
        ),
        repos=(
            RepoState(
                "mono",
                "s0",
                "s9",
                True,
                (
                    "release: app 1.0.0",
                    "release: core 1.0.0",
                    "release: core next version 1.0.1.dev0",
                ),
            ),
        ),
        finished=True,
        outcomes={"core": ("published", ""), "app": ("published", "")},
    )


def test_a_sound_release_breaks_no_invariant() -> None:
    assert check([CORE, APP], _sound()) == []


@pytest.mark.parametrize(
    ("plant", "expected"),
    [
        (
            lambda w: replace(w, uploads=w.uploads + Counter({"core-1.0.0.tar.gz": 1})),
            "uploaded 2 times",
        ),
        (lambda w: replace(w, index_files=w.index_files - {"app-1.0.0.tar.gz"}), "no sdist"),
        (
            lambda w: replace(w, index_files=w.index_files - {"core-1.0.0-py3-none-any.whl"}),
            "no wheel",
        ),
        (lambda w: replace(w, releases=w.releases[1:]), "core: never released before"),
        (
            lambda w: replace(
                w, releases=(*w.releases, Release("core", "1.0.1", "core-v1.0.1", "c3", "1.0.1"))
            ),
            "2 releases in one run",
        ),
        (
            lambda w: replace(
                w, releases=(replace(w.releases[0], declared="1.0.1.dev0"), w.releases[1])
            ),
            "whose files say 1.0.1.dev0",
        ),
        (
            lambda w: replace(
                w, releases=(w.releases[0], replace(w.releases[1], pins=("core==1.0.0.dev0",)))
            ),
            "excludes core 1.0.0 released in this run",
        ),
        (
            lambda w: replace(
                w,
                repos=(
                    replace(
                        w.repos[0], new_subjects=(*w.repos[0].new_subjects, "release: core 1.0.0")
                    ),
                ),
            ),
            "made more than once",
        ),
        (lambda w: replace(w, repos=(replace(w.repos[0], descends=False),)), "no fast-forward"),
        (lambda w: replace(w, repos=(replace(w.repos[0], tip=None),)), "branch is gone"),
        (lambda w: replace(w, repos=(replace(w.repos[0], clean=False),)), "left modified"),
        (lambda w: replace(w, finished=False), "does not say finished"),
        (
            lambda w: replace(
                w, outcomes={**w.outcomes, "app": ("failed", "internal-deps: excludes")}
            ),
            "app: last run says failed: internal-deps",
        ),
        (lambda w: replace(w, survivors=("123 git push",)), "process left alive: 123 git push"),
        (lambda w: replace(w, leaks=("output of run 2",)), "secret leaked in output of run 2"),
    ],
)
def test_the_checker_flags_a_planted_violation(plant, expected: str) -> None:
    found = check([CORE, APP], plant(_sound()))
    assert any(expected in line for line in found), found


def test_a_pin_on_a_dependency_not_released_now_must_admit_a_version_on_the_index() -> None:
    old = Pkg("core", "1.0.1.dev0", (), previous="1.0.0")
    world = _sound()
    world = replace(
        world,
        releases=(replace(world.releases[1], pins=("core>=1.0.1.dev0",)),),
        index_files=(world.index_files - {"core-1.0.0.tar.gz"}) | {"core-0.9.tar.gz"},
    )
    found = check([old, APP], world)
    assert found == ["app 1.0.0: 'core>=1.0.1.dev0' admits no core version on the index"], found


# --- the K-th step boundary crash point ----------------------------------------------------


def test_the_kth_boundary_kills_the_armed_group_and_nothing_before_it(tmp_path: Path) -> None:
    counter = tmp_path / "count"
    code = (
        "from pytest_releaseplan import faults\n"
        "for i in range(10):\n"
        "    faults.crash_point('p', 'build', recorded=bool(i % 2))\n"
        "    print(i, flush=True)\n"
    )
    env = {**os.environ, faults.AT: "#4", faults.COUNTER: str(counter)}
    proc = subprocess.run(
        ["/bin/sh", "-c", f'{faults.PGID}=$$ exec "$@"', "sh", sys.executable, "-c", code],
        env=env, capture_output=True, text=True, timeout=60, start_new_session=True, check=False,
    )  # fmt: skip
    assert proc.returncode == -signal.SIGKILL
    assert proc.stdout.split() == ["0", "1", "2"]
    assert counter.read_bytes() == b"...."


def test_an_unarmed_group_is_never_killed(tmp_path: Path) -> None:
    env = {**os.environ, faults.AT: "#1", faults.COUNTER: str(tmp_path / "c"), faults.PGID: "1"}
    code = "from pytest_releaseplan import faults\nfaults.crash_point('p', 'build', True)\nprint('alive')"
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.stdout.strip() == "alive"
    assert not (tmp_path / "c").exists()
