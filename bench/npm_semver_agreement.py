"""How often two Python implementations of npm ranges agree with node-semver's own fixtures.

Run: python bench/npm_semver_agreement.py   (needs `pip install semantic_version node-semver`)
Cases: tests/data/npm-range-cases.json, npm's default options only (no loose, no
includePrerelease, a string version). An invalid version counts as "not admitted".
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import nodesemver
import semantic_version

CASES = Path(__file__).parent.parent / "tests" / "data" / "npm-range-cases.json"


def semantic_version_admits(range_text: str, version: str) -> bool:
    try:
        parsed = semantic_version.Version(version)
    except ValueError:
        return False
    return parsed in semantic_version.NpmSpec(range_text)


def node_semver_admits(range_text: str, version: str) -> bool:
    try:
        parsed = nodesemver.make_semver(version, loose=False)
    except ValueError:
        return False
    return bool(nodesemver.make_range(range_text, loose=False).test(parsed))


def agreement(admits: Callable[[str, str], bool]) -> tuple[int, int, list[str]]:
    data = json.loads(CASES.read_text(encoding="utf-8"))
    agreed = total = 0
    wrong = []
    for kind, expected in (("include", True), ("exclude", False)):
        for case in data[kind]:
            if case["loose"] or case["include_prerelease"] or not isinstance(case["version"], str):
                continue
            total += 1
            try:
                got: object = admits(case["range"], case["version"])
            except ValueError as exc:
                got = f"error: {exc}"
            if got == expected:
                agreed += 1
            else:
                wrong.append(f"{kind} {case['range']!r} {case['version']!r} -> {got}")
    return agreed, total, wrong


if __name__ == "__main__":
    for name, fn in (("semantic_version", semantic_version_admits), ("node-semver", node_semver_admits)):
        agreed, total, wrong = agreement(fn)
        print(f"{name}: {agreed}/{total} ({100 * agreed / total:.1f}%)")
        for line in wrong:
            print(f"  {line}")
