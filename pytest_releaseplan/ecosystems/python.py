"""Python distributions: pyproject.toml, PEP 440, wheels and sdists, twine, a simple index."""

from __future__ import annotations

import importlib.metadata
import os
import shlex
import shutil
import sys
import tomllib
import zipfile
from collections.abc import Mapping, Sequence
from email.parser import HeaderParser
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename
from packaging.version import Version

from pytest_releaseplan import atomic, edits, lockfiles, metadata, process, registry, relock
from pytest_releaseplan.context import Context
from pytest_releaseplan.errors import Category, CheckFailure, ConfigError
from pytest_releaseplan.workspace import Package

BUILD_TIMEOUT = 900.0
CREDENTIAL_ENV = ("TWINE_PASSWORD", "TWINE_USERNAME")
OIDC_ENV = "ACTIONS_ID_TOKEN_REQUEST_URL"  # GitHub Actions with `id-token: write`


def registry_of(ctx: Context) -> registry.Registry:
    cfg = ctx.config
    if not cfg.registry:
        raise CheckFailure(
            "no registry configured: publish refuses to guess where to upload",
            Category.FIXABLE,
            [f"config: {cfg.source}"],
            [
                'set `registry = "https://upload.example/legacy/"` (or "file:DIR") in [tool.releaseplan], '
                "or pass --release-registry URL"
            ],
        )
    try:
        return registry.parse_registry(cfg.registry, cfg.index_url, ctx.workspace.root)
    except ConfigError as exc:
        raise CheckFailure(str(exc), Category.FIXABLE, [], ["fix `registry`/`index-url`"]) from None


class PythonPackages:
    name = "python"

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self._registry: registry.Registry | None = None

    @property
    def registry(self) -> registry.Registry:
        if self._registry is None:
            self._registry = registry_of(self.ctx)
        return self._registry

    # -- the manifest and the version ---------------------------------------------------

    def manifest(self, pkg: Package, base: Path) -> Path:
        return base / "pyproject.toml"

    def version_files(self, pkg: Package, base: Path) -> list[Path]:
        files = {base / "pyproject.toml"} if _pyproject_kinds(pkg) else set()
        files |= {base / loc.path.relative_to(pkg.path) for loc in _file_locations(pkg)}
        return sorted(files)

    def write_version(self, pkg: Package, base: Path, version: str) -> list[Path]:
        written: list[Path] = []
        kinds = _pyproject_kinds(pkg)
        if kinds:
            path = base / "pyproject.toml"
            text = path.read_text(encoding="utf-8")
            new = edits.set_project_version(text, version, kinds)
            if new != text:
                atomic.replace_text(path, new)
                written.append(path)
        for loc in _file_locations(pkg):
            path = base / loc.path.relative_to(pkg.path)
            text = path.read_text(encoding="utf-8")
            new = metadata.replace_file_version(loc, text, version)
            if new != text:
                atomic.replace_text(path, new)
                written.append(path)
        return written

    def raise_internal(self, text: str, released: Mapping[str, Version]) -> tuple[str, list[str]]:
        new_text, changes = edits.rewrite_dependencies(text, released, force=True)
        return new_text, [f"{c.group}: {c.old!r} -> {c.new!r}" for c in changes]

    # -- lockfiles ------------------------------------------------------------------------

    def relock_argv(self, pkg: Package) -> tuple[str, ...]:
        assert pkg.lockfile is not None
        return relock.command(self.ctx, pkg.lockfile)

    def relock(self, pkg: Package) -> None:
        relock.relock(self.ctx, pkg, commit_message=None)

    def lock_stale_reasons(self, pkg: Package) -> list[str]:
        return lockfiles.stale_reasons(self.ctx.workspace, pkg, cache_dir=self.ctx.statedir)

    # -- build ----------------------------------------------------------------------------

    def build(self, pkg: Package, source: Path, dist: Path, release: Version) -> list[Path]:
        argv = [_fill(a, source, dist) for a in self.ctx.config.build]
        try:
            process.run(argv, cwd=source, timeout=BUILD_TIMEOUT)
        except process.ProcessError as exc:
            raise CheckFailure(
                f"{pkg.name}: building {release} failed",
                Category.BLOCKING,
                [exc.render()],
                [f"cd {shlex.quote(str(source))} && {shlex.join(argv)}   # reproduce, fix, rerun"],
            ) from None
        files = sorted(p for p in dist.iterdir() if p.suffix in {".whl", ".gz", ".zip"})
        verify_dist(pkg, files, dist, release)
        return files

    # -- the registry ---------------------------------------------------------------------

    def published_versions(self, pkg: Package) -> set[Version]:
        return registry.published_versions(self.registry, pkg.name)

    def upload(self, pkg: Package, files: Sequence[Path]) -> list[str]:
        cfg = self.ctx.config
        result = registry.upload(self.registry, files, retries=cfg.retries, timeout=cfg.timeout)
        return [f"uploaded {n}" for n in result.uploaded] + [
            f"already on the index: {n}" for n in result.skipped
        ]

    def wait_visible(self, pkg: Package, version: Version) -> float:
        return registry.wait_visible(
            self.registry, pkg.name, version, timeout=self.ctx.config.index_wait
        )

    def target(self) -> str:
        return self.registry.display_target

    # -- preflight ------------------------------------------------------------------------

    def preflight(self, pkg: Package, steps: set[str]) -> list[tuple[str, str]]:
        out = [
            (f"missing: {tool}", "install what is missing (or set `lock-command`/`build`), then rerun")
            for tool in missing_tools(self.ctx, pkg, steps)
        ]
        if (
            "upload" in steps
            and not self.ctx.settings.dry_run
            and not self.registry.is_directory
            and not has_credentials(self.registry, os.environ)
        ):
            out.append(
                (
                    "no credentials for the registry: TWINE_USERNAME/TWINE_PASSWORD are not set, "
                    "the URL has none, and no trusted-publishing token can be requested",
                    "export TWINE_USERNAME=__token__ TWINE_PASSWORD=<token>   # then rerun",
                )
            )
        return out


