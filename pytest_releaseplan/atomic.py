"""Replace a file of the user's (a pyproject, a package.json, a lock) all at once.

`Path.write_text` truncates the file before it writes: a `kill -9` in between left an empty
pyproject, which discovery then no longer saw as a package, so the resumed release went on
without it (found by the fuzzer, seed 7028). Here the new text goes to a temporary file in
the same directory, which then replaces the file in one rename: a kill leaves the old text
or the new, never a part.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

TEMP_SUFFIX = ".releaseplan-tmp"


def replace_text(path: Path, text: str) -> None:
    """Write `text` (UTF-8) over `path` atomically, keeping the file's permission bits; a
    symlink keeps pointing where it did (the file it names is replaced)."""
    path = path.resolve()
    mode = path.stat().st_mode & 0o7777 if path.exists() else None
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=TEMP_SUFFIX)
    tmp = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        if mode is not None:
            tmp.chmod(mode)
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def leftovers(path: Path) -> list[Path]:
    """Temporary files a killed `replace_text` of `path` left beside it (untracked files
    that would fail clean-worktree): the resumed run removes them."""
    path = path.resolve()
    return sorted(path.parent.glob(f".{path.name}.*{TEMP_SUFFIX}"))
