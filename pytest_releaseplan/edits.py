"""Format-preserving pyproject edits (tomlkit): raise internal specifiers, set the version.

Pure: text in, text out. Comments, ordering, quoting and whitespace survive; a value is
replaced only when its text changes, and unchanged input comes back as the same text.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import tomlkit
from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import Version
from tomlkit.items import Array, String

from pytest_releaseplan import names, pyproject, specifiers

VERSION_KINDS = ("project", "poetry")
# name, extras, then (once Requirement() has vetted it) the specifier up to the marker
_REQUIREMENT = re.compile(
    r"(?P<head>\s*[A-Za-z0-9][A-Za-z0-9._-]*(?:\s*\[[^\]]*\])?)(?P<spec>[^;]*)(?P<tail>;.*)?",
    re.DOTALL,
)
_PARENS = re.compile(r"(?P<open>\s*\(\s*)(?P<inner>.*?)(?P<close>\s*\)\s*)", re.DOTALL)


@dataclass(frozen=True)
class Change:
    """One rewritten dependency: `old`/`new` are the PEP 508 string, or `name = "constraint"`."""

    name: str  # normalized
    group: str  # DepKind.label: "runtime", "extra:X", "group:X", "poetry", "poetry-group:X"
    old: str
    new: str


def rewrite_dependencies(
    text: str, new_versions: Mapping[str, Version], force: bool = False
) -> tuple[str, list[Change]]:
    """Raise every specifier on a package in `new_versions` (normalized name -> release).

    With `force`, every such entry is raised (the dependency is released in this run);
    without it, only entries whose specifier excludes the release are. Call twice to
    combine both (text in, text out). Path, URL and workspace entries without a version
    constraint are left alone; a bare `name` requirement gets `>=release`.
    """
    if not new_versions:
        return text, []
    doc = tomlkit.parse(text)
    changes: list[Change] = []
    for dep_table in pyproject.dependency_tables(doc, "pyproject.toml"):
        if dep_table.kind.poetry:
            changes += _rewrite_poetry(dep_table.entries, dep_table.label, new_versions, force)
        else:
            changes += _rewrite_array(dep_table.entries, dep_table.label, new_versions, force)
    return (doc.as_string(), changes) if changes else (text, [])


def set_project_version(text: str, version: str, kinds: Collection[str]) -> str:
    """`text` with `[project] version` ("project") and/or `[tool.poetry] version` ("poetry") set."""
    unknown = sorted(set(kinds) - set(VERSION_KINDS))
    if unknown:
        raise ValueError(f"unknown version kind(s) {unknown}; a pyproject holds {VERSION_KINDS}")
    doc = tomlkit.parse(text)
    changed = False
    for kind in kinds:
        table = _get(doc, "project") if kind == "project" else _get(_get(doc, "tool"), "poetry")
        where = "[project]" if kind == "project" else "[tool.poetry]"
        if not isinstance(table, Mapping) or not isinstance(table.get("version"), str):
            # a missing key is bad input text, not a caller's type error
            raise ValueError(f"no {where} version string to set")  # noqa: TRY004
        changed |= _set_string(table, "version", version)
    return doc.as_string() if changed else text


# -- locating entries ---------------------------------------------------------------------


def _get(container: object, key: str) -> Any:  # noqa: ANN401 - tomlkit items are untyped values
    return container.get(key) if isinstance(container, Mapping) else None


# -- PEP 508 ------------------------------------------------------------------------------


def _rewrite_array(
    array: Array, group: str, new_versions: Mapping[str, Version], force: bool
) -> list[Change]:
    changes: list[Change] = []
    for index, item in enumerate(array):
        if not isinstance(item, str):
            continue  # {include-group = "..."} in [dependency-groups]
        match = _REQUIREMENT.fullmatch(item)
        name = names.normalize(match["head"].strip().split("[")[0].strip()) if match else ""
        if name not in new_versions:
            continue
        new = rewrite_requirement(item, new_versions[name], force)
        if new != item:
            array[index] = _like(item, new)
            changes.append(Change(name, group, str(item), new))
    return changes


def rewrite_requirement(requirement: str, new: Version, force: bool = True) -> str:
    """One PEP 508 string with its specifier raised to `new`; extras, markers, spelling kept.

    URL requirements (`name @ file:...`) have no specifier and come back unchanged.
    """
    try:
        parsed = Requirement(requirement)
    except InvalidRequirement as exc:
        raise ValueError(f"invalid dependency {requirement!r}: {exc}") from None
    match = _REQUIREMENT.fullmatch(requirement)
    if parsed.url or match is None:
        return requirement
    spec = match["spec"]
    parens = _PARENS.fullmatch(spec)
    core = parens["inner"] if parens else spec.strip()
    if not force and specifiers.admits(core, new):
        return requirement
    raised = specifiers.raise_specifier(core, new)
    if parens:
        spec = f"{parens['open']}{raised}{parens['close']}"
    else:
        lead = spec[: len(spec) - len(spec.lstrip())]
        trail = spec[len(spec.rstrip()) :] if spec.strip() else ""
        spec = f"{lead}{raised}{trail}" if core else f"{raised}{spec}"
    return f"{match['head']}{spec}{match['tail'] or ''}"


# -- Poetry -------------------------------------------------------------------------------


def _rewrite_poetry(
    table: Mapping[str, Any], group: str, new_versions: Mapping[str, Version], force: bool
) -> list[Change]:
    changes: list[Change] = []
    for key, value in table.items():
        name = names.normalize(key)
        if name not in new_versions:
            continue
        # A list value (per-python alternatives) and tables without a `version` (path, git,
        # url) carry no constraint this run should raise.
        holder, field = (table, key) if isinstance(value, str) else (value, "version")
        old = _get(holder, field) if isinstance(holder, Mapping) else None
        if not isinstance(old, str):
            continue
        new = _raise_poetry(str(old), new_versions[name], force)
        if new != old and isinstance(holder, Mapping):
            _set_string(holder, field, new)
            changes.append(Change(name, group, f'{key} = "{old}"', f'{key} = "{new}"'))
    return changes


def _raise_poetry(constraint: str, new: Version, force: bool) -> str:
    if not force and specifiers.admits(constraint, new, poetry=True):
        return constraint
    return specifiers.raise_specifier(constraint, new, poetry=True)


# -- strings ------------------------------------------------------------------------------


def _like(original: object, value: str) -> String:
    """A TOML string holding `value`, quoted the way `original` was."""
    if isinstance(original, String):
        return String.from_raw(value, original.type)
    return tomlkit.string(value)


def _set_string(table: Any, key: str, value: str) -> bool:  # noqa: ANN401 - a tomlkit container
    old = table[key]
    if str(old) == value:
        return False
    table[key] = _like(old, value)
    return True
