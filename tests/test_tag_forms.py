"""Tags in forms other than `tag-format`: recognised, named with the `tag-format` to set, and a
failure when the release version is already tagged that way (publish would release it twice)."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.version import Version

from pytest_releaseplan import scaffold
from pytest_releaseplan.scaffold import PackageSpec
from pytest_releaseplan.tags import other_forms
from tests.test_audit_cases import audit, git


@pytest.mark.parametrize(
    ("tags", "configured", "alone", "form"),
    [
        (["pkg@1.7.0", "pkg@1.6.0"], "v{version}", True, "{name}@{version}"),
        (["pkg-v1.7.0"], "v{version}", True, "{name}-v{version}"),
        (["v1.7.0"], "{name}-v{version}", True, "v{version}"),
        (["1.7.0"], "{name}-v{version}", True, "{version}"),
        (["integrations/pkg-v6.5.0"], "{name}-v{version}", False, "integrations/{name}-v{version}"),
        (["pkg/1.7.0"], "v{version}", True, "{name}/{version}"),
        (["pkg/v1.7.0"], "v{version}", True, "{name}/v{version}"),
        (["pkg_1.7.0"], "v{version}", True, "{name}_{version}"),
    ],
)
def test_a_form_is_recognised(tags: list[str], configured: str, alone: bool, form: str) -> None:
    found = other_forms(tags, ["pkg"], "pkg", configured, alone)
    assert [f.format for f in found] == [form]
    assert set(found[0].tags.values()) == set(tags)


def test_tags_in_the_configured_form_and_of_other_packages_are_not_other_forms() -> None:
    tags = ["pkg-v1.0", "pkg-plugin-v2.0", "other@1.0", "pkgx@1.0", "pkg-notaversion"]
    assert other_forms(tags, ["pkg"], "pkg", "{name}-v{version}", alone=False) == []


def test_name_less_tags_say_nothing_in_a_repository_of_several_packages() -> None:
    assert other_forms(["v1.0", "1.0"], ["pkg"], "pkg", "{name}-v{version}", alone=False) == []


def test_the_most_used_form_comes_first_and_a_spelling_is_kept_literally() -> None:
    tags = ["My_Pkg-v1.0", "pkg@1.1", "pkg@1.2"]
    found = other_forms(tags, ["my-pkg", "My_Pkg"], "my-pkg", "v{version}", alone=True)
    assert [f.format for f in found] == ["My_Pkg-v{version}"]
    found = other_forms(tags, ["pkg"], "pkg", "v{version}", alone=True)
    assert [(f.format, sorted(f.tags)) for f in found] == [
        ("{name}@{version}", [Version("1.1"), Version("1.2")])
    ]


# --------------------------------------------------------------------------- end to end


@pytest.fixture
def solo(tmp_path: Path) -> Path:
    root = tmp_path / "solo"
    scaffold.tree(root, [PackageSpec("pkg", version="1.7.0.dev0")])
    return root


def version_case(result: object, subject: str) -> object:
    return next(c for c in result.cases if c.subject == subject and c.name == "version")  # type: ignore[attr-defined]


def test_older_tags_in_another_form_are_named_with_the_tag_format_to_set(
    pytester: pytest.Pytester, solo: Path
) -> None:
    repo = solo / "pkg"
    git(repo, "tag", "pkg@1.6.0")
    result = audit(pytester, solo)
    result.expect_failures()
    message = version_case(result, "pkg").props["message"]  # type: ignore[attr-defined]
    assert "tags pkg in the form '{name}@{version}' (e.g. pkg@1.6.0)" in message
    assert "set tag-format = '{name}@{version}'" in message


def test_a_release_already_tagged_in_another_form_fails_version(
    pytester: pytest.Pytester, solo: Path
) -> None:
    repo = solo / "pkg"
    git(repo, "tag", "pkg@1.7.0")
    failed = audit(pytester, solo).expect_failures(("pkg", "version"))
    version = failed["pkg", "version"]
    assert version.props["category"] == "fixable"
    assert "already tagged as pkg@1.7.0, in the form '{name}@{version}'" in version.props["message"]
    assert "looks for v1.7.0, so publish would release it again" in version.props["message"]
    assert (
        f"set tag-format = '{{name}}@{{version}}' in {solo / 'releaseplan.toml'}"
        in (version.props["fix"])
    )


def test_a_monorepo_with_prefixed_tags_fails_when_the_release_is_tagged(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    root = tmp_path / "mono"
    scaffold.monorepo(root, [PackageSpec("core", version="6.5.0"), PackageSpec("api")])
    git(root, "tag", "integrations/core-v6.5.0")
    version = audit(pytester, root).expect_failures(("core", "version"))["core", "version"]
    assert "integrations/{name}-v{version}" in version.props["message"]
    assert "looks for core-v6.5.0" in version.props["message"]


def test_once_tag_format_matches_the_tags_are_judged_as_releases(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    root = tmp_path / "solo"
    scaffold.tree(
        root, [PackageSpec("pkg", version="1.7.0")], config='tag-format = "{name}@{version}"\n'
    )
    git(root / "pkg", "tag", "pkg@1.7.0")
    result = audit(pytester, root)
    result.expect_failures()
    message = version_case(result, "pkg").props["message"]  # type: ignore[attr-defined]
    assert "1.7.0 already released (tag pkg@1.7.0), no changes since" in message
