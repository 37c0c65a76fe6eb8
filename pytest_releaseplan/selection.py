"""Selection never bypasses safety: a publish whose checks are not selected does not run.

`-k`, `-m`, `--deselect`, `--lf` and `--sw` choose items; a publish item may only run when
every check it depends on runs (and passes) in the same run. Pure functions over node ids.
"""

from __future__ import annotations

import shlex
from collections.abc import Collection, Mapping, Sequence

SHOWN = 4  # missing checks named in a reason; the rest are counted

# Options that narrow the selection: (spelling, takes a value).
_NARROWING = {"-k": True, "-m": True, "--lf": False, "--last-failed": False, "--sw": False,
              "--stepwise": False, "--sw-skip": False, "--stepwise-skip": False,
              "--lfnf": True, "--last-failed-no-failures": True}  # fmt: skip
_DESELECT = "--deselect"


def unselected_checks(
    deps: Mapping[str, Collection[str]], checks: Collection[str], selected: Collection[str]
) -> dict[str, list[str]]:
    """Selected item -> the checks it depends on that are not selected (sorted); only items
    missing some. Other dependencies (publish items of dependencies) may be deselected."""
    chosen = set(selected)
    out: dict[str, list[str]] = {}
    for nodeid in selected:
        missing = sorted(d for d in deps.get(nodeid, ()) if d in checks and d not in chosen)
        if missing:
            out[nodeid] = missing
    return out


def rerun_command(args: Sequence[str], packages: Sequence[str], missing: Collection[str]) -> str:
    """The same command, selecting the packages' items and every check they need.

    Narrowing options are replaced by `-k "a or b"` (workspace and repository checks answer to
    their packages' names); a `--deselect` is dropped when it covers a missing check.
    """
    kept: list[str] = []
    narrowed = False
    rest = iter(args)
    for arg in rest:
        name, sep, value = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        short = arg[:2] if arg[:2] in ("-k", "-m") and len(arg) > 2 else None
        if short is not None:
            narrowed = True
        elif name in _NARROWING:
            narrowed = True
            if _NARROWING[name] and not sep:
                next(rest, None)
        elif name == _DESELECT:
            target = value if sep else next(rest, "")
            if not any(m.startswith(target) for m in missing):
                kept += [f"{_DESELECT}={target}"]
        else:
            kept.append(arg)
    if narrowed:
        kept += ["-k", " or ".join(packages)]
    return shlex.join(["pytest", *kept])


def gate_reasons(
    deps: Mapping[str, Collection[str]],
    checks: Collection[str],
    selected: Sequence[str],
    args: Sequence[str],
    package_of: Mapping[str, str],
) -> dict[str, str]:
    """Publish id -> why it is skipped, for each selected one whose checks are not selected."""
    blocked = unselected_checks(deps, checks, selected)
    if not blocked:
        return {}
    packages = sorted({package_of.get(n, n) for n in blocked})
    every_missing = {m for ms in blocked.values() for m in ms}
    command = rerun_command(args, packages, every_missing)
    out: dict[str, str] = {}
    for nodeid, missing in blocked.items():
        named = ", ".join(missing[:SHOWN])
        if len(missing) > SHOWN:
            named += f" and {len(missing) - SHOWN} more"
        out[nodeid] = f"its checks did not run in this run ({named}); with them: {command}"
    return out
