"""The real `npm` client: pack, publish, view, relock. Argv lists only, every call bounded,
credentials only in a temporary userconfig (credentials.npm_env)."""

from __future__ import annotations

import base64
import hashlib
import json
import tarfile
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from pytest_releaseplan.errors import Category, CheckFailure
from pytest_releaseplan.npm import failures
from pytest_releaseplan.npm.credentials import npm_env
from pytest_releaseplan.npm.manifest import ManifestError, parse_manifest, read_manifest
from pytest_releaseplan.process import ProcessError, Result, run
from pytest_releaseplan.secrets import mask_url

NPM = "npm"
PACK_TIMEOUT = 600.0  # prepack scripts may build the package
PUBLISH_TIMEOUT = 300.0
VIEW_TIMEOUT = 60.0
RELOCK_TIMEOUT = 600.0
# retries of transient failures belong to the plugin's retry policy, not to npm's own
_NO_RETRIES = ("--fetch-retries=0",)

PublishOutcome = Literal["published", "already-published"]


def pack(directory: Path, dest: Path, timeout: float = PACK_TIMEOUT) -> Path:
    """`npm pack` of `directory` into `dest`; the tarball's package.json must name the same
    package and version as the directory's."""
    expected = read_manifest(directory / "package.json")
    dest.mkdir(parents=True, exist_ok=True)
    argv = [NPM, "pack", "--json", "--pack-destination", str(dest)]
    result = _npm(argv, directory, None, timeout, f"npm pack of {directory}", "")
    if result.returncode != 0:
        raise failures.failure(f"npm pack of {directory}", result, "")
    tarball = dest / _packed_filename(result)
    name, version = tarball_identity(tarball)
    if (name, version) != (expected.name, expected.version):
        raise CheckFailure(
            f"npm pack of {directory} made {name}@{version}, not {expected.name}@{expected.version}",
            Category.BLOCKING,
            evidence=[str(tarball)],
            fix=["check prepack/prepare scripts: they must not change the name or version"],
        )
    return tarball


def tarball_identity(tarball: Path) -> tuple[str | None, str | None]:
    """(name, version) of `package/package.json` inside an npm tarball."""
    manifest = json.loads(_tarball_manifest_text(tarball))
    return _identity(tarball, manifest)


def _identity(tarball: Path, data: object) -> tuple[str | None, str | None]:
    try:
        manifest = parse_manifest(json.dumps(data), tarball / "package/package.json")
    except ManifestError as exc:
        raise CheckFailure(
            f"{tarball}: unreadable package.json ({exc})", Category.BLOCKING
        ) from None
    return manifest.name, manifest.version


def _tarball_manifest_text(tarball: Path) -> str:
    try:
        with tarfile.open(tarball, "r:gz") as archive:
            member = archive.extractfile("package/package.json")
            raw = member.read() if member is not None else b""
    except (OSError, tarfile.TarError, KeyError) as exc:
        raise CheckFailure(
            f"{tarball} is not an npm tarball with package/package.json ({exc})",
            Category.BLOCKING,
        ) from None
    try:
        text = raw.decode("utf-8-sig")
        json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CheckFailure(
            f"{tarball}: unreadable package.json ({exc})", Category.BLOCKING
        ) from None
    return text


def access_flag(name: str | None, configured: str | None, tarball_manifest: object) -> str | None:
    """The `--access` to pass to `npm publish`, or None to leave it to npm (pure).

    npm publishes a scoped package `restricted` unless told otherwise (the public npm registry
    then refuses a free account's first publish); `npm-access` says what to pass. A package's
    own `publishConfig.access` wins (npm reads it from the tarball), and an unscoped package
    takes no `--access` (it is always public; `"private": true` keeps it off the registry).
    """
    publish_config = (
        tarball_manifest.get("publishConfig") if isinstance(tarball_manifest, dict) else None
    )
    if isinstance(publish_config, dict) and "access" in publish_config:
        return None
    if configured is None or not (name or "").startswith("@"):
        return None
    return configured


def publish_argv(tarball: Path, registry: str, dist_tag: str, access: str | None) -> list[str]:
    argv = [NPM, "publish", str(tarball), "--registry", registry, "--tag", dist_tag, *_NO_RETRIES]
    return argv + (["--access", access] if access else [])


