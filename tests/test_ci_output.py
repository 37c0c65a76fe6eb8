"""GitHub Actions output: workflow commands and the step summary (pure parts and end to end)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import junitparser
import pytest
import yaml

from pytest_releaseplan import ci, ci_output, scaffold
from pytest_releaseplan.ci_output import Finding
from pytest_releaseplan.scaffold import PackageSpec
from tests.conftest import DIAMOND

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
    assert (
        ci_output.error_command("branch (.)", "detached", None, 4)
        == "::error title=branch (.)::detached"
    )


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
    text = ci_output.summary(
        [("app", "1.2.0.dev0", "1.2.0")], findings, ["branch", "version", "lockfile"]
    )
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
        "--release-root",
        str(root),
        f"--rootdir={root}",
        "-p",
        "no:cacheprovider",
        "--release-audit",
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
    result = pytester.runpytest(
        "--release-root",
        str(root),
        f"--rootdir={root}",
        "-p",
        "no:cacheprovider",
        "--release-audit",
        "--release-offline",
    )
    errors = [line for line in result.outlines if line.startswith("::error")]
    assert len(errors) == 1
    assert errors[0].startswith(
        "::error title=clean-worktree (core)::repository core has uncommitted work"
    )
    assert "| core | 1.0.0.dev0 | 1.0.0 | ❌ |" in github_env.read_text()


# --------------------------------------------------------------------------- README configurations

README = Path(__file__).resolve().parent.parent / "README.md"


def readme_configs() -> list[dict[str, Any]]:
    section = README.read_text().split("## Run it in CI", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```yaml\n(.*?)```", section, flags=re.S)
    return [yaml.safe_load(block) for block in blocks]


def test_the_readme_github_workflow_audits_prs_and_pushes_and_publishes_keylessly() -> None:
    github = readme_configs()[0]
    triggers = github.get("on", github.get(True))  # YAML 1.1 reads a bare `on` as true
    assert {"pull_request", "push", "workflow_dispatch"} <= set(triggers)
    publish = github["jobs"]["publish"]
    assert publish["permissions"]["id-token"] == "write"
    runs = [step.get("run", "") for step in publish["steps"]]
    assert any("--release-publish" in r and "--release-yes" in r for r in runs)
    assert "secrets." not in yaml.safe_dump(github)  # no stored password
    checkout = github["jobs"]["audit"]["steps"][0]
    assert checkout["with"]["fetch-depth"] == 0


def test_the_readme_gitlab_job_reports_the_junit_file_it_writes() -> None:
    job = readme_configs()[1]["release-audit"]
    command = next(line for line in job["script"] if line.startswith("pytest"))
    junit = job["artifacts"]["reports"]["junit"]
    assert f"--junitxml={junit}" in shlex.split(command)
    assert job["variables"]["GIT_DEPTH"] == "0"


@pytest.mark.parametrize("system", ["github", "gitlab"])
def test_the_readme_audit_commands_run_on_a_ci_checkout(
    pytester: pytest.Pytester,
    tmp_path: Path,
    github_env: Path,
    system: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    github, gitlab = readme_configs()
    if system == "github":
        runs = [s.get("run", "") for s in github["jobs"]["audit"]["steps"]]
    else:
        for key in ci.GITHUB:
            monkeypatch.delenv(key, raising=False)
        monkeypatch.setenv("GITLAB_CI", "true")
        monkeypatch.setenv("CI_COMMIT_BRANCH", "main")
        runs = gitlab["release-audit"]["script"]
    command = shlex.split(next(r for r in runs if r.startswith("pytest")))
    root = tmp_path / "mono"
    scaffold.monorepo(root, DIAMOND)
    sha = scaffold.git(root, "rev-parse", "HEAD").strip()
    scaffold.git(root, "switch", "-q", "--detach", sha)  # as CI checks out: detached at the tip
    scaffold.git(root, "branch", "-q", "-D", "main")
    (root / ".venv").mkdir()
    (root / ".venv" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    result = pytester.runpytest(
        *command[1:], "--release-root", str(root), f"--rootdir={root}", "-p", "no:cacheprovider"
    )
    assert result.ret == 0, result.stdout.str()
    junit = next(a.split("=", 1)[1] for a in command if a.startswith("--junitxml="))
    cases = [
        c for suite in junitparser.JUnitXml.fromfile(str(pytester.path / junit)) for c in suite
    ]
    assert sorted({c.name for c in cases}) == sorted(
        [
            "discovery",
            "dependency-graph",
            "clean-worktree",
            "branch",
            "target-branch-sync",
            "version",
            "internal-deps",
            "lockfile",
        ]
    )
    assert all(c.is_passed for c in cases)
    props = {
        (c.name, p.name): p.value
        for c in cases
        for holder in c.iterchildren(junitparser.Properties)
        for p in holder
    }
    assert props["branch", "repository"] == "."
    assert "the tip of origin/main" in props["branch", "message"]
    assert props["version", "release_version"] == "1.0.0"
