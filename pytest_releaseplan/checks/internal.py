"""`internal-deps`: every specifier on a workspace package admits its workspace version and
its release version (SPEC §3)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from packaging.version import InvalidVersion, Version

from pytest_releaseplan import specifiers, tags, versions
from pytest_releaseplan.context import Context
from pytest_releaseplan.errors import Category, CheckFailure, ConfigError
from pytest_releaseplan.metadata import Dependency
from pytest_releaseplan.npm import pep440, semver
from pytest_releaseplan.npm.discover import NpmDependency
from pytest_releaseplan.publish import ledger
from pytest_releaseplan.workspace import Package


def internal_deps(ctx: Context, pkg: Package) -> str:
    ws = ctx.workspace
    bad: list[str] = []
    checked = 0
    unjudged: list[str] = []
    released = ledger.released_in_unfinished_run(ctx.settings.statedir)
    for dep in ws.internal(pkg):
        target = ws.by_name[dep.name]
        if pkg.ecosystem == "npm" and isinstance(dep, NpmDependency):
            checked += 1
            last = _last_release(ctx, target) if target.release_version is not None else []
            verdict = npm_judge(dep, pkg, target, last, released)
            if verdict is not None:
                bad.append(verdict)
            continue
        if target.release_version is None:
            unjudged.append(dep.name)  # VCS-versioned (nothing declared) or invalid (`version`)
            continue
        checked += 1
        last = _last_release(ctx, target)
        if dep.name in released:  # as the uninterrupted run judged: the release before it
            last += _last_release(ctx, target, below=released[dep.name])
        verdict = judge(dep, target, last, released.get(dep.name))
        if verdict is not None:
            bad.append(verdict)
    if bad:
        raise CheckFailure(
            f"{pkg.name}: {_count(len(bad))} on workspace packages "
            f"{'excludes its' if len(bad) == 1 else 'exclude their'} versions",
            Category.FIXABLE,
            [*bad, f"in {pkg.manifest}"],
            [
                f"edit {pkg.manifest}: widen each specifier to admit both the workspace "
                "version and its release (publish raises them to the released versions itself)"
                if pkg.ecosystem == "python"
                else f"edit {pkg.manifest}: make each range admit the release version (publish "
                "raises ranges to the released versions itself); use a registry range instead "
                "of file:/link: in a published package"
            ],
        )
    verb = "admits" if checked == 1 else "admit"
    said = f"{pkg.name}: {_count(checked)} {verb} the workspace and release versions"
    if unjudged:
        said += f" ({len(unjudged)} not judged, no declared version: {', '.join(sorted(set(unjudged)))})"
    return said


def npm_judge(
    dep: NpmDependency,
    pkg: Package,
    target: Package,
    last_release: list[Version],
    released: Mapping[str, Version],
) -> str | None:
    """Why an npm spec is wrong for `target` (judged by npm's rules against the *release*
    version), or None. file:/link: cannot be installed from a registry: wrong when published."""
    if dep.spec_kind in ("file", "link"):
        return None if pkg.private else _local_spec(dep, pkg, target)
    release = target.release_version
    if dep.spec_kind not in ("range", "workspace") or release is None:
        return None  # git/URL/alias/dist-tag name no workspace version; `version` says why
    candidates = [release, *last_release]
    if dep.name in released:
        candidates.append(released[dep.name])
    try:
        if any(semver.admits(dep.specifier, pep440.to_npm(v)) for v in candidates):
            return None
    except (semver.SemverError, ConfigError) as exc:
        return f"{dep.raw} ({dep.group}): {exc}"
    return (
        f"{dep.raw} ({dep.group}) excludes the release version {dep.name} {release} "
        f"at {target.relpath}"
    )


def _local_spec(dep: NpmDependency, pkg: Package, target: Package) -> str:
    return (
        f"{dep.raw} ({dep.group}) is a {dep.spec_kind}: spec, which a registry install "
        f"cannot resolve: {pkg.display_name} is published, use a range such as "
        f"^{target.release_version or target.version_text}"
    )


def judge(
    dep: Dependency,
    target: Package,
    last_release: list[Version],
    released_in_run: Version | None = None,
) -> str | None:
    """Why the specifier is wrong for `target`, or None (pure).

    An exact pin on the workspace's dev version (`== 1.45.0.dev`, common in uv workspaces) is
    re-pinned to the release by publish, so it is consistent. A resumed release judges as the
    uninterrupted run would: a dependency this unfinished run already released (and bumped)
    is judged against the version it released.
    """
    current, release = target.version, target.release_version
    assert current is not None and release is not None
    try:
        if _consistent_for_publish(dep, current, released_in_run):
            return None
        on_current = specifiers.admits(dep.specifier, current, poetry=dep.poetry)
        on_release = specifiers.admits(dep.specifier, release, poetry=dep.poetry)
        on_last = any(specifiers.admits(dep.specifier, v, poetry=dep.poetry) for v in last_release)
    except ValueError as exc:
        return f"{dep.raw!r} ({dep.group}): {exc}"
    at = f"at {target.relpath}"
    if (on_current and on_release) or (not on_current and not on_release and on_last):
        # on_last: a pin on the last release (as publish writes): installable, consistent
        return None
    if not on_current and not on_release:
        return f"{dep.raw!r} ({dep.group}) excludes {dep.name} {current} (release {release}) {at}"
    if on_current:
        return (
            f"{dep.raw!r} ({dep.group}) admits the workspace version {dep.name} {current} but "
            f"excludes its release version {release} {at}"
        )
    return (
        f"{dep.raw!r} ({dep.group}) excludes the workspace version {dep.name} {current} "
        f"(it admits the release version {release}) {at}"
    )


def _consistent_for_publish(
    dep: Dependency, current: Version, released_in_run: Version | None
) -> bool:
    pinned = exact_pin(dep.specifier, poetry=dep.poetry)
    if released_in_run is not None:
        if specifiers.admits(dep.specifier, released_in_run, poetry=dep.poetry):
            return True
        if pinned is not None and versions.release_of(pinned) == released_in_run:
            return True  # publish re-pins it to the release, as the uninterrupted run did
    return pinned is not None and pinned == current  # publish re-pins it to the release


_EXACT = re.compile(r"\s*(?:===?)\s*(?P<v>[^\s,;*]+)\s*")
_POETRY_EXACT = re.compile(r"\s*(?:==?)?\s*(?P<v>[0-9][^\s,;*|^~<>]*)\s*")


def exact_pin(specifier: str, poetry: bool = False) -> Version | None:
    """The version an exact pin names (`==1.0.0.dev0`; Poetry's bare `1.0.0.dev0`), else None."""
    match = (_POETRY_EXACT if poetry else _EXACT).fullmatch(specifier)
    if match is None:
        return None
    try:
        return Version(match["v"])
    except InvalidVersion:
        return None


def _count(n: int) -> str:
    return f"{n} internal specifier{'' if n == 1 else 's'}"


def _last_release(ctx: Context, pkg: Package, below: Version | None = None) -> list[Version]:
    """The package's latest tagged release before its current one (or before `below`): a pin
    on it (as publish writes `==` pins) is installable and consistent, not a stale specifier."""
    assert pkg.release_version is not None
    limit = below if below is not None else pkg.release_version
    found = tags.last_release_before(ctx.workspace, pkg, ctx.refs(pkg.repo), limit)
    return [found[1]] if found else []
