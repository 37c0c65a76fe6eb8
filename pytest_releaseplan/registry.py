"""The package index: where releases are uploaded, and how we see what is already there.

Two kinds of registry (SPEC §2 `registry`):

* an http(s) **upload URL** for twine (pypiserver, PyPI, GitLab, ...). Uploads run
  ``python -m twine upload`` one file at a time; credentials come from the URL's userinfo
  (handed to twine through the child's environment, never its command line) or from the
  environment/keyring as twine reads them.
* ``file:DIR`` — a **directory registry** (DIR relative to the workspace root, or
  absolute, or a ``file://`` URL). Files land in the PEP 503 layout
  ``DIR/simple/<normalized-name>/<file>`` next to generated ``index.html`` pages, so both
  ``pip install --index-url file:///abs/DIR/simple/`` and ``pip install --find-links DIR``
  work (``DIR/index.html`` is a flat page linking every file).

The simple index (`index-url`) is derived when not configured:

* ``https://upload.pypi.org/legacy/`` → ``https://pypi.org/simple/`` (likewise TestPyPI);
* an upload URL whose path ends in ``legacy/`` → the same URL with ``simple/`` instead;
* any other upload URL → the upload URL plus ``simple/`` (pypiserver: ``http://host:port/``
  → ``http://host:port/simple/``; GitLab's ``.../packages/pypi`` → ``.../packages/pypi/simple/``).
  Other servers (devpi, Artifactory, ...) need an explicit ``index-url``;
* ``file:DIR`` → ``file:///abs/DIR/simple/`` (read straight from the directory).

The decisions (`classify`, `already_uploaded`, `derive_index_url`, ...) are pure functions;
the rest is the thin side-effect layer around urllib, twine and the file system.
"""

from __future__ import annotations

import base64
import hashlib
import html
import os
import re
import shutil
import socket
import ssl
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from html.parser import HTMLParser
from http.client import HTTPException, HTTPMessage
from pathlib import Path
from typing import IO, TypeVar
from urllib.parse import unquote, urlsplit, urlunsplit

from filelock import FileLock
from filelock import Timeout as FileLockTimeout
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from pytest_releaseplan import process
from pytest_releaseplan.errors import Category, CheckFailure, ConfigError
from pytest_releaseplan.names import validated
from pytest_releaseplan.retry import OnRetry, retry
from pytest_releaseplan.secrets import mask, register

T = TypeVar("T")
READ_TIMEOUT = 30.0  # bound of one index request (seconds)
EVIDENCE_LINES = 12
TRANSIENT_FIX = "rerun the same command; the release resumes where it stopped"
_STATUS_PATTERNS = (
    re.compile(r"HTTPError: (\d{3})\b"),
    re.compile(r'Received "(\d{3}):'),
    re.compile(r"Response from \S+\s+(\d{3})\b"),
    re.compile(r"\bHTTP Error (\d{3})\b"),
)
_TRANSIENT_TEXT = re.compile(
    r"connection refused|connection reset|connection aborted|remotedisconnected|"
    r"remote end closed|broken pipe|timed out|timeout|max retries exceeded|"
    r"temporary failure in name resolution|network is unreachable|incompleteread|"
    r"service unavailable|bad gateway|gateway time-?out|too many requests",
    re.IGNORECASE,
)
_ALREADY_EXISTS = re.compile(r"already exists?|file exists", re.IGNORECASE)
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_TAG = re.compile(
    r"<(?:!DOCTYPE|/?(?:html|head|body|title|style|meta|h\d|p|pre|tt|br|a|div|span|code)\b)[^>]*>",
    re.IGNORECASE,
)
_CSS = re.compile(r"[{}]|;\s*$")


# --- the registry model ----------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class Registry:
    """Where to upload (`upload_url` xor `directory`) and the simple index to read.

    `upload_url` and `index_url` may carry userinfo credentials; `str()`/`repr()` and
    `display_*` mask them.
    """

    index_url: str
    upload_url: str | None = None
    directory: Path | None = None

    @property
    def is_directory(self) -> bool:
        return self.directory is not None

    @property
    def display_target(self) -> str:
        if self.directory is not None:
            return f"file:{self.directory}"
        return mask(self.upload_url or "")

    @property
    def display_index(self) -> str:
        return mask(self.index_url)

    def __repr__(self) -> str:
        return f"Registry(target={self.display_target!r}, index_url={self.display_index!r})"

    __str__ = __repr__


