"""npm packages (SPEC §8): package.json, npm semver, `npm pack`, `npm publish`, `npm view`.

Versions cross into the shared code through `npm.pep440` (`1.4.0-dev.0` <-> `1.4.0.dev0`);
what the shared code hands back to write (the next dev version) is spelled the npm way here.
"""

from __future__ import annotations

import shlex
import shutil
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from packaging.version import Version

from pytest_releaseplan import atomic, relock, retry
from pytest_releaseplan.context import Context
from pytest_releaseplan.errors import Category, CheckFailure, ConfigError
from pytest_releaseplan.npm import client, edit_json, lockfile, pep440, semver
from pytest_releaseplan.npm.credentials import registry_key, token_from_env
from pytest_releaseplan.npm.manifest import ManifestError, parse_manifest, read_manifest
from pytest_releaseplan.secrets import mask_url
from pytest_releaseplan.workspace import Package

POLL_INTERVAL = 0.5


class NpmPackages:
    name = "npm"

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    @property
    def registry(self) -> str:
        url = self.ctx.config.npm_registry
        if not url:
            raise CheckFailure(
                "no npm registry configured: publish refuses to guess where npm packages go",
                Category.FIXABLE,
                [f"config: {self.ctx.config.source}"],
                ['set `npm-registry = "https://registry.npmjs.org/"` in [tool.releaseplan]'],
            )
        return url

    # -- the manifest and the version ---------------------------------------------------

    def manifest(self, pkg: Package, base: Path) -> Path:
        return base / "package.json"

    def version_files(self, pkg: Package, base: Path) -> list[Path]:
        shared = self._shared_lock(pkg, base)
        return [base / "package.json"] + ([shared] if shared else [])

    def write_version(self, pkg: Package, base: Path, version: str) -> list[Path]:
        path = base / "package.json"
        spelled = _npm_spelling(pkg, version)
        text = path.read_text(encoding="utf-8")
        new = edit_json.set_version(text, spelled)
        written = []
        if new != text:
            atomic.replace_text(path, new)
            written.append(path)
        shared = self._shared_lock(pkg, base)
        if shared is not None:
            written += self._write_locked_version(pkg, shared, spelled)
        return written

    def _shared_lock(self, pkg: Package, base: Path) -> Path | None:
        """The workspace root's package-lock.json that records this member's version, when
        the real checkout (not a scratch copy) is being written and locks are kept."""
        lock = pkg.lockfile
        if lock is None or lock.parent == pkg.path or base != pkg.path:
            return None
        return None if self.ctx.config.lockfile == "ignore" else lock

    def _write_locked_version(self, pkg: Package, lock: Path, version: str) -> list[Path]:
        key = pkg.path.relative_to(lock.parent).as_posix()
        # members share the file: a read-modify-write under the relock lock loses no edit
        with self.ctx.lock("relock", "all"):
            text = lock.read_text(encoding="utf-8")
            try:
                new = edit_json.set_locked_version(text, key, version)
            except edit_json.EditError as exc:
                raise CheckFailure(
                    f"{pkg.name}: cannot record version {version} in {lock}: it {exc}",
                    Category.FIXABLE,
                    fix=[f"cd {lock.parent} && {lockfile.FIX}   # commit the lock, then rerun"],
                ) from None
            if new == text:
                return []
            atomic.replace_text(lock, new)
        return [lock]

    def raise_internal(self, text: str, released: Mapping[str, Version]) -> tuple[str, list[str]]:
        """Raise each range on a released package to its version, keeping the range's form;
        `workspace:*`-style, file:, link:, git and tag specs are left as they are."""
        ws = self.ctx.workspace
        by_npm_name = {ws.by_name[k].display_name: v for k, v in released.items() if k in ws.by_name}
        try:
            manifest = parse_manifest(text, Path("package.json"))
        except ManifestError as exc:
            raise CheckFailure(str(exc), Category.FIXABLE) from None
        notes: list[str] = []
        for dep in manifest.dependencies:
            version = by_npm_name.get(dep.name)
            if version is None or dep.kind not in ("range", "workspace"):
                continue
            try:
                new_spec = semver.raise_range(dep.spec, pep440.to_npm(version))
            except semver.SemverError as exc:
                raise CheckFailure(
                    f"{manifest.name}: cannot raise {dep.section}.{dep.name} to {version}",
                    Category.FIXABLE,
                    [str(exc)],
                    [f"edit {dep.section}.{dep.name} in package.json, commit, then rerun"],
                ) from None
            if new_spec != dep.spec:
                text = edit_json.set_dependency(text, dep.section, dep.name, new_spec)
                notes.append(f"{dep.section}: {dep.name} {dep.spec!r} -> {new_spec!r}")
        return text, notes

    # -- lockfiles ------------------------------------------------------------------------

    def relock_argv(self, pkg: Package) -> tuple[str, ...]:
        assert pkg.lockfile is not None
        return relock.command(self.ctx, pkg.lockfile)

    def relock(self, pkg: Package) -> None:
        relock.relock(self.ctx, pkg, commit_message=None)

    def lock_stale_reasons(self, pkg: Package) -> list[str]:
        lock = pkg.lockfile
        assert lock is not None
        root_dir = lock.parent
        try:
            root = read_manifest(root_dir / "package.json")
            members = [
                read_manifest(p.manifest)
                for p in self.ctx.workspace.packages
                if p.ecosystem == "npm" and p.path != root_dir and p.lockfile == lock
            ]
            text = lock.read_text(encoding="utf-8")
        except ManifestError as exc:
            return [str(exc)]
        except (OSError, UnicodeDecodeError) as exc:
            return [f"{lock} cannot be read ({exc})"]
        return lockfile.stale_reasons(text, root, members)

    # -- build ----------------------------------------------------------------------------

    def build(self, pkg: Package, source: Path, dist: Path, release: Version) -> list[Path]:
        tarball = client.pack(source, dist)
        name, version = client.tarball_identity(tarball)
        if (name, version) != (pkg.display_name, pep440.to_npm(release)):
            raise CheckFailure(
                f"{pkg.name}: npm pack made {name}@{version}, expected "
                f"{pkg.display_name}@{pep440.to_npm(release)}",
                Category.BLOCKING,
                [str(tarball)],
                [f"check {pkg.manifest}: its name and version, and its prepack scripts"],
            )
        return [tarball]

    # -- the registry ---------------------------------------------------------------------

    def published_versions(self, pkg: Package) -> set[Version]:
        listed = retry.retry(
            lambda: client.view_versions(pkg.display_name, self.registry),
            retries=self.ctx.config.retries,
            is_transient=_transient,
        )
        out: set[Version] = set()
        for text in listed:
            try:
                out.add(pep440.to_pep440(text, pkg.display_name))
            except ConfigError:
                continue  # a prerelease no release of this tool can be
        return out

    def upload(self, pkg: Package, files: Sequence[Path]) -> list[str]:
        notes: list[str] = []
        for tarball in files:
            _, version = client.tarball_identity(tarball)
            if version in client.view_versions(pkg.display_name, self.registry):
                notes.append(f"already on the registry: {pkg.display_name}@{version}")
                continue
            outcome = self._publish(tarball)
            said = "uploaded" if outcome == "published" else "already on the registry:"
            notes.append(f"{said} {tarball.name}")
        return notes

    def _publish(self, tarball: Path) -> client.PublishOutcome:
        return retry.retry(
            lambda: client.publish(
                tarball,
                self.registry,
                self.ctx.config.npm_dist_tag,
                access=self.ctx.config.npm_access,
            ),
            retries=self.ctx.config.retries,
            is_transient=_transient,
        )

    def wait_visible(self, pkg: Package, version: Version) -> float:
        wanted = pep440.to_npm(version)
        start = time.monotonic()
        deadline = start + self.ctx.config.index_wait
        seen: set[str] = set()
        while True:
            try:
                seen = client.view_versions(pkg.display_name, self.registry)
            except CheckFailure as exc:
                if exc.category is not Category.TRANSIENT:
                    raise
            if wanted in seen:
                return time.monotonic() - start
            if time.monotonic() + POLL_INTERVAL > deadline:
                raise CheckFailure(
                    f"{pkg.display_name}@{wanted} never became visible on "
                    f"{mask_url(self.registry)} within {self.ctx.config.index_wait:g} s",
                    Category.TRANSIENT,
                    [f"versions listed: {', '.join(sorted(seen)[-10:]) or 'none'}"],
                    [
                        "rerun the same command: it resumes (the tarball is not published twice)",
                        "if the registry is just slow, raise `index-wait` in [tool.releaseplan]",
                    ],
                )
            time.sleep(POLL_INTERVAL)

    def target(self) -> str:
        return mask_url(self.registry)

    # -- preflight ------------------------------------------------------------------------

    def preflight(self, pkg: Package, steps: set[str]) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        if shutil.which(client.NPM) is None:
            out.append(
                ("missing: npm (to pack, publish and relock npm packages)",
                 "install Node.js and npm (Debian/Ubuntu: apt-get install nodejs npm), then rerun")
            )  # fmt: skip
        lock = pkg.lockfile
        if (
            "update-internal-deps" in steps
            and lock is not None
            and self.ctx.config.lockfile != "ignore"
            and self.ctx.config.npm_lock_command
            and shutil.which(self.ctx.config.npm_lock_command[0]) is None
        ):
            argv = shlex.join(self.ctx.config.npm_lock_command)
            out.append((f"missing: {self.ctx.config.npm_lock_command[0]} ({argv})", "install it"))
        if "upload" in steps and not self.ctx.settings.dry_run and not _has_token(self.registry):
            out.append(
                (
                    "no credentials for the npm registry: NPM_TOKEN is not set and no .npmrc "
                    f"holds a token for {registry_key(self.registry)}",
                    "export NPM_TOKEN=<token>   # then rerun (it is written only to a temporary "
                    "userconfig)",
                )
            )
        return out


def _npm_spelling(pkg: Package, version: str) -> str:
    try:
        return pep440.to_npm(version)
    except (ConfigError, ValueError):
        raise CheckFailure(
            f"{pkg.name}: version {version} has no npm spelling",
            Category.BLOCKING,
            fix=[f"set the version in {pkg.manifest} by hand"],
        ) from None


def _transient(exc: BaseException) -> bool:
    return isinstance(exc, CheckFailure) and exc.category is Category.TRANSIENT


def _has_token(registry: str) -> bool:
    if token_from_env() is not None:
        return True
    key = registry_key(registry)
    for path in (Path.home() / ".npmrc",):
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if any(line.strip().startswith(f"{key}:_auth") for line in text.splitlines()):
            return True
    return False
