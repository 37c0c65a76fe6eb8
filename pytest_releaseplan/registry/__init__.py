"""The package index: where releases are uploaded, and how we see what is already there.

Two kinds of registry (SPEC §2 `registry`):

* an http(s) **upload URL** for twine (pypiserver, PyPI, GitLab, ...), one file per
  ``python -m twine upload`` run (`twine_cli`);
* ``file:DIR`` — a **directory registry** in the PEP 503 layout (`directory`); DIR is
  relative to the workspace root, or absolute, or a ``file://`` URL.

The simple index (`index-url`) is derived when not configured (`model.derive_index_url`):

* ``https://upload.pypi.org/legacy/`` → ``https://pypi.org/simple/`` (likewise TestPyPI);
* an upload URL whose path ends in ``legacy/`` → the same URL with ``simple/`` instead;
* any other upload URL → the upload URL plus ``simple/`` (pypiserver: ``http://host:port/``
  → ``http://host:port/simple/``; GitLab's ``.../packages/pypi`` → ``.../packages/pypi/simple/``).
  Other servers (devpi, Artifactory, ...) need an explicit ``index-url``;
* ``file:DIR`` → ``file:///abs/DIR/simple/`` (read straight from the directory).

One module per role: `model` (config values), `failures` (categories, fixes, evidence),
`files` (distribution file names), `pages` + `http_get` + `index` (reading the index),
`budget` + `twine_cli` + `uploading` (uploading), `directory` (the file: registry writer),
`visibility` (waiting for the index). The decisions are pure functions; the rest is a thin
side-effect layer around urllib, twine and the file system.
"""

from __future__ import annotations

from pytest_releaseplan.registry.budget import Budget
from pytest_releaseplan.registry.directory import (
    LOCK_NAME,
    publish_to_directory,
    write_directory_indexes,
)
from pytest_releaseplan.registry.failures import (
    EVIDENCE_LINES,
    TRANSIENT_FIX,
    category_of_status,
    classify,
    classify_exception,
    classify_output,
    evidence_tail,
    fix_lines,
    http_status,
    is_transient,
    reports_already_exists,
)
from pytest_releaseplan.registry.files import already_uploaded, dist_name_version, project_files
from pytest_releaseplan.registry.index import READ_TIMEOUT, published_files, published_versions
from pytest_releaseplan.registry.model import (
    Registry,
    derive_index_url,
    parse_registry,
    split_userinfo,
)
from pytest_releaseplan.registry.pages import anchor_filenames, render_page
from pytest_releaseplan.registry.twine_cli import twine_argv, twine_env
from pytest_releaseplan.registry.uploading import UploadResult, upload
from pytest_releaseplan.registry.visibility import wait_visible
from pytest_releaseplan.secrets import mask, mask_url

__all__ = [
    "EVIDENCE_LINES",
    "LOCK_NAME",
    "READ_TIMEOUT",
    "TRANSIENT_FIX",
    "Budget",
    "Registry",
    "UploadResult",
    "already_uploaded",
    "anchor_filenames",
    "category_of_status",
    "classify",
    "classify_exception",
    "classify_output",
    "derive_index_url",
    "dist_name_version",
    "evidence_tail",
    "fix_lines",
    "http_status",
    "is_transient",
    "mask",
    "mask_url",
    "parse_registry",
    "project_files",
    "publish_to_directory",
    "published_files",
    "published_versions",
    "render_page",
    "reports_already_exists",
    "split_userinfo",
    "twine_argv",
    "twine_env",
    "upload",
    "wait_visible",
    "write_directory_indexes",
]
