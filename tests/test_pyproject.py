"""The typed pyproject reader, config values, and fuzzing: bad input is an error naming the file
and key (exit 1 through `discovery`, or exit 4 for config), never a crash."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path
from typing import Any

import pytest
import tomlkit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from packaging.version import Version

from pytest_releaseplan import config, edits, metadata, pyproject, refnames
from pytest_releaseplan.errors import ConfigError
from pytest_releaseplan.pyproject import DepKind, PyprojectError
from pytest_releaseplan.scaffold import PackageSpec
from tests.conftest import run_release


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "pyproject.toml"
    path.write_text(textwrap.dedent(text))
    return path


# --------------------------------------------------------------------------- wrong types


@pytest.mark.parametrize(
    ("body", "key", "message"),
    [
        ('[tool]\nhatch = "x"\n', "tool.hatch", "must be a table, got a string ('x')"),
        ('dependencies = "foo"\n', "project.dependencies", "got the string 'foo'"),
        ("dependencies = [1]\n", "project.dependencies", "entries must be strings"),
        (
            'optional-dependencies = ["a"]\n',
            "project.optional-dependencies",
            "must be a table, got an array",
        ),
        (
            '[project.optional-dependencies]\nfast = "a"\n',
            "project.optional-dependencies.fast",
            "string",
        ),
        ('[dependency-groups]\ndev = "pytest"\n', "dependency-groups.dev", "string"),
        ('[tool.poetry]\ndependencies = ["a"]\n', "tool.poetry.dependencies", "must be a table"),
        ("[tool.poetry.dependencies]\ncore = 5\n", "tool.poetry.dependencies.core", "int 5"),
        ('[tool.poetry.group]\ndev = "x"\n', "tool.poetry.group.dev", "must be a table"),
        ('dynamic = "version"\n', "project.dynamic", "must be a list of strings"),
        ("version = 1\n", "project.version", "must be a string, got int 1"),
        ('[tool.releaseplan]\nrelease = "no"\n', "tool.releaseplan.release", "true or false"),
    ],
)
def test_a_key_of_the_wrong_type_names_the_file_and_the_key(
    tmp_path: Path, body: str, key: str, message: str
) -> None:
    head = '[project]\nname = "pkg"\nversion = "1.0"\n'
    if body.startswith(("version", "dynamic")):
        head = '[project]\nname = "pkg"\n'
    path = write(tmp_path, head + body)
    with pytest.raises(PyprojectError) as exc:
        metadata.read(path)
    assert exc.value.problem.file == str(path)
    assert exc.value.problem.key == key
    assert message in exc.value.problem.message
    assert str(path) in str(exc.value) and key in str(exc.value)


def test_a_project_table_without_a_name_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, '[project]\nversion = "1.0"\n')
    with pytest.raises(PyprojectError, match=r"\[project.name\]: \[project\] has no `name`"):
        metadata.read(path)


def test_a_pyproject_without_project_or_poetry_is_not_a_package(tmp_path: Path) -> None:
    path = write(tmp_path, "[tool.black]\nline-length = 99\n")
    assert metadata.read(path).is_package is False


def test_invalid_toml_and_undecodable_bytes_name_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, "[project\n")
    with pytest.raises(PyprojectError, match="invalid TOML") as exc:
        metadata.read(path)
    assert exc.value.problem.file == str(path)
    path.write_bytes(b'[project]\nname = "\xff\xfe"\n')
    with pytest.raises(PyprojectError, match="not UTF-8"):
        metadata.read(path)


@pytest.mark.parametrize("name", ["$pkg", "{{ cookiecutter.name }}", "../cli", "-a", ""])
def test_a_name_that_is_not_pep508_is_an_error(tmp_path: Path, name: str) -> None:
    path = write(tmp_path, f'[project]\nname = "{name}"\nversion = "1"\n')
    with pytest.raises(PyprojectError, match="invalid package name") as exc:
        metadata.read(path)
    assert exc.value.problem.key == "project.name"


# --------------------------------------------------------------------------- dependency kinds


def test_every_table_is_read_with_its_kind(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        [project]
        name = "app"
        version = "1.0"
        dependencies = ["core>=1"]
        [project.optional-dependencies]
        fast = ["api"]
        [dependency-groups]
        dev = [{include-group = "test"}, "cli"]
        test = ["pytest"]
        [tool.poetry.dependencies]
        python = "^3.11"
        split = [{version = "<2", python = "<3.12"}, {version = "^2", python = ">=3.12"}]
        local = {path = "../local"}
        [tool.poetry.dev-dependencies]
        old = "^1"
        [tool.poetry.group.lint.dependencies]
        ruff = "*"
        """,
    )
    deps = metadata.read(path).dependencies
    assert [(d.name, d.kind, d.group, d.orders, d.specifier) for d in deps] == [
        ("core", DepKind.RUNTIME, "runtime", True, ">=1"),
        ("api", DepKind.EXTRA, "extra:fast", False, ""),
        ("cli", DepKind.GROUP, "group:dev", False, ""),
        ("pytest", DepKind.GROUP, "group:test", False, ""),
        ("split", DepKind.POETRY_RUNTIME, "poetry", True, "<2 || ^2"),
        ("local", DepKind.POETRY_RUNTIME, "poetry", True, ""),
        ("old", DepKind.POETRY_DEV, "poetry-dev", False, "^1"),
        ("ruff", DepKind.POETRY_GROUP, "poetry-group:lint", False, "*"),
    ]
    assert [d.poetry for d in deps] == [False] * 4 + [True] * 4


