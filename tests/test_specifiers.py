from __future__ import annotations

from pathlib import Path

import pytest
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from pytest_releaseplan.specifiers import (
    admits,
    excludes,
    needs_raise,
    poetry_to_pep440,
    raise_specifier,
)

PEP440_RAISES = [
    # (specifier, release, expected)
    ("==1.0", "1.1", "==1.1"),
    ("==1.0.0", "1.1.0", "==1.1.0"),
    ("===1.0", "1.1", "===1.1"),
    (">=1.0", "1.1", ">=1.1"),
    (">1.0", "1.1", ">=1.1"),
    (">=1.0,<2", "1.1", ">=1.1,<2"),
    (">=1.0, <2", "1.1", ">=1.1, <2"),
    (">= 1.0 , < 2", "1.5", ">= 1.5 , < 2"),
    (">=1.0,<2", "2.0", ">=2.0,<3"),
    (">=1.4,<1.5", "1.6", ">=1.6,<1.7"),
    (">=1.4,<1.5", "2.0", ">=2.0,<2.1"),
    (">=2.0,<2.0.0", "2.1", ">=2.1,<3.0.0"),
    (">=1.0,<2", "2.0b1", ">=2.0b1,<3"),
    ("<2,>=1.0", "1.1", "<2,>=1.1"),
    (">=1.0,<=1.5", "1.6", ">=1.6,<=1.6"),
    ("~=1.0", "1.1", "~=1.1"),
    ("~=1.0", "1.1.3", "~=1.1"),
    ("~=1.0.0", "1.1", "~=1.1.0"),
    ("~=1.0.0", "2", "~=2.0.0"),
    ("~=0.65", "0.66b0", "~=0.66b0"),
    ("==1.*", "2.0", "==2.*"),
    ("==1.0.*", "1.1", "==1.1.*"),
    ("==1.0.*", "1.1b0", "==1.1.*"),
    ("==1.0.*", "2", "==2.0.*"),
    ("!=1.3,>=1.0", "1.1", "!=1.3,>=1.1"),
    ("!=1.1,>=1.0", "1.1", ">=1.1"),
    (">=1.0,!=1.1.*,<2", "1.1", ">=1.1,<2"),
    ("!=1.1, <2", "1.1", ">=1.1, <2"),
    ("", "1.1", ">=1.1"),
    ("<2", "1.1", ">=1.1,<2"),
    ("<2, !=1.0", "1.1", ">=1.1, <2, !=1.0"),
    ("==1.0", "1.1.dev0", "==1.1.dev0"),
    ("==1.0", "1!2.0", "==1!2.0"),
    (">=2.0", "1.5", ">=1.5"),
    (">=1.0,>=1.0.5", "1.1", ">=1.1,>=1.1"),
]

POETRY_RAISES = [
    ("^1.0", "1.1", "^1.1"),
    ("^1.0.0", "1.1", "^1.1.0"),
    ("^1.0", "1.1.3", "^1.1.3"),
    ("^0.2", "0.3.0", "^0.3.0"),
    ("~1.0", "1.1", "~1.1"),
    ("~1.0.0", "1.1.2", "~1.1.2"),
    ("~1", "1.1", ">=1.1,<2"),
    ("1.0", "1.1", "1.1"),
    ("=1.0", "1.1", "=1.1"),
    ("==1.0", "1.1", "==1.1"),
    ("1.0.*", "1.1", "1.1.*"),
    ("1.*", "2.3", "2.*"),
    ("*", "1.1", ">=1.1"),
    ("", "1.1", ">=1.1"),
    (">=1,<2", "1.1", ">=1.1,<2"),
    (">=1.0, <2.0", "1.2", ">=1.2, <2.0"),
    (">=1 <2", "2.0", ">=2.0 <3"),
    ("<2", "1.1", ">=1.1,<2"),
    ("~=1.0", "1.1", "~=1.1"),
    ("^1.0 || ^2.0", "2.1", "^2.1"),
    ("^1.0 || ^2.0", "1.5", "^1.5 || ^2.0"),
    ("^1.0 || ^3.0", "2.1", "^2.1 || ^3.0"),
    ("^1.0|^2.0", "3.0", "^3.0"),
]


@pytest.mark.parametrize(("specifier", "release", "expected"), PEP440_RAISES)
def test_it_raises_pep440_specifiers_keeping_their_style(specifier, release, expected):
    new = Version(release)
    result = raise_specifier(specifier, new)
    assert result == expected
    assert admits(result, new)
    assert SpecifierSet(result).contains(new, prereleases=True)


@pytest.mark.parametrize(("specifier", "release", "expected"), POETRY_RAISES)
def test_it_raises_poetry_constraints_keeping_their_style(specifier, release, expected):
    new = Version(release)
    result = raise_specifier(specifier, new, poetry=True)
    assert result == expected
    assert admits(result, new, poetry=True)


@pytest.mark.parametrize(("specifier", "release", "expected"), PEP440_RAISES)
def test_raising_pep440_is_idempotent(specifier, release, expected):
    assert raise_specifier(expected, Version(release)) == expected


@pytest.mark.parametrize(("specifier", "release", "expected"), POETRY_RAISES)
def test_raising_poetry_is_idempotent(specifier, release, expected):
    assert raise_specifier(expected, Version(release), poetry=True) == expected