@dataclass(frozen=True)
class UploadResult:
    uploaded: tuple[str, ...]  # file names sent to the registry in this call
    skipped: tuple[str, ...]  # file names the index already had (idempotent re-run)
    retries: int = 0  # transient failures that were retried


def parse_registry(registry: str, index_url: str | None, root: Path) -> Registry:
    """Parse the `registry` and `index-url` config values (relative paths against `root`)."""
    value = registry.strip()
    if not value:
        raise ConfigError("registry: empty value; use an http(s) upload URL or file:DIR")
    if value.startswith("file:"):
        directory = _file_path(value, root, "registry")
        index = _parse_index_url(index_url, root) if index_url else _dir_uri(directory / "simple")
        return Registry(index_url=index, directory=directory)
    _check_http(value, "registry")
    _register_userinfo(value)
    index = _parse_index_url(index_url, root) if index_url else derive_index_url(value)
    return Registry(index_url=index, upload_url=value)


def derive_index_url(upload_url: str) -> str:
    """The simple index belonging to an upload URL (see the module docstring)."""
    parts = urlsplit(upload_url)
    host = (parts.hostname or "").lower()
    if host in {"upload.pypi.org", "pypi.org"}:
        return "https://pypi.org/simple/"
    if host == "test.pypi.org":
        return "https://test.pypi.org/simple/"
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    if path.endswith("/legacy/"):
        path = path[: -len("legacy/")]
    return urlunsplit((parts.scheme, parts.netloc, path + "simple/", "", ""))


def _parse_index_url(index_url: str, root: Path) -> str:
    value = index_url.strip()
    if value.startswith("file:"):
        return _dir_uri(_file_path(value, root, "index-url"))
    _check_http(value, "index-url")
    _register_userinfo(value)
    return value if value.endswith("/") else value + "/"


def _file_path(value: str, root: Path, key: str) -> Path:
    rest = value[len("file:") :]
    if rest.startswith("//"):
        parts = urlsplit(value)
        if parts.netloc not in {"", "localhost"}:
            raise ConfigError(f"{key}: {value!r} names a remote host; use file:DIR or file:///DIR")
        rest = urllib.request.url2pathname(unquote(parts.path))
    if not rest:
        raise ConfigError(f"{key}: {value!r} names no directory; use file:DIR")
    path = Path(rest).expanduser()
    return (path if path.is_absolute() else root / path).resolve()


def _dir_uri(path: Path) -> str:
    return path.as_uri().rstrip("/") + "/"