def publish(
    tarball: Path,
    registry: str,
    dist_tag: str = "latest",
    token: str | None = None,
    timeout: float = PUBLISH_TIMEOUT,
    access: str | None = None,
) -> PublishOutcome:
    """`npm publish TARBALL`. A refused republish of this very tarball counts as done, once the
    registry confirms the version is listed with the tarball's integrity. `access` is the
    configured `npm-access`, passed as access_flag says."""
    data = json.loads(_tarball_manifest_text(tarball))
    name, version = _identity(tarball, data)
    what = f"npm publish of {name}@{version} to {mask_url(registry)}"
    argv = publish_argv(tarball, registry, dist_tag, access_flag(name, access, data))
    result = _npm(argv, tarball.parent, token, timeout, what, registry)
    if result.returncode == 0:
        return "published"
    if not (failures.is_republish(result) and name and version):
        raise failures.failure(what, result, registry)
    if version not in view_versions(name, registry, token):
        raise failures.failure(what, result, registry)
    published = _view_json(f"{name}@{version}", "dist.integrity", registry, token)
    if published != integrity(tarball):
        raise CheckFailure(
            f"{name}@{version} is already on {mask_url(registry)} with other content",
            Category.BLOCKING,
            evidence=[f"registry integrity {published}", f"this tarball {integrity(tarball)}"],
            fix=["release a new version: versions on an npm registry cannot be replaced"],
        )
    return "already-published"


def view_versions(
    name: str, registry: str, token: str | None = None, timeout: float = VIEW_TIMEOUT
) -> set[str]:
    """The versions of `name` the registry lists; none when it does not know the package."""
    listed = _view_json(name, "versions", registry, token, timeout)
    if listed is None:
        return set()
    return {str(v) for v in listed} if isinstance(listed, list) else {str(listed)}


def relock(
    directory: Path, registry: str, token: str | None = None, timeout: float = RELOCK_TIMEOUT
) -> None:
    """Rewrite package-lock.json from the package.json files, resolving against `registry`.
    Callers hold the relock file lock: parallel npm installs race on the shared cache."""
    argv = [NPM, "install", "--package-lock-only", "--ignore-scripts", "--registry", registry]
    what = f"npm relock of {directory}"
    result = _npm([*argv, *_NO_RETRIES], directory, token, timeout, what, registry)
    if result.returncode != 0:
        raise failures.failure(what, result, registry)


def integrity(tarball: Path) -> str:
    """The tarball's sha512 subresource-integrity string, as npm records it."""
    digest = hashlib.sha512(tarball.read_bytes()).digest()
    return "sha512-" + base64.b64encode(digest).decode("ascii")


def _view_json(
    spec: str, field: str, registry: str, token: str | None, timeout: float = VIEW_TIMEOUT
) -> object:
    argv = [NPM, "view", spec, field, "--json", "--registry", registry, *_NO_RETRIES]
    what = f"npm view {spec} on {mask_url(registry)}"
    result = _npm(argv, None, token, timeout, what, registry)
    if result.returncode != 0:
        if failures.error_code(result) == "E404":
            return None
        raise failures.failure(what, result, registry)
    text = result.stdout.strip()
    if not text:
        return None  # npm prints nothing for a version it does not have
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise failures.failure(f"{what}: unreadable answer", result, registry) from None


def _packed_filename(result: Result) -> str:
    text = result.stdout
    start = text.find("[\n") if "[\n" in text else text.find("[")
    try:
        entries = json.loads(text[start:])
        return str(entries[-1]["filename"]).replace("/", "-").lstrip("@")
    except (ValueError, LookupError, TypeError):
        raise failures.failure("npm pack: unreadable --json output", result, "") from None


def _npm(
    argv: Sequence[str],
    cwd: Path | None,
    token: str | None,
    timeout: float,
    what: str,
    registry: str,
) -> Result:
    with npm_env(registry or None, token) as env:
        try:
            return run(argv, cwd=cwd, env=env, timeout=timeout, check=False)
        except ProcessError as exc:
            if exc.timed_out:
                raise failures.timed_out(what, argv, timeout) from None
            raise
        except FileNotFoundError:
            raise CheckFailure(
                f"{what}: the npm client is not installed",
                Category.FIXABLE,
                fix=["install Node.js and npm (Debian/Ubuntu: apt-get install nodejs npm)"],
            ) from None
