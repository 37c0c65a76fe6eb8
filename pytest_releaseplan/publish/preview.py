"""The plan a person confirms: per package, what publish will do — from the same decision.

Used by `--collect-only`, the confirmation prompt and the dry-run header.
"""

from __future__ import annotations

from dataclasses import dataclass

from pytest_releaseplan import ecosystems, plan
from pytest_releaseplan.context import Context
from pytest_releaseplan.errors import CheckFailure
from pytest_releaseplan.publish import decide, facts
from pytest_releaseplan.publish.ledger import Ledger, LedgerError
from pytest_releaseplan.secrets import mask


@dataclass(frozen=True)
class Preview:
    lines: list[str]
    changes: int  # packages publish would change something for

    @property
    def anything(self) -> bool:
        return self.changes > 0


def preview(ctx: Context) -> Preview:
    ws = ctx.workspace
    deps = ws.runtime_graph()
    registry_line = (
        mask(ctx.config.registry)
        if ctx.config.registry
        else "(none configured: publish will refuse)"
    )
    lines = [f"Release plan for {ws.root}:", f"registry: {registry_line}"]
    try:
        ecosystems.of(ctx, ws.packages[0]).target() if ws.packages else None
    except CheckFailure as exc:
        return Preview([*lines, f"  nothing can be published: {exc.what}"], 0)
    try:
        run = Ledger.of(ctx.statedir, ctx.settings.dry_run).read()
    except LedgerError as exc:
        return Preview([*lines, f"  {exc}"], 0)
    if ctx.settings.restart:
        run = type(run)()
        lines.append("  --release-restart: the saved state of the last run is discarded")
    changes = 0
    for i, pkg in enumerate(plan.publish_order(ws), 1):
        current = pkg.version_text or "(vcs)"
        try:
            decision = decide.decide(facts.gather(ctx, pkg, ecosystems.of(ctx, pkg), run))
            what = decision.why
            changes += decision.runs
        except CheckFailure as exc:
            what = f"cannot decide yet: {exc.what}"
            changes += 1  # publish will try, and say why it cannot
        after = ", ".join(sorted(deps[pkg.name]))
        lines.append(
            f"{i:>4}. {pkg.name:<24} {current:<16} {what}" + (f"   after: {after}" if after else "")
        )
    if not changes:
        lines.append("nothing to release: every package is up-to-date")
    return Preview(lines, changes)
