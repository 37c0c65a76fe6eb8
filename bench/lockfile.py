"""What the `lockfile` items cost in an audit of a uv workspace with a large shared uv.lock.

Usage: python bench/lockfile.py [N ...] [--repeat R] [--externals E] [--xdist K]

Default N = 40 80 160 members, R = 3, E = 150 external packages (about 1.1 MB of lock).
Each N gets a fresh uv workspace (ONE git repository with a bare remote): a virtual root,
N members under libs/ (each depending on up to two earlier members through workspace
sources, on three external packages with specifiers and markers, with an extra and a
dev group), one `release = false` member, and a `uv.lock` written in uv's own format
(revision 3: registry entries with sdist and wheels, sha256 hashes, sizes, upload
times, markers, resolution-markers and forked versions), committed. The lockfile check
must judge it in sync: the bench refuses a run whose audit does not pass.

Measured, wall time of the whole subprocess, runs interleaved, median of R (cold: the
lock summary a previous run cached under .releaseplan/ is deleted first; --warm keeps it):
`pytest --release-audit --release-offline -p no:cacheprovider -q` with and without
`-k "not lockfile"`; ratio = with / without (goal <= 1.3).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pytest_releaseplan.scaffold import IDENTITY, init_repo

GOAL_RATIO = 1.3
SUMMARY_CACHE = "lockfiles-v1"  # lockfiles.summary.SCHEMA
INDEX = "https://pypi.org/simple"
FILES = "https://files.pythonhosted.org/packages"
PYTHONS = ("cp311", "cp312", "cp313")
PLATFORMS = (
    "manylinux_2_17_x86_64.manylinux2014_x86_64",
    "manylinux_2_17_aarch64.manylinux2014_aarch64",
    "musllinux_1_2_x86_64",
    "musllinux_1_2_aarch64",
    "macosx_10_9_x86_64",
    "macosx_11_0_arm64",
    "win_amd64",
    "win32",
)
FORK_MARKERS = ("python_full_version >= '3.12'", "python_full_version < '3.12'")
MEMBER_MARKERS = ("", "sys_platform == 'linux'", "python_full_version >= '3.12'", "")
SUMMARY = re.compile(r"(\d+) passed")


def digest(*parts: object) -> str:
    return hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()


def file_entry(filename: str, size: int) -> str:
    h = digest(filename)
    url = f"{FILES}/{h[:2]}/{h[2:4]}/{h[4:60]}/{filename}"
    return (
        f'{{ url = "{url}", hash = "sha256:{digest("hash", filename)}", size = {size}, '
        f'upload-time = "2024-0{1 + size % 9}-1{size % 10}T12:3{size % 10}:0{size % 7}.123Z" }}'
    )


def ext_name(i: int) -> str:
    return f"ext-{i:03d}"


def ext_version(i: int, fork: int = 0) -> str:
    return f"{1 + i % 7}.{i % 13}.{fork}"


def forked(i: int) -> bool:
    return i % 25 == 3  # a few externals are locked at two versions (one per Python range)


def ext_deps(i: int) -> list[int]:
    return sorted({j for j in (i // 2, i // 3) if j < i and not forked(j)})


def external_block(i: int, fork: int | None) -> str:
    name, version = ext_name(i), ext_version(i, fork or 0)
    lines = ["[[package]]", f'name = "{name}"', f'version = "{version}"']
    lines.append(f'source = {{ registry = "{INDEX}" }}')
    if fork is not None:
        lines.append(f'resolution-markers = [\n    "{FORK_MARKERS[fork]}",\n]')
    deps = ext_deps(i)
    if deps:
        body = []
        for n, j in enumerate(deps):
            marker = ', marker = "sys_platform == \'win32\'"' if n == 1 and j % 2 else ""
            body.append(f'    {{ name = "{ext_name(j)}"{marker} }},')
        lines.append("dependencies = [\n" + "\n".join(body) + "\n]")
    stem = f"{name.replace('-', '_')}-{version}"
    lines.append(f"sdist = {file_entry(f'{stem}.tar.gz', 40_000 + i * 97)}")
    wheels = [
        file_entry(f"{stem}-{py}-{py}-{plat}.whl", 90_000 + i * 31 + k)
        for k, (py, plat) in enumerate((py, plat) for py in PYTHONS for plat in PLATFORMS)
    ]
    lines.append("wheels = [\n" + "".join(f"    {w},\n" for w in wheels) + "]")
    if has_speed(i):
        lines.append(
            f'\n[package.optional-dependencies]\nspeed = [\n    {{ name = "{ext_name(deps[0])}" }},\n]'
        )
    return "\n".join(lines) + "\n"


def member_name(i: int) -> str:
    return f"pkg-{i:04d}"


def member_parents(i: int) -> list[int]:
    return sorted({(i - 1) // 2, (i - 1) // 3} - {i}) if i else []


def member_externals(i: int, externals: int) -> list[int]:
    return sorted({(i * 7) % externals, (i * 11 + 1) % externals, (i * 13 + 2) % externals})


def ext_ref(j: int, extra: str = "") -> str:
    """How a dependent's `dependencies` names an external (a forked one once per fork)."""
    with_extra = f', extra = ["{extra}"]' if extra else ""
    if not forked(j):
        return f'    {{ name = "{ext_name(j)}"{with_extra} }},'
    return "\n".join(
        f'    {{ name = "{ext_name(j)}", version = "{ext_version(j, f)}", '
        f'source = {{ registry = "{INDEX}" }}{with_extra}, marker = "{FORK_MARKERS[f]}" }},'
        for f in (0, 1)
    )


