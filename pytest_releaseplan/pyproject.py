"""Typed access to a pyproject: its tables, its name and its dependency tables (walked once).

Works on `tomllib` data and on `tomlkit` documents alike (both are Mappings of lists and
Mappings). A table or key of the wrong type is a `PyprojectError` naming the file and the key,
never a value read character by character.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from pytest_releaseplan import names
from pytest_releaseplan.errors import ConfigError

REPAIR = "repair it, or add its directory to `exclude` in [tool.releaseplan]"


@dataclass(frozen=True)
class Problem:
    """A pyproject that could not be read as a package (the `discovery` check reports it)."""

    file: str
    key: str
    message: str
    fix: str = REPAIR

    def render(self) -> str:
        where = f"{self.file} [{self.key}]" if self.key else self.file
        return f"{where}: {self.message}"


class PyprojectError(ConfigError):
    """A pyproject whose content is not what the key must hold."""

    def __init__(self, file: Path | str, key: str, message: str, fix: str = REPAIR) -> None:
        self.problem = Problem(str(file), key, message, fix)
        super().__init__(self.problem.render())


class DepKind(Enum):
    RUNTIME = "runtime"
    EXTRA = "extra"
    GROUP = "group"
    POETRY_RUNTIME = "poetry"
    POETRY_GROUP = "poetry-group"
    POETRY_DEV = "poetry-dev"  # legacy [tool.poetry.dev-dependencies]

    @property
    def poetry(self) -> bool:
        """Entries are Poetry constraints (`name = "^1.0"`), not PEP 508 strings."""
        return self in {DepKind.POETRY_RUNTIME, DepKind.POETRY_GROUP, DepKind.POETRY_DEV}

    @property
    def orders(self) -> bool:
        """Only runtime dependencies order the release graph (SPEC §2)."""
        return self in {DepKind.RUNTIME, DepKind.POETRY_RUNTIME}

    def label(self, section: str = "") -> str:
        """`runtime`, `extra:NAME`, `group:NAME`, `poetry`, `poetry-group:NAME`, `poetry-dev`."""
        return f"{self.value}:{section}" if section else self.value


@dataclass(frozen=True)
class DepTable:
    """One dependency table: a list of PEP 508 strings, or a Poetry `name = constraint` table."""

    kind: DepKind
    section: str  # the extra's or group's name; "" otherwise
    key: str  # dotted TOML key, for messages
    entries: Any  # list (PEP 508) or Mapping (Poetry); the container itself, for in-place edits

    @property
    def label(self) -> str:
        return self.kind.label(self.section)


def load(path: Path) -> dict[str, Any]:
    """Parse a pyproject; every failure is a PyprojectError naming the file."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise PyprojectError(path, "", f"invalid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise PyprojectError(path, "", f"not UTF-8 text: {exc}") from None
    except OSError as exc:
        raise PyprojectError(path, "", f"cannot read: {exc.strerror or exc}") from None


KNOWN_TABLES = (
    *("project", "project.optional-dependencies", "build-system", "dependency-groups", "tool"),
    *("tool.poetry", "tool.poetry.group", "tool.hatch", "tool.hatch.version", "tool.pdm"),
    *("tool.pdm.version", "tool.setuptools", "tool.setuptools.dynamic", "tool.flit"),
    *("tool.flit.module", "tool.uv", "tool.releaseplan"),
)


def check_known_tables(data: Mapping[str, Any], path: Path | str) -> None:
    """The tables this tool reads are tables, and `[project] dynamic` a list of strings."""
    for dotted in KNOWN_TABLES:
        table(data, dotted, path)
    string_list(table(data, "project", path), "dynamic", "project", path)


def table(data: Mapping[str, Any], dotted: str, path: Path | str) -> Mapping[str, Any]:
    """The table at `dotted` (`tool.hatch.version`); empty if absent, an error if not a table."""
    current: Mapping[str, Any] = data
    walked: list[str] = []
    for key in dotted.split("."):
        walked.append(key)
        value = current.get(key, {})
        if not isinstance(value, Mapping):
            raise PyprojectError(path, ".".join(walked), f"must be a table, got {_shown(value)}")
        current = value
    return current


def string(container: Mapping[str, Any], key: str, where: str, path: Path | str) -> str | None:
    """`container[key]` if present; an error naming `where.key` if it is not a string."""
    if key not in container:
        return None
    value = container[key]
    if not isinstance(value, str):
        raise PyprojectError(path, f"{where}.{key}", f"must be a string, got {_shown(value)}")
    return str(value)


def string_list(container: Mapping[str, Any], key: str, where: str, path: Path | str) -> list[str]:
    value = container.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise PyprojectError(
            path, f"{where}.{key}", f"must be a list of strings, got {_shown(value)}"
        )
    return [str(v) for v in value]