def _pyproject_kinds(pkg: Package) -> list[str]:
    return [loc.kind for loc in pkg.locations if loc.kind in {"project", "poetry"}]


def _file_locations(pkg: Package) -> list[metadata.VersionLocation]:
    return [loc for loc in pkg.locations if loc.kind in {"file", "plain"}]


def _fill(arg: str, source: Path, dist: Path) -> str:
    return (
        arg.replace("{python}", sys.executable)
        .replace("{dist}", str(dist))
        .replace("{package}", str(source))
    )


def verify_dist(pkg: Package, files: Sequence[Path], dist: Path, release: Version) -> None:
    """The built files' metadata name and version must be the package's release."""
    problems: list[str] = []
    if not files:
        problems.append(f"the build wrote no wheel or sdist into {dist}")
    for path in files:
        name, version = _dist_identity(path)
        if canonicalize_name(name) != pkg.name or Version(str(version)) != release:
            problems.append(
                f"{path.name}: metadata says {name} {version}, expected {pkg.name} {release}"
            )
    if problems:
        raise CheckFailure(
            f"{pkg.name}: the built files do not match the release",
            Category.BLOCKING,
            problems,
            [f"check the build configuration of {pkg.pyproject}"],
        )


def _dist_identity(path: Path) -> tuple[str, Any]:
    if path.suffix == ".whl":
        name, version, _, _ = parse_wheel_filename(path.name)
        with zipfile.ZipFile(path) as zf:
            meta = next((n for n in zf.namelist() if n.endswith(".dist-info/METADATA")), None)
            if meta is not None:
                headers = HeaderParser().parsestr(zf.read(meta).decode("utf-8", "replace"))
                return headers["Name"], headers["Version"]
        return str(name), version
    name, version = parse_sdist_filename(path.name)
    return str(name), version


def has_credentials(reg: registry.Registry, env: Mapping[str, str]) -> bool:
    if all(env.get(k) for k in CREDENTIAL_ENV) or env.get(OIDC_ENV):
        return True  # OIDC: twine's trusted publishing asks GitHub for a token
    url = reg.upload_url or ""
    host = url.split("//", 1)[-1].split("/", 1)[0]
    if "@" in host or (Path.home() / ".pypirc").is_file():
        return True
    return _keyring_has(url)


def _keyring_has(url: str) -> bool:
    """twine also reads the keyring; a backend that fails or is absent counts as no entry."""
    try:
        import keyring

        return keyring.get_credential(url, None) is not None
    except Exception:  # any keyring backend failure means: not usable here
        return False


def missing_tools(ctx: Context, pkg: Package, steps: set[str]) -> list[str]:
    """Executables and build requirements the steps will need, and do not have."""
    out: list[str] = []
    cfg = ctx.config
    relocking = (
        "update-internal-deps" in steps and pkg.lockfile is not None and cfg.lockfile != "ignore"
    )
    if relocking and pkg.lockfile is not None:
        lock_argv = relock.command(ctx, pkg.lockfile)
        if lock_argv and _which(lock_argv[0]) is None:
            out.append(f"{lock_argv[0]} (to relock {pkg.lockfile.name}: {shlex.join(lock_argv)})")
    if "check" in steps and cfg.check and _which(cfg.check[0]) is None:
        out.append(f"{cfg.check[0]} (the `check` command)")
    if steps & {"build", "build-from-tag"}:
        argv = list(cfg.build)
        if argv and _which(argv[0]) is None:
            out.append(f"{argv[0]} (the `build` command)")
        elif argv[:3] == ["{python}", "-m", "build"] and not _installed("build"):
            out.append("the `build` package in this Python (pip install build)")
        if "--no-isolation" in argv or "-n" in argv:
            out += [
                f"{req} (required by [build-system] of {pkg.pyproject}; building without isolation)"
                for req in _unmet_build_requires(pkg.pyproject)
            ]
    return out


def _which(program: str) -> str | None:
    return sys.executable if program == "{python}" else shutil.which(program)


def _installed(dist: str) -> bool:
    try:
        importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def _unmet_build_requires(pyproject: Path) -> list[str]:
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []  # the discovery and version checks report an unreadable pyproject
    system = data.get("build-system")
    requires = system.get("requires", []) if isinstance(system, dict) else []
    unmet: list[str] = []
    for raw in requires if isinstance(requires, list) else []:
        try:
            req = Requirement(str(raw))
        except InvalidRequirement:
            unmet.append(str(raw))
            continue
        if req.marker is not None and not req.marker.evaluate():
            continue
        try:
            have = importlib.metadata.version(req.name)
        except importlib.metadata.PackageNotFoundError:
            unmet.append(str(req))
            continue
        if req.specifier and not req.specifier.contains(have, prereleases=True):
            unmet.append(f"{req} (installed: {have})")
    return unmet