def has_speed(j: int) -> bool:
    return j % 5 == 0 and bool(ext_deps(j))


def member_pyproject(i: int, externals: int, release: bool = True) -> str:
    name = member_name(i)
    internal = [member_name(p) for p in member_parents(i)]
    exts = member_externals(i, externals)
    deps = [f"{n}>=1.0.0.dev0" for n in internal]
    for k, j in enumerate(exts):
        marker = MEMBER_MARKERS[k % len(MEMBER_MARKERS)]
        deps.append(f"{ext_name(j)}>={ext_version(j)}" + (f"; {marker}" if marker else ""))
    sources = "".join(f"{n} = {{ workspace = true }}\n" for n in internal)
    extra = f'speed = ["{ext_name(exts[0])}[speed]>=1"]\n' if has_speed(exts[0]) else (
        f'speed = ["{ext_name(exts[0])}>=1"]\n'
    )
    return (
        f'[project]\nname = "{name}"\nversion = "1.0.0.dev0"\nrequires-python = ">=3.11"\n'
        "dependencies = [\n" + "".join(f'    "{d}",\n' for d in deps) + "]\n\n"
        f"[project.optional-dependencies]\n{extra}\n"
        f'[dependency-groups]\ndev = ["{ext_name(exts[-1])}>=1.0"]\n\n'
        + (f"[tool.uv.sources]\n{sources}\n" if sources else "")
        + ("" if release else "[tool.releaseplan]\nrelease = false\n\n")
        + '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
    )


def _spec_entry(name: str, spec: str, marker: str) -> str:
    m = f', marker = "{marker}"' if marker else ""
    return f'{{ name = "{name}"{m}, specifier = "{spec}" }}'


def member_block(i: int, externals: int) -> str:
    name = member_name(i)
    internal = [member_name(p) for p in member_parents(i)]
    exts = member_externals(i, externals)
    lines = ["[[package]]", f'name = "{name}"', 'version = "1.0.0.dev0"']
    lines.append(f'source = {{ editable = "libs/{name}" }}')
    dep_lines = [f'    {{ name = "{n}" }},' for n in internal]
    dep_lines += [ext_ref(j) for j in exts]
    lines.append("dependencies = [\n" + "\n".join(sorted(dep_lines)) + "\n]")
    speed = ext_ref(exts[0], "speed" if has_speed(exts[0]) else "")
    lines.append(f"\n[package.optional-dependencies]\nspeed = [\n{speed}\n]")
    lines.append(f"\n[package.dev-dependencies]\ndev = [\n{ext_ref(exts[-1])}\n]")
    requires = [f'{{ name = "{n}", editable = "libs/{n}" }}' for n in internal]
    for k, j in enumerate(exts):
        requires.append(
            _spec_entry(ext_name(j), f">={ext_version(j)}", MEMBER_MARKERS[k % len(MEMBER_MARKERS)])
        )
    extras = ', extras = ["speed"]' if has_speed(exts[0]) else ""
    requires.append(
        f'{{ name = "{ext_name(exts[0])}"{extras}, marker = "extra == \'speed\'", specifier = ">=1" }}'
    )
    lines.append(
        "\n[package.metadata]\nrequires-dist = [\n"
        + "".join(f"    {r},\n" for r in sorted(requires))
        + ']\nprovides-extras = ["speed"]'
    )
    lines.append(
        "\n[package.metadata.requires-dev]\n"
        f'dev = [{{ name = "{ext_name(exts[-1])}", specifier = ">=1.0" }}]'
    )
    return "\n".join(lines) + "\n"


def uv_lock(n: int, externals: int) -> str:
    names = [member_name(i) for i in range(n + 1)] + ["workspace-root"]
    head = (
        'version = 1\nrevision = 3\nrequires-python = ">=3.11"\n'
        'resolution-markers = [\n' + "".join(f'    "{m}",\n' for m in FORK_MARKERS) + "]\n\n"
        "[manifest]\nmembers = [\n" + "".join(f'    "{m}",\n' for m in sorted(names)) + "]\n"
    )
    blocks: list[tuple[str, str]] = []
    for i in range(externals):
        for fork in (0, 1) if forked(i) else (None,):
            blocks.append((ext_name(i), external_block(i, fork)))
    blocks += [(member_name(i), member_block(i, externals)) for i in range(n + 1)]
    blocks.append(("workspace-root", ROOT_BLOCK))
    blocks.sort(key=lambda b: b[0])
    return head + "".join(f"\n{text}" for _, text in blocks)


