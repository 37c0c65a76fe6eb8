from __future__ import annotations

import textwrap

import pytest
import tomlkit
from packaging.version import Version

from pytest_releaseplan.edits import (
    Change,
    rewrite_dependencies,
    rewrite_requirement,
    set_project_version,
)

PYPROJECT = textwrap.dedent(
    """\
    [project]
    name = "app"
    version = '1.0.0'  # bumped by releaseplan
    dependencies = [
        # internal first
        "Core_Lib>=1.0,<2",  # the core
        'api[fast]==1.0 ; python_version >= "3.11"',
        "requests>=2",
        "plugins @ file:///work/plugins",
    ]

    [project.optional-dependencies]
    extra = ["core-lib~=1.0"]

    [dependency-groups]
    dev = [{include-group = "test"}, "api"]
    test = ["pytest"]

    [tool.other]
    keep = "me"
    """
)

POETRY = textwrap.dedent(
    """\
    [tool.poetry]
    name = "app"
    version = "1.0.0"

    [tool.poetry.dependencies]
    python = "^3.11"
    core-lib = "^1.0"   # caret
    api = { version = "~1.0", extras = ["fast"] }
    plugins = { path = "../plugins", develop = true }
    split = [{ version = "<2", python = "<3.12" }, { version = "^2", python = ">=3.12" }]

    [tool.poetry.group.dev.dependencies]
    core_lib = '>=1.0,<2'
    """
)

RELEASES = {"core-lib": Version("1.1"), "api": Version("1.1"), "plugins": Version("1.1")}


@pytest.mark.parametrize(
    ("requirement", "expected"),
    [
        ("core", "core>=1.1"),
        ("core==1.0", "core==1.1"),
        ("Core.Lib >= 1.0 , < 2", "Core.Lib >= 1.1 , < 2"),
        ("core[a,b]>=1.0", "core[a,b]>=1.1"),
        ("core [a] (>=1.0,<2)", "core [a] (>=1.1,<2)"),
        ("core>=1.0; python_version<'3.12'", "core>=1.1; python_version<'3.12'"),
        ("core ; sys_platform == 'win32'", "core>=1.1 ; sys_platform == 'win32'"),
        ('core==1.0 ; extra == "x"', 'core==1.1 ; extra == "x"'),
        ("core @ file:///src/core", "core @ file:///src/core"),
        (
            "core @ https://example.com/core-1.0.tar.gz ; os_name == 'nt'",
            "core @ https://example.com/core-1.0.tar.gz ; os_name == 'nt'",
        ),
        ("core>=1.1", "core>=1.1"),
    ],
)
def test_a_requirement_keeps_everything_but_its_specifier(requirement, expected):
    assert rewrite_requirement(requirement, Version("1.1")) == expected


def test_an_invalid_requirement_raises_a_clear_value_error():
    with pytest.raises(ValueError, match=r"invalid dependency 'core>>1'"):
        rewrite_requirement("core>>1", Version("1.1"))


def test_it_raises_pep508_entries_preserving_comments_and_quotes():
    text, changes = rewrite_dependencies(PYPROJECT, RELEASES, force=True)
    assert text == PYPROJECT.replace("Core_Lib>=1.0,<2", "Core_Lib>=1.1,<2").replace(
        "api[fast]==1.0 ;", "api[fast]==1.1 ;"
    ).replace("core-lib~=1.0", "core-lib~=1.1").replace('"api"]', '"api>=1.1"]')
    assert changes == [
        Change("core-lib", "runtime", "Core_Lib>=1.0,<2", "Core_Lib>=1.1,<2"),
        Change(
            "api",
            "runtime",
            'api[fast]==1.0 ; python_version >= "3.11"',
            'api[fast]==1.1 ; python_version >= "3.11"',
        ),
        Change("core-lib", "extra:extra", "core-lib~=1.0", "core-lib~=1.1"),
        Change("api", "group:dev", "api", "api>=1.1"),
    ]


def test_without_force_only_excluding_specifiers_change():
    text, changes = rewrite_dependencies(PYPROJECT, {"core-lib": Version("2.0")})
    assert [(c.group, c.new) for c in changes] == [
        ("runtime", "Core_Lib>=2.0,<3"),
        ("extra:extra", "core-lib~=2.0"),
    ]
    assert "Core_Lib>=2.0,<3" in text
    same, none = rewrite_dependencies(
        PYPROJECT, {"core-lib": Version("1.5"), "api": Version("1.0")}
    )
    assert (same, none) == (PYPROJECT, [])


