"""Selection never bypasses safety: a publish whose checks did not run is skipped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_releaseplan.scaffold import git, tree
from pytest_releaseplan.selection import gate_reasons, rerun_command, unselected_checks
from tests.conftest import DIAMOND, NO_ISOLATION_BUILD, run_release

DEPS = {
    "core::publish": {".::dependency-graph", "core::clean-worktree", "core::version"},
    "app::publish": {".::dependency-graph", "app::version", "core::publish"},
}
CHECKS = {".::dependency-graph", "core::clean-worktree", "core::version", "app::version"}


def test_a_publish_without_its_checks_is_reported_with_what_is_missing() -> None:
    selected = ["core::publish", "core::version"]
    assert unselected_checks(DEPS, CHECKS, selected) == {
        "core::publish": [".::dependency-graph", "core::clean-worktree"]
    }


def test_a_deselected_dependency_publish_is_not_a_missing_check() -> None:
    selected = [".::dependency-graph", "app::version", "app::publish"]
    assert unselected_checks(DEPS, CHECKS, selected) == {}


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--release-publish", "-k", "core and publish"], "pytest --release-publish -k core"),
        (["--release-publish", "-kcore and publish"], "pytest --release-publish -k core"),
        (["--release-publish", "--lf", "-n", "2"], "pytest --release-publish -n 2 -k core"),
        (
            ["--release-publish", "--last-failed", "--lfnf", "all"],
            "pytest --release-publish -k core",
        ),
        (["--release-publish", "-m", "slow"], "pytest --release-publish -k core"),
        (["--release-publish", "--sw"], "pytest --release-publish -k core"),
        (
            ["--release-publish", "--deselect", "core::clean-worktree", "--deselect=app::publish"],
            "pytest --release-publish --deselect=app::publish",
        ),
        (["--release-publish", "--deselect=core"], "pytest --release-publish"),
    ],
)
def test_the_command_selects_the_packages_with_their_checks(args: list[str], expected: str) -> None:
    assert rerun_command(args, ["core"], [".::dependency-graph", "core::clean-worktree"]) == (
        expected
    )


def test_the_reason_names_the_missing_checks_and_the_command() -> None:
    reasons = gate_reasons(
        DEPS,
        CHECKS,
        ["core::publish", "app::publish", "app::version"],
        ["--release-publish", "-k", "publish or app"],
        {"core::publish": "core", "app::publish": "app"},
    )
    assert reasons == {
        "core::publish": "its checks did not run in this run "
        "(.::dependency-graph, core::clean-worktree, core::version); "
        "with them: pytest --release-publish -k 'app or core'",
        "app::publish": "its checks did not run in this run (.::dependency-graph); "
        "with them: pytest --release-publish -k 'app or core'",
    }


# --------------------------------------------------------------------------- end to end


def _dirty_tree(tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    tree(root, DIAMOND, config=f'registry = "file:registry"\n{NO_ISOLATION_BUILD}')
    with (root / "core" / "src" / "core" / "__init__.py").open("a") as f:
        f.write("UNFINISHED = True  # not committed\n")
    return root


def _nothing_released(root: Path) -> None:
    assert not (root / "registry").exists() or not any((root / "registry").rglob("*.whl"))
    for name in ("core", "api", "cli", "app"):
        assert git(root / name, "tag", "--list") == ""
        assert git(root / ".remotes" / f"{name}.git", "tag", "--list") == ""
    assert "UNFINISHED" in (root / "core" / "src" / "core" / "__init__.py").read_text()


def _publish_outcomes(root: Path) -> dict[str, tuple[str, str]]:
    report = json.loads((root / ".releaseplan" / "last-report.json").read_text())
    return {
        p["name"]: (p["publish"]["outcome"], p["publish"].get("failure") or "")
        for p in report["packages"]
        if p.get("publish")
    }


@pytest.mark.parametrize("args", [(), ("-n", "2")], ids=["serial", "n2"])
def test_selecting_only_the_publish_skips_it_and_names_the_command(
    pytester: pytest.Pytester, tmp_path: Path, args: tuple[str, ...]
) -> None:
    root = _dirty_tree(tmp_path)
    result = run_release(
        pytester, root, "--release-publish", "--release-yes", "-rs", "-k", "core and publish", *args
    )
    out = result.stdout.str()
    assert result.ret in (0, 1), out
    result.assert_outcomes(skipped=1)
    assert "its checks did not run in this run (.::dependency-graph, " in out, out
    # The same command, with the narrowing -k replaced by one that selects core's checks.
    result.stdout.fnmatch_lines(
        ["SKIPPED [[]1[]] *core*: its checks did not run*: pytest *--release-yes -rs*-k core"]
    )
    assert "and publish" not in out.split("with them:")[1]
    _nothing_released(root)


@pytest.mark.parametrize("args", [(), ("-n", "2")], ids=["serial", "n2"])
def test_deselecting_a_check_skips_its_publish_and_the_dependents(
    pytester: pytest.Pytester, tmp_path: Path, args: tuple[str, ...]
) -> None:
    root = _dirty_tree(tmp_path)
    result = run_release(
        pytester,
        root,
        "--release-publish",
        "--release-yes",
        "--release-dry-run",
        "-rs",  # the full skip reasons (the summary table shortens long ones)
        "--deselect",
        "core::clean-worktree",
        *args,
    )
    out = result.stdout.str()
    assert "its checks did not run in this run (core::clean-worktree)" in out, out
    outcomes = _publish_outcomes(root)
    assert outcomes["core"][0] == "skipped"
    assert {outcomes[n][0] for n in ("api", "cli", "app")} == {"skipped"}
    _nothing_released(root)


def test_the_suggested_selection_runs_the_checks_and_they_stop_the_publish(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    root = _dirty_tree(tmp_path)
    result = run_release(
        pytester, root, "--release-publish", "--release-yes", "-v", "-rs", "-k", "core"
    )
    out = result.stdout.str()
    assert result.ret == 1, out
    result.stdout.fnmatch_lines(
        [
            "*::dependency-graph PASSED*",
            "*/core::clean-worktree FAILED*",
            "*/core::publish SKIPPED*",
        ]
    )
    assert _publish_outcomes(root)["core"][0] == "skipped"
    assert "dependency core::clean-worktree did not succeed (failed)" in out
    _nothing_released(root)