ROOT_BLOCK = '[[package]]\nname = "workspace-root"\nversion = "0.0.0"\nsource = { virtual = "." }\n'
ROOT_PYPROJECT = (
    '[project]\nname = "workspace-root"\nversion = "0.0.0"\nrequires-python = ">=3.11"\n'
    'dependencies = []\n\n[tool.uv]\npackage = false\n\n[tool.uv.workspace]\nmembers = ["libs/*"]\n'
)


def generate(root: Path, n: int, externals: int) -> tuple[float, int]:
    """N released members plus one `release = false` member (the last); (seconds, lock bytes)."""
    started = time.perf_counter()
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text(ROOT_PYPROJECT)
    (root / ".gitignore").write_text(".venv/\n__pycache__/\n")
    for i in range(n + 1):
        pkg = root / "libs" / member_name(i)
        (pkg / "src" / member_name(i).replace("-", "_")).mkdir(parents=True)
        (pkg / "src" / member_name(i).replace("-", "_") / "__init__.py").write_text("")
        (pkg / "pyproject.toml").write_text(member_pyproject(i, externals, release=i < n))
    lock = uv_lock(n, externals)
    (root / "uv.lock").write_text(lock)
    init_repo(root, root.parent / f"{root.name}-remote.git")
    return time.perf_counter() - started, len(lock.encode())


def audit(root: Path, *extra: str, warm: bool = False) -> float:
    if not warm:  # a cold run: no lock summary cached by an earlier run
        shutil.rmtree(root / ".releaseplan" / SUMMARY_CACHE, ignore_errors=True)
    argv = [sys.executable, "-m", "pytest", "--release-audit", "--release-offline",
            "-p", "no:cacheprovider", "-q", *extra]
    started = time.perf_counter()
    result = subprocess.run(argv, cwd=root, capture_output=True, text=True, timeout=600,
                            check=False)
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"audit of {root.name} {extra} failed (exit {result.returncode}):\n"
                         + "\n".join(result.stdout.splitlines()[-40:]) + result.stderr[-2000:])
    return wall


def in_process(root: Path) -> tuple[float, float]:
    """(seconds to summarize the lock once, seconds for every package's comparison after)."""
    from pytest_releaseplan import lockfiles
    from pytest_releaseplan.config import load
    from pytest_releaseplan.lockfiles import summary
    from pytest_releaseplan.workspace import discover

    workspace = discover(root, load(root))
    summary.forget()
    started = time.perf_counter()
    summary.load(root / "uv.lock", lockfiles.FORMATS["uv"].summarize)
    parsed = time.perf_counter()
    reasons = [lockfiles.stale_reasons(workspace, p) for p in workspace.packages]
    if any(reasons):
        raise SystemExit(f"{root.name}: the lock is judged out of sync: {reasons}")
    return parsed - started, time.perf_counter() - parsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[40, 80, 160])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--externals", type=int, default=150)
    parser.add_argument("--xdist", type=int, default=0, help="also pass -n K (0: no xdist)")
    parser.add_argument("--keep", metavar="DIR", help="generate under DIR and keep it")
    parser.add_argument("--warm", action="store_true",
                        help="keep the lock summary an earlier run cached in .releaseplan/")
    args = parser.parse_args(argv)
    os.environ.update(IDENTITY)
    for key in ("CI", "GITHUB_ACTIONS", "GITLAB_CI"):
        os.environ.pop(key, None)
    xdist = ["-n", str(args.xdist)] if args.xdist else []
    rows = []
    with tempfile.TemporaryDirectory(prefix="rp-bench-lockfile-") as tmp:
        base = Path(args.keep) if args.keep else Path(tmp)
        for n in args.sizes:
            root = base / f"uvws-{n}"
            gen, size = generate(root, n, args.externals)
            with_lock: list[float] = []
            without: list[float] = []
            for _ in range(args.repeat):
                with_lock.append(audit(root, *xdist, warm=args.warm))
                without.append(audit(root, *xdist, "-k", "not lockfile", warm=args.warm))
            parse, compare = in_process(root)
            w, wo = statistics.median(with_lock), statistics.median(without)
            ratio = w / wo
            goal = "ok" if ratio <= GOAL_RATIO else "MISSED"
            rows.append(
                f"| {n} | {size / 1e6:.2f} | {gen:.1f} | {wo:.2f} | {w:.2f} | {w - wo:.2f} "
                f"| {(w - wo) / n * 1000:.1f} | {ratio:.2f} | {goal} "
                f"| {parse:.2f} | {compare:.3f} | {compare / n * 1000:.2f} |"
            )
            print(rows[-1], file=sys.stderr)
    mode = (f"-n {args.xdist}" if args.xdist else "no xdist") + (", warm" if args.warm else ", cold")
    print(f"\nAudit of a uv workspace with a shared uv.lock ({mode}), wall seconds, median of "
          f"{args.repeat} interleaved runs, {os.cpu_count()} CPUs\n")
    print("| members | uv.lock MB | generate s | without lockfile items s | with s "
          "| lockfile items s | per member ms | ratio | goal (<= 1.3) "
          "| in-process: parse once s | compare all s | compare per member ms |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
