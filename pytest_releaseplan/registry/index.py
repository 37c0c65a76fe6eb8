"""What the registry's simple index already lists: files and versions of a project."""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from collections.abc import Mapping
from http.client import HTTPException
from pathlib import Path
from urllib.parse import unquote, urlsplit

from packaging.version import Version

from pytest_releaseplan.errors import CheckFailure
from pytest_releaseplan.names import validated
from pytest_releaseplan.registry.failures import classify_exception, describe, fix_lines
from pytest_releaseplan.registry.files import dist_name_version, project_files
from pytest_releaseplan.registry.http_get import fetch
from pytest_releaseplan.registry.model import Registry
from pytest_releaseplan.registry.pages import anchor_filenames
from pytest_releaseplan.secrets import mask_url

READ_TIMEOUT = 30.0  # bound of one index request (seconds)


def published_files(
    registry: Registry, name: str, *, env: Mapping[str, str] | None = None,
    timeout: float = READ_TIMEOUT,
) -> set[str]:  # fmt: skip
    """File names of project `name` on the registry's simple index (empty if unknown).

    Raises CheckFailure (TRANSIENT or BLOCKING) when the index cannot be read.
    """
    project = validated(name, "registry lookup")
    base = registry.index_url
    if base.startswith("file:"):
        return project_files(_read_local_project(_local_path(base) / project), project)
    url = base + project + "/"
    try:
        page = fetch(url, env if env is not None else os.environ, timeout)
    # ValueError: http.client refusing a URL (InvalidURL, UnicodeError) is no traceback either
    except (urllib.error.URLError, OSError, HTTPException, ValueError) as exc:
        raise read_failure(url, exc) from None
    return project_files(anchor_filenames(page) if page is not None else (), project)


def published_versions(
    registry: Registry, name: str, *, env: Mapping[str, str] | None = None,
    timeout: float = READ_TIMEOUT,
) -> set[Version]:  # fmt: skip
    files = published_files(registry, name, env=env, timeout=timeout)
    return {nv[1] for f in files if (nv := dist_name_version(f)) is not None}


def read_failure(url: str, exc: BaseException) -> CheckFailure:
    category = classify_exception(exc)
    status = exc.code if isinstance(exc, urllib.error.HTTPError) else None
    shown = mask_url(url)
    return CheckFailure(
        f"cannot read the package index {shown}" + (f" (HTTP {status})" if status else ""),
        category,
        evidence=[describe(exc)],
        fix=fix_lines(category, status, shown),
    )


def _local_path(uri: str) -> Path:
    return Path(urllib.request.url2pathname(unquote(urlsplit(uri).path)))


def _read_local_project(project_dir: Path) -> set[str]:
    if not project_dir.is_dir():
        return set()
    names = {p.name for p in project_dir.iterdir() if p.is_file() and p.name != "index.html"}
    index = project_dir / "index.html"
    if index.is_file():
        names |= set(anchor_filenames(index.read_text(encoding="utf-8", errors="replace")))
    return names
