"""The environment an `npm` call runs in: the token lives only in a temporary userconfig."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

from pytest_releaseplan import secrets

TOKEN_ENV = "NPM_TOKEN"  # noqa: S105  # the variable's name, not a secret
# npm reads its config from any-case npm_config_* variables; these decide where auth comes from
_USERCONFIG_KEYS = ("NPM_CONFIG_USERCONFIG", "npm_config_userconfig")
_QUIET = {
    "NPM_CONFIG_UPDATE_NOTIFIER": "false",
    "NPM_CONFIG_FUND": "false",
    "NPM_CONFIG_AUDIT": "false",
}


def registry_key(registry: str) -> str:
    """npm's "nerf dart" for a registry URL: `//host:port/path/`, the key auth settings use."""
    parts = urlsplit(registry)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return f"//{host}{port}{path}"


def token_from_env(environ: Mapping[str, str] | None = None) -> str | None:
    value = (os.environ if environ is None else environ).get(TOKEN_ENV, "").strip()
    return value or None


@contextmanager
def npm_env(registry: str | None, token: str | None = None) -> Iterator[dict[str, str]]:
    """The environment for one npm call against `registry` (None: a call that needs none).

    With a token (given, or `NPM_TOKEN`) a private temporary userconfig holds the user's own
    settings plus `//registry/:_authToken=...`; it is deleted afterwards. Without one, npm
    reads the user's .npmrc as usual.
    """
    env = dict(os.environ)
    env.update(_QUIET)
    token = token or token_from_env(env)
    secrets.register(token)
    if registry is None or token is None:
        yield env
        return
    secrets.register_url(registry)
    user_config = _user_npmrc(env)
    for key in _USERCONFIG_KEYS:
        env.pop(key, None)
    with tempfile.TemporaryDirectory(prefix="releaseplan-npm-") as tmp:
        path = Path(tmp) / "npmrc"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            if user_config:
                handle.write(user_config.rstrip("\n") + "\n")
            handle.write(f"{registry_key(registry)}:_authToken={token}\n")
        env["NPM_CONFIG_USERCONFIG"] = str(path)
        yield env


def _user_npmrc(env: Mapping[str, str]) -> str:
    configured = next((env[k] for k in _USERCONFIG_KEYS if env.get(k)), None)
    path = Path(configured) if configured else Path(env.get("HOME", str(Path.home()))) / ".npmrc"
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""