def test_it_raises_poetry_dependencies_in_place():
    text, changes = rewrite_dependencies(POETRY, RELEASES, force=True)
    expected = (
        POETRY.replace('core-lib = "^1.0"', 'core-lib = "^1.1"')
        .replace('version = "~1.0"', 'version = "~1.1"')
        .replace("core_lib = '>=1.0,<2'", "core_lib = '>=1.1,<2'")
    )
    assert text == expected
    assert changes == [
        Change("core-lib", "poetry", 'core-lib = "^1.0"', 'core-lib = "^1.1"'),
        Change("api", "poetry", 'api = "~1.0"', 'api = "~1.1"'),
        Change("core-lib", "poetry-group:dev", 'core_lib = ">=1.0,<2"', 'core_lib = ">=1.1,<2"'),
    ]


def test_it_leaves_unrelated_and_path_entries_alone():
    releases = {"plugins": Version("2.0"), "split": Version("3.0"), "requests": Version("9")}
    for text in (POETRY, PYPROJECT.replace('"requests>=2",\n', "")):
        assert rewrite_dependencies(text, releases, force=True) == (text, [])


def test_rewriting_is_idempotent():
    once, _ = rewrite_dependencies(PYPROJECT + POETRY, RELEASES, force=True)
    twice, changes = rewrite_dependencies(once, RELEASES, force=True)
    assert (twice, changes) == (once, [])


def test_escaped_markers_survive_in_basic_strings():
    text = 'dependencies = ["api==1.0; python_version >= \\"3.11\\""]\n'
    text = "[project]\n" + text
    new, _ = rewrite_dependencies(text, {"api": Version("1.1")}, force=True)
    assert new == text.replace("==1.0", "==1.1")
    assert tomlkit.parse(new)["project"]["dependencies"][0] == 'api==1.1; python_version >= "3.11"'


def test_nothing_to_do_returns_the_same_text():
    assert rewrite_dependencies(PYPROJECT, {}) == (PYPROJECT, [])
    assert rewrite_dependencies("", {"api": Version("1.0")}) == ("", [])


def test_an_invalid_targeted_dependency_raises_value_error():
    text = '[project]\ndependencies = ["api>>1"]\n'
    with pytest.raises(ValueError, match="invalid dependency"):
        rewrite_dependencies(text, {"api": Version("1.1")})


def test_an_invalid_poetry_constraint_raises_value_error():
    text = '[tool.poetry.dependencies]\napi = "^banana"\n'
    with pytest.raises(ValueError, match="invalid Poetry version constraint"):
        rewrite_dependencies(text, {"api": Version("1.1")}, force=True)


def test_it_sets_the_project_version_keeping_quotes_and_comment():
    text = set_project_version(PYPROJECT, "1.1.0", ["project"])
    assert text == PYPROJECT.replace("version = '1.0.0'", "version = '1.1.0'")


def test_it_sets_the_poetry_version():
    both = PYPROJECT.replace("[tool.other]", POETRY + "\n[tool.other]")
    text = set_project_version(both, "2.0", ["project", "poetry"])
    assert text.count("2.0") == 2
    assert tomlkit.parse(text)["tool"]["poetry"]["version"] == "2.0"
    assert tomlkit.parse(text)["project"]["version"] == "2.0"


def test_setting_the_same_version_returns_the_same_text():
    assert set_project_version(PYPROJECT, "1.0.0", ["project"]) == PYPROJECT


@pytest.mark.parametrize(
    ("text", "kinds", "message"),
    [
        (PYPROJECT, ["poetry"], r"no \[tool.poetry\] version"),
        ('[project]\nname = "x"\ndynamic = ["version"]\n', ["project"], r"no \[project\] version"),
        (PYPROJECT, ["file"], "unknown version kind"),
    ],
)
def test_setting_a_missing_version_raises_value_error(text, kinds, message):
    with pytest.raises(ValueError, match=message):
        set_project_version(text, "1.1", kinds)


def test_out_of_order_tables_and_dotted_keys_are_edited_in_place():
    text = textwrap.dedent(
        """\
        [tool.poetry.dependencies]
        core = "^1.0"

        [project]
        version = "1.0"
        dependencies = ["core==1.0"]  # trailing

        [tool.poetry]
        version = "1.0"
        """
    )
    new, changes = rewrite_dependencies(text, {"core": Version("1.1")}, force=True)
    assert new == text.replace('1.0"\n\n[project]', '1.1"\n\n[project]').replace("==1.0", "==1.1")
    assert [c.group for c in changes] == ["runtime", "poetry"]
    versioned = set_project_version(text, "9.9", ["poetry", "project"])
    assert versioned == text.replace('version = "1.0"', 'version = "9.9"')
    dotted = 'project.dependencies = [\n  "core>=1", # c\n  "other"\n]\n'
    assert rewrite_dependencies(dotted, {"core": Version("1.1")}, force=True)[0] == dotted.replace(
        ">=1", ">=1.1"
    )