def test_edits_walk_the_same_tables_and_reject_the_same_wrong_types() -> None:
    text = '[project]\nname = "a"\ndependencies = "core"\n'
    with pytest.raises(PyprojectError, match=r"project\.dependencies"):
        edits.rewrite_dependencies(text, {"core": Version("1.1")})
    text = '[tool.poetry.dev-dependencies]\ncore = "^1.0"\n'
    new, changes = edits.rewrite_dependencies(text, {"core": Version("2.0")})
    assert [c.group for c in changes] == ["poetry-dev"] and 'core = "^2.0"' in new


# --------------------------------------------------------------------------- config values


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("tag-format", "v{version} x", "not a valid git tag name: it contains ' '"),
        ("tag-format", "{nam}-{version}", "unknown placeholder(s) nam"),
        ("tag-format", "{version", "not a valid format"),
        ("tag-format", "{version!r}", "write placeholders plainly"),
        ("tag-format", "{name}..{version}", "'..'"),
        ("tag-format", "{name}", "must contain '{version}'"),
        ("timeout", math.inf, "positive number of seconds"),
        ("timeout", math.nan, "positive number of seconds"),
        ("index-wait", -1, "positive number of seconds"),
        ("index-wait", 10**9, "at most 604800"),
        ("retries", 10**6, "at most 20"),
        ("retries", 1.5, "whole number"),
        ("exclude", ["/abs"], "relative to the root"),
        ("packages", [""], "non-empty glob"),
        ("target-branch", "a b", "not a valid git name"),
    ],
)
def test_a_config_value_that_could_crash_later_is_an_error_naming_the_key(
    key: str, value: object, message: str
) -> None:
    with pytest.raises(ConfigError) as exc:
        config.parse({key: value}, "releaseplan.toml")
    assert f"'{key}'" in str(exc.value) and message in str(exc.value)


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("v1.0.0", True),
        ("pkg@1.0.0", True),
        ("integrations/pkg-v1.0", True),
        ("a..b", False),
        (".hidden", False),
        ("a/.b", False),
        ("x.lock", False),
        ("a//b", False),
        ("a/", False),
        ("a.", False),
        ("@", False),
        ("a@{b", False),
        ("a~b", False),
        ("a\tb", False),
    ],
)
def test_ref_names_follow_git_check_ref_format(name: str, valid: bool) -> None:
    assert refnames.is_valid(name) is valid


# --------------------------------------------------------------------------- fuzz (in process)

