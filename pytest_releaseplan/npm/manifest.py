"""package.json read into plain data; anything npm would choke on is a `ManifestError`."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from pytest_releaseplan.npm.semver import SemverError, SpecKind, classify_spec

# the graph is ordered by these; devDependencies are checked but never order (SPEC §8)
ORDERING_SECTIONS = ("dependencies", "optionalDependencies", "peerDependencies")
SECTIONS = (*ORDERING_SECTIONS, "devDependencies")
MAX_NAME_LENGTH = 214
# validate-npm-package-name's rules for new packages: lower case, URL-safe, optional @scope/
_NAME = re.compile(r"^(?:@[a-z0-9~-][a-z0-9._~-]*/)?[a-z0-9~-][a-z0-9._~-]*$")
_RESERVED = frozenset({"node_modules", "favicon.ico"})


class ManifestError(ValueError):
    def __init__(self, path: Path, key: str, problem: str, fix: str) -> None:
        self.path = path
        self.key = key
        self.problem = problem
        self.fix = fix
        where = f"{path}: {key}: " if key else f"{path}: "
        super().__init__(f"{where}{problem}; {fix}")


@dataclass(frozen=True)
class Dependency:
    name: str
    spec: str
    section: str  # dependencies, optionalDependencies, peerDependencies or devDependencies
    kind: SpecKind

    @property
    def orders(self) -> bool:
        return self.section in ORDERING_SECTIONS


@dataclass(frozen=True)
class Manifest:
    path: Path
    name: str | None
    version: str | None
    private: bool
    workspaces: tuple[str, ...]
    dependencies: tuple[Dependency, ...]

    @property
    def is_package(self) -> bool:
        return self.name is not None and self.version is not None

    def ordering_dependencies(self) -> tuple[Dependency, ...]:
        return tuple(d for d in self.dependencies if d.orders)


def read_manifest(path: Path) -> Manifest:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ManifestError(
            path, "", f"cannot be read ({exc.strerror})", "check the file"
        ) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ManifestError(
            path, "", f"is not UTF-8 (byte {exc.start})", "save it as UTF-8"
        ) from None
    return parse_manifest(text, path)


def parse_manifest(text: str, path: Path) -> Manifest:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ManifestError(
            path,
            "",
            f"is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})",
            "repair the JSON, or exclude the directory",
        ) from None
    if not isinstance(data, dict):
        raise ManifestError(path, "", "is not a JSON object", "make the file a JSON object {...}")
    return Manifest(
        path=path,
        name=_name(data, path),
        version=_optional_str(data, "version", path),
        private=_private(data, path),
        workspaces=_workspaces(data, path),
        dependencies=tuple(d for s in SECTIONS for d in _section(data, s, path)),
    )


def validate_name(name: str) -> str | None:
    """Why npm would refuse `name` for a new package, or None when it is fine."""
    problems = (
        (not name, "is empty"),
        (len(name) > MAX_NAME_LENGTH, f"is longer than {MAX_NAME_LENGTH} characters"),
        (name != name.strip(), "has leading or trailing spaces"),
        (name.lower() in _RESERVED, "is a reserved name"),
        (name != name.lower(), "has capital letters (npm names are lower case)"),
        (name.startswith((".", "_")), "starts with a dot or an underscore"),
        (
            not _NAME.match(name),
            "has characters that are not URL-safe (allowed: a-z 0-9 - . _ ~, and @scope/)",
        ),
    )
    return next((why for failed, why in problems if failed), None)


def _name(data: dict[str, object], path: Path) -> str | None:
    name = _optional_str(data, "name", path)
    if name is None:
        return None
    problem = validate_name(name)
    if problem:
        raise ManifestError(
            path,
            "name",
            f"{name!r} {problem}",
            "use a valid npm name such as my-lib or @scope/my-lib",
        )
    return name


def _optional_str(data: dict[str, object], key: str, path: Path) -> str | None:
    value = data.get(key)
    if value is None or isinstance(value, str):
        return value
    raise ManifestError(
        path, key, f"must be a string, not {_json_type(value)}", f'write it as "{key}": "..."'
    )


def _private(data: dict[str, object], path: Path) -> bool:
    value = data.get("private", False)
    if isinstance(value, bool):
        return value
    raise ManifestError(
        path, "private", f"must be true or false, not {_json_type(value)}", 'write "private": true'
    )


def _workspaces(data: dict[str, object], path: Path) -> tuple[str, ...]:
    value = data.get("workspaces")
    key = "workspaces"
    if value is None:
        return ()
    if isinstance(value, dict):
        key = "workspaces.packages"
        value = value.get("packages", [])
    if isinstance(value, list) and all(isinstance(g, str) for g in value):
        return tuple(value)
    raise ManifestError(
        path,
        key,
        f"must be an array of glob strings, not {_json_type(value)}",
        'write e.g. "workspaces": ["packages/*"]',
    )


def _section(data: dict[str, object], section: str, path: Path) -> list[Dependency]:
    value = data.get(section)
    if value is None:
        return []
    if not isinstance(value, dict):
        raise ManifestError(
            path,
            section,
            f"must be an object of name: spec, not {_json_type(value)}",
            f'write e.g. "{section}": {{"left-pad": "^1.3.0"}}',
        )
    deps = []
    for name, spec in value.items():
        key = f"{section}.{name}"
        if not isinstance(spec, str):
            raise ManifestError(
                path, key, f"must be a string spec, not {_json_type(spec)}", 'write e.g. "^1.2.0"'
            )
        try:
            kind = classify_spec(spec)
        except SemverError as exc:
            raise ManifestError(path, key, str(exc), "write a valid range such as ^1.2.0") from None
        deps.append(Dependency(name, spec, section, kind))
    return deps


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"
