"""`--release-mark-completed NAME`: record a package as done, after verifying the world."""

from __future__ import annotations

from pytest_releaseplan import ecosystems, gitops, names
from pytest_releaseplan.context import Context
from pytest_releaseplan.errors import CheckFailure, ConfigError
from pytest_releaseplan.process import ProcessError
from pytest_releaseplan.publish.ledger import Ledger


def mark_completed(ctx: Context, raw_name: str) -> str:
    name = names.validated(raw_name, "--release-mark-completed")
    pkg = ctx.workspace.by_name.get(name)
    if pkg is None:
        raise ConfigError(
            f"--release-mark-completed: no package {raw_name!r} in the workspace "
            f"(packages: {', '.join(sorted(ctx.workspace.by_name))})"
        )
    release = pkg.release_version
    if release is None:
        raise ConfigError(f"{name}: version comes from VCS tags; nothing to mark")
    try:
        eco = ecosystems.of(ctx, pkg)
        on_index = release in eco.published_versions(pkg)
    except CheckFailure as exc:
        raise ConfigError(f"{name}: cannot verify the index: {exc.what}") from None
    tag = ctx.workspace.tag_for(pkg, release)
    try:
        remote_tags = gitops.ls_remote(pkg.repo, ctx.config.remote, f"refs/tags/{tag}")
    except ProcessError as exc:
        raise ConfigError(f"{name}: cannot read the remote's tags: {exc.render()}") from None
    missing = []
    if not on_index:
        missing.append(f"{name} {release} is not on the index {eco.target()}")
    if f"refs/tags/{tag}" not in remote_tags:
        missing.append(f"tag {tag} is not on remote {ctx.config.remote}")
    if missing:
        raise ConfigError(
            f"refusing to mark {name} completed: "
            + "; ".join(missing)
            + ". Rerun the release to finish it instead (`pytest --release-publish`)"
        )

    Ledger.of(ctx.statedir).mark_completed(name, release)
    return f"{name} {release} marked completed (on the index, tag {tag} on {ctx.config.remote})"
