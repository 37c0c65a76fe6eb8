"""Discovery end to end over real git repositories: one bad pyproject never hides the rest,
template directories are skipped, versions come from any plugin or the build backend, an empty
workspace never audits green, symlinks never crash it, and config that would skip packages is
refused."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from pytest_releaseplan import scaffold, workspace
from pytest_releaseplan.config import Config
from pytest_releaseplan.scaffold import PackageSpec
from tests.test_audit_cases import audit, commit_all, usage_error

INHOUSE_BACKEND = textwrap.dedent(
    '''\
    """A PEP 517 backend of the package's own: the version lives in RELEASE."""
    import os


    def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
        with open("RELEASE") as f:
            version = f.read().strip()
        name = f"custom-{version}.dist-info"
        os.makedirs(os.path.join(metadata_directory, name))
        with open(os.path.join(metadata_directory, name, "METADATA"), "w") as f:
            f.write(f"Metadata-Version: 2.1\\nName: custom\\nVersion: {version}\\n")
        return name
    '''
)


def package_dir(root: Path, name: str, pyproject: str, files: dict[str, str] | None = None) -> Path:
    """A one-package repository with a hand-written pyproject, committed and pushed."""
    directory = root / name
    directory.mkdir(parents=True)
    (directory / "pyproject.toml").write_text(textwrap.dedent(pyproject))
    for rel, text in (files or {}).items():
        (directory / rel).parent.mkdir(parents=True, exist_ok=True)
        (directory / rel).write_text(text)
    scaffold.init_repo(directory, root / ".remotes" / f"{name}.git")
    return directory


def version_case(result: object, name: str) -> tuple[str, str]:
    case = next(c for c in result.cases if c.subject == name and c.name == "version")  # type: ignore[attr-defined]
    return case.outcome, case.props.get("message", "") + case.text


# --------------------------------------------------------------------------- one bad file


def test_a_bad_pyproject_fails_discovery_and_every_good_package_is_audited(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    root = tmp_path / "ws"
    scaffold.tree(root, [PackageSpec("core"), PackageSpec("api", deps=["core>=1.0.0.dev0"])])
    starter = package_dir(root, "starter", '[project]\nname = "$pkg"\nversion = "0.1.0"\n')
    # Project templates are not packages: never read, never reported.
    for skipped in ("templates/lib", "{{cookiecutter.name}}", "fixtures/broken"):
        (root / skipped).mkdir(parents=True)
        (root / skipped / "pyproject.toml").write_text('[project]\nname = "$pkg"\n[oops\n')
    result = audit(pytester, root)
    discovery = result.expect_failures(("workspace", "discovery"))["workspace", "discovery"]
    assert discovery.props["category"] == "blocking"
    assert f"{starter / 'pyproject.toml'} [project.name]: invalid package name '$pkg'" in (
        discovery.text
    )
    assert "add its directory to `exclude`" in discovery.props["fix"]
    assert "templates" not in discovery.text and "cookiecutter" not in discovery.text
    assert {p["name"] for p in result.report["packages"]} == {"core", "api"}
    passed = {(c.subject, c.name) for c in result.cases if c.outcome == "passed"}
    assert {("core", "version"), ("api", "internal-deps"), ("core", "lockfile")} <= passed


def test_a_wrong_table_type_and_a_string_dependency_list_are_named(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    root = tmp_path / "ws"
    scaffold.tree(root, [PackageSpec("core")])
    package_dir(root, "hatchy", '[project]\nname = "hatchy"\nversion = "1"\n[tool]\nhatch = "x"\n')
    package_dir(
        root, "stringy", '[project]\nname = "stringy"\nversion = "1"\ndependencies = "core"\n'
    )
    result = audit(pytester, root)
    text = result.expect_failures(("workspace", "discovery"))["workspace", "discovery"].text
    assert "2 pyproject.toml files could not be read as packages" in text
    assert "[tool.hatch]: must be a table, got a string ('x')" in text
    assert (
        "[project.dependencies]: must be a list of requirement strings, got the string 'core'"
        in (text)
    )


def test_excluding_the_bad_file_makes_discovery_pass(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    root = tmp_path / "ws"
    scaffold.tree(root, [PackageSpec("core")], config='exclude = ["starter"]\n')
    package_dir(root, "starter", '[project]\nname = "$pkg"\n')
    audit(pytester, root).expect_failures()


def test_an_empty_directory_fails_discovery_saying_what_was_looked_for(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    root = tmp_path / "empty"
    root.mkdir()
    result = audit(pytester, root)
    discovery = result.expect_failures(("workspace", "discovery"))["workspace", "discovery"]
    assert f"no packages under {root}" in discovery.props["message"]
    assert "looked for a pyproject.toml with a [project] or [tool.poetry] name" in discovery.text
    assert "--release-root" in discovery.props["fix"]


# --------------------------------------------------------------------------- versions


def test_vcs_plugins_are_recognised_and_released_by_tagging(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    root = tmp_path / "ws"
    root.mkdir()
    package_dir(
        root,
        "uvdyn",
        """\
        [build-system]
        requires = ["hatchling", "uv-dynamic-versioning"]
        build-backend = "hatchling.build"
        [project]
        name = "uvdyn"
        dynamic = ["version"]
        [tool.hatch.version]
        source = "uv-dynamic-versioning"
        """,
    )
    package_dir(
        root,
        "poetrydyn",
        """\
        [tool.poetry]
        name = "poetrydyn"
        version = "0.0.0"
        [tool.poetry-dynamic-versioning]
        enable = true
        """,
    )
    package_dir(
        root,
        "pdmscm",
        '[project]\nname = "pdmscm"\ndynamic = ["version"]\n[tool.pdm.version]\nsource = "scm"\n',
    )
    result = audit(pytester, root)
    result.expect_failures()
    for name, plugin in [
        ("uvdyn", "uv-dynamic-versioning"),
        ("poetrydyn", "poetry-dynamic-versioning"),
        ("pdmscm", "pdm-backend scm"),
    ]:
        outcome, message = version_case(result, name)
        assert outcome == "passed"
        assert f"version comes from VCS tags (vcs ({plugin})); released by tagging" in message


def test_a_version_only_the_build_backend_knows_is_read_through_its_hook(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    root = tmp_path / "ws"
    scaffold.tree(root, [PackageSpec("core")])
    custom = package_dir(
        root,
        "custom",
        """\
        [build-system]
        requires = []
        build-backend = "inhouse"
        backend-path = ["_backend"]
        [project]
        name = "custom"
        dynamic = ["version"]
        """,
        {"_backend/inhouse.py": INHOUSE_BACKEND, "RELEASE": "2.5.0.dev0\n"},
    )
    ws = workspace.discover(root, Config(source="test"))
    pkg = ws.by_name["custom"]
    assert (pkg.version_text, pkg.version_writable) == ("2.5.0.dev0", False)
    assert pkg.version_source == "build backend (inhouse)"
    result = audit(pytester, root)
    result.expect_failures()
    entry = next(p for p in result.report["packages"] if p["name"] == "custom")
    assert (entry["version"], entry["release_version"]) == ("2.5.0.dev0", "2.5.0")
    outcome, message = version_case(result, "custom")
    assert outcome == "passed"
    assert "read-only (build backend (inhouse))" in message
    assert not list(custom.glob("*.egg-info")) and not (custom / "build").exists()


def test_a_backend_that_cannot_run_fails_only_that_packages_version(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    root = tmp_path / "ws"
    scaffold.tree(root, [PackageSpec("core"), PackageSpec("api", deps=["core>=1.0.0.dev0"])])
    package_dir(
        root,
        "exotic",
        """\
        [build-system]
        requires = ["exotic-backend-not-installed"]
        build-backend = "exotic_backend_not_installed.api"
        [project]
        name = "exotic"
        dynamic = ["version"]
        dependencies = ["core>=1.0.0.dev0"]
        """,
    )
    result = audit(pytester, root)
    version = result.expect_failures(("exotic", "version"))["exotic", "version"]
    assert version.props["category"] == "fixable"
    assert (
        "the version cannot be read (build backend (exotic_backend_not_installed.api))"
        in (version.props["message"])
    )
    assert "its build backend could not report it" in version.text
    assert "exotic_backend_not_installed" in version.text
    assert "Install the backend into this environment" in version.text


# --------------------------------------------------------------------------- symlinks


def test_a_symlinked_package_inside_the_root_is_found_once(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    root = tmp_path / "ws"
    scaffold.tree(root, [PackageSpec("core"), PackageSpec("api", deps=["core>=1.0.0.dev0"])])
    (root / "vendor").mkdir()
    os.symlink(root / "core", root / "vendor" / "core-link", target_is_directory=True)
    ws = workspace.discover(root, Config(source="test"))
    assert sorted(p.name for p in ws.packages) == ["api", "core"]
    assert ws.by_name["core"].path == (root / "core").resolve() and not ws.problems
    audit(pytester, root).expect_failures()


def test_a_symlink_leaving_the_root_is_reported_not_crashed_on(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    scaffold.tree(outside, [PackageSpec("elsewhere")])
    root = tmp_path / "ws"
    scaffold.tree(root, [PackageSpec("core")], config='packages = ["*"]\n')
    os.symlink(outside / "elsewhere", root / "elsewhere", target_is_directory=True)
    result = audit(pytester, root)
    text = result.expect_failures(("workspace", "discovery"))["workspace", "discovery"].text
    assert "outside the workspace root" in text and "elsewhere" in text
    assert [p["name"] for p in result.report["packages"]] == ["core"]
    walked = workspace.discover(root, Config(source="test"))
    assert [p.name for p in walked.packages] == ["core"]
    assert [Path(p.file).name for p in walked.problems] == ["elsewhere"]


def test_a_symlink_loop_does_not_hang_the_walk(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    scaffold.tree(root, [PackageSpec("core")])
    os.symlink(root, root / "core" / "loop", target_is_directory=True)
    assert [p.name for p in workspace.discover(root, Config(source="test")).packages] == ["core"]


# --------------------------------------------------------------------------- config that would skip packages


def test_a_tag_format_without_name_in_a_monorepo_is_a_usage_error(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    root = tmp_path / "mono"
    scaffold.monorepo(
        root, [PackageSpec("a"), PackageSpec("b")], config='tag-format = "v{version}"\n'
    )
    out = usage_error(pytester, root)
    assert "'tag-format' = 'v{version}' has no {name}" in out
    assert "holds 2 packages (a, b)" in out


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('tag-format = "v{version} x"', "not a valid git tag name"),
        ('tag-format = "{pkg}-{version}"', "unknown placeholder(s) pkg"),
        ("timeout = inf", "positive number of seconds"),
        ("retries = 1000", "at most 20"),
        ('exclude = ["/etc"]', "relative to the root"),
    ],
)
def test_config_that_would_crash_later_is_a_usage_error(
    pytester: pytest.Pytester, tmp_path: Path, line: str, message: str
) -> None:
    root = tmp_path / "cfg"
    scaffold.tree(root, [PackageSpec("core")], config=line + "\n")
    assert message in usage_error(pytester, root)


def test_an_opted_out_package_in_a_tree_is_not_audited(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    root = tmp_path / "ws"
    paths = scaffold.tree(root, [PackageSpec("core"), PackageSpec("tool")])
    pyproject = paths["tool"] / "pyproject.toml"
    pyproject.write_text(pyproject.read_text() + "\n[tool.releaseplan]\nrelease = false\n")
    commit_all(paths["tool"], "Opt out", push=True)
    result = audit(pytester, root)
    result.expect_failures()
    assert [p["name"] for p in result.report["packages"]] == ["core"]


@pytest.mark.parametrize(
    ("extra", "git", "key", "message"),
    [
        (
            '[tool.releaseplan]\nremote = "upstream"\n',
            True,
            "tool.releaseplan",
            "knows only 'release'",
        ),
        ('[tool.releaseplan]\nrelease = "no"\n', True, "tool.releaseplan.release", "true or false"),
        ("", False, "", "not inside a git repository"),
    ],
)
def test_a_package_problem_is_recorded_not_raised(
    tmp_path: Path, extra: str, git: bool, key: str, message: str
) -> None:
    if git:
        (tmp_path / ".git").mkdir()  # find_repo only looks for .git
    (tmp_path / "good").mkdir()
    (tmp_path / "good" / "pyproject.toml").write_text('[project]\nname = "good"\nversion = "1"\n')
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "pyproject.toml").write_text(
        f'[project]\nname = "bad"\nversion = "1"\n{extra}'
    )
    ws = workspace.discover(tmp_path, Config(source="test"))
    bad = [p for p in ws.problems if p.file == str(tmp_path / "bad" / "pyproject.toml")]
    assert [(p.key, message in p.message) for p in bad] == [(key, True)]
    assert ("good" in ws.by_name) is git
