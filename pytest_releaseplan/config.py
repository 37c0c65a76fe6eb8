"""Load and validate `[tool.releaseplan]` (or `releaseplan.toml`) into a typed Config."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from pytest_releaseplan.errors import ConfigError

DEFAULT_BUILD = ("{python}", "-m", "build", "--outdir", "{dist}")
LOCKFILE_MODES = ("check", "require", "ignore")
NEXT_VERSION_MODES = ("dev", "none")


@dataclass(frozen=True)
class Config:
    source: str = ""
    packages: tuple[str, ...] | None = None
    exclude: tuple[str, ...] = ()
    target_branch: str = "main"
    working_branch: str | None = None
    remote: str = "origin"
    tag_format: str | None = None
    registry: str | None = None
    index_url: str | None = None
    build: tuple[str, ...] = DEFAULT_BUILD
    check: tuple[str, ...] | None = None
    lockfile: str = "check"
    lock_command: tuple[str, ...] | None = None
    next_version: str = "dev"
    timeout: float = 1800.0
    retries: int = 3
    index_wait: float = 300.0
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def branch(self) -> str:
        """The branch releases are cut from."""
        return self.working_branch or self.target_branch


KEYS = tuple(f.name.replace("_", "-") for f in fields(Config) if f.name not in {"source", "extra"})


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file, turning every failure into a ConfigError naming the file."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}. Fix the file and run again.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None


def load(root: Path) -> Config:
    pyproject = root / "pyproject.toml"
    standalone = root / "releaseplan.toml"
    table: dict[str, Any] | None = None
    source = ""
    if pyproject.is_file():
        data = read_toml(pyproject)
        tool = data.get("tool", {})
        if isinstance(tool, dict) and "releaseplan" in tool:
            table = tool["releaseplan"]
            source = f"{pyproject} [tool.releaseplan]"
    if standalone.is_file():
        if table is not None:
            raise ConfigError(
                f"both {pyproject} [tool.releaseplan] and {standalone} configure releaseplan; "
                "keep one of them"
            )
        table = read_toml(standalone)
        source = str(standalone)
    if table is None:
        return Config(source="(defaults)")
    if not isinstance(table, dict):
        raise ConfigError(f"{source}: must be a table")
    return parse(table, source)


def parse(table: dict[str, Any], source: str) -> Config:
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise ConfigError(
            f"{source}: unknown key {', '.join(repr(k) for k in unknown)}; "
            f"valid keys: {', '.join(KEYS)}"
        )
    values: dict[str, Any] = {"source": source}
    for key, raw in table.items():
        values[key.replace("-", "_")] = _coerce(key, raw, source)
    return Config(**values)


def _coerce(key: str, raw: object, source: str) -> object:
    where = f"{source}: {key!r}"
    if key in {"packages", "exclude", "build", "check", "lock-command"}:
        if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
            raise ConfigError(f"{where} must be a list of strings, got {raw!r}")
        if key in {"build", "check", "lock-command"} and not raw:
            raise ConfigError(f"{where} must name a command (a non-empty argv list)")
        return tuple(raw)
    if key in {"timeout", "index-wait"}:
        if isinstance(raw, bool) or not isinstance(raw, int | float) or raw <= 0:
            raise ConfigError(f"{where} must be a positive number of seconds, got {raw!r}")
        return float(raw)
    if key == "retries":
        if isinstance(raw, bool) or not isinstance(raw, int) or raw < 0:
            raise ConfigError(f"{where} must be a whole number >= 0, got {raw!r}")
        return raw
    if not isinstance(raw, str) or not raw:
        raise ConfigError(f"{where} must be a non-empty string, got {raw!r}")
    if key == "lockfile" and raw not in LOCKFILE_MODES:
        raise ConfigError(f"{where} must be one of {', '.join(LOCKFILE_MODES)}, got {raw!r}")
    if key == "next-version" and raw not in NEXT_VERSION_MODES:
        raise ConfigError(f"{where} must be one of {', '.join(NEXT_VERSION_MODES)}, got {raw!r}")
    if key == "tag-format" and "{version}" not in raw:
        raise ConfigError(f"{where} must contain '{{version}}', got {raw!r}")
    return raw
