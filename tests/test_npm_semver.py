"""npm's version and range rules, checked against node-semver's own test fixtures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_releaseplan.npm.semver import (
    NpmVersion,
    SemverError,
    admits,
    classify_spec,
    next_dev,
    parse_version,
    raise_range,
    release_of,
)

DATA = Path(__file__).parent / "data"
CASES = json.loads((DATA / "npm-range-cases.json").read_text(encoding="utf-8"))
VALID = json.loads((DATA / "npm-valid-versions.json").read_text(encoding="utf-8"))


def _npm_default(cases: list[dict[str, object]]) -> list[tuple[str, str]]:
    """The cases npm itself meets: no loose parsing, no includePrerelease, a valid version."""
    picked = []
    for case in cases:
        if case["loose"] or case["include_prerelease"]:
            continue
        version = case["version"]
        if not isinstance(version, str):
            continue
        try:
            parse_version(version)
        except SemverError:
            continue
        picked.append((str(case["range"]), version))
    return picked


@pytest.mark.parametrize(("range_text", "version"), _npm_default(CASES["include"]))
def test_it_admits_what_node_semver_includes(range_text: str, version: str) -> None:
    assert admits(range_text, version)


@pytest.mark.parametrize(("range_text", "version"), _npm_default(CASES["exclude"]))
def test_it_rejects_what_node_semver_excludes(range_text: str, version: str) -> None:
    assert not admits(range_text, version)


def test_the_fixture_selection_is_not_empty() -> None:
    assert len(_npm_default(CASES["include"])) > 80
    assert len(_npm_default(CASES["exclude"])) > 60


@pytest.mark.parametrize(
    "row", [v for v in VALID["versions"] if not v["version"].startswith("v")], ids=str
)
def test_it_parses_node_semvers_valid_versions(row: dict[str, object]) -> None:
    version = parse_version(str(row["version"]))
    assert (version.major, version.minor, version.patch) == (
        row["major"],
        row["minor"],
        row["patch"],
    )
    assert list(version.prerelease) == row["prerelease"]
    assert list(version.build) == row["build"]
    assert str(version) == row["version"]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("v1.2.3", "write it as 1.2.3"),
        (" 1.2.3", "write it as 1.2.3"),
        ("1.2", "not a semver version"),
        ("01.2.3", "not a semver version"),
        ("1.2.3-01", "not a semver version"),
        ("hello, world", "not a semver version"),
        ("1" * 300 + ".0.0", "longer than 256"),
        ("9007199254740992.0.0", "above"),
    ],
)
def test_it_rejects_what_npm_would_not_publish(text: str, says: str) -> None:
    with pytest.raises(SemverError, match=says):
        parse_version(text)


def test_release_and_next_dev_versions() -> None:
    assert release_of("1.4.0-dev.0") == NpmVersion(1, 4, 0)
    assert str(release_of("1.4.0+build.5")) == "1.4.0"
    assert str(next_dev("1.4.0")) == "1.4.1-dev.0"
    assert str(next_dev(NpmVersion(2, 0, 0))) == "2.0.1-dev.0"
    assert parse_version(str(next_dev("1.4.0"))).is_prerelease


@pytest.mark.parametrize(
    ("spec", "kind"),
    [
        ("^1.2.0", "range"),
        ("1.x || >=2.5.0", "range"),
        ("", "range"),
        ("*", "range"),
        ("workspace:^", "workspace"),
        ("workspace:*", "workspace"),
        ("file:../core", "file"),
        ("../core", "file"),
        ("./core-1.0.0.tgz", "file"),
        ("core-1.0.0.tgz", "file"),
        ("link:../core", "link"),
        ("git+https://example.com/core.git#v1", "git"),
        ("git@example.com:me/core.git", "git"),
        ("github:me/core", "git"),
        ("me/core#main", "git"),
        ("https://example.com/core-1.0.0.tgz", "url"),
        ("npm:@scope/core@^1.0.0", "alias"),
        ("latest", "tag"),
        ("next", "tag"),
    ],
)
def test_it_classifies_dependency_specs_as_npm_does(spec: str, kind: str) -> None:
    assert classify_spec(spec) == kind


def test_a_spec_that_is_neither_range_nor_tag_is_an_error() -> None:
    with pytest.raises(SemverError, match="neither a semver range"):
        classify_spec(">= one two")


@pytest.mark.parametrize(
    ("range_text", "version"),
    [
        ("<1.2.3", "1.2.3-beta"),  # a prerelease only where the range names one
        ("^1.2.3-beta.1", "1.2.4-beta.2"),
        ("^1.0.0", "2.0.0-dev.0"),
        ("workspace:^1.2.0", "1.1.0"),
    ],
)
def test_npm_prerelease_rules_exclude(range_text: str, version: str) -> None:
    assert not admits(range_text, version)


@pytest.mark.parametrize(
    ("range_text", "version"),
    [
        ("^1.2.3-beta.1", "1.2.3-beta.2"),
        ("workspace:*", "1.0.0-dev.0"),
        ("workspace:^", "3.0.0"),
        ("workspace:^1.2.0", "1.3.0"),
    ],
)
def test_npm_prerelease_and_workspace_rules_admit(range_text: str, version: str) -> None:
    assert admits(range_text, version)


def test_an_invalid_range_is_an_error_not_a_no() -> None:
    with pytest.raises(SemverError, match="not a valid npm version range"):
        admits(">=banana", "1.0.0")


@pytest.mark.parametrize(
    ("old", "new", "raised"),
    [
        ("^4.4.62", "4.4.65", "^4.4.65"),
        ("~1.2.0", "1.2.3", "~1.2.3"),
        ("~1.2", "1.2.5", "~1.2.5"),
        ("1.2.0", "1.2.3", "1.2.3"),
        ("=1.2.0", "1.2.3", "=1.2.3"),
        (">=1.0.0", "1.4.0", ">=1.4.0"),
        (">1.0.0", "1.4.0", ">=1.4.0"),
        (">=1 <2", "1.5.0", ">=1.5.0 <2"),
        (">= 1 < 2", "1.5.0", ">=1.5.0 <2"),
        ("1.0.0 - 2.0.0", "1.5.0", "1.5.0 - 2.0.0"),
        ("^1.0.0 || ^2.0.0", "2.3.0", "^1.0.0 || ^2.3.0"),
        ("*", "2.0.0", "*"),
        ("x", "2.0.0", "x"),
        ("1.x", "1.3.0", "1.x"),
        ("workspace:^", "1.0.0", "workspace:^"),
        ("workspace:*", "1.0.0", "workspace:*"),
        ("workspace:^1.0.0", "1.2.0", "workspace:^1.2.0"),
        ("^1.0.0", "1.1.0-beta.1", "1.1.0-beta.1"),  # a prerelease is pinned exactly
        ("1.2.0-rc.1", "1.2.0", "1.2.0"),
    ],
)
def test_raise_range_keeps_the_form(old: str, new: str, raised: str) -> None:
    assert raise_range(old, new) == raised
    assert admits(raised, new)


@pytest.mark.parametrize(
    ("old", "new"), [("^4.4.62", "5.0.0"), (">=1 <2", "2.0.0"), ("~1.2.0", "1.3.0")]
)
def test_an_upper_bound_that_excludes_the_new_version_is_an_error(old: str, new: str) -> None:
    with pytest.raises(SemverError, match=f"upper bound that excludes the new version {new}"):
        raise_range(old, new)


@pytest.mark.parametrize("spec", ["file:../core", "link:../core", "github:me/core", "latest"])
def test_specs_that_are_not_ranges_are_not_raised(spec: str) -> None:
    with pytest.raises(SemverError, match="not a version range"):
        raise_range(spec, "1.0.0")
