"""Package formats behind one seam (protocol.py); `of` picks the one a package belongs to."""

from __future__ import annotations

from collections.abc import Callable

from pytest_releaseplan.context import Context
from pytest_releaseplan.ecosystems.npm import NpmPackages
from pytest_releaseplan.ecosystems.protocol import Ecosystem
from pytest_releaseplan.ecosystems.python import PythonPackages
from pytest_releaseplan.workspace import Package

KINDS: dict[str, Callable[[Context], Ecosystem]] = {"python": PythonPackages, "npm": NpmPackages}


def of(ctx: Context, pkg: Package) -> Ecosystem:
    """The package's ecosystem, bound to this run's context (one instance per process)."""
    kind = getattr(pkg, "ecosystem", "python")
    if kind not in ctx.ecosystems:
        if kind not in KINDS:
            raise NotImplementedError(f"no ecosystem {kind!r}")
        ctx.ecosystems[kind] = KINDS[kind](ctx)
    bound: Ecosystem = ctx.ecosystems[kind]  # type: ignore[assignment]
    return bound


__all__ = ["Ecosystem", "of"]
