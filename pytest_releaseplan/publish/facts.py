"""Read the world for the publish decision: tags, the index, the remote, the ledger.

The side-effecting half of `decide`: publish and the plan (`--collect-only`, the prompt)
both call `gather`, so what the plan says is what publish does.
"""

from __future__ import annotations

from pytest_releaseplan import commits, gitops, tags
from pytest_releaseplan.context import Context
from pytest_releaseplan.ecosystems import Ecosystem
from pytest_releaseplan.errors import Category, CheckFailure
from pytest_releaseplan.process import ProcessError
from pytest_releaseplan.publish import decide
from pytest_releaseplan.publish.ledger import RunState
from pytest_releaseplan.workspace import Package


def gather(ctx: Context, pkg: Package, eco: Ecosystem, run: RunState) -> decide.Facts:
    release = pkg.release_version
    if release is None:
        return decide.Facts(pkg.name, None, "", tagged=False, on_index=False)
    tag = ctx.workspace.tag_for(pkg, release)
    refs = gitops.refs(pkg.repo)
    tagged = f"refs/tags/{tag}" in refs
    on_index = release in eco.published_versions(pkg)
    previous = tags.last_release_before(ctx.workspace, pkg, refs, release)
    changed = (
        None
        if previous is None
        else commits.changed_since(pkg.repo, f"refs/tags/{previous[0]}", pkg.path)
    )
    entry = run.packages.get(pkg.name)
    in_progress = entry is not None and entry.in_progress(release)
    previous_in_progress = (
        entry is not None and previous is not None and entry.in_progress(previous[1])
    )
    return decide.Facts(
        name=pkg.name,
        release=release,
        tag=tag,
        tagged=tagged,
        on_index=on_index,
        previous=previous[1] if previous else None,
        changed_since_previous=changed,
        tag_on_remote=_tag_on_remote(ctx, pkg, tag)
        if decide.needs_remote_tag(tagged, on_index)
        else None,
        in_progress=in_progress,
        previous_in_progress=previous_in_progress,
        uploaded=entry is not None and entry.passed("upload"),
        bump=ctx.config.next_version != "none",
        dry_run=ctx.settings.dry_run,
    )


def _tag_on_remote(ctx: Context, pkg: Package, tag: str) -> bool:
    try:
        remote = gitops.ls_remote(pkg.repo, ctx.config.remote, f"refs/tags/{tag}")
    except ProcessError as exc:
        raise CheckFailure(
            f"{pkg.name}: cannot read the tags of remote {ctx.config.remote}",
            Category.TRANSIENT,
            [exc.render()],
            [f"git -C {pkg.repo} ls-remote {ctx.config.remote}   # check the remote, then rerun"],
        ) from None
    return f"refs/tags/{tag}" in remote
