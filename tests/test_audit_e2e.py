from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_release


def test_a_clean_tree_passes_every_check(pytester: pytest.Pytester, diamond_tree: Path) -> None:
    result = run_release(pytester, diamond_tree, "--release-audit", "-v")
    result.assert_outcomes(passed=1 + 4 * 3 + 4 * 3)
    result.stdout.fnmatch_lines(
        ["*app::internal-deps PASSED*", "*core::target-branch-sync PASSED*"]
    )
    report = json.loads((diamond_tree / ".releaseplan" / "last-report.json").read_text())
    assert report["mode"] == "audit"
    assert [p["name"] for p in report["packages"]] == ["api", "app", "cli", "core"]
