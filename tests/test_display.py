"""What a person sees: clean node ids, counts of real items only, each directory once."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from pytest_releaseplan.scaffold import tree
from tests.conftest import DIAMOND, NO_ISOLATION_BUILD, run_release


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    tree(root, DIAMOND, config=f'registry = "file:registry"\n{NO_ISOLATION_BUILD}')
    return root


def test_verbose_lines_show_the_node_ids(pytester: pytest.Pytester, workspace: Path) -> None:
    pytester.chdir()
    result = run_release(pytester, workspace, "--release-audit", "-v")
    out = result.stdout.str()
    assert result.ret == 0, out
    # pytest 8.0 shows the workspace node as `ws/.::`, later ones as `ws::`.
    result.stdout.fnmatch_lines(
        ["*ws*::dependency-graph PASSED*", "*ws/app::internal-deps PASSED*"]
    )
    assert "::::" not in out


def test_collect_only_shows_each_directory_once(pytester: pytest.Pytester, workspace: Path) -> None:
    result = run_release(pytester, workspace, "--release-publish", "--collect-only")
    out = result.stdout.str()
    assert result.ret == 0, out
    directories = re.findall(r"^<DirectoryNode (\S+)>$", out, flags=re.MULTILINE)
    assert sorted(directories) == [".", "api", "app", "cli", "core"], out
    assert out.count("<ReleaseItem publish>") == 4


def test_xdist_counts_only_real_items(pytester: pytest.Pytester, workspace: Path) -> None:
    # Only the publish items are selected: all four are skipped on the controller (their
    # checks did not run) and the workers run just their idle items, which no count sees.
    result = run_release(pytester, workspace, "--release-publish", "-n", "2", "-k", "publish")
    out = result.stdout.str()
    assert "2 workers [4 items]" in out, out
    assert "[100%]" in out, out
    result.assert_outcomes(skipped=4)


def test_the_summary_lists_only_what_ran(pytester: pytest.Pytester, workspace: Path) -> None:
    result = run_release(pytester, workspace, "--release-audit", "-k", "dependency-graph")
    out = result.stdout.str()
    assert result.ret == 0, out
    table = out.split("release plan")[-1]
    assert not re.search(r"^(core|api|cli|app) .* ok ", table, flags=re.MULTILINE), out
    assert "workspace: dependency-graph passed" in table, out
    assert "no package check ran (deselected): 4 packages" in table, out

    result = run_release(pytester, workspace, "--release-audit", "-k", "core")
    table = result.stdout.str().split("release plan")[-1]
    assert re.search(r"^core +1\.0\.0\.dev0 -> 1\.0\.0 +ok ", table, flags=re.MULTILINE), table
    assert not re.search(r"^(api|cli|app) ", table, flags=re.MULTILINE), table
    assert "not selected: 3 packages (api, app, cli)" in table, table


def test_long_skip_reasons_are_cut_in_the_table(pytester: pytest.Pytester, workspace: Path) -> None:
    result = run_release(pytester, workspace, "--release-publish", "--release-yes", "-k", "publish")
    table = result.stdout.str().split("release plan")[-1]
    rows = [line for line in table.splitlines() if line.startswith(("core ", "app "))]
    assert len(rows) == 2, table
    assert all("skipped: " in row and "…" in row for row in rows), table
    for row in rows:
        outcome = row.split("1.0.0", 2)[2].split("0.00s")[0].strip()
        assert len(outcome) <= 60, row
    report = (workspace / ".releaseplan" / "last-report.json").read_text()
    assert "…" not in report  # the JSON report keeps the whole reason


def test_plurals() -> None:
    from pytest_releaseplan.report import cut, plural

    assert plural(1, "package") == "1 package"
    assert plural(2, "package") == "2 packages"
    assert plural(0, "package") == "0 packages"
    assert cut("x" * 70) == "x" * 59 + "…"
    assert cut("short") == "short"


def test_repository_checks_name_the_packages_of_their_repository(
    pytester: pytest.Pytester, diamond_monorepo: Path, tmp_path: Path
) -> None:
    junit = tmp_path / "junit.xml"
    result = run_release(pytester, diamond_monorepo, "--release-audit", f"--junitxml={junit}")
    assert result.ret in (0, 1), result.stdout.str()
    seen = 0
    for case in ET.parse(junit).iter("testcase"):
        props = {p.get("name"): p.get("value") for p in case.iter("property")}
        if case.get("name") == "clean-worktree":
            assert props["packages"] == "api,app,cli,core", props
            seen += 1
        elif "package" in props:
            assert "packages" not in props, props
    assert seen == 1
