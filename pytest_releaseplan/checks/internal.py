"""`internal-deps`: every specifier on a workspace package admits its workspace version and
its release version (SPEC §3)."""

from __future__ import annotations

from packaging.version import Version

from pytest_releaseplan import specifiers, tags
from pytest_releaseplan.context import Context
from pytest_releaseplan.errors import Category, CheckFailure
from pytest_releaseplan.metadata import Dependency
from pytest_releaseplan.workspace import Package


def internal_deps(ctx: Context, pkg: Package) -> str:
    ws = ctx.workspace
    bad: list[str] = []
    checked = 0
    unjudged: list[str] = []
    for dep in ws.internal(pkg):
        target = ws.by_name[dep.name]
        if target.release_version is None:
            unjudged.append(dep.name)  # VCS-versioned (nothing declared) or invalid (`version`)
            continue
        checked += 1
        verdict = judge(dep, target, _last_release(ctx, target))
        if verdict is not None:
            bad.append(verdict)
    if bad:
        raise CheckFailure(
            f"{pkg.name}: {_count(len(bad))} on workspace packages "
            f"{'excludes its' if len(bad) == 1 else 'exclude their'} versions",
            Category.FIXABLE,
            [*bad, f"in {pkg.pyproject}"],
            [
                f"edit {pkg.pyproject}: widen each specifier to admit both the workspace "
                "version and its release (publish raises them to the released versions itself)"
            ],
        )
    verb = "admits" if checked == 1 else "admit"
    said = f"{pkg.name}: {_count(checked)} {verb} the workspace and release versions"
    if unjudged:
        said += f" ({len(unjudged)} not judged, no declared version: {', '.join(sorted(set(unjudged)))})"
    return said


def judge(dep: Dependency, target: Package, last_release: list[Version]) -> str | None:
    """Why the specifier is wrong for `target`, or None (pure)."""
    current, release = target.version, target.release_version
    assert current is not None and release is not None
    try:
        on_current = specifiers.admits(dep.specifier, current, poetry=dep.poetry)
        on_release = specifiers.admits(dep.specifier, release, poetry=dep.poetry)
        on_last = any(specifiers.admits(dep.specifier, v, poetry=dep.poetry) for v in last_release)
    except ValueError as exc:
        return f"{dep.raw!r} ({dep.group}): {exc}"
    at = f"at {target.relpath}"
    if on_current and on_release:
        return None
    if not on_current and not on_release:
        if on_last:
            return None  # a pin on the last release (as publish writes): installable, consistent
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


def _count(n: int) -> str:
    return f"{n} internal specifier{'' if n == 1 else 's'}"


def _last_release(ctx: Context, pkg: Package) -> list[Version]:
    """The package's latest tagged release before its current one: a pin on it (as publish
    writes `==` pins) is installable and consistent, not a stale specifier."""
    assert pkg.release_version is not None
    found = tags.last_release_before(ctx.workspace, pkg, ctx.refs(pkg.repo), pkg.release_version)
    return [found[1]] if found else []
