"""Crash-and-fault fuzzer of `pytest --release-publish`: makes "a rerun resumes" a measured figure.

    python bench/fuzz.py --runs 20 --seed 123      # seeds 123..142
    python bench/fuzz.py --replay 131              # one seed again, verbosely

Each seed draws a workspace, a worker count and a fault schedule (bench/fuzz_gen.py), makes
it for real with a pypiserver behind a misbehaving proxy (bench/fuzz_proxy.py), runs the
release, reruns the same command until it finishes (at most --reruns times), then judges
the world (bench/fuzz_check.py). A violation prints the seed and the schedule. Exit 1 when
any run broke an invariant.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import fuzz_gen, fuzz_proxy, fuzz_world
from bench.fuzz_check import check
from bench.fuzz_gen import Fault, Scenario
from pytest_releaseplan.scaffold import IDENTITY
from tests.servers import running_pypiserver

CANARY = "canary-Tw1ne-S3cret-7f3a9c"
RUN_TIMEOUT = 600.0
MARKER = "RELEASEPLAN_FUZZ_RUN"


@dataclass
class Outcome:
    scenario: Scenario
    attempts: int = 0
    kills: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    released: int = 0
    violations: list[str] = field(default_factory=list)
    seconds: float = 0.0
    log: list[str] = field(default_factory=list)


def _env(base: Path, attempt: int, faults: list[Fault], marker: str) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "RELEASEPLAN_", "PYTEST_"))
    }
    env.pop("CI", None)
    env.update(IDENTITY)
    env.update({
        "TWINE_USERNAME": "fuzz", "TWINE_PASSWORD": CANARY, "CI": "1", "GIT_CONFIG_NOSYSTEM": "1",
        "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring", MARKER: marker,
    })  # fmt: skip
    for f in faults:
        if f.kind == fuzz_gen.KILL_STEP and f.attempt == attempt:
            env["RELEASEPLAN_CRASH_AT"] = f"#{f.at}"
            env["RELEASEPLAN_CRASH_COUNTER"] = str(base / f"boundaries-{attempt}")
    return env


def _argv(sc: Scenario, root: Path, report: Path) -> list[str]:
    workers = ["-n", str(sc.workers)] if sc.workers else []
    # the shell only puts its own pid (the group id of the new session) into the environment
    return [
        "/bin/sh", "-c", 'RELEASEPLAN_CRASH_PGID=$$ exec "$@"', "sh",
        sys.executable, "-m", "pytest", "--release-root", str(root), f"--rootdir={root}",
        "-p", "no:cacheprovider", "--release-publish", "-q", f"--junitxml={report}", *workers,
    ]  # fmt: skip


def _timer(seconds: float, action: object) -> threading.Timer:
    timer = threading.Timer(seconds, action)  # type: ignore[arg-type]
    timer.daemon = True
    timer.start()
    return timer


def _away(remote: Path, when: float, span: float, out: Outcome) -> None:
    """The remote is unreachable from `when` for `span` seconds (renamed away and back)."""
    time.sleep(when)
    away = remote.with_name(remote.name + ".away")
    with contextlib.suppress(OSError):
        remote.rename(away)
        out.faults[fuzz_gen.REMOTE_AWAY] += 1
        time.sleep(span)
        away.rename(remote)


def _run_attempt(
    sc: Scenario, layout: fuzz_world.Layout, base: Path, attempt: int, out: Outcome
) -> tuple[int, str]:
    marker = f"{sc.seed}-{attempt}-{time.monotonic_ns()}"
    env = _env(base, attempt, list(sc.faults), marker)
    junit = base / f"junit-{attempt}.xml"
    proc = subprocess.Popen(
        _argv(sc, layout.root, junit), cwd=layout.root, env=env, start_new_session=True,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    timers: list[threading.Timer] = []
    movers: list[threading.Thread] = []
    for f in sc.faults:
        if f.attempt != attempt:
            continue
        if f.kind == fuzz_gen.KILL_TIME:
            timers.append(_timer(f.arg, lambda: _killpg(proc.pid)))
        elif f.kind == fuzz_gen.REMOTE_AWAY:
            remote = layout.remotes[f.target]
            mover = threading.Thread(target=_away, args=(remote, f.arg, f.span, out), daemon=True)
            mover.start()
            movers.append(mover)
    try:
        text, _ = proc.communicate(timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        _killpg(proc.pid)
        text, _ = proc.communicate()
        out.violations.append(f"run {attempt + 1} did not end within {RUN_TIMEOUT:g} s")
    except BaseException:  # the fuzzer itself is stopped: take the run with it
        _killpg(proc.pid)
        raise
    for t in timers:
        t.cancel()
    for m in movers:
        m.join(timeout=30)
    if proc.returncode == -signal.SIGKILL:
        out.kills += 1
    time.sleep(1.0)  # what a kill left running has a moment to end on its own
    survivors = _survivors(proc.pid, marker)
    if survivors:
        out.violations += [f"run {attempt + 1}: alive after the run ended: {s}" for s in survivors]
        for pid in (int(s.split()[0]) for s in survivors):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    reports = [text] + ([junit.read_text(errors="replace")] if junit.exists() else [])
    return proc.returncode, "\n".join(reports)


def _killpg(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def _survivors(pgid: int, marker: str) -> list[str]:
    """Processes of the run still alive: in its group, or carrying its environment marker
    (children that run in sessions of their own)."""
    found: list[str] = []
    needle = f"{MARKER}={marker}".encode()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
            fields = stat.rpartition(")")[2].split()
            if fields[0] == "Z":
                continue
            mine = int(fields[2]) == pgid or needle in (proc / "environ").read_bytes()
            if mine:
                cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                found.append(f"{proc.name} {cmd[:160]}")
        except (OSError, IndexError, ValueError):
            continue
    return found


def _post_faults(faults: tuple[Fault, ...]) -> dict[int, tuple[str, float]]:
    plan: dict[int, tuple[str, float]] = {}
    for f in faults:
        if f.kind in (fuzz_gen.REG_RESET, fuzz_gen.REG_503, fuzz_gen.REG_429):
            action = f.kind.removeprefix("reg-")
            for i in range(int(f.arg)):
                plan.setdefault(f.at + i, (action, 0.0))
        elif f.kind == fuzz_gen.REG_SLOW:
            plan.setdefault(f.at, ("slow", f.arg))
    return plan


def _fired(layout: fuzz_world.Layout, fault: Fault) -> bool:
    count = layout.remotes[fault.target] / "hooks" / "pre-receive.count"
    return count.exists() and int(count.read_text().strip() or 0) >= fault.at


def run_scenario(sc: Scenario, reruns: int, keep: bool = False) -> Outcome:
    out = Outcome(sc)
    started = time.monotonic()
    base = Path(tempfile.mkdtemp(prefix=f"fuzz-{sc.seed}-"))
    late = max((f.arg for f in sc.faults if f.kind == fuzz_gen.INDEX_LATE), default=0.0)
    packages_dir = base / "index"
    texts: list[str] = []
    try:
        with (
            running_pypiserver(packages_dir) as server,
            fuzz_proxy.running(server.url, _post_faults(sc.faults), late) as proxy,
        ):
            layout = fuzz_world.build(sc, base, proxy.url, packages_dir)
            for f in sc.faults:
                if f.kind == fuzz_gen.PUSH_REJECT:
                    fuzz_world.install_reject_hook(layout.remotes[f.target], f.at)
            start = {r: fuzz_world.remote_refs(r) for r in layout.distinct_remotes()}
            for attempt in range(reruns + 1):
                out.attempts += 1
                code, text = _run_attempt(sc, layout, base, attempt, out)
                texts.append(text)
                out.log.append(f"run {attempt + 1}: exit {code}")
                if code == 0:
                    break
            out.faults.update(proxy.injected)
            if late:
                out.faults["index-late"] += 1
            rejected = sum(
                1 for f in sc.faults if f.kind == fuzz_gen.PUSH_REJECT and _fired(layout, f)
            )
            if rejected:
                out.faults[fuzz_gen.PUSH_REJECT] += rejected
            out.log.append(f"uploads refused as already there (409): {sum(proxy.refused.values())}")
            texts += [
                p.read_text(errors="replace") for p in (layout.root / ".releaseplan").glob("*.json")
            ]
            leaks = tuple(f"output of run {i + 1}" for i, t in enumerate(texts) if CANARY in t)
            files = frozenset(p.name for p in packages_dir.iterdir() if p.is_file())
            world = fuzz_world.observe(sc, layout, start, files, proxy.uploads, (), leaks)
            out.released = len(world.releases)
            out.violations += check(sc.packages, world)
            if out.violations:
                out.log.append(texts[-1][-6000:] if texts else "")
    finally:
        out.seconds = time.monotonic() - started
        if not (keep and out.violations):
            subprocess.run(["rm", "-rf", str(base)], check=False, timeout=120)
        else:
            out.log.append(f"kept: {base}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--seed", type=int, default=None, help="first seed (default: from the clock)"
    )
    parser.add_argument("--replay", type=int, default=None, help="run this one seed again")
    parser.add_argument("--reruns", type=int, default=8)
    parser.add_argument("--min-packages", type=int, default=3)
    parser.add_argument("--max-packages", type=int, default=15)
    parser.add_argument("--keep", action="store_true", help="keep the temp dir of a failing run")
    parser.add_argument("--minutes", type=float, default=None, help="stop starting runs after this")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # unwind: stop servers, delete dirs
    first = (
        args.replay
        if args.replay is not None
        else (args.seed if args.seed is not None else int(time.time()))
    )
    count = 1 if args.replay is not None else args.runs
    print(
        f"fuzz: first seed {first}, {count} run(s), at most {args.reruns} reruns each", flush=True
    )
    totals: Counter[str] = Counter()
    failed: list[int] = []
    deadline = time.monotonic() + 60 * args.minutes if args.minutes else None
    for seed in range(first, first + count):
        if deadline is not None and time.monotonic() > deadline:
            break
        sc = fuzz_gen.draw(seed, args.min_packages, args.max_packages)
        print(
            sc.describe() if args.replay is not None else sc.describe().splitlines()[0], flush=True
        )
        out = run_scenario(sc, args.reruns, keep=args.keep)
        totals.update(runs=1, kills=out.kills, attempts=out.attempts, released=out.released,
                      faults=sum(out.faults.values()) + out.kills, violations=len(out.violations))  # fmt: skip
        verdict = "ok" if not out.violations else f"{len(out.violations)} VIOLATION(S)"
        print(f"  {verdict}: {out.attempts} run(s), {out.kills} kill(s), faults {dict(out.faults)}, "
              f"{out.released} released, {out.seconds:.0f} s", flush=True)  # fmt: skip
        if out.violations:
            failed.append(seed)
            if args.replay is None:
                print(sc.describe(), flush=True)
            for v in out.violations:
                print(f"  VIOLATION: {v}", flush=True)
            print(f"  replay: python bench/fuzz.py --replay {seed} --min-packages {args.min_packages} "
                  f"--max-packages {args.max_packages}", flush=True)  # fmt: skip
            if args.replay is not None or args.keep:
                print("\n".join(out.log), flush=True)
    print(
        f"\nfuzz totals: runs {totals['runs']}, reruns+first {totals['attempts']}, kills {totals['kills']}, "
        f"faults injected {totals['faults']}, packages released {totals['released']}, "
        f"violations {totals['violations']} (seeds {failed or 'none'})"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
