"""`<root>/.releaseplan/`: run lock, state, reports, caches; it ignores itself."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def ensure(statedir: Path) -> Path:
    statedir.mkdir(parents=True, exist_ok=True)
    ignore = statedir / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# written by pytest-releaseplan: nothing here belongs in git\n*\n")
    return statedir


def write_json(path: Path, data: Any, durable: bool = True) -> None:  # noqa: ANN401 - any JSON
    """Write to a temp file, fsync, then atomically replace: readers see old or new, never half.

    `durable=False` skips the fsync, for what a crash may lose (reports, caches: rebuilt or
    rewritten by the next run); the ledger and the run lock keep it (~0.15 s each here).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=2, sort_keys=False)
            fh.write("\n")
            fh.flush()
            if durable:
                os.fsync(fh.fileno())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_json(path: Path) -> Any:  # noqa: ANN401 - any JSON value
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
