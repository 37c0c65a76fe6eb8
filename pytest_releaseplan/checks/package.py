"""Package checks: `version` and `lockfile` (`internal-deps` lives in checks.internal)."""

from __future__ import annotations

from collections.abc import Mapping

from packaging.version import Version

from pytest_releaseplan import commits, ecosystems, relock, tags, versions
from pytest_releaseplan.checks import ci_checkout
from pytest_releaseplan.checks.internal import internal_deps
from pytest_releaseplan.context import Context
from pytest_releaseplan.errors import Category, CheckFailure, ConfigError
from pytest_releaseplan.npm import pep440
from pytest_releaseplan.workspace import Package


def version(ctx: Context, pkg: Package) -> str:
    if pkg.version_error is not None:
        raise CheckFailure(
            f"{pkg.name}: the version cannot be read ({pkg.version_source})",
            Category.FIXABLE,
            [pkg.version_error],
            [f"edit {pkg.pyproject}: declare a version this tool can read, or fix the cause above"],
        )
    if pkg.version_text is None:
        return (
            f"{pkg.name}: version comes from VCS tags ({pkg.version_source}); released by tagging"
        )
    try:
        current = pkg.version
    except ConfigError as exc:
        raise CheckFailure(
            str(exc),
            Category.FIXABLE,
            [],
            [f"edit {pkg.manifest}: set {_example(pkg)}"],
        ) from None
    assert current is not None
    _agree(pkg)
    release = versions.release_of(current)
    tag = ctx.workspace.tag_for(pkg, release)
    refs = ctx.refs(pkg.repo)
    if f"refs/tags/{tag}" not in refs and ctx.view(pkg.repo).is_shallow():
        # A shallow, tag-less checkout cannot tell whether the release exists: never guess.
        raise ci_checkout.no_history(
            ctx,
            pkg.repo_relpath,
            f"whether {pkg.name} {release} is already released",
            [f"tag {tag} is not in this checkout"],
        )
    if f"refs/tags/{tag}" not in refs:
        note = _other_form(ctx, pkg, release, tag, refs)
        read_only = "" if pkg.version_writable else f"; read-only ({pkg.version_source})"
        return (
            f"{pkg.name} {current} -> release {release} (tag {tag} not yet made){read_only}{note}"
        )
    if commits.changed_since(pkg.repo, f"refs/tags/{tag}", pkg.path):
        raise CheckFailure(
            f"{pkg.name}: version {release} is already released (tag {tag}) "
            f"but commits touch {pkg.relpath} since: bump the version",
            Category.FIXABLE,
            [
                f"tag {tag} -> {refs[f'refs/tags/{tag}'][:12]}",
                f"git -C {pkg.repo} log --oneline {tag}..HEAD -- {pkg.path}",
            ],
            [
                f"set the version in {_where(pkg)} to {_spell(pkg, versions.next_dev(release))} "
                "(or the version you intend to release) and commit"
            ],
        )
    return f"{pkg.name} {release} already released (tag {tag}), no changes since"


def _where(pkg: Package) -> str:
    if pkg.ecosystem == "npm":
        return str(pkg.manifest)
    return (
        str(pkg.locations[0].path) if pkg.locations else f"{pkg.pyproject} ({pkg.version_source})"
    )


def _example(pkg: Package) -> str:
    if pkg.ecosystem == "npm":
        return 'a semver version such as "1.0.0-dev.0" (releases 1.0.0)'
    return "a PEP 440 version such as 1.0.0.dev0"


def _spell(pkg: Package, version: Version) -> str:
    return pep440.spelled(version, pkg.ecosystem)


def _agree(pkg: Package) -> None:
    if len(set(pkg.version_texts)) > 1:
        raise CheckFailure(
            f"{pkg.name}: the version is written in {len(pkg.locations)} places that disagree",
            Category.FIXABLE,
            [
                f"{loc.path} ({loc.kind}): {text}"
                for loc, text in zip(pkg.locations, pkg.version_texts, strict=True)
            ],
            [
                f"make them all say {pkg.version_texts[0]} "
                f"({', '.join(str(loc.path) for loc in pkg.locations)})"
            ],
        )


