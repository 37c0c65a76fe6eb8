"""Audit time of N single-package repositories against a serial loop of raw git calls.

Usage: python bench/audit.py [N ...] [--repeat R] [--npm]

Default N = 50 100 200 (the -n comparison was run at 200 500 1000). Each N gets a fresh
tree (one git repository per package, each with a bare remote under .remotes/). Measured,
wall time of the whole subprocess:

* plugin: `pytest --release-audit -p no:cacheprovider -q` without xdist, with -n 2 (the
  audit runs in one process whatever -n says; the header says so), and with -n 2 plus the
  reports on (`--junitxml` and `--release-report`, as CI runs it)
* raw: a serial loop over the repositories of what a minimal audit needs per repository:
  `git fetch origin`, `git status --porcelain`, `git rev-parse main origin/main`,
  `git tag --list`.

`--npm` times a tree of N single-package npm repositories (package.json, index.js, no
lockfile; the audit reads them without calling npm) beside the Python tree, one row each.

ratio = plugin / raw. Goals (SPEC §7, issue 11): ratio <= 1.0 at N=200 with -n 2 and the reports
on; 200 repos < 10 s; linear in N.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from pytest_releaseplan.scaffold import IDENTITY, PackageSpec, npm_repo, tree

GOAL_RATIO = 1.0
GOAL_200_S = 10.0
RAW_CALLS: tuple[tuple[str, ...], ...] = (
    ("fetch", "-q", "origin"),
    ("status", "--porcelain"),
    ("rev-parse", "main", "origin/main"),
    ("tag", "--list"),
)


def generate(root: Path, n: int, ecosystem: str = "python") -> float:
    started = time.perf_counter()
    if ecosystem == "npm":
        npm_tree(root, n)
    else:
        tree(root, [PackageSpec(f"pkg-{i:04d}") for i in range(n)])
    return time.perf_counter() - started


def npm_tree(root: Path, n: int) -> None:
    """N sibling npm repositories, each depending on its predecessor with a caret range."""
    root.mkdir(parents=True)
    (root / "releaseplan.toml").write_text('npm-registry = "http://127.0.0.1:9/"\n')
    for i in range(n):
        deps = {f"npm-{i - 1:04d}": "^1.0.0"} if i else None
        npm_repo(root, f"npm-{i:04d}", "1.0.0-dev.0", deps)


def timed(fn: Callable[[], None], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


def raw_loop(root: Path) -> None:
    for repo in sorted(p for p in root.iterdir() if (p / ".git").is_dir()):
        for call in RAW_CALLS:
            argv = ["git", "-C", str(repo), *call]
            subprocess.run(argv, capture_output=True, check=True, timeout=60)


def plugin(root: Path, *args: str) -> Callable[[], None]:
    argv = [sys.executable, "-m", "pytest", "--release-audit", "-p", "no:cacheprovider", "-q"]
    argv += args

    def run() -> None:
        result = subprocess.run(
            argv, cwd=root, capture_output=True, text=True, timeout=170, check=False
        )
        if result.returncode != 0:
            tail = "\n".join(result.stdout.splitlines()[-15:])
            print(f"warning: audit of {root.name} {argv[-2:]} exited {result.returncode}:\n{tail}",
                  file=sys.stderr)

    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[50, 100, 200])
    parser.add_argument("--repeat", type=int, default=1, help="runs per cell; the best is reported")
    parser.add_argument("--npm", action="store_true", help="also time a tree of npm repositories")
    args = parser.parse_args(argv)
    os.environ.update(IDENTITY)
    os.environ.pop("CI", None)
    rows = []
    with tempfile.TemporaryDirectory(prefix="rp-bench-audit-") as tmp:
        cells_to_run = [(e, n) for n in args.sizes for e in ("python", "npm")[: 1 + args.npm]]
        for ecosystem, n in cells_to_run:
            root = Path(tmp) / f"{ecosystem}-tree-{n}"
            gen = generate(root, n, ecosystem)
            raw = timed(lambda root=root: raw_loop(root), args.repeat)  # type: ignore[misc]
            serial = timed(plugin(root), args.repeat)
            n2 = timed(plugin(root, "-n", "2"), args.repeat)
            reports = ("--junitxml", str(root / "audit.xml"), "--release-report",
                       str(root / "audit.json"))  # fmt: skip
            n2_reports = timed(plugin(root, "-n", "2", *reports), args.repeat)
            fast = n2_reports / raw <= GOAL_RATIO and (n != 200 or n2_reports < GOAL_200_S)
            goal = "ok" if fast else "MISSED"
            cells = [f"{gen:.1f}", f"{raw:.2f}"]
            cells += [f"{t:.2f} | {t / raw:.2f}" for t in (serial, n2, n2_reports)]
            rows.append(f"| {ecosystem} | {n} | {' | '.join(cells)} | {goal} |")
    print(f"\nAudit of N single-package repositories, wall seconds (best of {args.repeat}), "
          f"{os.cpu_count()} CPUs\n")
    print("| tree | N | generate s | raw git loop s | plugin no-xdist s | ratio "
          "| plugin -n 2 s | ratio | plugin -n 2 + junitxml + report s | ratio "
          "| goal (-n 2 with reports <= 1.0x, 200 < 10 s) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
