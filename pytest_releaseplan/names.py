"""Distribution names: PEP 503 normalization and validation before a name becomes a path or tag."""

from __future__ import annotations

import re

from pytest_releaseplan.errors import ConfigError

_VALID = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def is_valid(name: str) -> bool:
    return bool(_VALID.match(name))


def validated(name: object, where: str) -> str:
    """Return the normalized name, or raise naming `where` the bad name came from."""
    if not isinstance(name, str) or not is_valid(name):
        raise ConfigError(
            f"{where}: invalid package name {name!r}; a name is letters, digits, '.', '-' "
            "and '_', starting and ending with a letter or digit (PEP 508)"
        )
    return normalize(name)