def _other_form(
    ctx: Context, pkg: Package, release: Version, tag: str, refs: Mapping[str, str]
) -> str:
    """Tags of this package in a form other than `tag-format`: a note, or a failure when the
    release is tagged that way (publish would release it a second time)."""
    forms = tags.forms_of(ctx.workspace, pkg, refs)
    if not forms:
        return ""
    configured = ctx.workspace.tag_format(pkg)
    released = next((f for f in forms if release in f.tags), None)
    if released is not None:
        other = released.tags[release]
        raise CheckFailure(
            f"{pkg.name}: version {release} is already tagged as {other}, in the form "
            f"{released.format!r}; tag-format {configured!r} looks for {tag}, so publish would "
            "release it again",
            Category.FIXABLE,
            [f"tag {other} -> {refs[f'refs/tags/{other}'][:12]}", f"repository {pkg.repo}"],
            [
                f"set tag-format = {released.format!r} in {ctx.config.source or '[tool.releaseplan]'}",
                f"then, if {pkg.relpath} changed since {other}, bump its version in {_where(pkg)}",
            ],
        )
    used = forms[0]
    example = used.tags[max(used.tags)]
    return (
        f"; note: this repository tags {pkg.name} in the form {used.format!r} (e.g. {example}), "
        f"not {configured!r}: set tag-format = {used.format!r} if that is its release tag"
    )


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
                [f"looked for {_lock_names(pkg)} in {pkg.path}"],
                [f"cd {pkg.path} && {_lock_cmd(pkg)}   # then commit the lockfile"],
            )
        return f"{pkg.name}: no lockfile"
    state = relock.git_state(ctx, pkg)
    if state == "untracked":
        raise CheckFailure(
            f"{pkg.name}: lockfile {lock} is not tracked by git",
            Category.FIXABLE,
            [str(lock)],
            [f"git -C {pkg.repo} add {lock} && git -C {pkg.repo} commit -m 'Add lockfile'"],
        )
    if state == "modified":
        raise CheckFailure(
            f"{pkg.name}: lockfile {lock} has uncommitted changes",
            Category.FIXABLE,
            [str(lock)],
            [
                f"git -C {pkg.repo} commit -m 'Relock' {lock}   "
                f"# or: git -C {pkg.repo} checkout -- {lock}"
            ],
        )
    reasons = ecosystems.of(ctx, pkg).lock_stale_reasons(pkg)
    if reasons and ctx.settings.fix:
        relock.relock(ctx, pkg, commit_message=f"chore: relock {pkg.name}")
        reasons = ecosystems.of(ctx, pkg).lock_stale_reasons(pkg)
        if not reasons:
            return f"{pkg.name}: relocked {lock.name} and committed it (--release-fix)"
    if reasons:
        argv = " ".join(relock.command(ctx, lock))
        raise CheckFailure(
            f"{pkg.name}: lockfile {lock} is out of sync with the {_manifests(pkg)}",
            Category.FIXABLE,
            reasons,
            [
                f"cd {lock.parent} && {argv} && git -C {pkg.repo} commit -m 'Relock' {lock}",
                "or rerun with --release-fix",
            ],
        )
    return f"{pkg.name}: {lock.name} in sync"


def _lock_names(pkg: Package) -> str:
    return "package-lock.json" if pkg.ecosystem == "npm" else "uv.lock, poetry.lock, pdm.lock"


def _lock_cmd(pkg: Package) -> str:
    return " ".join(relock.NPM_RELOCK) if pkg.ecosystem == "npm" else "uv lock"


def _manifests(pkg: Package) -> str:
    return "package.json files" if pkg.ecosystem == "npm" else "pyproject"


__all__ = ["internal_deps", "lockfile", "version"]