def _check_http(value: str, key: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ConfigError(
            f"{key}: {mask(value)!r} is neither an http(s) URL nor file:DIR "
            "(e.g. https://upload.pypi.org/legacy/ or file:dist-registry)"
        )


def _register_userinfo(url: str) -> None:
    password = split_userinfo(url)[2]
    register(password)


def split_userinfo(url: str) -> tuple[str, str | None, str | None]:
    """(url without userinfo, username, password) — percent-decoded."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, None, None
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user, sep, password = userinfo.partition(":")
    clean = urlunsplit((parts.scheme, hostport, parts.path, parts.query, parts.fragment))
    return clean, unquote(user), unquote(password) if sep else None


# --- pure decisions --------------------------------------------------------------------


def dist_name_version(filename: str) -> tuple[str, Version] | None:
    """(normalized project name, version) of a wheel or sdist file name; None otherwise."""
    try:
        if filename.endswith(".whl"):
            name, version, _build, _tags = parse_wheel_filename(filename)
            return str(name), version
        if filename.endswith((".tar.gz", ".zip")):
            sname, sversion = parse_sdist_filename(filename)
            return str(sname), sversion
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None
    return None


def already_uploaded(filename: str, published: Iterable[str]) -> bool:
    """The index already has this file (by name: a rebuilt file of a released version is
    the same release, and indexes refuse to replace files anyway)."""
    return Path(filename).name in set(published)


def http_status(text: str) -> int | None:
    """The last HTTP status code twine reported in its output, if any."""
    found: list[tuple[int, int]] = []
    for pattern in _STATUS_PATTERNS:
        found += [(m.start(), int(m.group(1))) for m in pattern.finditer(text)]
    return max(found)[1] if found else None


def category_of_status(status: int) -> Category:
    """5xx, 429 and 408 are worth retrying; every other 4xx needs a person."""
    return Category.TRANSIENT if status >= 500 or status in {408, 429} else Category.BLOCKING


def reports_already_exists(text: str) -> bool:
    """An upload refused because the file is already on the index (pypiserver 409/400,
    PyPI 400 "File already exists")."""
    status = http_status(text)
    return status in {400, 409} and bool(_ALREADY_EXISTS.search(text))


def classify(failure: process.Result | BaseException) -> Category:
    """TRANSIENT for connection problems, timeouts, HTTP 5xx/429; BLOCKING for the rest."""
    if isinstance(failure, process.Result):
        return classify_output(failure.stdout + "\n" + failure.stderr)
    return classify_exception(failure)


def classify_output(text: str) -> Category:
    status = http_status(text)
    if status is not None:
        return category_of_status(status)
    return Category.TRANSIENT if _TRANSIENT_TEXT.search(text) else Category.BLOCKING


def classify_exception(exc: BaseException) -> Category:
    known = _known_category(exc)
    if known is not None:
        return known
    if isinstance(exc, urllib.error.URLError) and isinstance(exc.reason, BaseException):
        return classify_exception(exc.reason)
    if isinstance(exc, socket.gaierror):
        return Category.TRANSIENT if exc.errno == socket.EAI_AGAIN else Category.BLOCKING
    if isinstance(exc, ssl.SSLError | ssl.CertificateError):
        return Category.BLOCKING
    if isinstance(exc, TimeoutError | ConnectionError | HTTPException):
        return Category.TRANSIENT
    return Category.TRANSIENT if _TRANSIENT_TEXT.search(str(exc)) else Category.BLOCKING


def _known_category(exc: BaseException) -> Category | None:
    """The category carried by our own errors and by HTTP status codes."""
    if isinstance(exc, CheckFailure):
        return exc.category
    if isinstance(exc, process.ProcessError):
        return Category.TRANSIENT if exc.timed_out else classify(exc.result)
    if isinstance(exc, urllib.error.HTTPError):
        return category_of_status(exc.code)
    return None


def is_transient(exc: BaseException) -> bool:
    return classify_exception(exc) is Category.TRANSIENT


def fix_lines(category: Category, status: int | None, url: str, text: str = "") -> list[str]:
    """The `Fix:` lines for a failed upload or index read (url already masked)."""
    if category is Category.TRANSIENT:
        return [TRANSIENT_FIX, f"if it keeps failing, check that {url} is reachable"]
    if status in {401, 403} or "credential not found" in text.lower():
        return [
            f"set TWINE_USERNAME/TWINE_PASSWORD (or a keyring entry) for {url}",
            "check that this account may upload the project",
        ]
    if status == 404:
        return [f"check `registry`/`index-url` in [tool.releaseplan]: {url} was not found"]
    return [
        f"read the index's answer above; correct the distribution or the registry {url}",
        "then rerun the same command; the release resumes",
    ]


def evidence_tail(stdout: str, stderr: str, limit: int = EVIDENCE_LINES) -> list[str]:
    """The last meaningful output lines: ANSI-free, HTML error pages reduced to their text,
    a traceback reduced to its final line, masked."""
    lines = [_plain(line) for line in stdout.splitlines()]
    err = [_plain(line) for line in stderr.splitlines()]
    err = [line for line in err if line]
    if any(line.startswith("Traceback") for line in err):
        err = err[-1:]
    kept = [line for line in lines + err if line]
    return [mask(line) for line in kept[-limit:]]


def _plain(line: str) -> str:
    text = _ANSI.sub("", line)
    if _CSS.search(text):
        return ""
    if _TAG.search(text):  # a line of an HTML error page: keep its text only
        inner = html.unescape(_TAG.sub("", text)).strip()
        return f"  {inner}" if inner else ""
    return text.rstrip()


# --- reading the simple index ----------------------------------------------------------


class _AnchorParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def anchor_filenames(page: str) -> dict[str, str]:
    """{file name: href} of the anchors of a PEP 503 project page."""
    parser = _AnchorParser()
    parser.feed(page)
    parser.close()
    result: dict[str, str] = {}
    for href in parser.hrefs:
        name = unquote(urlsplit(href).path.rstrip("/").rpartition("/")[2])
        if name:
            result[name] = href
    return result


def project_files(filenames: Iterable[str], name: str) -> set[str]:
    """The distribution files among `filenames` that belong to project `name`."""
    wanted = canonicalize_name(name)
    return {f for f in filenames if (nv := dist_name_version(f)) is not None and nv[0] == wanted}


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
        page = _fetch(url, env if env is not None else os.environ, timeout)
    except (urllib.error.URLError, OSError, HTTPException) as exc:
        raise _read_failure(url, exc) from None
    return project_files(anchor_filenames(page) if page is not None else (), project)


def published_versions(
    registry: Registry, name: str, *, env: Mapping[str, str] | None = None,
    timeout: float = READ_TIMEOUT,
) -> set[Version]:  # fmt: skip
    files = published_files(registry, name, env=env, timeout=timeout)
    return {nv[1] for f in files if (nv := dist_name_version(f)) is not None}


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


def _read_failure(url: str, exc: BaseException) -> CheckFailure:
    category = classify_exception(exc)
    status = exc.code if isinstance(exc, urllib.error.HTTPError) else None
    shown = mask(url)
    return CheckFailure(
        f"cannot read the package index {shown}" + (f" (HTTP {status})" if status else ""),
        category,
        evidence=[mask(f"{type(exc).__name__}: {exc}")],
        fix=fix_lines(category, status, shown),
    )


class _SameOriginAuthRedirect(urllib.request.HTTPRedirectHandler):
    """Follow redirects; keep basic auth only while the origin stays the same."""

    def redirect_request(
        self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str,
        headers: HTTPMessage, newurl: str,
    ) -> urllib.request.Request | None:  # fmt: skip
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        auth = req.unredirected_hdrs.get("Authorization")
        old, target = urlsplit(req.full_url), urlsplit(newurl)
        if new is not None and auth and (old.scheme, old.netloc) == (target.scheme, target.netloc):
            new.add_unredirected_header("Authorization", auth)
        return new


def _fetch(url: str, env: Mapping[str, str], timeout: float) -> str | None:
    """GET a simple page; None on 404. Auth: URL userinfo, else TWINE_* after a 401."""
    clean, user, password = split_userinfo(url)
    creds = (user, password or "") if user is not None else None
    try:
        return _get(clean, creds, timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            return None
        env_user, env_password = env.get("TWINE_USERNAME"), env.get("TWINE_PASSWORD")
        if exc.code != 401 or creds is not None or not env_user:
            raise
        register(env_password)
        try:
            return _get(clean, (env_user, env_password or ""), timeout)
        except urllib.error.HTTPError as again:
            if again.code == 404:
                return None
            raise


def _get(url: str, creds: tuple[str, str] | None, timeout: float) -> str:
    request = urllib.request.Request(url, headers={"Accept": "text/html"})  # noqa: S310
    if creds is not None:
        token = base64.b64encode(f"{creds[0]}:{creds[1]}".encode()).decode("ascii")
        request.add_unredirected_header("Authorization", f"Basic {token}")
    opener = urllib.request.build_opener(_SameOriginAuthRedirect())
    with opener.open(request, timeout=timeout) as response:
        charset = response.headers.get_content_charset() or "utf-8"
        return str(response.read().decode(charset, errors="replace"))


# --- uploading -------------------------------------------------------------------------


def upload(
    registry: Registry,
    files: Sequence[Path],
    *,
    retries: int,
    timeout: float,
    env: Mapping[str, str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    on_retry: OnRetry | None = None,
) -> UploadResult:
    """Upload the files the index does not have yet; retry transient failures.

    `timeout` bounds every twine run (and each index request, at most READ_TIMEOUT).
    Raises CheckFailure (masked evidence, `Fix:` lines) on the final failure.
    """
    base_env = dict(env if env is not None else os.environ)
    register(base_env.get("TWINE_PASSWORD"))
    counter = _RetryCounter(on_retry)
    read_timeout = min(timeout, READ_TIMEOUT)
    uploaded: list[str] = []
    skipped: list[str] = []
    for name, group in _group_by_project(files).items():
        read = partial(published_files, registry, name, env=base_env, timeout=read_timeout)
        published = _with_retries(read, retries=retries, sleep=sleep, counter=counter)
        for path in group:
            if already_uploaded(path.name, published):
                skipped.append(path.name)
                continue
            send = partial(_upload_one, registry, path, base_env, timeout)
            sent = _with_retries(send, retries=retries, sleep=sleep, counter=counter)
            (uploaded if sent else skipped).append(path.name)
    return UploadResult(tuple(uploaded), tuple(skipped), counter.count)


def _with_retries(
    fn: Callable[[], T], *, retries: int, sleep: Callable[[float], None], counter: _RetryCounter
) -> T:
    """`retry` with our classification; the final failure says how many attempts it took."""
    before = counter.count
    try:
        return retry(fn, retries=retries, is_transient=is_transient, sleep=sleep, on_retry=counter)
    except CheckFailure as exc:
        attempts = counter.count - before + 1
        if attempts == 1:
            raise
        what = f"{exc.what}, after {attempts} attempts"
        raise CheckFailure(what, exc.category, exc.evidence, exc.fix) from None


class _RetryCounter:
    def __init__(self, inner: OnRetry | None) -> None:
        self.inner = inner
        self.count = 0

    def __call__(self, attempt: int, delay: float, exc: BaseException) -> None:
        self.count += 1
        if self.inner is not None:
            self.inner(attempt, delay, exc)


def _group_by_project(files: Sequence[Path]) -> dict[str, list[Path]]:
    groups: dict[str, list[Path]] = {}
    for path in files:
        parsed = dist_name_version(path.name)
        if parsed is None:
            raise CheckFailure(
                f"not a wheel or sdist: {path.name}",
                Category.BLOCKING,
                evidence=[str(path)],
                fix=["check the `build` command: it must write *.whl / *.tar.gz files"],
            )
        if not path.is_file():
            raise CheckFailure(f"distribution file missing: {path}", Category.BLOCKING)
        groups.setdefault(parsed[0], []).append(path)
    return groups


def _upload_one(registry: Registry, path: Path, env: Mapping[str, str], timeout: float) -> bool:
    """Upload one file; False when the index answers that it already has it."""
    if registry.directory is not None:
        try:
            return publish_to_directory(registry.directory, path)
        except (OSError, FileLockTimeout) as exc:
            raise _directory_failure(registry.directory, path, exc) from None
    assert registry.upload_url is not None
    return _twine_upload(registry.upload_url, path, env, timeout)


def twine_argv(repository_url: str, files: Sequence[Path]) -> list[str]:
    """The twine command line: never any credential on it."""
    clean = split_userinfo(repository_url)[0]
    return [
        sys.executable, "-m", "twine", "upload", "--non-interactive",
        "--disable-progress-bar", "--verbose", "--repository-url", clean,
        *(str(f) for f in files),
    ]  # fmt: skip


def twine_env(repository_url: str, env: Mapping[str, str]) -> dict[str, str]:
    """The child's environment: URL credentials (if any) as TWINE_USERNAME/TWINE_PASSWORD."""
    child = dict(env)
    _clean, user, password = split_userinfo(repository_url)
    if user is not None:
        child["TWINE_USERNAME"] = user
        child["TWINE_PASSWORD"] = password or ""
    child.update({"NO_COLOR": "1", "COLUMNS": "200", "PYTHONIOENCODING": "utf-8"})
    return child


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
        evidence=[f"{type(exc).__name__}: {exc}"],
        fix=[f"make {directory} a writable directory, then rerun the same command"],
    )


