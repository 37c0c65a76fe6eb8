"""Collection time of `pytest --release-audit --collect-only -q` for large workspaces.

Usage: python bench/collect.py [SIZE ...] [--tree] [--repeat R]

Default sizes 100 and 500. Layout: a monorepo (ONE git repository, packages under
libs/, no uv workspace: discovery walks the tree). With --tree, also a tree of sibling
repositories (one git repository + bare remote per package; slower to generate).
Each package depends on up to two earlier ones, so the runtime graph is a real DAG.
Goal (SPEC §7): < 2 s for 500 packages.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pytest_releaseplan.scaffold import IDENTITY, PackageSpec, monorepo, tree

GOAL_S = 2.0
COLLECTED = re.compile(r"collected in ([\d.]+)s")


def specs(n: int) -> list[PackageSpec]:
    out = []
    for i in range(n):
        parents = sorted({(i - 1) // 2, (i - 1) // 3} - {i}) if i else []
        deps = [f"pkg-{p:04d}>=1.0.0.dev0" for p in parents if p >= 0]
        out.append(PackageSpec(f"pkg-{i:04d}", deps=deps))
    return out


def generate(root: Path, layout: str, n: int) -> float:
    started = time.perf_counter()
    if layout == "monorepo":
        monorepo(root, specs(n))
    else:
        tree(root, specs(n))
    return time.perf_counter() - started


def collect_once(root: Path, n: int) -> tuple[float, float]:
    """(wall seconds of the subprocess, pytest's own 'collected in' seconds)."""
    argv = [sys.executable, "-m", "pytest", "--release-audit", "--collect-only", "-q",
            "-p", "no:cacheprovider", "--release-root", str(root)]
    started = time.perf_counter()
    result = subprocess.run(
        argv, cwd=root, capture_output=True, text=True, timeout=120, check=False
    )
    wall = time.perf_counter() - started
    if result.returncode != 0:
        output = result.stdout[-3000:] + result.stderr
        raise SystemExit(f"collection failed (exit {result.returncode}):\n{output}")
    match = COLLECTED.search(result.stdout)
    repos = n if (root / ".remotes").is_dir() else 1
    expected = 1 + 3 * repos + 3 * n  # workspace check, 3 per repository, 3 per package
    count = re.search(r"(\d+) tests? collected", result.stdout)
    if count is None or int(count.group(1)) != expected:
        found = count.group(0) if count else "no count"
        print(f"warning: {root.name}: expected {expected} items, {found}", file=sys.stderr)
    return wall, float(match.group(1)) if match else float("nan")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[100, 500])
    parser.add_argument("--tree", action="store_true", help="also measure a tree of repositories")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    os.environ.update(IDENTITY)
    layouts = ["monorepo", "tree"] if args.tree else ["monorepo"]
    rows = []
    with tempfile.TemporaryDirectory(prefix="rp-bench-collect-") as tmp:
        for layout in layouts:
            for n in args.sizes:
                root = Path(tmp) / f"{layout}-{n}"
                gen = generate(root, layout, n)
                runs = [collect_once(root, n) for _ in range(args.repeat)]
                walls = [w for w, _ in runs]
                own = [p for _, p in runs]
                best = min(walls)
                verdict = "ok" if best < GOAL_S or n < 500 else "SLOW"
                cells = [layout, str(n), f"{gen:.1f}", f"{statistics.median(walls):.2f}",
                         f"{best:.2f}", f"{statistics.median(own):.2f}", verdict]
                rows.append(f"| {' | '.join(cells)} |")
    print(f"\nCollection (`pytest --release-audit --collect-only -q`), {args.repeat} runs each, "
          f"Python {sys.version.split()[0]}, {os.cpu_count()} CPUs\n")
    print("| layout | packages | generate s | wall median s | wall min s "
          "| pytest-reported median s | goal <2 s @500 |")
    print("|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
