from __future__ import annotations

import importlib
import os
import pkgutil
import sys
from pathlib import Path

import pytest

import pytest_releaseplan
from pytest_releaseplan import ci
from pytest_releaseplan.scaffold import IDENTITY, PackageSpec, monorepo, tree

# pytester's in-process runs drop modules first imported inside them; import every module of
# the plugin here so all runs share one copy (else packaging.Version from two copies clash).
for _module in pkgutil.walk_packages(pytest_releaseplan.__path__, "pytest_releaseplan."):
    if _module.name != "pytest_releaseplan.demo":
        importlib.import_module(_module.name)

DIAMOND = [
    PackageSpec("core"),
    PackageSpec("api", deps=["core>=1.0.0.dev0"]),
    PackageSpec("cli", deps=["core>=1.0.0.dev0"]),
    PackageSpec("app", deps=["api>=1.0.0.dev0", "cli>=1.0.0.dev0"]),
]

NO_ISOLATION_BUILD = 'build = ["{python}", "-m", "build", "--no-isolation", "--outdir", "{dist}"]\n'


@pytest.fixture(autouse=True)
def _git_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in IDENTITY.items():
        monkeypatch.setenv(key, value)
    # The suite must judge like a workstation even when it runs inside GitHub Actions or GitLab
    # CI; the CI tests set the variables they need.
    for name in ci.VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


@pytest.fixture
def diamond_tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    tree(root, DIAMOND, config=NO_ISOLATION_BUILD)
    return root


@pytest.fixture
def diamond_monorepo(tmp_path: Path) -> Path:
    root = tmp_path / "mono"
    monorepo(root, DIAMOND, config=NO_ISOLATION_BUILD)
    return root


# Options every pytest run on a test workspace gets: no cache dir in the workspace, and not
# hypothesis's plugin (it imports hypothesis at every session's end: ~0.4 s per run).
RUN_OPTIONS = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest")


def release_argv(root: Path, *args: str) -> list[str]:
    """`python -m pytest` on the workspace at `root`, with `args` (the mode among them)."""
    return [sys.executable, "-m", "pytest", "--release-root", str(root), f"--rootdir={root}",
            *RUN_OPTIONS, *args]  # fmt: skip


def run_release(
    pytester: pytest.Pytester, root: Path, *args: str, subprocess: bool = False
) -> pytest.RunResult:
    argv = ["--release-root", str(root), f"--rootdir={root}", *RUN_OPTIONS, *args]
    if subprocess or any(a.startswith("-n") for a in args):
        return pytester.runpytest_subprocess(*argv, timeout=600)
    return pytester.runpytest(*argv)


__all__ = ["DIAMOND", "PackageSpec", "os", "release_argv", "run_release"]
