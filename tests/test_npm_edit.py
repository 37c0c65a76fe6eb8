"""package.json edited in place: only the edited value's bytes change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_releaseplan.npm.edit_json import (
    EditError,
    detect_indent,
    edit_dependency,
    edit_version,
    set_dependency,
    set_version,
)

HAND_WRITTEN = """{
    "name": "@acme/web",
    "version"  :  "1.4.0-dev.0",
    "scripts": {"build": "tsc -p . && echo \\"done\\""},
    "dependencies": {
        "@acme/core": "^4.4.62",
        "left-pad":"1.3.0"
    },
    "devDependencies": { "@acme/core": "workspace:*" },
    "keywords": ["a", {"nested": [1, 2.5e3, true, null]}]
}"""


def test_it_changes_only_the_version_bytes() -> None:
    edited = set_version(HAND_WRITTEN, "1.4.0")
    assert edited == HAND_WRITTEN.replace('"1.4.0-dev.0"', '"1.4.0"')


def test_it_changes_only_the_dependency_in_the_given_section() -> None:
    edited = set_dependency(HAND_WRITTEN, "dependencies", "@acme/core", "^4.4.65")
    assert edited == HAND_WRITTEN.replace('"^4.4.62"', '"^4.4.65"')
    dev = set_dependency(HAND_WRITTEN, "devDependencies", "@acme/core", "workspace:^")
    assert dev == HAND_WRITTEN.replace('"workspace:*"', '"workspace:^"')


@pytest.mark.parametrize("indent", ["  ", "    ", "\t"])
@pytest.mark.parametrize("final", ["\n", ""])
@pytest.mark.parametrize("newline", ["\n", "\r\n"])
def test_a_missing_version_is_added_after_the_name_in_the_files_style(
    indent: str, final: str, newline: str
) -> None:
    text = json.dumps({"name": "a", "private": True}, indent=indent).replace("\n", newline) + final
    edited = set_version(text, "1.0.0")
    expected = json.dumps({"name": "a", "version": "1.0.0", "private": True}, indent=indent)
    assert edited == expected.replace("\n", newline) + final


def test_a_version_is_added_to_an_object_without_a_name() -> None:
    assert json.loads(set_version('{"private": true}\n', "1.0.0")) == {
        "version": "1.0.0",
        "private": True,
    }
    assert json.loads(set_version("{}", "1.0.0")) == {"version": "1.0.0"}


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ('{\n  "a": 1\n}', "  "),
        ('{\n    "a": 1\n}', "    "),
        ('{\n\t"a": 1\n}', "\t"),
        ('{"a": 1}', "  "),
    ],
)
def test_it_detects_the_indentation(text: str, unit: str) -> None:
    assert detect_indent(text) == unit


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('{"name": "a",}', "not valid JSON"),
        ('{"a": NaN}', "not valid JSON"),
        ("[]", "not a JSON object"),
        ('{"version": "1", "version": "2"}', "appears 2 times"),
    ],
)
def test_unsafe_edits_are_errors(text: str, says: str) -> None:
    with pytest.raises(EditError, match=says):
        set_version(text, "1.0.0")


def test_a_missing_dependency_is_an_error_not_an_addition() -> None:
    with pytest.raises(EditError, match='no entry "nope"'):
        set_dependency(HAND_WRITTEN, "dependencies", "nope", "^1.0.0")
    with pytest.raises(EditError, match='no "peerDependencies" object'):
        set_dependency(HAND_WRITTEN, "peerDependencies", "@acme/core", "^1.0.0")


def test_file_edits_keep_bytes_and_mode(tmp_path: Path) -> None:
    path = tmp_path / "package.json"
    original = HAND_WRITTEN.replace("\n", "\r\n") + "\r\n"
    path.write_bytes(original.encode())
    path.chmod(0o640)
    edit_version(path, "1.4.0")
    edit_dependency(path, "dependencies", "left-pad", "1.3.1")
    assert path.read_bytes().decode() == original.replace('"1.4.0-dev.0"', '"1.4.0"').replace(
        '"1.3.0"', '"1.3.1"'
    )
    assert path.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["package.json"]


def test_a_file_error_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "package.json"
    path.write_text('{"name": "a"', encoding="utf-8")
    with pytest.raises(EditError, match=str(path)):
        edit_version(path, "1.0.0")


_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
_SPECS = st.dictionaries(
    st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True), _TEXT, min_size=1, max_size=4
)
_EXTRA = st.recursive(
    st.none() | st.booleans() | st.integers() | _TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_TEXT, inner, max_size=3),
    max_leaves=6,
)


@st.composite
def _manifests(draw: st.DrawFn) -> tuple[dict[str, object], str, str]:
    data: dict[str, object] = {"name": draw(_TEXT), "version": draw(_TEXT)}
    for key in draw(st.lists(_TEXT, max_size=3, unique=True)):
        if key not in ("name", "version", "dependencies"):
            data[key] = draw(_EXTRA)
    data["dependencies"] = draw(_SPECS)
    indent = draw(st.sampled_from(["  ", "    ", "\t"]))
    final = draw(st.sampled_from(["\n", ""]))
    return data, indent, final


@settings(max_examples=150, deadline=None)
@given(_manifests(), _TEXT, _TEXT)
def test_edits_equal_a_reserialisation_and_round_trip(
    case: tuple[dict[str, object], str, str], version: str, spec: str
) -> None:
    data, indent, final = case
    text = json.dumps(data, indent=indent, ensure_ascii=False) + final
    deps = data["dependencies"]
    assert isinstance(deps, dict)
    name = next(iter(deps))

    edited = set_dependency(set_version(text, version), "dependencies", name, spec)

    expected = {**data, "version": version, "dependencies": {**deps, name: spec}}
    assert edited == json.dumps(expected, indent=indent, ensure_ascii=False) + final
    back = set_dependency(
        set_version(edited, str(data["version"])), "dependencies", name, deps[name]
    )
    assert back == text
