"""One `python -m twine upload` of one file: argv and environment, and what its failure means.

Credentials from the URL's userinfo reach twine through the child's environment, never its
command line; otherwise twine reads the environment or keyring itself.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from pytest_releaseplan import process
from pytest_releaseplan.errors import Category, CheckFailure
from pytest_releaseplan.registry.failures import (
    TRANSIENT_FIX,
    classify,
    evidence_tail,
    fix_lines,
    http_status,
    reports_already_exists,
)
from pytest_releaseplan.registry.model import split_userinfo
from pytest_releaseplan.secrets import mask_url


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


def twine_upload(url: str, path: Path, env: Mapping[str, str], timeout: float) -> bool:
    """Upload one file, killing twine after `timeout` s; False when the index answers that
    it already has the file. Raises CheckFailure."""
    try:
        process.run(twine_argv(url, [path]), env=twine_env(url, env), timeout=timeout)
    except process.ProcessError as exc:
        result = exc.result
        if not exc.timed_out and reports_already_exists(result.stdout + "\n" + result.stderr):
            return False
        raise upload_failure(url, path, exc, timeout) from None
    except OSError as exc:  # the interpreter itself could not be started
        raise CheckFailure(
            f"cannot run twine to upload {path.name}",
            Category.BLOCKING,
            evidence=[f"{type(exc).__name__}: {exc.strerror}"],
            fix=[f"check that {sys.executable} can run `-m twine` (pip install twine)"],
        ) from None
    return True


def upload_failure(url: str, path: Path, exc: process.ProcessError, timeout: float) -> CheckFailure:
    shown = mask_url(split_userinfo(url)[0])
    result = exc.result
    evidence = evidence_tail(result.stdout, result.stderr)
    if exc.timed_out:
        return CheckFailure(
            f"upload of {path.name} to {shown}: no answer within {timeout:.3g} s",
            Category.TRANSIENT,
            evidence or ["twine printed nothing before it was stopped"],
            [
                TRANSIENT_FIX,
                f"if it keeps failing, check that {shown} is reachable and answers uploads",
                "for a slow registry raise `timeout` in [tool.releaseplan]: an upload gets half "
                "of it, shared by its `retries` + 1 attempts",
            ],
        )
    text = result.stdout + "\n" + result.stderr
    category = classify(result)
    status = http_status(text)
    what = f"upload of {path.name} to {shown} failed" + (
        f" (HTTP {status})" if status is not None else ""
    )
    return CheckFailure(what, category, evidence, fix_lines(category, status, shown, text))
