"""Load and validate `[tool.releaseplan]` (or `releaseplan.toml`) into a typed Config."""

from __future__ import annotations

import math
import re
import string
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from pytest_releaseplan import refnames
from pytest_releaseplan.errors import ConfigError

DEFAULT_BUILD = ("{python}", "-m", "build", "--outdir", "{dist}")
LOCKFILE_MODES = ("check", "require", "ignore")
NEXT_VERSION_MODES = ("dev", "none")
NPM_ACCESS = ("public", "restricted")
WEEK = 7 * 24 * 3600
_DIST_TAG = re.compile(r"^[A-Za-z0-9_.~-]+$")
_SEMVERISH = re.compile(r"^v?\d")  # npm refuses tags that parse as versions or ranges
NUMBERS: dict[str, tuple[int, int]] = {
    "timeout": (0, WEEK),
    "index-wait": (0, WEEK),
    "retries": (0, 20),
}


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
    npm_registry: str | None = None
    npm_dist_tag: str = "latest"
    npm_access: str | None = None
    npm_lock_command: tuple[str, ...] | None = None
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
    if key in {"packages", "exclude", "build", "check", "lock-command", "npm-lock-command"}:
        if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
            raise ConfigError(f"{where} must be a list of strings, got {raw!r}")
        if key in {"build", "check", "lock-command", "npm-lock-command"} and not raw:
            raise ConfigError(f"{where} must name a command (a non-empty argv list)")
        if key in {"packages", "exclude"}:
            for pattern in raw:
                _glob(where, pattern)
        return tuple(raw)
    if key in NUMBERS:
        return _number(key, raw, where)
    if not isinstance(raw, str) or not raw:
        raise ConfigError(f"{where} must be a non-empty string, got {raw!r}")
    if key == "lockfile" and raw not in LOCKFILE_MODES:
        raise ConfigError(f"{where} must be one of {', '.join(LOCKFILE_MODES)}, got {raw!r}")
    if key == "next-version" and raw not in NEXT_VERSION_MODES:
        raise ConfigError(f"{where} must be one of {', '.join(NEXT_VERSION_MODES)}, got {raw!r}")
    _text_value(key, raw, where)
    return raw


def _text_value(key: str, raw: str, where: str) -> None:
    if key == "tag-format":
        _tag_format(where, raw)
    if key.startswith("npm-"):
        _npm(key, raw, where)
    if key in {"target-branch", "working-branch", "remote"}:
        reason = refnames.problem(raw)
        if reason is not None:
            raise ConfigError(f"{where} = {raw!r} is not a valid git name: {reason}")


def _npm(key: str, raw: str, where: str) -> None:
    if key == "npm-registry" and not raw.startswith(("http://", "https://")):
        raise ConfigError(f"{where} must be an http(s) URL, e.g. https://registry.npmjs.org/")
    if key == "npm-access" and raw not in NPM_ACCESS:
        raise ConfigError(
            f"{where} must be one of {', '.join(NPM_ACCESS)} (what `npm publish --access` "
            f"takes for scoped packages), got {raw!r}"
        )
    if key == "npm-dist-tag" and (_SEMVERISH.match(raw) or not _DIST_TAG.match(raw)):
        raise ConfigError(
            f"{where} = {raw!r} is not a dist-tag npm accepts (URL-safe, not a version range), "
            'e.g. "latest" or "next"'
        )


def _number(key: str, raw: object, where: str) -> float | int:
    low, high = NUMBERS[key]
    whole = key == "retries"
    kind = int if whole else int | float
    valid = not isinstance(raw, bool) and isinstance(raw, kind) and math.isfinite(raw)
    if not valid or not low <= raw <= high or (not whole and raw == 0):  # type: ignore[operator]
        wanted = (
            f"a whole number >= 0, at most {high}"
            if whole
            else (f"a positive number of seconds, at most {high}")
        )
        raise ConfigError(f"{where} must be {wanted}, got {raw!r}")
    return raw if whole else float(raw)  # type: ignore[arg-type, return-value]


def _glob(where: str, pattern: str) -> None:
    if not pattern.strip() or Path(pattern).is_absolute() or ".." in Path(pattern).parts:
        raise ConfigError(
            f"{where}: {pattern!r} must be a non-empty glob relative to the root, without '..'"
        )


def _tag_format(where: str, fmt: str) -> None:
    """Only {name} and {version}, {version} required, and a valid git tag once filled in."""
    try:
        parsed = [(f, spec, conv) for _, f, spec, conv in string.Formatter().parse(fmt)]
    except ValueError as exc:
        raise ConfigError(f"{where} = {fmt!r} is not a valid format: {exc}") from None
    fields_used = {f for f, _, _ in parsed if f is not None}
    if any(spec or conv for f, spec, conv in parsed if f is not None):
        raise ConfigError(
            f"{where} = {fmt!r}: write placeholders plainly, as {{name}} and {{version}}"
        )
    unknown = sorted(fields_used - {"name", "version"})
    if unknown:
        raise ConfigError(
            f"{where} = {fmt!r} uses unknown placeholder(s) {', '.join(unknown)}; "
            "only {name} and {version} are known"
        )
    if "version" not in fields_used:
        raise ConfigError(f"{where} must contain '{{version}}', got {fmt!r}")
    sample = fmt.format(name="pkg", version="1.0.0")
    reason = refnames.problem(sample)
    if reason is not None:
        raise ConfigError(
            f"{where} = {fmt!r} makes tags like {sample!r}, not a valid git tag name: {reason}"
        )
