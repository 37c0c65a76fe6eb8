"""Transitional: the ledger (publish/ledger.py) owns the state file. Removed at integration."""

from __future__ import annotations

from pathlib import Path

from pytest_releaseplan.publish.ledger import Ledger


def interrupted_writes(state_dir: Path) -> set[Path]:
    return Ledger.of(state_dir).read().interrupted_writes()
