"""Edit package.json in place: only the edited value's bytes change.

Indentation, key order, spacing, line endings and the final newline are kept because the
rest of the text is never re-serialised: the value's span is found and replaced.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

_WS = re.compile(r"[ \t\n\r]*")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_SCALAR = re.compile(r"-?[0-9][0-9.eE+-]*|true|false|null")
_INDENT = re.compile(r"^([ \t]+)\"", re.MULTILINE)


class EditError(ValueError):
    """The edit cannot be made safely (malformed JSON, a missing or duplicated key)."""


def detect_indent(text: str) -> str:
    """The indentation unit of a JSON document: a tab, or 2 or 4 (or any) spaces."""
    match = _INDENT.search(text)
    return match.group(1) if match else "  "


def set_version(text: str, version: str) -> str:
    """`text` with its top-level "version" set; added after "name" when missing."""
    _load(text)
    members = _members(text, _start(text))
    span = _unique(members, "version", "the top level")
    if span is not None:
        return _replace(text, span, version)
    return _insert_version(text, members, version)


def set_dependency(text: str, section: str, name: str, spec: str) -> str:
    """`text` with `section[name]` set to `spec`; the dependency must already be there."""
    document = _load(text)
    top = _members(text, _start(text))
    section_span = _unique(top, section, "the top level")
    if section_span is None or not isinstance(document.get(section), dict):
        raise EditError(f'no "{section}" object to set {name} in')
    span = _unique(_members(text, section_span[0]), name, section)
    if span is None:
        raise EditError(f'"{section}" has no entry "{name}" to set')
    return _replace(text, span, spec)


def set_locked_version(text: str, key: str, version: str) -> str:
    """A package-lock.json `text` with `packages[key].version` set, as `npm version` does for a
    workspace member; unchanged when the lock has no such entry or it records no version."""
    document = _load(text)
    packages = document.get("packages")
    if not isinstance(packages, dict) or not isinstance(packages.get(key), dict):
        return text
    top_span = _unique(_members(text, _start(text)), "packages", "the top level")
    assert top_span is not None
    entry_span = _unique(_members(text, top_span[0]), key, "packages")
    assert entry_span is not None
    span = _unique(_members(text, entry_span[0]), "version", f"packages[{key!r}]")
    return text if span is None else _replace(text, span, version)


def edit_version(path: Path, version: str) -> None:
    _rewrite(path, lambda text: set_version(text, version))


def edit_dependency(path: Path, section: str, name: str, spec: str) -> None:
    _rewrite(path, lambda text: set_dependency(text, section, name, spec))


def _rewrite(path: Path, edit: Callable[[str], str]) -> None:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise EditError(f"{path}: is not UTF-8; save it as UTF-8") from None
    try:
        new = edit(text)
    except EditError as exc:
        raise EditError(f"{path}: {exc}") from None
    if new == text:
        return
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".package.json.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(new.encode("utf-8"))
        Path(tmp).chmod(path.stat().st_mode & 0o7777)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _load(text: str) -> dict[str, object]:
    try:
        document = json.loads(text.removeprefix("\ufeff"), parse_constant=_not_json)
    except json.JSONDecodeError as exc:
        raise EditError(f"is not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(document, dict):
        raise EditError("is not a JSON object")
    return document


def _not_json(constant: str) -> object:
    raise json.JSONDecodeError(f"{constant} is not JSON", constant, 0)


def _replace(text: str, span: tuple[int, int], value: str) -> str:
    start, end = span
    return text[:start] + json.dumps(value, ensure_ascii=False) + text[end:]


def _insert_version(text: str, members: list[tuple[str, int, int]], version: str) -> str:
    newline = "\r\n" if "\r\n" in text else "\n"
    unit = detect_indent(text)
    entry = f'"version": {json.dumps(version, ensure_ascii=False)}'
    after_name = [end for key, _, end in members if key == "name"]
    if after_name:
        at = after_name[0]
        return f"{text[:at]},{newline}{unit}{entry}{text[at:]}"
    brace = _start(text)
    rest = "," if members else newline
    return f"{text[: brace + 1]}{newline}{unit}{entry}{rest}{text[brace + 1 :]}"


def _unique(members: list[tuple[str, int, int]], key: str, where: str) -> tuple[int, int] | None:
    spans = [(start, end) for k, start, end in members if k == key]
    if len(spans) > 1:
        raise EditError(f'"{key}" appears {len(spans)} times in {where}; keep one')
    return spans[0] if spans else None


def _members(text: str, at: int) -> list[tuple[str, int, int]]:
    """(key, value start, value end) of the object starting at `at`; the text is valid JSON
    (the caller parsed it), which the scan relies on."""
    members = []
    i = _skip_ws(text, at + 1)
    while text[i] != "}":
        key_match = _STRING.match(text, i)
        assert key_match is not None  # the document parsed, so a key is here
        key = json.loads(key_match.group())
        i = _skip_ws(text, key_match.end())
        i = _skip_ws(text, i + 1)  # the colon
        end = _value_end(text, i)
        members.append((key, i, end))
        i = _skip_ws(text, end)
        if text[i] == ",":
            i = _skip_ws(text, i + 1)
    return members


def _value_end(text: str, i: int) -> int:
    char = text[i]
    if char == '"':
        match = _STRING.match(text, i)
        assert match is not None
        return match.end()
    if char in "{[":
        close = "}" if char == "{" else "]"
        i = _skip_ws(text, i + 1)
        while text[i] != close:
            if close == "}":
                key = _STRING.match(text, i)
                assert key is not None
                i = _skip_ws(text, _skip_ws(text, key.end()) + 1)
            i = _skip_ws(text, _value_end(text, i))
            if text[i] == ",":
                i = _skip_ws(text, i + 1)
        return i + 1
    match = _SCALAR.match(text, i)
    assert match is not None
    return match.end()


def _start(text: str) -> int:
    return _skip_ws(text, 1 if text.startswith("\ufeff") else 0)


def _skip_ws(text: str, i: int) -> int:
    match = _WS.match(text, i)
    return match.end() if match else i
