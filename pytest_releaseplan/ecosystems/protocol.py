"""The ecosystem seam: what differs between package formats, in bare signatures.

Checks, publish steps, the scheduler, the ledger, safety and reports are shared; a package
format (Python distributions today, npm next) implements this, bound to one run's context.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

from packaging.version import Version

from pytest_releaseplan.workspace import Package


class Ecosystem(Protocol):
    name: str

    def manifest(self, pkg: Package, base: Path) -> Path:
        """The file holding the package's metadata under `base` (its dir or a copy)."""

    def version_files(self, pkg: Package, base: Path) -> list[Path]:
        """Every file the version is written in."""

    def write_version(self, pkg: Package, base: Path, version: str) -> list[Path]:
        """Write `version` everywhere it is declared; the files changed."""

    def raise_internal(self, text: str, released: Mapping[str, Version]) -> tuple[str, list[str]]:
        """The manifest with internal specifiers raised to `released`; one note per change."""

    def relock_argv(self, pkg: Package) -> tuple[str, ...]:
        """The command that relocks the package's lockfile."""

    def relock(self, pkg: Package) -> None:
        """Relock under the shared relock lock (parallel relocks race on caches)."""

    def lock_stale_reasons(self, pkg: Package) -> list[str]:
        """Why the lockfile is out of sync with the manifests (empty: in sync)."""

    def build(self, pkg: Package, source: Path, dist: Path, release: Version) -> list[Path]:
        """Build `source` into `dist`; the files, verified to be `pkg` at `release`."""

    def published_versions(self, pkg: Package) -> set[Version]:
        """The versions the registry has."""

    def upload(self, pkg: Package, files: Sequence[Path]) -> list[str]:
        """Upload what the registry lacks (retrying transient failures); one note per file."""

    def wait_visible(self, pkg: Package, version: Version) -> float:
        """Wait until the registry lists `version`; the seconds waited."""

    def target(self) -> str:
        """Where uploads go, for people (masked)."""

    def preflight(self, pkg: Package, steps: set[str]) -> list[tuple[str, str]]:
        """(problem, fix) for tools and credentials the steps need and do not have."""
