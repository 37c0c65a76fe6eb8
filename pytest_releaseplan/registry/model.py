"""The `registry` / `index-url` config values (SPEC §2): parsed, validated, displayed masked."""

from __future__ import annotations

import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from pytest_releaseplan.errors import ConfigError
from pytest_releaseplan.secrets import mask_url, register_url


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
        return mask_url(self.upload_url or "")

    @property
    def display_index(self) -> str:
        return mask_url(self.index_url)

    def __repr__(self) -> str:
        return f"Registry(target={self.display_target!r}, index_url={self.display_index!r})"

    __str__ = __repr__


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
    index = _parse_index_url(index_url, root) if index_url else derive_index_url(value)
    return Registry(index_url=index, upload_url=value)


def derive_index_url(upload_url: str) -> str:
    """The simple index belonging to an upload URL (see the package docstring)."""
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


def split_userinfo(url: str) -> tuple[str, str | None, str | None]:
    """(url without userinfo, username, password) — percent-decoded."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, None, None
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user, sep, password = userinfo.partition(":")
    clean = urlunsplit((parts.scheme, hostport, parts.path, parts.query, parts.fragment))
    return clean, unquote(user), unquote(password) if sep else None


def _parse_index_url(index_url: str, root: Path) -> str:
    value = index_url.strip()
    if value.startswith("file:"):
        return _dir_uri(_file_path(value, root, "index-url"))
    _check_http(value, "index-url")
    return value if value.endswith("/") else value + "/"


def _file_path(value: str, root: Path, key: str) -> Path:
    rest = value[len("file:") :]
    if rest.startswith("//"):
        parts = urlsplit(value)
        if parts.netloc not in {"", "localhost"}:
            raise ConfigError(
                f"{key}: {mask_url(value)!r} names a remote host; use file:DIR or file:///DIR"
            )
        rest = urllib.request.url2pathname(unquote(parts.path))
    if not rest:
        raise ConfigError(f"{key}: {value!r} names no directory; use file:DIR")
    path = Path(rest).expanduser()
    return (path if path.is_absolute() else root / path).resolve()


def _dir_uri(path: Path) -> str:
    return path.as_uri().rstrip("/") + "/"


def _check_http(value: str, key: str) -> None:
    """Validate an http(s) URL and register its secret before any message can show it."""
    parts = urlsplit(value)
    if "@" in parts.path:  # an unencoded "/" in a password: the URL cannot be shown safely
        raise ConfigError(
            f"{key}: the URL (not shown: it may hold a password) has an '@' after its host; "
            "percent-encode the user name and password (e.g. '/' as %2F, '@' as %40)"
        )
    register_url(value)
    shown = mask_url(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ConfigError(
            f"{key}: {shown!r} is neither an http(s) URL nor file:DIR "
            "(e.g. https://upload.pypi.org/legacy/ or file:dist-registry)"
        )
    if not value.isascii():
        raise ConfigError(f"{key}: {shown!r} {_non_ascii_fix(value)}")
    try:
        parts.port  # noqa: B018 - the property raises ValueError for a bad port
    except ValueError:
        raise ConfigError(
            f"{key}: {shown!r} has an invalid port; write http(s)://HOST:PORT/"
        ) from None


def _non_ascii_fix(value: str) -> str:
    parts = urlsplit(value)
    userinfo = parts.netloc.rpartition("@")[0]
    if not userinfo.isascii():  # never echo a character of the password
        return (
            "has non-ASCII characters in its user name or password; "
            "percent-encode them (e.g. 'é' as %C3%A9)"
        )
    bad = next(c for c in value if not c.isascii())
    where = "host name" if not (parts.hostname or "").isascii() else "path"
    fix = (
        "write the host in its IDNA form (xn--...)"
        if where == "host name"
        else f"percent-encode it (e.g. {bad!r} as {_percent(bad)})"
    )
    return f"has a non-ASCII character {bad!r} in its {where}; {fix}"


def _percent(char: str) -> str:
    return "".join(f"%{b:02X}" for b in char.encode("utf-8"))
