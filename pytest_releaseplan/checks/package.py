"""Package checks: `version`, `internal-deps`, `lockfile`."""

from __future__ import annotations

from packaging.version import Version

from pytest_releaseplan import gitops, lockfiles, relock, specifiers, tags, versions
from pytest_releaseplan.context import Context
from pytest_releaseplan.errors import Category, CheckFailure, ConfigError
from pytest_releaseplan.workspace import Package


def version(ctx: Context, pkg: Package) -> str:
    if pkg.version_text is None:
        return f"{pkg.name}: version comes from VCS tags; released by tagging"
    try:
        current = pkg.version
    except ConfigError as exc:
        raise CheckFailure(
            str(exc),
            Category.FIXABLE,
            [],
            [f"edit {pkg.pyproject}: set a PEP 440 version such as 1.0.0.dev0"],
        ) from None
    assert current is not None
    disagree = sorted(set(pkg.version_texts))
    if len(disagree) > 1:
        raise CheckFailure(
            f"{pkg.name}: the version is written in {len(pkg.locations)} places that disagree",
            Category.FIXABLE,
            [
                f"{loc.path} ({loc.kind}): {text}"
                for loc, text in zip(pkg.locations, pkg.version_texts, strict=True)
            ],
            [
                f"make them all say {pkg.version_texts[0]} ({', '.join(str(loc.path) for loc in pkg.locations)})"
            ],
        )
    release = versions.release_of(current)
    tag = ctx.workspace.tag_for(pkg, release)
    refs = ctx.refs(pkg.repo)
    if f"refs/tags/{tag}" not in refs:
        return f"{pkg.name} {current} -> release {release} (tag {tag} not yet made)"
    changed = gitops.commits_since(pkg.repo, f"refs/tags/{tag}", str(pkg.path))
    if changed:
        raise CheckFailure(
            f"{pkg.name}: version {release} is already released (tag {tag}) "
            f"but {changed} commits touch {pkg.relpath} since: bump the version",
            Category.FIXABLE,
            [
                f"tag {tag} -> {refs[f'refs/tags/{tag}'][:12]}",
                f"git -C {pkg.repo} log --oneline {tag}..HEAD -- {pkg.path}",
            ],
            [
                f"set the version in {pkg.locations[0].path} to {versions.next_dev(release)} "
                "(or the version you intend to release) and commit"
            ],
        )
    return f"{pkg.name} {release} already released (tag {tag}), no changes since"


def internal_deps(ctx: Context, pkg: Package) -> str:
    ws = ctx.workspace
    bad: list[str] = []
    checked = 0
    for dep in ws.internal(pkg):
        target = ws.by_name[dep.name]
        if target.release_version is None:
            continue  # VCS-versioned (nothing declared to compare) or invalid (its `version` check fails)
        checked += 1
        poetry = dep.group.startswith("poetry")
        assert target.version is not None
        candidates = [target.version, target.release_version, *_last_release(ctx, target)]
        if any(specifiers.admits(dep.specifier, v, poetry=poetry) for v in candidates):
            continue
        bad.append(
            f"{dep.raw!r} ({dep.group}) excludes {dep.name} {target.version} "
            f"(release {target.release_version}) at {target.relpath}"
        )
    if bad:
        raise CheckFailure(
            f"{pkg.name}: {len(bad)} specifier(s) on workspace packages exclude their versions",
            Category.FIXABLE,
            [*bad, f"in {pkg.pyproject}"],
            [
                f"edit {pkg.pyproject}: widen each specifier to admit the workspace version "
                "(publish raises them to the released versions itself)"
            ],
        )
    return f"{pkg.name}: {checked} internal specifiers admit the workspace versions"


def _last_release(ctx: Context, pkg: Package) -> list[Version]:
    """The package's latest tagged release before its current one: a pin on it (as publish
    writes `==` pins) is installable and consistent, not a stale specifier."""
    assert pkg.release_version is not None
    found = tags.last_release_before(ctx.workspace, pkg, ctx.refs(pkg.repo), pkg.release_version)
    return [found[1]] if found else []


def lockfile(ctx: Context, pkg: Package) -> str:
    mode = ctx.config.lockfile
    if mode == "ignore":
        return 'lockfile checks are off (lockfile = "ignore")'
    lock = pkg.lockfile
    if lock is None:
        if mode == "require":
            raise CheckFailure(
                f'{pkg.name}: no lockfile (lockfile = "require")',
                Category.FIXABLE,
                [f"looked for uv.lock, poetry.lock, pdm.lock in {pkg.path}"],
                [f"cd {pkg.path} && uv lock   # then commit the lockfile"],
            )
        return f"{pkg.name}: no lockfile"
    if not gitops.is_tracked(pkg.repo, lock):
        raise CheckFailure(
            f"{pkg.name}: lockfile {lock} is not tracked by git",
            Category.FIXABLE,
            [str(lock)],
            [f"git -C {pkg.repo} add {lock} && git -C {pkg.repo} commit -m 'Add lockfile'"],
        )
    if gitops.is_modified(pkg.repo, lock):
        raise CheckFailure(
            f"{pkg.name}: lockfile {lock} has uncommitted changes",
            Category.FIXABLE,
            [str(lock)],
            [
                f"git -C {pkg.repo} commit -m 'Relock' {lock}   "
                f"# or: git -C {pkg.repo} checkout -- {lock}"
            ],
        )
    reasons = lockfiles.stale_reasons(ctx.workspace, pkg)
    if reasons and ctx.settings.fix:
        relock.relock(ctx, pkg, commit_message=f"chore: relock {pkg.name}")
        reasons = lockfiles.stale_reasons(ctx.workspace, pkg)
        if not reasons:
            return f"{pkg.name}: relocked {lock.name} and committed it (--release-fix)"
    if reasons:
        argv = " ".join(relock.command(ctx, lock))
        raise CheckFailure(
            f"{pkg.name}: lockfile {lock} is out of sync with the pyproject",
            Category.FIXABLE,
            reasons,
            [
                f"cd {lock.parent} && {argv} && git -C {pkg.repo} commit -m 'Relock' {lock}",
                "or rerun with --release-fix",
            ],
        )
    return f"{pkg.name}: {lock.name} in sync"
