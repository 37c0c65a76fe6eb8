"""What a person sees: clean node ids, counts of real items only, each directory once."""

from __future__ import annotations

import re
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
