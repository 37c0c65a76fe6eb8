"""Keep credentials out of everything we print or write (SPEC §5)."""

from __future__ import annotations

import os
import re

_USERINFO = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<userinfo>[^/@\s]+)@")
SECRET_ENV = (
    "TWINE_PASSWORD",
    "TWINE_USERNAME",
    "PYPI_TOKEN",
    "UV_PUBLISH_TOKEN",
    "UV_PUBLISH_PASSWORD",
)
_registered: set[str] = set()


def register(secret: str | None) -> None:
    """Remember a secret value so that `mask` hides it wherever it turns up."""
    if secret and len(secret) >= 4:
        _registered.add(secret)


def mask(text: str) -> str:
    text = _USERINFO.sub(lambda m: f"{m.group('scheme')}***@", text)
    values = set(_registered)
    for key in SECRET_ENV:
        value = os.environ.get(key)
        if value and len(value) >= 4 and key != "TWINE_USERNAME":
            values.add(value)
    for value in sorted(values, key=len, reverse=True):
        text = text.replace(value, "***")
    return text