def _twine_upload(url: str, path: Path, env: Mapping[str, str], timeout: float) -> bool:
    argv = twine_argv(url, [path])
    try:
        process.run(argv, env=twine_env(url, env), timeout=timeout)
    except process.ProcessError as exc:
        result = exc.result
        text = result.stdout + "\n" + result.stderr
        if not exc.timed_out and reports_already_exists(text):
            return False
        raise _upload_failure(url, path, exc) from None
    return True


def _upload_failure(url: str, path: Path, exc: process.ProcessError) -> CheckFailure:
    shown = mask(split_userinfo(url)[0])
    result = exc.result
    text = result.stdout + "\n" + result.stderr
    category = Category.TRANSIENT if exc.timed_out else classify(result)
    status = http_status(text)
    what = (
        f"upload of {path.name} to {shown} timed out"
        if exc.timed_out
        else f"upload of {path.name} to {shown} failed"
        + (f" (HTTP {status})" if status is not None else "")
    )
    evidence = evidence_tail(result.stdout, result.stderr)
    return CheckFailure(what, category, evidence, fix_lines(category, status, shown, text))


# --- the directory registry ------------------------------------------------------------

LOCK_NAME = ".releaseplan-registry.lock"


def publish_to_directory(directory: Path, path: Path) -> bool:
    """Copy `path` into DIR/simple/<name>/ and rewrite the index pages; False if present."""
    parsed = dist_name_version(path.name)
    if parsed is None:
        raise CheckFailure(f"not a wheel or sdist: {path.name}", Category.BLOCKING)
    name = parsed[0]
    project_dir = directory / "simple" / name
    project_dir.mkdir(parents=True, exist_ok=True)
    with FileLock(str(directory / LOCK_NAME), timeout=120):
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


