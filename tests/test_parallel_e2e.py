"""Real pytest-xdist runs: failures and dead workers skip exactly their dependents."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_releaseplan.scaffold import PackageSpec, tree
from tests.conftest import DIAMOND, NO_ISOLATION_BUILD, run_release

WIDE = [
    PackageSpec("core"),
    PackageSpec("api", deps=["core>=1.0.0.dev0"]),
    PackageSpec("cli", deps=["core>=1.0.0.dev0"]),
    PackageSpec("web", deps=["core>=1.0.0.dev0"]),
    PackageSpec("app", deps=["api>=1.0.0.dev0", "cli>=1.0.0.dev0"]),
    PackageSpec("solo"),
]


def _outcomes(root: Path) -> dict[str, str]:
    report = json.loads((root / ".releaseplan" / "last-report.json").read_text())
    return {p["name"]: p["publish"]["outcome"] for p in report["packages"]}


CRASH_THE_WORKER = """
import os, pathlib, signal
if pathlib.Path.cwd().name == "api":
    pid = os.getppid()
    while b"python" not in pathlib.Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\\0")[0]:
        pid = int(pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    os.kill(pid, signal.SIGKILL)
"""


def _tree_with_check(root: Path, script: str, specs: list[PackageSpec]) -> Path:
    check = json.dumps(["{python}", "-c", script])
    tree(root, specs, config=f'registry = "file:registry"\ncheck = {check}\n{NO_ISOLATION_BUILD}')
    return root


@pytest.mark.parametrize("args", [(), ("-n", "2")], ids=["serial", "n2"])
def test_a_failed_check_skips_exactly_its_dependents(
    pytester: pytest.Pytester, tmp_path: Path, args: tuple[str, ...]
) -> None:
    script = "import pathlib, sys; sys.exit(3 if pathlib.Path.cwd().name == 'api' else 0)"
    root = _tree_with_check(tmp_path / "ws", script, WIDE)
    result = run_release(pytester, root, "--release-publish", *args)
    assert result.ret == 1
    assert _outcomes(root) == {
        "core": "published",
        "api": "failed",
        "cli": "published",
        "web": "published",
        "app": "skipped",
        "solo": "published",
    }


def test_a_worker_that_dies_mid_item_does_not_hang_the_run(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    # api's check kills the xdist worker running it: a real crash. The worker is the nearest
    # python among the check's ancestors (commands run under process.run's `sh` guard).
    script = CRASH_THE_WORKER
    root = _tree_with_check(tmp_path / "ws", script, WIDE)
    result = run_release(pytester, root, "--release-publish", "-n", "2")
    assert result.ret == 1, result.stdout.str()
    outcomes = _outcomes(root)
    assert outcomes["api"] == "failed"
    assert outcomes["app"] == "skipped"
    assert {outcomes[n] for n in ("core", "cli", "web", "solo")} == {"published"}
    out = result.stdout.str()
    assert "crashed while running 'api::publish'" in out, out
    assert "node down" in out, out


def test_the_scheduler_starts_a_package_only_after_its_dependencies(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    script = "import time; time.sleep(0.3)"
    root = _tree_with_check(tmp_path / "ws", script, [*DIAMOND, PackageSpec("solo")])
    result = run_release(pytester, root, "--release-publish", "-n", "4")
    assert result.ret == 0, result.stdout.str()
    report = json.loads((root / ".releaseplan" / "last-report.json").read_text())
    by_name = {p["name"]: p for p in report["packages"]}
    for pkg in report["packages"]:
        for dep in pkg["depends_on"]:
            assert pkg["publish"]["started"] >= by_name[dep]["publish"]["finished"]
    assert report["workers"] == 4
    workers = {p["publish"]["worker"] for p in report["packages"]}
    assert len(workers) >= 2  # independent packages really ran side by side
