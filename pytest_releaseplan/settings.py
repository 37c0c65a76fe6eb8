"""Command-line options merged over the config file into one frozen Settings value."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import pytest

from pytest_releaseplan import config as config_mod
from pytest_releaseplan.config import Config
from pytest_releaseplan.errors import ConfigError


@dataclass(frozen=True)
class Settings:
    mode: str  # "audit" | "publish" | "status" | "mark-completed" | "abort"
    root: Path
    config: Config
    offline: bool = False
    fix: bool = False
    dry_run: bool = False
    yes: bool = False
    restart: bool = False
    report: Path | None = None
    mark_completed: str | None = None

    @property
    def statedir(self) -> Path:
        return self.root / ".releaseplan"


def addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("releaseplan", "release planning (pytest-releaseplan)")
    add = group.addoption
    add("--release-audit", action="store_true", help="audit every package and repository")
    add("--release-publish", action="store_true", help="publish every package that needs it")
    add("--release-root", metavar="DIR", help="workspace root (default: current directory)")
    add("--release-registry", metavar="URL", help="upload URL or file:DIR (overrides `registry`)")
    add("--release-dry-run", action="store_true", help="plan and build; change nothing")
    add("--release-report", metavar="PATH", help="also write the JSON report to PATH")
    add("--release-offline", action="store_true", help="no fetch: use remote-tracking refs")
    add("--release-fix", action="store_true", help="apply safe fixes (fast-forward, relock)")
    add("--release-yes", action="store_true", help="do not ask for confirmation")
    add("--release-status", action="store_true", help="print the last run's state and exit")
    add("--release-mark-completed", metavar="NAME", help="mark a released package as done")
    add("--release-restart", action="store_true", help="discard the saved state and start over")
    add(
        "--release-abort",
        action="store_true",
        help="stop the publish running in this workspace (as Ctrl-C would) and show the state",
    )


def mode_of(config: pytest.Config) -> str | None:
    opt = config.getoption
    chosen = [
        name
        for name, flag in (
            ("audit", "release_audit"),
            ("publish", "release_publish"),
            ("status", "release_status"),
            ("mark-completed", "release_mark_completed"),
            ("abort", "release_abort"),
        )
        if opt(flag)
    ]
    if len(chosen) > 1:
        raise pytest.UsageError(
            "choose one of --release-audit, --release-publish, --release-status, "
            f"--release-mark-completed, --release-abort (got {', '.join(chosen)})"
        )
    return chosen[0] if chosen else None


def load(config: pytest.Config, mode: str) -> Settings:
    opt = config.getoption
    root = Path(opt("release_root") or config.invocation_params.dir).resolve()
    if not root.is_dir():
        raise ConfigError(f"--release-root {root}: no such directory")
    file_config = config_mod.load(root)
    registry = opt("release_registry")
    if registry:
        file_config = dataclasses.replace(file_config, registry=registry)
    report = opt("release_report")
    if report and Path(report).is_dir():
        raise ConfigError(
            f"--release-report {report}: is a directory; give the report's file path, "
            f"e.g. --release-report {Path(report) / 'release-report.json'}"
        )
    return Settings(
        mode=mode,
        root=root,
        config=file_config,
        offline=bool(opt("release_offline")),
        fix=bool(opt("release_fix")),
        dry_run=bool(opt("release_dry_run")),
        yes=bool(opt("release_yes")),
        restart=bool(opt("release_restart")),
        report=Path(report).resolve() if report else None,
        mark_completed=opt("release_mark_completed"),
    )
