"""GitHub Actions output (SPEC §3 "CI output"): one `::error` workflow command per failure,
and a Markdown summary appended to `$GITHUB_STEP_SUMMARY`. Rendering is pure."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from pytest_releaseplan.secrets import mask

if TYPE_CHECKING:
    from pytest_releaseplan.context import Context
    from pytest_releaseplan.plan import Planned
    from pytest_releaseplan.workspace import Package

MARKS = {"passed": "✅", "failed": "❌", "skipped": "⏭️"}


@dataclass
class Finding:
    check: str
    outcome: str  # passed | failed | skipped
    package: str | None
    repository: str
    message: str = ""
    fix: list[str] = field(default_factory=list)
    text: str = ""  # the whole failure text


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def error_command(title: str, message: str, file: str | None = None, line: int | None = None) -> str:
    props = [f"file={escape_property(file)}"] if file else []
    props += [f"line={line}"] if file and line else []
    props.append(f"title={escape_property(title)}")
    return f"::error {','.join(props)}::{escape_data(message)}"


def line_of(text: str, pattern: str) -> int | None:
    """1-based number of the first line matching `pattern` (a regex), None when absent."""
    rx = re.compile(pattern)
    return next((n for n, line in enumerate(text.splitlines(), 1) if rx.search(line)), None)


def version_line(pyproject_text: str) -> int | None:
    return line_of(pyproject_text, r"^\s*version\s*=") or line_of(pyproject_text, r"dynamic\s*=")


def dependency_line(pyproject_text: str, raw: str) -> int | None:
    return line_of(pyproject_text, re.escape(raw))


def locate(pkg: Package, finding: Finding) -> tuple[Path, int | None]:
    """The file (absolute) and line a package finding is about."""
    if finding.check == "lockfile" and pkg.lockfile is not None:
        return pkg.lockfile, None
    if finding.check == "version" and pkg.locations and pkg.locations[0].path != pkg.pyproject:
        path = pkg.locations[0].path
        return path, line_of(_read(path), r"__version__|version")
    text = _read(pkg.pyproject)
    if finding.check == "internal-deps":
        raws = [d.raw for d in pkg.dependencies if repr(d.raw) in finding.text]
        return pkg.pyproject, next((n for r in raws if (n := dependency_line(text, r))), None)
    return pkg.pyproject, version_line(text)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def summary(rows: list[tuple[str, str, str]], findings: list[Finding], checks: list[str]) -> str:
    """Markdown: one row per package (name, version, release version) with one mark per check,
    then each failure with its fix. `findings` of repository checks count for its packages."""
    head = ["| package | version | release | " + " | ".join(checks) + " |"]
    head.append("|---" * (3 + len(checks)) + "|")
    body = []
    for name, version, release in rows:
        marks = [
            MARKS.get(next((f.outcome for f in findings if f.check == c and f.package == name), ""), "")
            for c in checks
        ]
        body.append(f"| {name} | {version} | {release} | " + " | ".join(marks) + " |")
    failures = []
    for f in findings:
        if f.outcome != "failed" or _copy(f):
            continue
        subject = f.package or f.repository or "workspace"
        failures.append(f"- **{subject}** `{f.check}`: {f.message}")
        failures += [f"  - Fix: `{line}`" for line in f.fix if line]
    out = ["## Release audit", "", *head, *body]
    if failures:
        out += ["", "### Failures", "", *failures]
    return "\n".join(out) + "\n"


REPO_CHECKS = ("clean-worktree", "branch", "target-branch-sync")


def _copy(f: Finding) -> bool:
    """A repository check's outcome as repeated for one of its packages."""
    return f.package is not None and f.check in REPO_CHECKS


class GitHubOutput:
    """Controller-only plugin: collects each item's outcome, writes annotations and summary."""

    def __init__(self, ctx: Context, planned: list[Planned], summary_path: str | None) -> None:
        self.ctx = ctx
        self.planned = planned
        self.summary_path = summary_path
        self.findings: list[Finding] = []

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if not (report.when == "call" or (report.when == "setup" and not report.passed)):
            return
        props = dict(report.user_properties)
        outcome = report.outcome
        finding = Finding(
            check=report.nodeid.rsplit("::", 1)[-1],
            outcome=outcome,
            package=str(props["package"]) if "package" in props else None,
            repository=str(props.get("repository", "")),
            message=str(props.get("message", "")),
            fix=[line for line in str(props.get("fix", "")).splitlines() if line],
            text=mask(report.longreprtext) if report.failed else "",
        )
        if finding.package is None and finding.repository:
            # A repository check's mark belongs to every package in that repository.
            for pkg in self.ctx.workspace.packages_in(finding.repository):
                self.findings.append(_with_package(finding, pkg.name))
            self.findings.append(finding)
        else:
            self.findings.append(finding)

    @pytest.hookimpl
    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        for line in self.annotations():
            terminalreporter.write_line(line)

    @pytest.hookimpl
    def pytest_sessionfinish(self) -> None:
        if not self.summary_path:
            return
        with Path(self.summary_path).open("a", encoding="utf-8") as fh:
            fh.write(self.markdown())

    def annotations(self) -> list[str]:
        out = []
        ws = self.ctx.workspace
        for f in self.findings:
            if f.outcome != "failed" or _copy(f):
                continue
            title = f"{f.check} ({f.package or f.repository or 'workspace'})"
            body = f.text or f.message
            pkg = ws.by_name.get(f.package) if f.package else None
            if pkg is None:
                out.append(error_command(title, body))
                continue
            path, line = locate(pkg, f)
            try:
                rel = path.resolve().relative_to(pkg.repo.resolve()).as_posix()
            except ValueError:
                rel = str(path)
            out.append(error_command(title, body, rel, line))
        return out

    def markdown(self) -> str:
        rows = [
            (p.name, p.version_text or "(vcs)", str(p.release_version or ""))
            for p in self.ctx.workspace.packages
        ]
        names = list(dict.fromkeys(p.name for p in self.planned if p.scope != "publish"))
        checks = [*(c for c in names if c in REPO_CHECKS), *(c for c in names if c not in REPO_CHECKS)]
        checks = [c for c in checks if any(f.check == c and f.package for f in self.findings)]
        return summary(rows, self.findings, checks)


def _with_package(f: Finding, name: str) -> Finding:
    return Finding(f.check, f.outcome, name, f.repository, f.message, f.fix, f.text)


def register(config: pytest.Config, ctx: Context, planned: list[Planned]) -> None:
    """Under GitHub Actions, on the controller: add the annotations and the step summary."""
    if hasattr(config, "workerinput") or os.environ.get("GITHUB_ACTIONS") != "true":
        return
    plugin = GitHubOutput(ctx, planned, os.environ.get("GITHUB_STEP_SUMMARY"))
    config.pluginmanager.register(plugin, "releaseplan-github-output")
