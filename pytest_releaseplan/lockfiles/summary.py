"""Each lockfile parsed once per run: a compact summary keyed by the lock's content hash.

A 1 MB uv.lock takes tomllib most of a second; a workspace asks about it once per
package. So the summary (only what the comparisons read) is memoised in the process
and, given a cache dir (the run's state dir), written there as JSON under a FileLock:
the first xdist worker parses, the others read the small JSON. Keyed by the sha256 of
the lock's bytes, a relock (or any edit) is a new key; stale entries are never read.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
import tomllib
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from pytest_releaseplan import statedir
from pytest_releaseplan.lockfiles.files import STRUCTURE_ERRORS, TomlData, toml_problem

Summarize = Callable[[TomlData, str], TomlData]  # (parsed lock, its first line) -> summary
SCHEMA = "lockfiles-v1"  # bump when a summary's shape changes
MEMO_SIZE = 16
LOCK_TIMEOUT = 120.0

RACY_NS = 1_000_000_000

_memo: OrderedDict[tuple[str, str], TomlData] = OrderedDict()
# path -> (stat fingerprint, memo key): the 1 MB lock is not even re-hashed per package.
_by_stat: dict[Path, tuple[tuple[int, ...], tuple[str, str]]] = {}


def load(path: Path, summarize: Summarize, cache_dir: Path | None = None) -> TomlData:
    """The lock's summary; `{"problem": ...}` (a sentence to prefix with the lock's label)
    when it cannot be checked. Raises OSError when the file cannot be read at all."""
    stat = path.stat()
    seen = _by_stat.get(path)
    if seen is not None and seen[0] == _fingerprint(stat) and seen[1] in _memo:
        return _memo[seen[1]]
    content = path.read_bytes()
    key = (path.name, hashlib.sha256(content).hexdigest())
    if key in _memo:
        _memo.move_to_end(key)
    else:
        _memo[key] = _from_cache(cache_dir, key, content, summarize)
        if len(_memo) > MEMO_SIZE:
            _memo.popitem(last=False)
    # Racy-git rule: a file written within the last second may change again without its
    # size or mtime changing (coarse timestamps); such a file is hashed on every call.
    if time.time_ns() - stat.st_mtime_ns > RACY_NS:
        _by_stat[path] = (_fingerprint(stat), key)
    return _memo[key]


def _fingerprint(stat: os.stat_result) -> tuple[int, ...]:
    return (stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)


def summarize_bytes(content: bytes, summarize: Summarize) -> TomlData:
    """Parse and summarize; never raises on bad content (the problem is the summary)."""
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        return {"problem": f"cannot be read ({exc})"}
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return {"problem": toml_problem(exc)}
    try:
        return summarize(data, text.split("\n", 1)[0])
    except STRUCTURE_ERRORS as exc:
        return {"problem": f"has an unexpected structure ({exc!r}); relock it"}


def _from_cache(
    cache_dir: Path | None, key: tuple[str, str], content: bytes, summarize: Summarize
) -> TomlData:
    if cache_dir is None:
        return summarize_bytes(content, summarize)
    directory = statedir.ensure(cache_dir) / SCHEMA
    directory.mkdir(exist_ok=True)
    target = directory / f"{key[0]}-{key[1]}.json"
    cached = _read(target)
    if cached is not None:
        return cached
    try:
        with FileLock(str(directory / f"{key[0]}-{key[1]}.lock"), timeout=LOCK_TIMEOUT):
            cached = _read(target)  # another worker may have written it while we waited
            if cached is not None:
                return cached
            summary = summarize_bytes(content, summarize)
            # A TOML value JSON cannot hold (a datetime): memoised in-process only.
            with contextlib.suppress(TypeError, ValueError):
                statedir.write_json(target, summary, durable=False)
            return summary
    except Timeout:
        return summarize_bytes(content, summarize)


def _read(path: Path) -> TomlData | None:
    try:
        data: Any = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None  # absent, or not ours: rebuilt under the lock
    return data if isinstance(data, dict) else None


def forget() -> None:
    """Drop the in-process memo (tests measuring cold loads)."""
    _memo.clear()
    _by_stat.clear()
