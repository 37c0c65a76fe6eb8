"""Collection: the planned checks and publishes as pytest items, one node per directory."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from pytest_releaseplan import compat

if TYPE_CHECKING:
    from collections.abc import Iterable

    from pytest_releaseplan.context import Context
    from pytest_releaseplan.items import DirectoryNode, ReleaseItem
    from pytest_releaseplan.plan import Planned


def collect(
    session: pytest.Session, ctx: Context, planned: list[Planned], *, with_idle: bool
) -> None:
    """What pytest_collection does in release mode: build the items, then pytest's tail.

    An xdist worker in publish mode also gets the idle item the scheduler queues behind
    every real one (see items.IdleItem), at index len(announced items), counted nowhere.
    """
    idle = [_idle_item(session, ctx)] if with_idle else []
    compat.finish_collection(session, build_items(session, ctx, planned), unannounced=idle)


def _idle_item(session: pytest.Session, ctx: Context) -> pytest.Item:
    from pytest_releaseplan.items import NOOP_NAME, NOOP_PARENT, DirectoryNode, IdleItem

    parent = DirectoryNode.from_parent(
        session, name=NOOP_PARENT, nodeid=NOOP_PARENT, path=ctx.settings.statedir
    )
    return IdleItem.from_parent(parent, name=NOOP_NAME)


def build_items(session: pytest.Session, ctx: Context, planned: list[Planned]) -> list[pytest.Item]:
    """One item per planned check or publish, grouped by directory node (so --collect-only
    shows each directory once); the run order is ordering.py's business."""
    from pytest_releaseplan.items import DirectoryNode

    parents: dict[str, DirectoryNode] = {}
    grouped: dict[str, list[pytest.Item]] = {}
    gates = _gate_keywords(planned)
    for p in planned:
        if p.parent not in parents:
            path = (ctx.workspace.root / p.parent).resolve()
            parents[p.parent] = DirectoryNode.from_parent(
                session, name=p.parent, nodeid=p.parent, path=path
            )
            grouped[p.parent] = []
        grouped[p.parent].append(_item(ctx, parents[p.parent], p, gates.get(p.nodeid, ())))
    return [item for items in grouped.values() for item in items]


def _gate_keywords(planned: list[Planned]) -> dict[str, list[str]]:
    """Workspace and repository checks answer to `-k NAME` of every package they gate, so
    `-k core` selects everything core's publish needs (selection.py relies on it)."""
    by_repo: dict[str, list[str]] = {}
    everyone: list[str] = []
    for p in planned:
        if p.scope == "package" and p.package is not None and p.package.name not in everyone:
            everyone.append(p.package.name)
            by_repo.setdefault(p.repository, []).append(p.package.name)
    out: dict[str, list[str]] = {}
    for p in planned:
        if p.scope == "workspace":
            out[p.nodeid] = everyone
        elif p.scope == "repository":
            out[p.nodeid] = by_repo.get(p.repository, [])
    return out


def _item(ctx: Context, parent: DirectoryNode, p: Planned, keywords: Iterable[str]) -> ReleaseItem:
    from pytest_releaseplan.items import ReleaseItem

    props = {"repository": p.repository}
    if p.scope == "repository":
        props["packages"] = ",".join(pkg.name for pkg in ctx.workspace.packages_in(p.repository))
    if p.package is not None:
        props |= {
            "package": p.package.name,
            "version": p.package.version_text or "",
            "release_version": str(p.package.release_version or ""),
        }
    item = ReleaseItem.from_parent(
        parent, name=p.item_name, check=p.name, action=_action(ctx, p), properties=props
    )
    item.extra_keyword_matches.update(keywords)
    if p.scope == "publish":
        item.add_marker(pytest.mark.timeout(ctx.config.timeout))
    return item


def _action(ctx: Context, p: Planned) -> Any:  # noqa: ANN401 - a one-argument callable
    from pytest_releaseplan import checks

    if p.scope == "workspace":
        return lambda _: checks.WORKSPACE_CHECKS[p.name](ctx)
    if p.scope == "repository":
        return lambda _: checks.REPOSITORY_CHECKS[p.name](ctx, p.repository)
    assert p.package is not None
    pkg = p.package
    if p.scope == "package":
        return lambda _: checks.PACKAGE_CHECKS[p.name](ctx, pkg)
    from pytest_releaseplan.publish import run as publish_run

    return lambda item: publish_run.publish(ctx, pkg, item.user_properties)
