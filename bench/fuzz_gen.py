"""Draw one fuzz scenario from a seed (pure): a workspace, a worker count, a fault schedule.

The same seed always gives the same scenario (`random.Random(seed)` is the only source), so
`--replay SEED` rebuilds exactly what a failing run saw.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from packaging.version import Version

from pytest_releaseplan.versions import next_dev

# Versions a workspace starts from (dev versions the release drops the `.devN` of).
DEV_VERSIONS = ("1.0.0.dev0", "0.66b0.dev0", "2.3.dev0", "0.4.1.dev0")
PREVIOUS_RELEASES = ("1.0.0", "0.66b0", "2.2", "0.4.0")
PIN_STYLES = (">=", "==", "==uv", "~=", "range")
STEP_BOUNDARIES_PER_PACKAGE = 16  # 8 steps, each with an unrecorded and a recorded boundary

KILL_STEP = "kill-step"  # kill -9 of the run's group at the K-th step boundary (faults.py)
KILL_TIME = "kill-time"  # kill -9 of the run's group after `arg` seconds
REG_RESET = "reg-reset"  # the upload POSTs numbered arg.. (count) get a connection reset
REG_503 = "reg-503"
REG_429 = "reg-429"
REG_SLOW = "reg-slow"  # the upload POST numbered `at` is held `arg` seconds first
INDEX_LATE = "index-late"  # the index lists a new file only `arg` seconds after its upload
PUSH_REJECT = "push-reject"  # the remote's pre-receive hook rejects push number `at` once
REMOTE_AWAY = "remote-away"  # the bare remote is renamed away at `arg` s for `span` s


@dataclass(frozen=True)
class Pkg:
    name: str
    version: str  # the version in the workspace when the run starts
    deps: tuple[str, ...]  # runtime requirement strings on earlier packages
    previous: str | None = None  # already released: tagged, on the index, bumped
    changed: bool = False  # a previous release followed by a commit of real work
    dynamic: bool = False  # version in the module (setuptools attr), not in pyproject

    @property
    def dep_names(self) -> tuple[str, ...]:
        return tuple(d.split("=")[0].split(">")[0].split("~")[0].strip() for d in self.deps)


@dataclass(frozen=True)
class Fault:
    kind: str
    attempt: int = -1  # the run (0 = first) a kill or a remote-away targets; -1: all runs
    at: int = 0  # an ordinal: step boundary, upload POST or push number
    arg: float = 0.0  # seconds (kill time, delay, lateness) or a count
    span: float = 0.0
    target: str = ""  # the package whose repository a git fault targets

    def describe(self) -> str:
        parts = [self.kind]
        if self.attempt >= 0:
            parts.append(f"run {self.attempt + 1}")
        if self.at:
            parts.append(f"#{self.at}")
        if self.arg:
            parts.append(f"{self.arg:g}")
        if self.span:
            parts.append(f"for {self.span:g}s")
        if self.target:
            parts.append(f"on {self.target}")
        return " ".join(parts)


@dataclass(frozen=True)
class Scenario:
    seed: int
    layout: str  # "tree" | "monorepo"
    workers: int  # 0 = serial (no xdist)
    packages: tuple[Pkg, ...]
    faults: tuple[Fault, ...] = field(default=())

    def describe(self) -> str:
        pre = [p.name for p in self.packages if p.previous]
        head = (
            f"seed {self.seed}: {self.layout}, {len(self.packages)} packages, "
            f"{'serial' if not self.workers else f'-n {self.workers}'}"
            + (f", already released: {' '.join(pre)}" if pre else "")
        )
        pkgs = [
            f"  {p.name} {p.version} deps={list(p.deps)}"
            + (f" released {p.previous}" + (" +work" if p.changed else "") if p.previous else "")
            + (" (version in module)" if p.dynamic else "")
            for p in self.packages
        ]
        faults = [f"  fault: {f.describe()}" for f in self.faults] or ["  fault: none"]
        return "\n".join([head, *pkgs, *faults])


def draw(seed: int, min_packages: int = 3, max_packages: int = 15) -> Scenario:
    rng = random.Random(seed)
    n = rng.randint(min_packages, max_packages)
    layout = rng.choice(("tree", "monorepo"))
    workers = rng.choice((0, 2, 4))
    packages = _packages(rng, n)
    return Scenario(seed, layout, workers, packages, _faults(rng, packages))


def _packages(rng: random.Random, n: int) -> tuple[Pkg, ...]:
    out: list[Pkg] = []
    for i in range(n):
        name = f"x{i}"
        k = rng.choice((0, 1, 1, 2, 2, 3)) if i else 0
        deps = sorted(rng.sample(range(i), min(k, i)))
        # a package already released is released with its dependencies (they were too)
        prior = all(out[d].previous for d in deps) and rng.random() < 0.3
        if prior:
            last = rng.choice(PREVIOUS_RELEASES)
            previous: str | None = last
            version = str(next_dev(Version(last)))
        else:
            previous, version = None, rng.choice(DEV_VERSIONS)
        pins = tuple(_pin(rng, out[d]) for d in deps)
        changed = prior and rng.random() < 0.5
        out.append(Pkg(name, version, pins, previous, changed, dynamic=rng.random() < 0.25))
    return tuple(out)


def _pin(rng: random.Random, dep: Pkg) -> str:
    """A specifier that passes the audit: it admits the dependency's workspace and release
    versions, or (already released) its last release, as real workspaces write them."""
    base = dep.previous or dep.version
    style = rng.choice(PIN_STYLES)
    major = Version(base).major
    if style == "==uv" and base.endswith(".dev0"):
        return f"{dep.name} == {base[:-1]}"  # uv writes `== 0.66b0.dev`
    if style in ("==", "==uv"):
        return f"{dep.name}=={base}"
    if style == "~=":
        return f"{dep.name}~={base}"
    if style == "range":
        return f"{dep.name}>={base},<{major + 1}"
    return f"{dep.name}>={base}"


def _faults(rng: random.Random, packages: tuple[Pkg, ...]) -> tuple[Fault, ...]:
    n = len(packages)
    faults: list[Fault] = []
    for attempt in range(rng.choice((0, 1, 1, 2, 2, 3))):
        if rng.random() < 0.6:
            boundary = rng.randint(1, STEP_BOUNDARIES_PER_PACKAGE * n)
            faults.append(Fault(KILL_STEP, attempt=attempt, at=boundary))
        else:
            faults.append(
                Fault(KILL_TIME, attempt=attempt, arg=round(rng.uniform(2, 8 + 2 * n), 1))
            )
    uploads = 2 * n
    for kind in (REG_RESET, REG_503, REG_429):
        if rng.random() < 0.3:
            faults.append(Fault(kind, at=rng.randint(1, uploads), arg=rng.randint(1, 3)))
    if rng.random() < 0.3:
        faults.append(Fault(REG_SLOW, at=rng.randint(1, uploads), arg=round(rng.uniform(1, 4), 1)))
    if rng.random() < 0.3:
        faults.append(Fault(INDEX_LATE, arg=round(rng.uniform(1, 5), 1)))
    if rng.random() < 0.3:
        target = rng.choice(packages).name
        faults.append(Fault(PUSH_REJECT, at=rng.randint(1, 3), target=target))
    if rng.random() < 0.3:
        target = rng.choice(packages).name
        when, span = round(rng.uniform(2, 6 + 2 * n), 1), round(rng.uniform(0.5, 4), 1)
        faults.append(Fault(REMOTE_AWAY, attempt=0, arg=when, span=span, target=target))
    return tuple(faults)
