"""Publish makespan of synthetic DAGs against the lower bound max(critical path, work / K).

Usage: python bench/schedule.py [DAG ...] [--workers 2 4] [--scale S]

DAGs (sleep seconds per package, multiplied by --scale; the publish of each package also
builds a tiny wheel with --no-isolation, commits, tags and pushes: ~1 s of real work):

* chain   — chain-1 <- chain-2 <- ... <- chain-4, 1 s each
* fanout  — root (1 s) <- leaf-1 ... leaf-8 (1 s each)
* skewed  — a long chain long-1 <- ... <- long-4 (3 s each) that dominates, beside a chain
  of eight short packages short-1 <- ... <- short-8 (0.2 s each) and three independent
  fill-1..3 (0.2 s)

Every run gets a fresh tree (a publish releases and bumps versions): sibling git
repositories with bare remotes, a `file:registry`, and
`check = [python, -c, sleep(float(Path('DURATION').read_text()))]` run in the package dir,
each package committing its own DURATION file.

Per DAG: one serial run (no -n) and one `--release-publish -n K` run per K. From
`.releaseplan/last-report.json`: makespan = last publish finished - first publish started;
work W = sum of publish durations; CP = `critical_path_s`; bound = max(CP, W / K).
Layer-by-layer is *simulated* with the durations measured in the -n K run: each
topological layer (depth from the roots) is packed onto K workers (longest first) and must
finish before the next starts; no per-invocation startup is charged (flattering to it).
Ideal is critical-path-first list scheduling simulated with the same durations and zero
overhead (reachable; the bound is not always: a fan-out's root runs while others idle).
Serial is the measured serial run's makespan divided by the same -n K bound.
Goals (SPEC §7): ours <= 1.05; layer-by-layer / ours >= 1.15 on the skewed DAG.
"""

from __future__ import annotations

import argparse
import heapq
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pytest_releaseplan.scaffold import IDENTITY, PackageSpec, init_repo, write_package

CONFIG = """\
registry = "file:registry"
build = ["{python}", "-m", "build", "--no-isolation", "--outdir", "{dist}"]
check = ["{python}", "-c", "import pathlib, time; time.sleep(float(pathlib.Path('DURATION').read_text()))"]
"""

Dag = dict[str, tuple[float, list[str]]]  # name -> (sleep seconds, runtime dependencies)


def chain(prefix: str, n: int, seconds: float) -> Dag:
    return {f"{prefix}-{i}": (seconds, [f"{prefix}-{i - 1}"] if i > 1 else []) for i in range(1, n + 1)}


def dags(scale: float) -> dict[str, Dag]:
    fanout: Dag = {"root": (1.0 * scale, [])}
    fanout |= {f"leaf-{i}": (1.0 * scale, ["root"]) for i in range(1, 9)}
    skewed = chain("long", 4, 3.0 * scale) | chain("short", 8, 0.2 * scale)
    skewed |= {f"fill-{i}": (0.2 * scale, []) for i in range(1, 4)}
    return {"chain": chain("chain", 4, 1.0 * scale), "fanout": fanout, "skewed": skewed}


def make_tree(root: Path, dag: Dag) -> None:
    root.mkdir(parents=True)
    (root / "releaseplan.toml").write_text(CONFIG)
    for name, (seconds, deps) in dag.items():
        repo = write_package(root / name, PackageSpec(name, deps=[f"{d}>=1.0.0.dev0" for d in deps]))
        (repo / "DURATION").write_text(f"{seconds}\n")
        (repo / ".gitignore").write_text("dist/\nbuild/\n*.egg-info/\n__pycache__/\n")
        init_repo(repo, root / ".remotes" / f"{name}.git")


@dataclass
class Run:
    makespan: float
    wall: float
    work: float
    critical_path: float
    durations: dict[str, float]


def publish(root: Path, workers: int | None) -> Run:
    argv = [sys.executable, "-m", "pytest", "--release-publish", "-p", "no:cacheprovider", "-q"]
    if workers is not None:
        argv += ["-n", str(workers)]
    result = subprocess.run(argv, cwd=root, capture_output=True, text=True, timeout=170, check=False)
    if result.returncode != 0:
        tail = "\n".join(result.stdout.splitlines()[-25:])
        raise SystemExit(f"publish in {root} exited {result.returncode}:\n{tail}\n{result.stderr[-2000:]}")
    report: dict[str, Any] = json.loads((root / ".releaseplan" / "last-report.json").read_text())
    spans: dict[str, tuple[float, float]] = {}
    for pkg in report["packages"]:
        pub = pkg["publish"]
        if pub["outcome"] != "published":
            raise SystemExit(f"{root}: {pkg['name']} was {pub['outcome']}: {pub.get('failure')}")
        spans[pkg["name"]] = (stamp(pub["started"]), stamp(pub["finished"]))
    durations = {name: end - start for name, (start, end) in spans.items()}
    makespan = max(e for _, e in spans.values()) - min(s for s, _ in spans.values())
    return Run(makespan, float(report["duration_s"]), sum(durations.values()),
               float(report["critical_path_s"]), durations)


