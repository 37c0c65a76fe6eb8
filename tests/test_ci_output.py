"""GitHub Actions output: workflow commands and the step summary (pure parts and end to end)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_releaseplan import ci, ci_output, scaffold
from pytest_releaseplan.ci_output import Finding
from pytest_releaseplan.scaffold import PackageSpec
from tests.conftest import DIAMOND, run_release

PYPROJECT = """[project]
name = "app"
version = "1.2.0.dev0"
dependencies = [
    "api>=1.0",
    "core==0.9",
]
"""


def test_error_command_escapes_newlines_and_property_separators() -> None:
    line = ci_output.error_command("version (a,b)", "50% off\nFix: x", "libs/a: b.toml", 3)
    assert line == "::error file=libs/a%3A b.toml,line=3,title=version (a%2Cb)::50%25 off%0AFix: x"


def test_error_command_without_a_file_has_no_line() -> None:
    assert ci_output.error_command("branch (.)", "detached", None, 4) == "::error title=branch (.)::detached"


def test_lines_of_the_version_and_a_dependency() -> None:
    assert ci_output.version_line(PYPROJECT) == 3
    assert ci_output.dependency_line(PYPROJECT, "core==0.9") == 6
    assert ci_output.dependency_line(PYPROJECT, "cli>=1") is None


def test_summary_marks_each_check_per_package_and_lists_fixes() -> None:
    findings = [
        Finding("branch", "failed", None, ".", "detached", ["git -C . switch main"]),
        Finding("branch", "failed", "app", ".", "detached", ["git -C . switch main"]),
        Finding("version", "passed", "app", "."),
        Finding("lockfile", "skipped", "app", "."),
    ]
    text = ci_output.summary([("app", "1.2.0.dev0", "1.2.0")], findings, ["branch", "version", "lockfile"])
    assert "| app | 1.2.0.dev0 | 1.2.0 | ❌ | ✅ | ⏭️ |" in text
    assert text.count("`branch`: detached") == 1  # once for the repository, not per package
    assert "  - Fix: `git -C . switch main`" in text


@pytest.fixture
def github_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for key in ci.VARIABLES:
        monkeypatch.delenv(key, raising=False)
    out = tmp_path / "step-summary.md"
    out.write_text("earlier step\n")
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_REF", "refs/heads/main")
    monkeypatch.setenv("GITHUB_EVENT_NAME", "push")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(out))
    return out


class Register:
    """What plugin.py's pytest_configure does once it calls ci_output.register."""

    @pytest.hookimpl(trylast=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        from pytest_releaseplan.plugin import CONTEXT, PLANNED

        if CONTEXT in config.stash:
            ci_output.register(config, config.stash[CONTEXT], config.stash[PLANNED])


def test_failures_annotate_the_line_and_the_summary_is_appended(
    pytester: pytest.Pytester, tmp_path: Path, github_env: Path
) -> None:
    root = tmp_path / "tree"
    repos = scaffold.tree(root, DIAMOND)
    app = repos["app"] / "pyproject.toml"
    app.write_text(app.read_text().replace('"api>=1.0.0.dev0"', '"api>=2.0"'))
    scaffold.git(repos["app"], "commit", "-q", "-am", "stale pin")
    scaffold.git(repos["app"], "push", "-q", "origin", "main")
    result = pytester.runpytest(
        "--release-root", str(root), f"--rootdir={root}", "-p", "no:cacheprovider",
        "--release-audit", plugins=[Register()],
    )
    assert result.ret == 1
    errors = [line for line in result.outlines if line.startswith("::error")]
    want_line = app.read_text().splitlines().index('    "api>=2.0",') + 1
    assert errors == [
        f"::error file=pyproject.toml,line={want_line},title=internal-deps (app)::"
        + errors[0].split("::", 2)[2]
    ]
    assert "%0AFix: edit" in errors[0] and "\n" not in errors[0]
    text = github_env.read_text()
    assert text.startswith("earlier step\n## Release audit\n")
    assert "| app | 1.0.0.dev0 | 1.0.0 | ✅ | ✅ | ✅ | ✅ | ❌ | ✅ |" in text
    assert "- **app** `internal-deps`:" in text


def test_a_repository_failure_is_annotated_once_without_a_file(
    pytester: pytest.Pytester, tmp_path: Path, github_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_REF", "refs/heads/main")
    root = tmp_path / "tree"
    repo = scaffold.tree(root, [PackageSpec("core")])["core"]
    (repo / "notes.txt").write_text("work\n")
    result = run_release(pytester, root, "--release-audit", "--release-offline")
    assert not [line for line in result.outlines if line.startswith("::error")]  # not registered
    result = pytester.runpytest(
        "--release-root", str(root), f"--rootdir={root}", "-p", "no:cacheprovider",
        "--release-audit", "--release-offline", plugins=[Register()],
    )
    errors = [line for line in result.outlines if line.startswith("::error")]
    assert len(errors) == 1
    assert errors[0].startswith("::error title=clean-worktree (core)::repository core has uncommitted work")
    assert "| core | 1.0.0.dev0 | 1.0.0 | ❌ |" in github_env.read_text()