scalars = st.one_of(
    st.text(max_size=12),
    st.integers(-5, 5),
    st.booleans(),
    st.floats(allow_nan=True, allow_infinity=True),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
requirement = st.sampled_from(["core", "core>=1", "api[x]==1.0", "bad >>> 1", "", "py; x"])
PROJECT_KEYS = ["name", "version", "dynamic", "dependencies", "optional-dependencies"]


@st.composite
def pyproject_shapes(draw: st.DrawFn) -> dict[str, Any]:
    project: dict[str, Any] = {}
    for key in draw(st.lists(st.sampled_from(PROJECT_KEYS), unique=True)):
        project[key] = draw(
            st.one_of(
                values,
                st.sampled_from(["pkg", "1.0", ["version"], "$pkg"]),
                st.lists(requirement, max_size=3),
                st.dictionaries(
                    st.sampled_from(["fast", "dev"]), st.lists(requirement, max_size=2)
                ),
            )
        )
    doc: dict[str, Any] = {"project": project}
    tool = draw(
        st.dictionaries(
            st.sampled_from(["hatch", "poetry", "setuptools", "uv", "releaseplan", "pdm"]),
            values,
            max_size=3,
        )
    )
    if tool:
        doc["tool"] = tool
    if draw(st.booleans()):
        doc["dependency-groups"] = draw(values)
    return doc


def as_toml(doc: dict[str, Any]) -> str | None:
    try:
        return tomlkit.dumps(doc)
    except (ValueError, TypeError):
        return None  # not representable in TOML (e.g. a NaN key): nothing to test


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(doc=pyproject_shapes())
def test_any_pyproject_shape_reads_or_fails_with_a_typed_error(
    tmp_path: Path, doc: dict[str, Any]
) -> None:
    text = as_toml(doc)
    if text is None:
        return
    path = tmp_path / "pyproject.toml"
    path.write_text(text)
    try:
        meta = metadata.read(path, strict_version=False)
    except ConfigError as exc:
        assert str(path) in str(exc)
    else:
        assert meta.is_package is (meta.name != "")
    try:
        edits.rewrite_dependencies(text, {"core": Version("1.1")})
    except (ConfigError, ValueError) as exc:
        assert str(exc)


config_values = st.one_of(values, st.sampled_from(["v{version}", "{name}@{version}", "x{y}"]))


@settings(max_examples=150, deadline=None)
@given(table=st.dictionaries(st.sampled_from(config.KEYS), config_values, max_size=4))
def test_any_config_table_parses_or_fails_with_a_config_error(table: dict[str, Any]) -> None:
    try:
        parsed = config.parse(table, "releaseplan.toml")
    except ConfigError as exc:
        assert "releaseplan.toml" in str(exc)
        return
    assert math.isfinite(parsed.timeout) and math.isfinite(parsed.index_wait)
    if parsed.tag_format is not None:
        assert refnames.is_valid(parsed.tag_format.format(name="pkg", version="1.0"))


# --------------------------------------------------------------------------- fuzz (end to end)


@pytest.fixture
def fuzz_tree(tmp_path: Path) -> Path:
    from pytest_releaseplan import scaffold

    root = tmp_path / "fuzz"
    scaffold.tree(root, [PackageSpec("core"), PackageSpec("api", deps=["core>=1.0.0.dev0"])])
    return root


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    doc=pyproject_shapes(),
    table=st.dictionaries(st.sampled_from(config.KEYS), config_values, max_size=2),
)
def test_the_audit_of_any_shape_exits_0_1_or_4_without_a_traceback(
    pytester: pytest.Pytester, fuzz_tree: Path, doc: dict[str, Any], table: dict[str, Any]
) -> None:
    text, cfg = as_toml(doc), as_toml(table)
    if text is None or cfg is None:
        return
    (fuzz_tree / "api" / "pyproject.toml").write_text(text)
    (fuzz_tree / "releaseplan.toml").write_text(cfg)
    result = run_release(pytester, fuzz_tree, "--release-audit", "--release-offline")
    out = result.stdout.str() + result.stderr.str()
    assert result.ret in (0, 1, 4), out
    assert "Traceback" not in out, out


def test_problem_render_names_file_and_key() -> None:
    problem = pyproject.Problem("/w/p/pyproject.toml", "project.name", "bad")
    assert problem.render() == "/w/p/pyproject.toml [project.name]: bad"