@pytest.mark.parametrize(
    ("specifier", "version", "expected"),
    [
        ("", "1.0", True),
        (">=1.0", "1.1.dev0", True),
        (">=1.1", "1.1.dev0", False),  # a dev release sorts before its final release
        (">=1.0,<2", "2.0", False),
        ("<2", "2.0.dev0", False),
        ("==1.1.*", "1.1b0", True),
        ("~=1.0", "1.9", True),
        ("~=1.0", "2.0", False),
        ("!=1.1", "1.1", False),
    ],
)
def test_it_judges_pep440_specifiers_including_prereleases(specifier, version, expected):
    assert admits(specifier, Version(version)) is expected
    assert excludes(specifier, Version(version)) is not expected


@pytest.mark.parametrize(
    ("constraint", "version", "expected"),
    [
        ("^1.2", "1.9", True),
        ("^1.2", "2.0", False),
        ("^1.2", "1.1", False),
        ("^0.2.3", "0.2.9", True),
        ("^0.2.3", "0.3.0", False),
        ("^0.0.3", "0.0.4", False),
        ("^0", "0.9", True),
        ("~1.2", "1.2.9", True),
        ("~1.2", "1.3", False),
        ("~1", "1.9", True),
        ("1.2.*", "1.2.7", True),
        ("1.2.*", "1.3", False),
        (">=1,<2", "1.5", True),
        (">=1 <2", "2.0", False),
        ("1.2.3", "1.2.3", True),
        ("1.2.3", "1.2.4", False),
        ("*", "9.9", True),
        ("", "9.9", True),
        ("^1.0 || ^3.0", "3.1", True),
        ("^1.0 || ^3.0", "2.1", False),
        ("^1.0", "1.1.dev0", True),
    ],
)
def test_it_judges_poetry_constraints(constraint, version, expected):
    assert admits(constraint, Version(version), poetry=True) is expected


def test_it_translates_poetry_alternatives_to_one_set_each():
    assert poetry_to_pep440("^1.2 || ~0.3") == [
        SpecifierSet(">=1.2,<2"),
        SpecifierSet(">=0.3,<0.4"),
    ]
    assert poetry_to_pep440("*") == [SpecifierSet("")]


def test_needs_raise_when_excluded_or_released_with_a_lower_bound_below():
    release = Version("1.1")
    assert needs_raise("==1.0", release)
    assert not needs_raise(">=1.0", release)
    assert needs_raise(">=1.0", release, released_in_run=True)
    assert not needs_raise(">=1.1", release, released_in_run=True)
    assert needs_raise("^1.0", Version("2.0"), poetry=True)


@pytest.mark.parametrize("specifier", [">>1", "foo", ">=1.0 <2", "==1.0;", "~=1"])
def test_an_invalid_pep440_specifier_raises_a_clear_value_error(specifier):
    with pytest.raises(ValueError, match=r"invalid version specifier .*PEP 440"):
        raise_specifier(specifier, Version("1.1"))


@pytest.mark.parametrize("constraint", ["^x", ">>1", "1.0 &&", "^1.0 || ~banana"])
def test_an_invalid_poetry_constraint_raises_a_clear_value_error(constraint):
    with pytest.raises(ValueError, match="invalid Poetry version constraint"):
        raise_specifier(constraint, Version("1.1"), poetry=True)
    with pytest.raises(ValueError, match="invalid Poetry version constraint"):
        admits(constraint, Version("1.1"), poetry=True)


# --------------------------------------------------------------------------- internal-deps verdicts


def _target(version: str) -> object:
    from pytest_releaseplan.workspace import Package

    return Package(
        name="core",
        display_name="core",
        path=Path("/w/core"),
        relpath="core",
        repo=Path("/w/core"),
        repo_relpath="core",
        version_text=version,
        locations=(),
        version_texts=(version,),
        dependencies=(),
        lockfile=None,
    )


def _dep(specifier: str, kind: str = "runtime") -> object:
    from pytest_releaseplan.metadata import Dependency
    from pytest_releaseplan.pyproject import DepKind

    dep_kind = DepKind.POETRY_RUNTIME if kind == "poetry" else DepKind.RUNTIME
    return Dependency("core", specifier, dep_kind, "", f"core{specifier}")


@pytest.mark.parametrize(
    ("specifier", "version", "last", "verdict"),
    [
        (
            ">=0.4b0,<0.5b0",
            "0.5b0.dev0",
            [],
            "admits the workspace version core 0.5b0.dev0 but excludes its release version 0.5b0",
        ),
        (
            ">=0.5b0",
            "0.5b0.dev0",
            [],
            "excludes the workspace version core 0.5b0.dev0 (it admits the release version 0.5b0)",
        ),
        (">=2", "1.0.dev0", [], "excludes core 1.0.dev0 (release 1.0)"),
        ("==1.0.0", "1.1.0.dev0", ["1.0.0"], None),
        (">=1.0.0.dev0", "1.0.0.dev0", [], None),
        ("", "1.0.0.dev0", [], None),
        (">=0.4b0,<0.5b0", "0.5b0.dev0", ["0.4b0"], "excludes its release version 0.5b0"),
    ],
)
def test_internal_deps_judges_the_workspace_and_the_release_version(
    specifier: str, version: str, last: list[str], verdict: str | None
) -> None:
    from pytest_releaseplan.checks.internal import judge

    said = judge(_dep(specifier), _target(version), [Version(v) for v in last])  # type: ignore[arg-type]
    if verdict is None:
        assert said is None
    else:
        assert said is not None and verdict in said


def test_an_invalid_poetry_constraint_is_a_verdict_not_a_crash() -> None:
    from pytest_releaseplan.checks.internal import judge

    said = judge(_dep("^^1", "poetry"), _target("1.0"), [])  # type: ignore[arg-type]
    assert said is not None and "invalid Poetry version constraint" in said
