"""The `file:DIR` registry: files copied into DIR/simple/<name>/ beside generated pages.

Both ``pip install --index-url file:///abs/DIR/simple/`` and ``pip install --find-links DIR``
work (``DIR/index.html`` is a flat page linking every file).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from filelock import FileLock
from filelock import Timeout as FileLockTimeout

from pytest_releaseplan.errors import Category, CheckFailure
from pytest_releaseplan.registry.failures import TRANSIENT_FIX, describe
from pytest_releaseplan.registry.files import dist_name_version, project_files
from pytest_releaseplan.registry.pages import anchor_filenames, render_page

LOCK_NAME = ".releaseplan-registry.lock"
LOCK_TIMEOUT = 120.0


def upload_to_directory(directory: Path, path: Path) -> bool:
    """`publish_to_directory` with its failures as CheckFailures."""
    try:
        return publish_to_directory(directory, path)
    except (OSError, FileLockTimeout) as exc:
        raise _directory_failure(directory, path, exc) from None


def publish_to_directory(directory: Path, path: Path) -> bool:
    """Copy `path` into DIR/simple/<name>/ and rewrite the index pages; False if present."""
    parsed = dist_name_version(path.name)
    if parsed is None:
        raise CheckFailure(f"not a wheel or sdist: {path.name}", Category.BLOCKING)
    name = parsed[0]
    project_dir = directory / "simple" / name
    project_dir.mkdir(parents=True, exist_ok=True)
    with FileLock(str(directory / LOCK_NAME), timeout=LOCK_TIMEOUT):
        target = project_dir / path.name
        present = target.exists()
        if not present:
            _atomic_copy(path, target)
        write_directory_indexes(directory, name)
    return not present


def write_directory_indexes(directory: Path, name: str) -> None:
    """(Re)write DIR/simple/<name>/index.html, DIR/simple/index.html and DIR/index.html."""
    simple = directory / "simple"
    project_dir = simple / name
    files = sorted(project_files((p.name for p in project_dir.iterdir() if p.is_file()), name))
    hashes = _known_hashes(project_dir)
    links = [(f"{f}#sha256={hashes.get(f) or _sha256(project_dir / f)}", f) for f in files]
    _atomic_write(project_dir / "index.html", render_page(f"Links for {name}", links))
    projects = sorted(p.name for p in simple.iterdir() if p.is_dir())
    project_links = [(f"{p}/", p) for p in projects]
    _atomic_write(simple / "index.html", render_page("Simple index", project_links))
    flat = [
        (f"simple/{p}/{f}", f)
        for p in projects
        for f in sorted(project_files((x.name for x in (simple / p).iterdir()), p))
    ]
    _atomic_write(directory / "index.html", render_page("Distributions (find-links)", flat))


def _directory_failure(directory: Path, path: Path, exc: BaseException) -> CheckFailure:
    if isinstance(exc, FileLockTimeout):
        return CheckFailure(
            f"upload of {path.name} to file:{directory} waited too long for its lock",
            Category.TRANSIENT,
            evidence=[f"lock file: {directory / LOCK_NAME}"],
            fix=[TRANSIENT_FIX, f"check that no other process holds {directory / LOCK_NAME}"],
        )
    return CheckFailure(
        f"upload of {path.name} to file:{directory} failed",
        Category.BLOCKING,
        evidence=[describe(exc)],
        fix=[f"make {directory} a writable directory, then rerun the same command"],
    )


def _known_hashes(project_dir: Path) -> dict[str, str]:
    """sha256 digests already recorded in the project page (files are never replaced)."""
    index = project_dir / "index.html"
    if not index.is_file():
        return {}
    result = {}
    for name, href in anchor_filenames(index.read_text(encoding="utf-8")).items():
        fragment = urlsplit(href).fragment
        if fragment.startswith("sha256=") and (project_dir / name).is_file():
            result[name] = fragment[len("sha256=") :]
    return result


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _atomic_copy(source: Path, target: Path) -> None:
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".part")
    os.close(fd)
    try:
        shutil.copyfile(source, tmp)
        Path(tmp).replace(target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _atomic_write(target: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)  # noqa: PTH101 - mkstemp files are 0600; pages must be readable
        Path(tmp).replace(target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
