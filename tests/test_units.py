"""Unit tests of the pure parts: config, metadata, discovery, versions, graph, names."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from packaging.version import Version

from pytest_releaseplan import config, graph, metadata, names, versions, workspace
from pytest_releaseplan.config import Config
from pytest_releaseplan.errors import ConfigError
from pytest_releaseplan.scaffold import PackageSpec, write_package

# --------------------------------------------------------------------------- config


def test_defaults_when_nothing_configures_releaseplan(tmp_path: Path) -> None:
    cfg = config.load(tmp_path)
    assert cfg.source == "(defaults)"
    assert (cfg.target_branch, cfg.branch, cfg.remote, cfg.lockfile) == (
        "main",
        "main",
        "origin",
        "check",
    )
    assert (cfg.timeout, cfg.retries, cfg.index_wait, cfg.next_version) == (1800.0, 3, 300.0, "dev")


def test_the_pyproject_table_is_read(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.releaseplan]\npackages = ["libs/*"]\nworking-branch = "develop"\ntimeout = 60\n'
        'build = ["make", "dist"]\n'
    )
    cfg = config.load(tmp_path)
    assert cfg.packages == ("libs/*",)
    assert (cfg.target_branch, cfg.branch) == ("main", "develop")
    assert cfg.timeout == 60.0 and isinstance(cfg.timeout, float)
    assert cfg.build == ("make", "dist")
    assert "[tool.releaseplan]" in cfg.source


def test_releaseplan_toml_is_read(tmp_path: Path) -> None:
    (tmp_path / "releaseplan.toml").write_text('target-branch = "trunk"\nretries = 0\n')
    cfg = config.load(tmp_path)
    assert (cfg.target_branch, cfg.branch, cfg.retries) == ("trunk", "trunk", 0)


def test_a_pyproject_without_the_table_and_a_releaseplan_toml_is_fine(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n')
    (tmp_path / "releaseplan.toml").write_text('remote = "upstream"\n')
    assert config.load(tmp_path).remote == "upstream"


def test_both_config_places_are_an_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.releaseplan]\n")
    (tmp_path / "releaseplan.toml").write_text("")
    with pytest.raises(ConfigError, match="keep one of them"):
        config.load(tmp_path)


def test_an_unknown_key_names_it_and_the_valid_ones() -> None:
    with pytest.raises(ConfigError) as exc:
        config.parse({"target": "main", "remote": "origin"}, "cfg")
    assert "unknown key 'target'" in str(exc.value)
    assert "valid keys: " + ", ".join(config.KEYS) in str(exc.value)
    assert "source" not in config.KEYS and "extra" not in config.KEYS


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"packages": "libs/*"}, "must be a list of strings"),
        ({"exclude": [1]}, "must be a list of strings"),
        ({"build": []}, "must name a command"),
        ({"timeout": 0}, "positive number of seconds"),
        ({"timeout": True}, "positive number of seconds"),
        ({"index-wait": "5"}, "positive number of seconds"),
        ({"retries": -1}, "whole number >= 0"),
        ({"retries": 1.5}, "whole number >= 0"),
        ({"lockfile": "maybe"}, "must be one of check, require, ignore"),
        ({"next-version": "minor"}, "must be one of dev, none"),
        ({"tag-format": "v{name}"}, "must contain '{version}'"),
        ({"remote": ""}, "non-empty string"),
        ({"target-branch": 3}, "non-empty string"),
    ],
)
def test_bad_values_are_errors_naming_the_key(table: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message) as exc:
        config.parse(table, "src")
    assert f"src: {next(iter(table))!r}" in str(exc.value)


def test_malformed_toml_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "releaseplan.toml").write_text("packages = [\n")
    with pytest.raises(ConfigError, match=r"releaseplan\.toml: invalid TOML"):
        config.load(tmp_path)


def test_a_non_table_tool_releaseplan_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool]\nreleaseplan = "yes"\n')
    with pytest.raises(ConfigError, match="must be a table"):
        config.load(tmp_path)


# --------------------------------------------------------------------------- discovery


def make_repo(directory: Path) -> Path:
    (directory / ".git").mkdir(parents=True, exist_ok=True)  # find_repo only looks for .git
    return directory


def pkg(directory: Path, name: str, extra: str = "", version: str = "1.0.0") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "pyproject.toml").write_text(
        f'[project]\nname = "{name}"\nversion = "{version}"\n{extra}'
    )
    return directory


def names_of(ws: workspace.Workspace) -> list[str]:
    return [p.name for p in ws.packages]


def discover(root: Path, **cfg: object) -> workspace.Workspace:
    return workspace.discover(root, Config(source="test", **cfg))  # type: ignore[arg-type]


def test_the_walk_skips_tests_docs_hidden_dirs_and_virtualenvs(tmp_path: Path) -> None:
    make_repo(tmp_path)
    pkg(tmp_path / "libs" / "core", "core")
    pkg(tmp_path / "libs" / "core" / "tests" / "fixture", "fixture-pkg")
    pkg(tmp_path / "docs" / "ext", "docs-ext")
    pkg(tmp_path / "examples" / "demo", "demo")
    pkg(tmp_path / ".hidden" / "secret", "secret")
    pkg(tmp_path / "node_modules" / "js", "js")
    pkg(tmp_path / "build" / "b", "built")
    pkg(tmp_path / "venv" / "lib", "venv-lib")
    env = tmp_path / "env"
    pkg(env / "site", "in-a-venv")
    (env / "pyvenv.cfg").write_text("home = /usr\n")
    pkg(tmp_path / "a" / "b" / "c" / "d", "deep4")
    pkg(tmp_path / "a" / "b" / "c" / "d" / "e", "deep5")
    (tmp_path / "notapkg").mkdir()
    (tmp_path / "notapkg" / "pyproject.toml").write_text("[tool.black]\n")
    assert sorted(names_of(discover(tmp_path))) == ["core", "deep4"]


def test_a_poetry_only_package_is_found(tmp_path: Path) -> None:
    make_repo(tmp_path)
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "pyproject.toml").write_text(
        '[tool.poetry]\nname = "Poetic"\nversion = "0.1.0"\n[tool.poetry.dependencies]\npython = "^3.11"\n'
    )
    ws = discover(tmp_path)
    assert names_of(ws) == ["poetic"]
    assert ws.packages[0].display_name == "Poetic"
    assert ws.packages[0].version_text == "0.1.0"


def test_a_root_with_uv_package_false_is_not_a_package(tmp_path: Path) -> None:
    make_repo(tmp_path)
    pkg(tmp_path, "workspace-root", "[tool.uv]\npackage = false\n")
    pkg(tmp_path / "libs" / "core", "core")
    assert names_of(discover(tmp_path)) == ["core"]


def test_a_root_package_may_hold_the_workspace_config(tmp_path: Path) -> None:
    make_repo(tmp_path)
    pkg(tmp_path, "root-pkg", '[tool.releaseplan]\nremote = "upstream"\n')
    pkg(tmp_path / "libs" / "core", "core")
    cfg = config.load(tmp_path)
    assert sorted(names_of(workspace.discover(tmp_path, cfg))) == ["core", "root-pkg"]


def test_a_member_table_with_workspace_keys_is_an_error(tmp_path: Path) -> None:
    make_repo(tmp_path)
    pkg(tmp_path / "libs" / "core", "core", '[tool.releaseplan]\nremote = "upstream"\n')
    ws = discover(tmp_path)
    assert ws.packages == ()
    assert any("a package's own table knows only 'release'" in p.message for p in ws.problems)


def test_release_false_opts_a_package_out(tmp_path: Path) -> None:
    make_repo(tmp_path)
    pkg(tmp_path / "core", "core")
    pkg(tmp_path / "internal", "internal", "[tool.releaseplan]\nrelease = false\n")
    assert names_of(discover(tmp_path)) == ["core"]


def test_release_must_be_a_boolean(tmp_path: Path) -> None:
    make_repo(tmp_path)
    pkg(tmp_path / "core", "core", '[tool.releaseplan]\nrelease = "no"\n')
    ws = discover(tmp_path)
    assert ws.packages == ()
    assert [(p.key, p.message) for p in ws.problems] == [
        ("tool.releaseplan.release", "must be true or false")
    ]


def test_uv_workspace_members_minus_exclude(tmp_path: Path) -> None:
    make_repo(tmp_path)
    pkg(
        tmp_path,
        "root",
        '[tool.uv]\npackage = false\n[tool.uv.workspace]\nmembers = ["libs/*", "tools/cli"]\n'
        'exclude = ["libs/legacy"]\n',
    )
    for name in ("core", "api", "legacy"):
        pkg(tmp_path / "libs" / name, name)
    (tmp_path / "libs" / "empty").mkdir()  # matched by the glob, no pyproject: ignored
    pkg(tmp_path / "tools" / "cli", "cli")
    pkg(tmp_path / "other" / "stray", "stray")  # not a member: the walk is not used
    ws = discover(tmp_path)
    assert sorted(names_of(ws)) == ["api", "cli", "core"]
    assert all(p.uv_member for p in ws.packages)


def test_uv_workspace_members_share_the_root_lock(tmp_path: Path) -> None:
    make_repo(tmp_path)
    pkg(tmp_path, "root", '[tool.uv]\npackage = false\n[tool.uv.workspace]\nmembers = ["libs/*"]\n')
    pkg(tmp_path / "libs" / "core", "core")
    pkg(tmp_path / "libs" / "own", "own")
    (tmp_path / "uv.lock").write_text("version = 1\n")
    (tmp_path / "libs" / "own" / "uv.lock").write_text("version = 1\n")
    lock = {p.name: p.lockfile for p in discover(tmp_path).packages}
    assert lock == {"core": tmp_path / "uv.lock", "own": tmp_path / "libs" / "own" / "uv.lock"}


def test_a_root_that_is_itself_a_uv_workspace_member_package_is_included(tmp_path: Path) -> None:
    make_repo(tmp_path)
    pkg(tmp_path, "root-app", '[tool.uv.workspace]\nmembers = ["libs/*"]\n')
    pkg(tmp_path / "libs" / "core", "core")
    assert names_of(discover(tmp_path)) == ["root-app", "core"]


def test_packages_globs_and_exclude(tmp_path: Path) -> None:
    make_repo(tmp_path)
    for name in ("a", "b", "c"):
        pkg(tmp_path / "libs" / name, name)
    (tmp_path / "libs" / "notes").mkdir()
    ws = discover(tmp_path, packages=("libs/*",), exclude=("libs/b",))
    assert names_of(ws) == ["a", "c"]


def test_an_explicit_path_without_a_pyproject_is_an_error(tmp_path: Path) -> None:
    make_repo(tmp_path)
    pkg(tmp_path / "a", "a")
    (tmp_path / "b").mkdir()
    with pytest.raises(ConfigError, match=r"package path 'b' has no pyproject\.toml"):
        discover(tmp_path, packages=("a", "b"))


def test_a_glob_matching_nothing_is_an_error(tmp_path: Path) -> None:
    make_repo(tmp_path)
    pkg(tmp_path / "a", "a")
    with pytest.raises(ConfigError, match="glob 'plugins/\\*' matches no package directory"):
        discover(tmp_path, packages=("a", "plugins/*"))


@pytest.mark.parametrize("pattern", ["../elsewhere", "/abs/path"])
def test_package_paths_stay_inside_the_root(tmp_path: Path, pattern: str) -> None:
    make_repo(tmp_path)
    with pytest.raises(ConfigError, match="must stay inside"):
        discover(tmp_path, packages=(pattern,))


def test_duplicate_normalized_names_are_recorded_with_both_paths(tmp_path: Path) -> None:
    make_repo(tmp_path)
    pkg(tmp_path / "one", "My.Lib")
    pkg(tmp_path / "two", "my_lib")
    ws = discover(tmp_path)
    assert ws.duplicates == (("my-lib", "one", "two"),)


def test_a_package_outside_git_is_an_error(tmp_path: Path) -> None:
    pkg(tmp_path / "core", "core")
    ws = discover(tmp_path)
    assert ws.packages == ()
    assert any("not inside a git repository" in p.message for p in ws.problems)


def test_the_owning_repository_is_the_nearest_git_dir(tmp_path: Path) -> None:
    make_repo(tmp_path)
    make_repo(tmp_path / "sub")
    pkg(tmp_path / "libs" / "a", "a")
    pkg(tmp_path / "sub", "b")
    ws = discover(tmp_path)
    assert {p.name: p.repo_relpath for p in ws.packages} == {"a": ".", "b": "sub"}
    assert list(ws.repositories) == [".", "sub"]


def test_default_tag_format_depends_on_packages_per_repository(tmp_path: Path) -> None:
    make_repo(tmp_path)
    make_repo(tmp_path / "solo")
    pkg(tmp_path / "libs" / "a", "a")
    pkg(tmp_path / "libs" / "b", "b")
    pkg(tmp_path / "solo", "solo")
    ws = discover(tmp_path)
    assert ws.tag_for(ws.by_name["a"], "1.0") == "a-v1.0"
    assert ws.tag_for(ws.by_name["solo"], Version("2.0")) == "v2.0"
    custom = discover(tmp_path, tag_format="release/{name}/{version}")
    assert custom.tag_for(custom.by_name["solo"], "2.0") == "release/solo/2.0"


def test_only_runtime_dependencies_order_the_graph(tmp_path: Path) -> None:
    make_repo(tmp_path)
    write_package(tmp_path / "core", PackageSpec("core", extras={"cli": ["cli"]}))
    write_package(tmp_path / "cli", PackageSpec("cli", deps=["core>=1", "requests"]))
    (tmp_path / "core" / "pyproject.toml").write_text(
        (tmp_path / "core" / "pyproject.toml").read_text()
        + '\n[dependency-groups]\ndev = ["cli", {include-group = "x"}]\n'
    )
    ws = discover(tmp_path)
    assert ws.runtime_graph() == {"core": set(), "cli": {"core"}}
    assert [(d.name, d.group) for d in ws.internal(ws.by_name["core"])] == [
        ("cli", "extra:cli"),
        ("cli", "group:dev"),
    ]


def test_an_invalid_version_is_deferred_to_the_version_check(tmp_path: Path) -> None:
    make_repo(tmp_path)
    pkg(tmp_path / "core", "core", version="not.a.version")
    core = discover(tmp_path).packages[0]
    assert core.release_version is None  # collection and reports must not crash
    with pytest.raises(ConfigError, match="not a valid PEP 440 version"):
        _ = core.version


# --------------------------------------------------------------------------- metadata: versions


def test_a_hatch_version_path(tmp_path: Path) -> None:
    (tmp_path / "src" / "pkg").mkdir(parents=True)
    (tmp_path / "src" / "pkg" / "__about__.py").write_text('__version__ = "2.1.0.dev3"\n')
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "pkg"\ndynamic = ["version"]\n[tool.hatch.version]\npath = "src/pkg/__about__.py"\n'
    )
    meta = metadata.read(tmp_path / "pyproject.toml")
    assert meta.version_text == "2.1.0.dev3"
    assert meta.locations == (
        metadata.VersionLocation("file", tmp_path / "src" / "pkg" / "__about__.py"),
    )


def test_a_setuptools_attr_version(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "version.py").write_text("VERSION: str = '0.66b0'\n")
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "pkg"\ndynamic = ["version"]\n'
        '[tool.setuptools.dynamic]\nversion = {attr = "pkg.version.VERSION"}\n'
    )
    meta = metadata.read(tmp_path / "pyproject.toml")
    assert meta.version_text == "0.66b0"
    assert meta.locations[0].path == tmp_path / "pkg" / "version.py"
    assert meta.locations[0].attr == "VERSION"


def test_a_setuptools_attr_in_a_src_layout_package(tmp_path: Path) -> None:
    write_package(tmp_path, PackageSpec("my-pkg", version="3.0.0", dynamic="setuptools"))
    meta = metadata.read(tmp_path / "pyproject.toml")
    assert meta.version_text == "3.0.0"
    assert meta.locations[0].path == tmp_path / "src" / "my_pkg" / "__init__.py"


def test_a_setuptools_attr_naming_a_missing_module(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "pkg"\ndynamic = ["version"]\n[tool.setuptools.dynamic]\nversion = {attr = "nope.__version__"}\n'
    )
    with pytest.raises(ConfigError, match="names module 'nope'"):
        metadata.read(tmp_path / "pyproject.toml")


def test_a_hatch_path_leaving_the_package_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "pkg"\ndynamic = ["version"]\n[tool.hatch.version]\npath = "../other.py"\n'
    )
    with pytest.raises(ConfigError, match="leaves the package directory"):
        metadata.read(tmp_path / "pyproject.toml")


def test_a_vcs_version_has_no_declared_text(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["setuptools>=64", "setuptools_scm>=8"]\n'
        '[project]\nname = "pkg"\ndynamic = ["version"]\n'
    )
    meta = metadata.read(tmp_path / "pyproject.toml")
    assert meta.version_text is None and meta.locations == ()


def test_a_dynamic_version_without_a_source_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "pkg"\ndynamic = ["version"]\n')
    with pytest.raises(ConfigError, match="no source is declared"):
        metadata.read(tmp_path / "pyproject.toml")


def test_a_static_version_and_a_conventional_version_file_are_both_locations(
    tmp_path: Path,
) -> None:
    write_package(tmp_path, PackageSpec("pkg", version="1.0.0"))
    (tmp_path / "src" / "pkg" / "__init__.py").write_text('__version__ = "0.9"\n')
    meta = metadata.read(tmp_path / "pyproject.toml")
    assert meta.version_texts == ("1.0.0", "0.9")
    assert [loc.kind for loc in meta.locations] == ["project", "file"]


def test_replace_file_version_keeps_the_line_shape() -> None:
    loc = metadata.VersionLocation("file", Path("x.py"), "VERSION")
    text = "A = 1\nVERSION: str = 'v1.0.0'\nB = 2\n"
    assert (
        metadata.replace_file_version(loc, text, "1.0.1.dev0")
        == "A = 1\nVERSION: str = '1.0.1.dev0'\nB = 2\n"
    )


def test_an_invalid_dependency_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "pkg"\nversion = "1"\ndependencies = ["core >>> 1"]\n'
    )
    with pytest.raises(ConfigError, match="invalid dependency 'core >>> 1'"):
        metadata.read(tmp_path / "pyproject.toml")


def test_poetry_dependencies_are_read(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.poetry]\nname = "app"\nversion = "1.0.0"\n'
        '[tool.poetry.dependencies]\npython = "^3.11"\nCore_Lib = "^1.2"\nother = {version = ">=2", optional = true}\n'
        '[tool.poetry.group.dev.dependencies]\npytest = "*"\n'
    )
    deps = metadata.read(tmp_path / "pyproject.toml").dependencies
    assert [(d.name, d.specifier, d.group, d.orders) for d in deps] == [
        ("core-lib", "^1.2", "poetry", True),
        ("other", ">=2", "poetry", True),
        ("pytest", "*", "poetry-group:dev", False),
    ]


# --------------------------------------------------------------------------- versions


@pytest.mark.parametrize(
    ("text", "release"),
    [
        ("1.4.0", "1.4.0"),
        ("1.4.0.dev3", "1.4.0"),
        ("1.4.0.dev3+g1234", "1.4.0"),
        ("0.66b0.dev1", "0.66b0"),
        ("2.0rc1", "2.0rc1"),
        ("1.0.post1.dev0", "1.0.post1"),
        ("1!2.0.dev0", "1!2.0"),
    ],
)
def test_release_of(text: str, release: str) -> None:
    assert versions.release_of(Version(text)) == Version(release)
    assert str(versions.release_of(Version(text))) == release


@pytest.mark.parametrize(
    ("text", "following"),
    [
        ("1.4.0", "1.4.1.dev0"),
        ("1.4.0.dev0", "1.4.1.dev0"),
        ("0.66b0", "0.66b1.dev0"),
        ("2.0rc1", "2.0rc2.dev0"),
        ("1.0.post1", "1.0.post2.dev0"),
        ("3", "4.dev0"),
        ("1!1.0", "1!1.1.dev0"),
    ],
)
def test_next_dev(text: str, following: str) -> None:
    nxt = versions.next_dev(Version(text))
    assert str(nxt) == following
    assert nxt > Version(text)
    assert versions.release_of(nxt) > versions.release_of(Version(text))


def test_parse_rejects_non_pep440_with_examples() -> None:
    with pytest.raises(
        ConfigError, match=r"where: version 'one' is not a valid PEP 440 version \(examples"
    ):
        versions.parse("one", "where")


# --------------------------------------------------------------------------- graph


def rotations(cycle: list[str]) -> list[list[str]]:
    body = cycle[:-1]
    return [[*body[i:], *body[:i], body[i]] for i in range(len(body))]


def test_find_cycle_returns_none_for_a_dag() -> None:
    assert (
        graph.find_cycle({"app": {"api", "cli"}, "api": {"core"}, "cli": {"core"}, "core": set()})
        is None
    )


def test_find_cycle_names_the_cycle_in_dependency_order() -> None:
    deps = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    cycle = graph.find_cycle(deps)
    assert cycle is not None
    assert cycle in rotations(["a", "b", "c", "a"])
    for x, y in itertools.pairwise(cycle):
        assert y in deps[x], f"{x} does not depend on {y}"


def test_find_cycle_with_a_self_loop() -> None:
    assert graph.find_cycle({"a": {"a"}}) == ["a", "a"]


def test_topological_puts_dependencies_first_and_breaks_ties_by_name() -> None:
    deps = {"app": {"api", "cli"}, "cli": {"core"}, "api": {"core"}, "core": set(), "zeta": set()}
    assert graph.topological(deps) == ["core", "zeta", "api", "cli", "app"]


def test_topological_ignores_nodes_outside_the_graph() -> None:
    assert graph.topological({"a": {"external"}}) == ["a"]


def test_critical_path_is_the_heaviest_chain() -> None:
    deps = {"app": {"api", "cli"}, "api": {"core"}, "cli": {"core"}, "core": set()}
    weight = {"core": 2.0, "api": 5.0, "cli": 1.0, "app": 3.0}
    assert graph.critical_path(deps, weight) == 10.0
    assert graph.remaining_chain(deps, weight) == {"app": 3.0, "api": 8.0, "cli": 4.0, "core": 10.0}
    assert graph.critical_path({}, {}) == 0.0


def test_transitive_dependents() -> None:
    deps = {"app": {"api"}, "api": {"core"}, "core": set(), "other": set()}
    assert graph.transitive_dependents(deps, "core") == {"api", "app"}
    assert graph.transitive_dependents(deps, "other") == set()


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize(("raw", "norm"), [("My_Pkg", "my-pkg"), ("a.b--c", "a-b-c"), ("X", "x")])
def test_normalize(raw: str, norm: str) -> None:
    assert names.normalize(raw) == norm
    assert names.validated(raw, "here") == norm


@pytest.mark.parametrize("raw", ["../evil", "-lead", "trail-", "", "a b", "a/b", 3])
def test_invalid_names_are_rejected_naming_the_source(raw: object) -> None:
    with pytest.raises(ConfigError, match="here: invalid package name"):
        names.validated(raw, "here")
