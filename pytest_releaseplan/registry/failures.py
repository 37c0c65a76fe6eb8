"""What a failed upload or index read means: its category, its `Fix:` lines, its evidence.

Pure functions over twine's output and the exceptions of urllib/sockets (SPEC §5 categories).
"""

from __future__ import annotations

import html
import re
import socket
import ssl
import urllib.error
from http.client import HTTPException

from pytest_releaseplan import process
from pytest_releaseplan.errors import Category, CheckFailure
from pytest_releaseplan.secrets import mask

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


def describe(exc: BaseException) -> str:
    """One masked evidence line for an exception."""
    return mask(f"{type(exc).__name__}: {exc}")


def _plain(line: str) -> str:
    text = _ANSI.sub("", line)
    if _CSS.search(text):
        return ""
    if _TAG.search(text):  # a line of an HTML error page: keep its text only
        inner = html.unescape(_TAG.sub("", text)).strip()
        return f"  {inner}" if inner else ""
    return text.rstrip()