def render_page(title: str, links: Sequence[tuple[str, str]]) -> str:
    """A PEP 503 page: one anchor per (href, text)."""
    anchors = "\n".join(
        f'    <a href="{html.escape(href, quote=True)}">{html.escape(text)}</a><br>'
        for href, text in links
    )
    return (
        "<!DOCTYPE html>\n<html>\n  <head>\n"
        '    <meta name="pypi:repository-version" content="1.0">\n'
        f"    <title>{html.escape(title)}</title>\n  </head>\n  <body>\n"
        f"    <h1>{html.escape(title)}</h1>\n{anchors}\n  </body>\n</html>\n"
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


# --- waiting for visibility ------------------------------------------------------------


def wait_visible(
    registry: Registry,
    name: str,
    version: str | Version,
    *,
    timeout: float,
    interval: float = 0.5,
    env: Mapping[str, str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> float:
    """Poll the simple index until `version` of `name` is listed; return the seconds waited.

    Transient read errors keep polling; blocking ones (401/403...) raise at once. Timing
    out raises CheckFailure (TRANSIENT): never a silent success.
    """
    wanted = Version(str(version))
    start = clock()
    deadline = start + timeout
    last_error: CheckFailure | None = None
    seen: set[Version] = set()
    while True:
        remaining = deadline - clock()
        try:
            seen = published_versions(
                registry, name, env=env, timeout=max(0.1, min(READ_TIMEOUT, remaining))
            )
            last_error = None
        except CheckFailure as exc:
            if exc.category is not Category.TRANSIENT:
                raise
            last_error = exc
        if wanted in seen:
            return clock() - start
        if clock() + interval > deadline:
            raise _not_visible(
                registry, name, wanted, timeout=timeout, seen=seen, last_error=last_error
            )
        sleep(interval)


def _not_visible(
    registry: Registry, name: str, version: Version, *, timeout: float,
    seen: set[Version], last_error: CheckFailure | None,
) -> CheckFailure:  # fmt: skip
    project = canonicalize_name(name)
    index = registry.display_index
    listed = ", ".join(str(v) for v in sorted(seen)[-10:]) or "none"
    evidence = [f"index page: {index}{project}/", f"versions listed: {listed}"]
    if last_error is not None:
        evidence += [f"last read error: {last_error.what}", *last_error.evidence]
    return CheckFailure(
        f"{project} {version} never became visible at {index} within {timeout:g} s",
        Category.TRANSIENT,
        evidence=evidence,
        fix=[
            f"{TRANSIENT_FIX} (files already uploaded are skipped)",
            f"check the index: pip download --no-deps {project}=={version} --index-url {index}",
            "if the index is just slow, raise `index-wait` in [tool.releaseplan]",
        ],
    )
