"""package.json read into plain data; every wrong shape is an error naming the file and key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_releaseplan.npm.manifest import ManifestError, read_manifest, validate_name


def _write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "package.json"
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return path


def test_it_reads_a_package_with_its_dependencies_by_section(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        {
            "name": "@acme/web",
            "version": "1.4.0-dev.0",
            "devDependencies": {"@acme/testkit": "workspace:*"},
            "peerDependencies": {"react": "^18.0.0"},
            "dependencies": {"@acme/core": "^4.4.62", "left-pad": "file:../left-pad"},
            "optionalDependencies": {"fsevents": "latest"},
        },
    )
    manifest = read_manifest(path)
    assert manifest.name == "@acme/web"
    assert manifest.version == "1.4.0-dev.0"
    assert manifest.is_package
    assert not manifest.private
    assert [(d.section, d.name, d.spec, d.kind) for d in manifest.dependencies] == [
        ("dependencies", "@acme/core", "^4.4.62", "range"),
        ("dependencies", "left-pad", "file:../left-pad", "file"),
        ("optionalDependencies", "fsevents", "latest", "tag"),
        ("peerDependencies", "react", "^18.0.0", "range"),
        ("devDependencies", "@acme/testkit", "workspace:*", "workspace"),
    ]
    assert [d.name for d in manifest.ordering_dependencies()] == [
        "@acme/core",
        "left-pad",
        "fsevents",
        "react",
    ]


@pytest.mark.parametrize(
    "workspaces", [["packages/*", "apps/web"], {"packages": ["packages/*", "apps/web"]}]
)
def test_workspaces_as_array_or_object(tmp_path: Path, workspaces: object) -> None:
    manifest = read_manifest(_write(tmp_path, {"private": True, "workspaces": workspaces}))
    assert manifest.workspaces == ("packages/*", "apps/web")
    assert manifest.private
    assert not manifest.is_package


def test_a_byte_order_mark_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "package.json"
    path.write_bytes(b'\xef\xbb\xbf{"name": "a", "version": "1.0.0"}')
    assert read_manifest(path).name == "a"


@pytest.mark.parametrize(
    ("data", "key", "says"),
    [
        ({"name": 3}, "name", "must be a string, not a number"),
        ({"name": "My-Lib"}, "name", "capital letters"),
        ({"name": "a b"}, "name", "not URL-safe"),
        ({"name": "_lib"}, "name", "starts with a dot or an underscore"),
        ({"name": "node_modules"}, "name", "reserved"),
        ({"name": "a", "version": ["1"]}, "version", "must be a string, not an array"),
        ({"private": "yes"}, "private", "must be true or false"),
        ({"workspaces": "packages/*"}, "workspaces", "array of glob strings"),
        ({"workspaces": {"packages": [1]}}, "workspaces.packages", "array of glob strings"),
        ({"dependencies": ["a"]}, "dependencies", "must be an object"),
        ({"peerDependencies": {"a": 1}}, "peerDependencies.a", "must be a string spec"),
        ({"devDependencies": {"a": ">= banana pie"}}, "devDependencies.a", "neither a semver"),
    ],
)
def test_wrong_types_name_the_file_and_key(
    tmp_path: Path, data: object, key: str, says: str
) -> None:
    path = _write(tmp_path, data)
    with pytest.raises(ManifestError, match=says) as info:
        read_manifest(path)
    assert info.value.key == key
    assert info.value.path == path
    assert str(path) in str(info.value)
    assert info.value.fix


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (b'{"name": "a",}', "not valid JSON"),
        (b"", "not valid JSON"),
        (b"[1, 2]", "not a JSON object"),
        (b'{"name": "\xff"}', "not UTF-8"),
    ],
)
def test_unreadable_files_are_errors_naming_the_file(tmp_path: Path, raw: bytes, says: str) -> None:
    path = tmp_path / "package.json"
    path.write_bytes(raw)
    with pytest.raises(ManifestError, match=says) as info:
        read_manifest(path)
    assert str(path) in str(info.value)


def test_a_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ManifestError, match="cannot be read"):
        read_manifest(tmp_path / "package.json")


@pytest.mark.parametrize("name", ["a", "left-pad", "@scope/name", "@a-b/c.d_e~f", "x" * 214])
def test_valid_names(name: str) -> None:
    assert validate_name(name) is None


@pytest.mark.parametrize("name", ["", "x" * 215, " a", "A", "@scope/", "@/a", "a/b", "é"])
def test_invalid_names(name: str) -> None:
    assert validate_name(name) is not None
