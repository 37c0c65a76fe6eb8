"""What a failed `npm` call means: a `CheckFailure` with its category and masked evidence."""

from __future__ import annotations

import re
from collections.abc import Sequence

from pytest_releaseplan.errors import Category, CheckFailure
from pytest_releaseplan.process import Result
from pytest_releaseplan.secrets import mask, mask_url

_CODE = re.compile(r"npm (?:error|ERR!) code (E[A-Z0-9]+)")
_HTTP = re.compile(r"\b(?:E|HTTP |status |code )([1-5][0-9]{2})\b")
_TRANSIENT_CODES = frozenset(
    {"ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EAI_AGAIN", "ESOCKETTIMEDOUT", "EPIPE", "E429"}
)
_REPUBLISH = re.compile(r"cannot publish over (?:the )?previously published version", re.I)
EVIDENCE_LINES = 12


def error_code(result: Result) -> str | None:
    """npm's error code (`E404`, `ECONNREFUSED`, ...) from its output, when it printed one."""
    text = result.stderr + "\n" + result.stdout
    match = _CODE.search(text)
    if match:
        return match.group(1)
    for code in _TRANSIENT_CODES:
        if code in text:
            return code
    http = _HTTP.search(text)
    return f"E{http.group(1)}" if http else None


def is_republish(result: Result) -> bool:
    return bool(_REPUBLISH.search(result.stderr + result.stdout)) or error_code(result) == "E409"


def category_of(code: str | None) -> Category:
    if code is None:
        return Category.BLOCKING
    if code in _TRANSIENT_CODES or re.fullmatch(r"E5[0-9]{2}", code):
        return Category.TRANSIENT
    if code in ("E401", "E403", "ENEEDAUTH", "EOTP"):
        return Category.FIXABLE
    return Category.BLOCKING


def failure(what: str, result: Result, registry: str) -> CheckFailure:
    code = error_code(result)
    category = category_of(code)
    return CheckFailure(
        mask(f"{what}: npm failed" + (f" ({code})" if code else "")),
        category,
        evidence=_evidence(result),
        fix=_fix(code, registry),
    )


def timed_out(what: str, argv: Sequence[str], seconds: float) -> CheckFailure:
    return CheckFailure(
        f"{what}: npm did not finish within {seconds:g} s (killed with its process group)",
        Category.TRANSIENT,
        evidence=[mask(" ".join(argv))],
    )


def _evidence(result: Result) -> list[str]:
    lines = [mask(" ".join(result.argv)), f"exit code {result.returncode}"]
    text = "\n".join(
        line
        for line in (result.stderr + "\n" + result.stdout).splitlines()
        if line.strip() and "complete log of this run" not in line and "npm notice" not in line
    )
    lines += [mask(line) for line in text.splitlines()[-EVIDENCE_LINES:]]
    return lines


def _fix(code: str | None, registry: str) -> list[str]:
    shown = mask_url(registry)
    if code in ("E401", "ENEEDAUTH"):
        return [
            f"export NPM_TOKEN=<a valid token for {shown}>  (npm token create --registry {shown})",
            f"or log in once: npm login --registry {shown}",
        ]
    if code == "E403":
        return [
            f"give the token's user publish rights on {shown} (npm access / the registry's config)"
            ", or use a token of a user who has them",
        ]
    if code == "EOTP":
        return ["use an automation token (npm token create --type automation) for NPM_TOKEN"]
    if code is not None and category_of(code) is Category.TRANSIENT:
        return [f"check that {shown} is up and reachable, then rerun the same command"]
    return []
