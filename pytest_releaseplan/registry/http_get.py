"""GET one page of a simple index: bounded in time, auth kept to its origin, decoded leniently."""

from __future__ import annotations

import base64
import urllib.error
import urllib.request
from collections.abc import Mapping
from http.client import HTTPMessage
from typing import IO
from urllib.parse import urlsplit

from pytest_releaseplan.registry.model import split_userinfo
from pytest_releaseplan.secrets import register


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


def fetch(url: str, env: Mapping[str, str], timeout: float) -> str | None:
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


def decode(body: bytes, charset: str | None) -> str:
    """The page's text in its declared charset; UTF-8 (with replacements) when that is
    missing or unknown to Python."""
    try:
        return body.decode(charset or "utf-8", errors="replace")
    except LookupError:  # unknown, or not a text encoding ("base64")
        return body.decode("utf-8", errors="replace")


def _get(url: str, creds: tuple[str, str] | None, timeout: float) -> str:
    request = urllib.request.Request(url, headers={"Accept": "text/html"})  # noqa: S310
    if creds is not None:
        token = base64.b64encode(f"{creds[0]}:{creds[1]}".encode()).decode("ascii")
        request.add_unredirected_header("Authorization", f"Basic {token}")
    opener = urllib.request.build_opener(_SameOriginAuthRedirect())
    with opener.open(request, timeout=timeout) as response:
        return decode(response.read(), response.headers.get_content_charset())