def raw_name(data: Mapping[str, Any], path: Path | str) -> str | None:
    """The declared distribution name (`[project]`, else `[tool.poetry]`), not yet validated.

    A `[project]` table must name the package (PEP 621); a pyproject with neither table is
    not a package (None).
    """
    project = table(data, "project", path)
    poetry = table(data, "tool.poetry", path)
    name = string(project, "name", "project", path)
    if name is None:
        name = string(poetry, "name", "tool.poetry", path)
    if name is None and "project" in data:
        raise PyprojectError(path, "project.name", "[project] has no `name`; PEP 621 requires one")
    return name


def valid_name(raw: str, path: Path | str) -> str:
    """The normalized name, or a PyprojectError naming the file (before it becomes a path)."""
    if not names.is_valid(raw):
        raise PyprojectError(
            path,
            "project.name",
            f"invalid package name {raw!r}; a name is letters, digits, '.', '-' and '_', "
            "starting and ending with a letter or digit (PEP 508)",
        )
    return names.normalize(raw)


def dependency_tables(data: Mapping[str, Any], path: Path | str) -> list[DepTable]:
    """Every dependency table, PEP 621 and Poetry, type-checked."""
    return list(_pep621(data, path)) + list(_poetry(data, path))


def _pep621(data: Mapping[str, Any], path: Path | str) -> Iterator[DepTable]:
    project = table(data, "project", path)
    if "dependencies" in project:
        yield DepTable(
            DepKind.RUNTIME,
            "",
            "project.dependencies",
            _array(project["dependencies"], "project.dependencies", path, groups=False),
        )
    extras = table(data, "project.optional-dependencies", path)
    for extra, entries in extras.items():
        key = f"project.optional-dependencies.{extra}"
        yield DepTable(DepKind.EXTRA, str(extra), key, _array(entries, key, path, groups=False))
    for group, entries in table(data, "dependency-groups", path).items():
        key = f"dependency-groups.{group}"
        yield DepTable(DepKind.GROUP, str(group), key, _array(entries, key, path, groups=True))


def _poetry(data: Mapping[str, Any], path: Path | str) -> Iterator[DepTable]:
    if "dependencies" in table(data, "tool.poetry", path):
        deps = table(data, "tool.poetry.dependencies", path)
        yield DepTable(DepKind.POETRY_RUNTIME, "", "tool.poetry.dependencies", deps)
    if "dev-dependencies" in table(data, "tool.poetry", path):
        dev = table(data, "tool.poetry.dev-dependencies", path)
        yield DepTable(DepKind.POETRY_DEV, "", "tool.poetry.dev-dependencies", dev)
    for group in table(data, "tool.poetry.group", path):
        key = f"tool.poetry.group.{group}.dependencies"
        body = table(data, f"tool.poetry.group.{group}", path)
        if not isinstance(body.get("dependencies", {}), Mapping):
            raise PyprojectError(path, key, f"must be a table, got {_shown(body['dependencies'])}")
        yield DepTable(DepKind.POETRY_GROUP, str(group), key, body.get("dependencies", {}))


def _array(value: object, key: str, path: Path | str, *, groups: bool) -> Any:  # noqa: ANN401 - the list itself, tomllib or tomlkit
    if isinstance(value, str):
        raise PyprojectError(
            path,
            key,
            f"must be a list of requirement strings, got the string {value!r} (write [{value!r}])",
        )
    if not isinstance(value, list):
        raise PyprojectError(
            path, key, f"must be a list of requirement strings, got {_shown(value)}"
        )
    for entry in value:
        ok = isinstance(entry, str) or (groups and isinstance(entry, Mapping))
        if not ok:
            raise PyprojectError(path, key, f"holds {_shown(entry)}; entries must be strings")
    return value


def poetry_entries(dep_table: DepTable, path: Path | str) -> Iterator[tuple[str, str, Any]]:
    """(key, constraint, value) of a Poetry table, `python` left out.

    The constraint is `""` (anything) for path, git and URL entries; per-marker alternatives
    (a list of tables) join as Poetry `||` alternatives.
    """
    for key, value in dep_table.entries.items():
        if str(key).lower() == "python":
            continue
        yield str(key), _poetry_constraint(value, f"{dep_table.key}.{key}", path), value


def _poetry_constraint(value: object, key: str, path: Path | str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        version = value.get("version", "")
        if not isinstance(version, str):
            raise PyprojectError(path, f"{key}.version", f"must be a string, got {_shown(version)}")
        return version
    if isinstance(value, list) and value:
        parts = [_poetry_constraint(v, key, path) for v in value]
        return "" if "" in parts else " || ".join(parts)
    raise PyprojectError(path, key, f"must be a version constraint or a table, got {_shown(value)}")


def _shown(value: object) -> str:
    kind = {dict: "a table", list: "an array", str: "a string", bool: "a boolean"}
    for typ, text in kind.items():
        if isinstance(value, typ):
            return f"{text} ({value!r})" if typ is not dict else text
    return f"{type(value).__name__} {value!r}"
