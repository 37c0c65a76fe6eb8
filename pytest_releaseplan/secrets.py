"""Keep credentials out of everything we print or write (SPEC §5)."""

from __future__ import annotations

import os
import re
from urllib.parse import quote, unquote, urlsplit, urlunsplit

# userinfo runs to the last "@" before the path, so an unencoded "@" in a password is masked too
_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<userinfo>[^/\s]+)@")
SECRET_ENV = (
    "TWINE_PASSWORD",
    "TWINE_USERNAME",
    "PYPI_TOKEN",
    "UV_PUBLISH_TOKEN",
    "UV_PUBLISH_PASSWORD",
    "NPM_TOKEN",
)
MASK = "***"
_registered: set[str] = set()


def register(secret: str | None) -> None:
    """Remember a secret value so that `mask` hides it wherever it turns up."""
    if secret and len(secret) >= 4:
        _registered.add(secret)
        for variant in (quote(secret, safe=""), unquote(secret)):
            if len(variant) >= 4:
                _registered.add(variant)


def register_url(url: str) -> None:
    """Register the secret of a URL's userinfo: the password, or a lone token-like user."""
    netloc = urlsplit(url).netloc
    if "@" not in netloc:
        return
    user, sep, password = netloc.rpartition("@")[0].partition(":")
    register(password if sep else user)


def mask_url(url: str) -> str:
    """`url` without its secret: `http://user:***@host/`, or `http://***@host/` when the
    userinfo is a lone token; registered secrets are hidden too."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return mask(url)
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user, sep, _password = userinfo.partition(":")
    shown = f"{user}:{MASK}" if sep and user else MASK
    return mask(urlunsplit((parts.scheme, f"{shown}@{hostport}", *parts[2:])))


def mask(text: str) -> str:
    text = _USERINFO.sub(lambda m: _masked_userinfo(m.group("scheme"), m.group("userinfo")), text)
    values = set(_registered)
    for key in SECRET_ENV:
        value = os.environ.get(key)
        if value and len(value) >= 4 and key != "TWINE_USERNAME":
            values.add(value)
    for value in sorted(values, key=len, reverse=True):
        text = text.replace(value, MASK)
    return text


def _masked_userinfo(scheme: str, userinfo: str) -> str:
    already = userinfo == MASK or userinfo.endswith(f":{MASK}")  # from mask_url: keep the user
    return f"{scheme}{userinfo if already else MASK}@"