def stamp(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def layers(dag: Dag) -> list[list[str]]:
    depth: dict[str, int] = {}

    def of(name: str) -> int:
        if name not in depth:
            depth[name] = 1 + max((of(d) for d in dag[name][1]), default=-1)
        return depth[name]

    out: list[list[str]] = [[] for _ in range(1 + max(of(n) for n in dag))]
    for name in dag:
        out[of(name)].append(name)
    return out


def pack(durations: list[float], workers: int) -> float:
    """Longest-processing-time-first list scheduling of independent jobs: the makespan."""
    loads = [0.0] * workers
    for d in sorted(durations, reverse=True):
        heapq.heapreplace(loads, loads[0] + d)
    return max(loads)


def layered(dag: Dag, durations: dict[str, float], workers: int) -> float:
    return sum(pack([durations[n] for n in layer], workers) for layer in layers(dag))


def ideal(dag: Dag, durations: dict[str, float], workers: int) -> float:
    """Simulated critical-path-first list scheduling with the measured durations and zero
    overhead: what a perfect DAG scheduler achieves (max(CP, W/K) is not always reachable,
    e.g. a fan-out's root must run while the other workers idle)."""
    chain: dict[str, float] = {}

    def remaining(name: str) -> float:
        if name not in chain:
            below = [remaining(c) for c, (_, deps) in dag.items() if name in deps]
            chain[name] = durations[name] + max(below, default=0.0)
        return chain[name]

    done_at: dict[str, float] = {}
    running: list[tuple[float, str]] = []
    clock = 0.0
    while len(done_at) < len(dag):
        ready = [n for n in dag if n not in done_at and n not in {r for _, r in running}
                 and all(d in done_at for d in dag[n][1])]
        ready.sort(key=remaining, reverse=True)
        while ready and len(running) < workers:
            name = ready.pop(0)
            heapq.heappush(running, (clock + durations[name], name))
        clock, finished = heapq.heappop(running)
        done_at[finished] = clock
    return max(done_at.values())


def bench(name: str, dag: Dag, worker_counts: list[int], tmp: Path) -> list[str]:
    make_tree(tmp / f"{name}-serial", dag)
    serial = publish(tmp / f"{name}-serial", None)
    rows = []
    for k in worker_counts:
        make_tree(tmp / f"{name}-n{k}", dag)
        ours = publish(tmp / f"{name}-n{k}", k)
        bound = max(ours.critical_path, ours.work / k)
        layer = layered(dag, ours.durations, k)
        best = ideal(dag, ours.durations, k)
        cells = [
            name, str(k), f"{ours.work:.1f}", f"{ours.critical_path:.1f}", f"{bound:.1f}",
            f"{ours.makespan:.1f}", f"{ours.wall:.1f}", f"**{ours.makespan / bound:.2f}**",
            f"{best:.1f}", f"{ours.makespan / best:.2f}",
            f"{layer:.1f}", f"{layer / bound:.2f}", f"{serial.makespan:.1f}",
            f"{serial.makespan / bound:.2f}", f"{layer / ours.makespan:.2f}x",
        ]
        rows.append(f"| {' | '.join(cells)} |")
    return rows


def main(argv: list[str] | None = None) -> int:
    all_dags = ["chain", "fanout", "skewed"]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dags", nargs="*", default=all_dags, help=f"any of {all_dags}")
    parser.add_argument("--workers", nargs="+", type=int, default=[2, 4])
    parser.add_argument("--scale", type=float, default=1.0, help="multiply every sleep")
    args = parser.parse_args(argv)
    os.environ.update(IDENTITY)
    os.environ.pop("CI", None)
    defined = dags(args.scale)
    rows: list[str] = []
    with tempfile.TemporaryDirectory(prefix="rp-bench-schedule-") as tmp:
        for name in args.dags:
            rows += bench(name, defined[name], args.workers, Path(tmp))
    print(f"\nPublish scheduling (seconds; sleep scale {args.scale}; {os.cpu_count()} CPUs)\n")
    print("| DAG | K | work W | critical path | bound | ours makespan | ours session wall "
          "| ours / bound | ideal (sim) | ours / ideal | layered (sim) | layered / bound "
          "| serial makespan | serial / bound | layered / ours |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
