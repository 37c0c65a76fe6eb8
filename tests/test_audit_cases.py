"""`--release-audit` end to end, one case per repository/package problem (issue #3).

Every case builds real git repositories with real bare remotes, runs the audit through
pytester and asserts that exactly the expected checks fail, with the right category and
`Fix:` text, in both the JUnit XML and the JSON report; and that nothing crashes.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pytest_releaseplan import process, scaffold
from pytest_releaseplan.scaffold import PackageSpec
from tests.conftest import DIAMOND, run_release

BIN = Path(sys.executable).parent
CHECKS_PER_REPO = 3
CHECKS_PER_PACKAGE = 3


# --------------------------------------------------------------------------- helpers


def git(repo: Path, *args: str) -> str:
    return scaffold.git(repo, *args).strip()


def commit_all(repo: Path, message: str, *, push: bool = False) -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    if push:
        git(repo, "push", "-q", "origin", "HEAD")
    return git(repo, "rev-parse", "HEAD")


def tree_remote(root: Path, name: str) -> Path:
    return root / ".remotes" / f"{name}.git"


def push_from_clone(
    remote: Path, work: Path, filename: str = "REMOTE.txt", branch: str = "main"
) -> str:
    """Someone else pushes a commit to `branch` of `remote`; returns its SHA."""
    process.run(("git", "clone", "-q", "-b", branch, str(remote), str(work)), timeout=60)
    (work / filename).write_text("pushed by someone else\n")
    return commit_all(work, f"remote change {filename}", push=True)


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text() + text)


@dataclass
class Case:
    name: str
    subject: str  # package name, repository relpath, or "workspace"
    props: dict[str, str]
    outcome: str  # passed | failed | skipped
    text: str


@dataclass
class Audit:
    result: pytest.RunResult
    cases: list[Case]
    report: dict[str, Any]

    @property
    def output(self) -> str:
        return self.result.stdout.str() + self.result.stderr.str()

    def failures(self) -> dict[tuple[str, str], Case]:
        return {(c.subject, c.name): c for c in self.cases if c.outcome == "failed"}

    def expect_failures(self, *expected: tuple[str, str]) -> dict[tuple[str, str], Case]:
        """Exactly these (subject, check) pairs fail; everything else passed."""
        failed = self.failures()
        assert sorted(failed) == sorted(expected), self.output
        assert not [c for c in self.cases if c.outcome == "skipped"], self.output
        assert self.result.ret == (1 if expected else 0), self.output
        for case in failed.values():
            self._agrees_with_report(case)
        return failed

    def _agrees_with_report(self, case: Case) -> None:
        """The JSON report says the same as the JUnit XML about a failure."""
        packages = self.report["packages"]
        if case.subject == "workspace":
            return
        owners = [p for p in packages if case.subject in (p["name"], p["repository"])]
        assert owners, case
        for pkg in owners:
            entry = next(c for c in pkg["checks"] if c["name"] == case.name)
            assert entry["outcome"] == "failed"
            assert entry["category"] == case.props["category"]
            assert entry["fix"] == case.props["fix"].splitlines()
            assert entry["message"] == case.props["message"]


def parse_junit(path: Path) -> list[Case]:
    cases = []
    for tc in ET.parse(path).getroot().iter("testcase"):
        props = {p.get("name", ""): p.get("value", "") for p in tc.iter("property")}
        subject = props.get("package") or props.get("repository") or "workspace"
        outcome, text = "passed", ""
        for tag in ("failure", "error"):
            node = tc.find(tag)
            if node is not None:
                outcome, text = "failed", (node.text or "") + node.get("message", "")
        if tc.find("skipped") is not None:
            outcome = "skipped"
        cases.append(Case(tc.get("name", ""), subject, props, outcome, text))
    return cases


def audit(pytester: pytest.Pytester, root: Path, *args: str) -> Audit:
    xml = pytester.path / f"junit-{len(list(pytester.path.glob('junit-*.xml')))}.xml"
    result = run_release(pytester, root, "--release-audit", f"--junitxml={xml}", *args)
    out = result.stdout.str() + result.stderr.str()
    assert "Traceback" not in out, out
    assert result.ret not in (2, 3, 4), out
    report = json.loads((root / ".releaseplan" / "last-report.json").read_text())
    assert report["mode"] == "audit"
    return Audit(result, parse_junit(xml), report)


def usage_error(pytester: pytest.Pytester, root: Path, *args: str) -> str:
    result = run_release(pytester, root, "--release-audit", *args)
    out = result.stdout.str() + result.stderr.str()
    assert result.ret == pytest.ExitCode.USAGE_ERROR, out
    assert "Traceback" not in out, out
    return out


def n_items(packages: int, repos: int) -> int:
    return 2 + CHECKS_PER_REPO * repos + CHECKS_PER_PACKAGE * packages


@pytest.fixture
def uv_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))
    monkeypatch.setenv("UV_OFFLINE", "1")
    monkeypatch.setenv("UV_NO_PROGRESS", "1")
    monkeypatch.setenv("PATH", f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")


@pytest.fixture
def uv_monorepo(tmp_path: Path, uv_env: None) -> Path:
    """The diamond as a uv workspace with a committed, pushed, in-sync uv.lock."""
    root = tmp_path / "uvmono"
    scaffold.monorepo(root, DIAMOND, uv_workspace=True)
    sources = {"api": ["core"], "cli": ["core"], "app": ["api", "cli"]}
    for name, deps in sources.items():
        table = "".join(f"{d} = {{ workspace = true }}\n" for d in deps)
        append(root / "libs" / name / "pyproject.toml", f"\n[tool.uv.sources]\n{table}")
    process.run((str(BIN / "uv"), "lock", "--offline", "--quiet"), cwd=root, timeout=60)
    commit_all(root, "Lock the workspace", push=True)
    return root


# --------------------------------------------------------------------------- clean


def test_a_clean_tree_passes(pytester: pytest.Pytester, diamond_tree: Path) -> None:
    result = audit(pytester, diamond_tree)
    result.expect_failures()
    assert len(result.cases) == n_items(4, 4)
    assert result.report["totals"] == {
        "items": n_items(4, 4),
        "passed": n_items(4, 4),
        "failed": 0,
        "skipped": 0,
    }


def test_a_clean_monorepo_passes(pytester: pytest.Pytester, diamond_monorepo: Path) -> None:
    result = audit(pytester, diamond_monorepo)
    result.expect_failures()
    assert len(result.cases) == n_items(4, 1)
    assert {c.props["repository"] for c in result.cases if c.subject != "workspace"} == {"."}


def test_a_clean_uv_workspace_with_its_lock_passes(
    pytester: pytest.Pytester, uv_monorepo: Path
) -> None:
    result = audit(pytester, uv_monorepo)
    result.expect_failures()
    lock_msgs = [c.props["message"] for c in result.cases if c.name == "lockfile"]
    assert all("uv.lock in sync" in m for m in lock_msgs), lock_msgs


def test_an_audit_with_n_runs_in_one_process_and_says_so(
    pytester: pytest.Pytester, diamond_tree: Path
) -> None:
    """Workers cost an audit more than they gain (bench/audit.py): -n is ignored, visibly."""
    result = audit(pytester, diamond_tree, "-n", "2")
    result.expect_failures()
    assert len(result.cases) == n_items(4, 4)
    assert result.report["workers"] == 0
    assert result.report["totals"]["passed"] == n_items(4, 4)
    out = result.result.stdout.str()
    assert "releaseplan: the audit runs in this process (-n 2 ignored" in out
    assert "created: 2/2 workers" not in out


# --------------------------------------------------------------------------- target branch


def test_a_diverged_target_branch_needs_a_reset(
    pytester: pytest.Pytester, diamond_tree: Path, tmp_path: Path
) -> None:
    core = diamond_tree / "core"
    theirs = push_from_clone(tree_remote(diamond_tree, "core"), tmp_path / "clone")
    (core / "LOCAL.txt").write_text("mine\n")
    mine = commit_all(core, "local change")
    failed = audit(pytester, diamond_tree).expect_failures(
        ("core", "target-branch-sync"), ("core", "branch")
    )
    sync = failed["core", "target-branch-sync"]
    assert sync.props["category"] == "fixable"
    assert "reset required" in sync.props["message"]
    assert mine in sync.text and theirs in sync.text
    assert f"git -C {core} rebase origin/main main" in sync.props["fix"]
    assert "behind" in failed["core", "branch"].props["message"]
    assert "pull --rebase" in failed["core", "branch"].props["fix"]


def test_a_target_branch_behind_the_remote_needs_a_fast_forward(
    pytester: pytest.Pytester, diamond_tree: Path, tmp_path: Path
) -> None:
    core = diamond_tree / "core"
    before = git(core, "rev-parse", "HEAD")
    theirs = push_from_clone(tree_remote(diamond_tree, "core"), tmp_path / "clone")
    failed = audit(pytester, diamond_tree).expect_failures(
        ("core", "target-branch-sync"), ("core", "branch")
    )
    sync = failed["core", "target-branch-sync"]
    assert sync.props["category"] == "fixable"
    assert "fast-forward" in sync.props["message"]
    assert before in sync.text and theirs in sync.text
    assert sync.props["fix"] == f"git -C {core} merge --ff-only origin/main"
    branch = failed["core", "branch"]
    assert "1 commits behind origin/main" in branch.props["message"]
    assert branch.props["fix"] == f"git -C {core} pull --ff-only origin main"
    assert git(core, "rev-parse", "HEAD") == before  # the audit changed nothing


def test_a_target_branch_ahead_of_the_remote_needs_a_push(
    pytester: pytest.Pytester, diamond_tree: Path
) -> None:
    core = diamond_tree / "core"
    (core / "LOCAL.txt").write_text("mine\n")
    mine = commit_all(core, "local change")
    failed = audit(pytester, diamond_tree).expect_failures(("core", "target-branch-sync"))
    sync = failed["core", "target-branch-sync"]
    assert sync.props["category"] == "fixable"
    assert "push needed" in sync.props["message"]
    assert mine in sync.text
    assert sync.props["fix"] == f"git -C {core} push origin main"


def test_a_missing_remote_branch_fails_target_branch_sync(
    pytester: pytest.Pytester, diamond_tree: Path
) -> None:
    core = diamond_tree / "core"
    git(core, "push", "-q", "origin", "HEAD:refs/heads/trunk")
    process.run(
        (
            "git",
            "-C",
            str(tree_remote(diamond_tree, "core")),
            "symbolic-ref",
            "HEAD",
            "refs/heads/trunk",
        ),
        timeout=60,
    )
    git(core, "push", "-q", "origin", "--delete", "main")
    failed = audit(pytester, diamond_tree).expect_failures(("core", "target-branch-sync"))
    sync = failed["core", "target-branch-sync"]
    assert sync.props["category"] == "fixable"
    assert "remote branch origin/main is missing" in sync.props["message"]
    assert "(missing)" in sync.text
    assert sync.props["fix"] == f"git -C {core} push origin main"


def test_a_detached_head_fails_branch(pytester: pytest.Pytester, diamond_tree: Path) -> None:
    core = diamond_tree / "core"
    sha = git(core, "rev-parse", "HEAD")
    git(core, "checkout", "-q", "--detach")
    failed = audit(pytester, diamond_tree).expect_failures(("core", "branch"))
    branch = failed["core", "branch"]
    assert branch.props["category"] == "fixable"
    assert f"detached HEAD at {sha}" in branch.props["message"]
    assert branch.props["fix"] == f"git -C {core} switch main"


# --------------------------------------------------------------------------- worktree


def test_a_merge_in_progress_fails_clean_worktree(
    pytester: pytest.Pytester, diamond_tree: Path, tmp_path: Path
) -> None:
    core = diamond_tree / "core"
    git(core, "switch", "-q", "-c", "feature")
    (core / "NOTES.txt").write_text("feature\n")
    commit_all(core, "feature notes")
    git(core, "switch", "-q", "main")
    (core / "NOTES.txt").write_text("main\n")
    commit_all(core, "main notes", push=True)
    merge = process.run(("git", "-C", str(core), "merge", "feature"), timeout=60, check=False)
    assert merge.returncode != 0 and (core / ".git" / "MERGE_HEAD").exists()
    failed = audit(pytester, diamond_tree).expect_failures(("core", "clean-worktree"))
    clean = failed["core", "clean-worktree"]
    assert clean.props["category"] == "fixable"
    assert "a merge is in progress" in clean.text
    assert "AA NOTES.txt" in clean.text
    assert (
        f"git -C {core} merge --continue   # or: git -C {core} merge --abort" in clean.props["fix"]
    )


def test_a_modified_tracked_file_fails_clean_worktree(
    pytester: pytest.Pytester, diamond_tree: Path
) -> None:
    api = diamond_tree / "api"
    append(api / "src" / "api" / "__init__.py", "X = 1\n")
    failed = audit(pytester, diamond_tree).expect_failures(("api", "clean-worktree"))
    clean = failed["api", "clean-worktree"]
    assert clean.props["category"] == "fixable"
    assert ".M src/api/__init__.py" in clean.text
    assert f"git -C {api} stash push --include-untracked" in clean.props["fix"]


def test_an_untracked_file_fails_clean_worktree_but_an_ignored_one_does_not(
    pytester: pytest.Pytester, diamond_tree: Path
) -> None:
    cli = diamond_tree / "cli"
    (cli / "scratch.txt").write_text("?\n")
    (cli / "dist").mkdir()
    (cli / "dist" / "old.whl").write_text("ignored\n")
    failed = audit(pytester, diamond_tree).expect_failures(("cli", "clean-worktree"))
    clean = failed["cli", "clean-worktree"]
    assert "?? scratch.txt" in clean.text
    assert "dist" not in clean.text


def test_clean_worktree_lists_at_most_ten_paths(
    pytester: pytest.Pytester, diamond_tree: Path
) -> None:
    for i in range(12):
        (diamond_tree / "core" / f"new{i:02}.txt").write_text("x\n")
    clean = audit(pytester, diamond_tree).expect_failures(("core", "clean-worktree"))[
        "core", "clean-worktree"
    ]
    assert "new09.txt" in clean.text and "new10.txt" not in clean.text
    assert "... and 2 more" in clean.text


# --------------------------------------------------------------------------- lockfile


def test_a_stale_uv_lock_after_a_version_bump_fails_lockfile(
    pytester: pytest.Pytester, uv_monorepo: Path
) -> None:
    pyproject = uv_monorepo / "libs" / "core" / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace('version = "1.0.0.dev0"', 'version = "1.1.0.dev0"')
    )
    commit_all(uv_monorepo, "Bump core", push=True)
    failed = audit(pytester, uv_monorepo).expect_failures(("core", "lockfile"))
    lock = failed["core", "lockfile"]
    assert lock.props["category"] == "fixable"
    assert "out of sync" in lock.props["message"]
    assert "1.0.0.dev0" in lock.text and "1.1.0.dev0" in lock.text
    assert lock.props["fix"].splitlines() == [
        f"cd {uv_monorepo} && uv lock && git -C {uv_monorepo} commit -m 'Relock' {uv_monorepo / 'uv.lock'}",
        "or rerun with --release-fix",
    ]


def test_release_fix_relocks_a_stale_uv_lock_and_commits_it(
    pytester: pytest.Pytester, uv_monorepo: Path
) -> None:
    pyproject = uv_monorepo / "libs" / "core" / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace('version = "1.0.0.dev0"', 'version = "1.1.0.dev0"')
    )
    bump = commit_all(uv_monorepo, "Bump core", push=True)
    result = audit(pytester, uv_monorepo, "--release-fix")
    result.expect_failures()
    message = next(
        c.props["message"] for c in result.cases if c.subject == "core" and c.name == "lockfile"
    )
    assert "relocked uv.lock and committed it" in message
    assert git(uv_monorepo, "rev-parse", "HEAD~1") == bump
    assert git(uv_monorepo, "log", "-1", "--format=%s") == "chore: relock core"
    assert git(uv_monorepo, "status", "--porcelain") == ""
    assert 'name = "core"\nversion = "1.1.0.dev0"' in (uv_monorepo / "uv.lock").read_text()
    # The relock commit is local: the next audit says to push it, and nothing else.
    again = audit(pytester, uv_monorepo)
    assert (
        "push needed"
        in again.expect_failures((".", "target-branch-sync"))[".", "target-branch-sync"].text
    )


def test_an_untracked_lockfile_fails_lockfile(pytester: pytest.Pytester, uv_monorepo: Path) -> None:
    git(uv_monorepo, "rm", "-q", "--cached", "uv.lock")
    append(uv_monorepo / ".gitignore", "uv.lock\n")
    commit_all(uv_monorepo, "Stop tracking the lock", push=True)
    failed = audit(pytester, uv_monorepo).expect_failures(
        *[(n, "lockfile") for n in ("api", "app", "cli", "core")]
    )
    lock = failed["core", "lockfile"]
    assert lock.props["category"] == "fixable"
    assert "is not tracked by git" in lock.props["message"]
    assert f"git -C {uv_monorepo} add {uv_monorepo / 'uv.lock'}" in lock.props["fix"]


def test_an_untracked_unignored_lockfile_also_dirties_the_worktree(
    pytester: pytest.Pytester, uv_monorepo: Path
) -> None:
    git(uv_monorepo, "rm", "-q", "--cached", "uv.lock")
    git(uv_monorepo, "commit", "-q", "-m", "Stop tracking the lock")
    git(uv_monorepo, "push", "-q", "origin", "main")
    assert (uv_monorepo / "uv.lock").is_file()
    failed = audit(pytester, uv_monorepo).expect_failures(
        (".", "clean-worktree"), *[(n, "lockfile") for n in ("api", "app", "cli", "core")]
    )
    assert "?? uv.lock" in failed[".", "clean-worktree"].text


def test_a_modified_lockfile_fails_lockfile_and_clean_worktree(
    pytester: pytest.Pytester, uv_monorepo: Path
) -> None:
    append(uv_monorepo / "uv.lock", "\n")
    failed = audit(pytester, uv_monorepo).expect_failures(
        (".", "clean-worktree"), *[(n, "lockfile") for n in ("api", "app", "cli", "core")]
    )
    assert "has uncommitted changes" in failed["core", "lockfile"].props["message"]


def test_lockfile_require_fails_a_package_without_a_lockfile(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    root = tmp_path / "req"
    scaffold.tree(root, [PackageSpec("solo")], config='lockfile = "require"\n')
    lock = audit(pytester, root).expect_failures(("solo", "lockfile"))["solo", "lockfile"]
    assert "no lockfile" in lock.props["message"]
    assert "uv lock" in lock.props["fix"]


# --------------------------------------------------------------------------- versions and specifiers


def test_a_specifier_excluding_the_workspace_version_fails_internal_deps(
    pytester: pytest.Pytester, diamond_tree: Path
) -> None:
    api = diamond_tree / "api"
    pyproject = api / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('"core>=1.0.0.dev0"', '"core>=2.0"'))
    commit_all(api, "Require core 2", push=True)
    deps = audit(pytester, diamond_tree).expect_failures(("api", "internal-deps"))[
        "api", "internal-deps"
    ]
    assert deps.props["category"] == "fixable"
    assert "'core>=2.0' (runtime) excludes core 1.0.0.dev0 (release 1.0.0)" in deps.text
    assert f"edit {pyproject}" in deps.props["fix"]


def test_an_extra_excluding_the_workspace_version_fails_internal_deps(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    root = tmp_path / "extras"
    scaffold.tree(root, [PackageSpec("core"), PackageSpec("api", extras={"fast": ["core<1"]})])
    deps = audit(pytester, root).expect_failures(("api", "internal-deps"))["api", "internal-deps"]
    assert "(extra:fast)" in deps.text


def test_a_specifier_admitting_the_dev_version_but_not_the_release_fails_internal_deps(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    root = tmp_path / "beta"
    scaffold.tree(
        root,
        [
            PackageSpec("core", version="0.5b0.dev0"),
            PackageSpec("api", deps=["core>=0.4b0,<0.5b0"]),
            PackageSpec("cli", deps=["core>=0.5b0.dev0"]),
            PackageSpec("web", deps=["core==0.5b0.dev0"]),  # publish re-pins it: consistent
        ],
    )
    result = audit(pytester, root)
    deps = result.expect_failures(("api", "internal-deps"))["api", "internal-deps"]
    assert (
        "api: 1 internal specifier on workspace packages excludes its versions"
        in (deps.props["message"])
    )
    assert (
        "'core>=0.4b0,<0.5b0' (runtime) admits the workspace version core 0.5b0.dev0 but "
        "excludes its release version 0.5b0"
    ) in deps.text
    passed = next(c for c in result.cases if c.subject == "cli" and c.name == "internal-deps")
    assert (
        "cli: 1 internal specifier admits the workspace and release versions"
        in (passed.props["message"])
    )
    pinned = next(c for c in result.cases if c.subject == "web" and c.name == "internal-deps")
    assert pinned.outcome == "passed", pinned.text


def test_a_released_version_with_later_changes_must_be_bumped(
    pytester: pytest.Pytester, diamond_tree: Path
) -> None:
    core = diamond_tree / "core"
    git(core, "tag", "v1.0.0")
    append(core / "src" / "core" / "__init__.py", "CHANGED = True\n")
    commit_all(core, "A change after the release", push=True)
    git(core, "push", "-q", "origin", "v1.0.0")
    version = audit(pytester, diamond_tree).expect_failures(("core", "version"))["core", "version"]
    assert version.props["category"] == "fixable"
    assert "already released (tag v1.0.0)" in version.props["message"]
    assert "bump the version" in version.props["message"]
    assert "1.0.1.dev0" in version.props["fix"]


def test_a_released_version_without_later_changes_passes(
    pytester: pytest.Pytester, diamond_tree: Path
) -> None:
    git(diamond_tree / "core", "tag", "v1.0.0")
    result = audit(pytester, diamond_tree)
    result.expect_failures()
    message = next(
        c.props["message"] for c in result.cases if c.subject == "core" and c.name == "version"
    )
    assert "already released (tag v1.0.0), no changes since" in message


def test_monorepo_tags_carry_the_package_name(
    pytester: pytest.Pytester, diamond_monorepo: Path
) -> None:
    git(diamond_monorepo, "tag", "cli-v1.0.0")
    append(diamond_monorepo / "libs" / "core" / "src" / "core" / "__init__.py", "X = 1\n")
    commit_all(diamond_monorepo, "Touch core only", push=True)
    result = audit(pytester, diamond_monorepo)
    result.expect_failures()  # cli is released and unchanged; core changed but is not released
    message = next(
        c.props["message"] for c in result.cases if c.subject == "cli" and c.name == "version"
    )
    assert "tag cli-v1.0.0" in message


def test_an_invalid_version_fails_the_version_check(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    root = tmp_path / "bad"
    scaffold.tree(
        root, [PackageSpec("core", version="one.two"), PackageSpec("api", deps=["core>=1"])]
    )
    version = audit(pytester, root).expect_failures(("core", "version"))["core", "version"]
    assert version.props["category"] == "fixable"
    assert "'one.two' is not a valid PEP 440 version" in version.props["message"]
    assert "set a PEP 440 version" in version.props["fix"]


def test_a_version_file_disagreeing_with_the_pyproject_fails(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    root = tmp_path / "disagree"
    scaffold.tree(root, [PackageSpec("core")])
    (root / "core" / "src" / "core" / "__init__.py").write_text('__version__ = "0.9.0"\n')
    commit_all(root / "core", "Disagree", push=True)
    version = audit(pytester, root).expect_failures(("core", "version"))["core", "version"]
    assert "2 places that disagree" in version.props["message"]
    assert "0.9.0" in version.text and "1.0.0.dev0" in version.text


def test_a_dynamic_version_is_audited_like_a_static_one(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    root = tmp_path / "dyn"
    scaffold.tree(
        root,
        [PackageSpec("core", dynamic="setuptools"), PackageSpec("api", deps=["core>=1.0.0.dev0"])],
    )
    result = audit(pytester, root)
    result.expect_failures()
    core = next(p for p in result.report["packages"] if p["name"] == "core")
    assert (core["version"], core["release_version"]) == ("1.0.0.dev0", "1.0.0")


# --------------------------------------------------------------------------- remote state


# Nothing changes by waiting for a remote that does not exist: fixable, not transient.
def test_a_removed_remote_is_a_fixable_failure(
    pytester: pytest.Pytester, diamond_tree: Path
) -> None:
    remote = tree_remote(diamond_tree, "core")
    shutil.rmtree(remote)
    failed = audit(pytester, diamond_tree).expect_failures(
        ("core", "target-branch-sync"), ("core", "branch")
    )
    for case in failed.values():
        assert case.props["category"] == "fixable"
        assert f"remote 'origin' of repository core is {remote}, which does not exist" in case.text
        assert "--release-offline" in case.props["fix"]


def test_a_repository_without_the_remote_is_a_fixable_failure(
    pytester: pytest.Pytester, diamond_tree: Path
) -> None:
    git(diamond_tree / "cli", "remote", "remove", "origin")
    failed = audit(pytester, diamond_tree).expect_failures(
        ("cli", "target-branch-sync"), ("cli", "branch")
    )
    for case in failed.values():
        assert case.props["category"] == "fixable"
        assert "repository cli has no remote named 'origin'" in case.text


def test_offline_compares_against_remote_tracking_refs(
    pytester: pytest.Pytester, diamond_tree: Path, tmp_path: Path
) -> None:
    core = diamond_tree / "core"
    push_from_clone(tree_remote(diamond_tree, "core"), tmp_path / "clone")
    shutil.rmtree(tree_remote(diamond_tree, "api"))  # unreachable: no fetch is tried
    audit(pytester, diamond_tree, "--release-offline").expect_failures()
    assert git(core, "rev-parse", "origin/main") == git(core, "rev-parse", "main")
    # Offline still judges what the remote-tracking refs say.
    (core / "LOCAL.txt").write_text("mine\n")
    commit_all(core, "local change")
    failed = audit(pytester, diamond_tree, "--release-offline").expect_failures(
        ("core", "target-branch-sync")
    )
    assert "push needed" in failed["core", "target-branch-sync"].props["message"]


def test_offline_writes_no_fetch_results(pytester: pytest.Pytester, diamond_tree: Path) -> None:
    audit(pytester, diamond_tree, "--release-offline").expect_failures()
    assert not list((diamond_tree / ".releaseplan").glob("fetch-*.json"))


# --------------------------------------------------------------------------- --release-fix


def test_release_fix_fast_forwards_a_branch_that_is_only_behind(
    pytester: pytest.Pytester, diamond_tree: Path, tmp_path: Path
) -> None:
    core = diamond_tree / "core"
    theirs = push_from_clone(tree_remote(diamond_tree, "core"), tmp_path / "clone")
    result = audit(pytester, diamond_tree, "--release-fix")
    result.expect_failures()
    assert git(core, "rev-parse", "HEAD") == theirs
    assert (core / "REMOTE.txt").is_file()
    message = next(
        c.props["message"] for c in result.cases if c.subject == "core" and c.name == "branch"
    )
    assert "fast-forwarded main by 1 commits (--release-fix)" in message


def test_release_fix_never_resets_a_diverged_branch(
    pytester: pytest.Pytester, diamond_tree: Path, tmp_path: Path
) -> None:
    core = diamond_tree / "core"
    push_from_clone(tree_remote(diamond_tree, "core"), tmp_path / "clone")
    (core / "LOCAL.txt").write_text("mine\n")
    mine = commit_all(core, "local change")
    failed = audit(pytester, diamond_tree, "--release-fix").expect_failures(
        ("core", "target-branch-sync"), ("core", "branch")
    )
    assert "reset required" in failed["core", "target-branch-sync"].props["message"]
    assert git(core, "rev-parse", "HEAD") == mine
    assert git(core, "status", "--porcelain") == ""


def test_release_fix_does_not_fast_forward_over_a_dirty_worktree(
    pytester: pytest.Pytester, diamond_tree: Path, tmp_path: Path
) -> None:
    core = diamond_tree / "core"
    before = git(core, "rev-parse", "HEAD")
    push_from_clone(tree_remote(diamond_tree, "core"), tmp_path / "clone")
    append(core / "src" / "core" / "__init__.py", "X = 1\n")
    audit(pytester, diamond_tree, "--release-fix").expect_failures(
        ("core", "clean-worktree"), ("core", "branch"), ("core", "target-branch-sync")
    )
    assert git(core, "rev-parse", "HEAD") == before


# --------------------------------------------------------------------------- working branch


WORKING = 'working-branch = "develop"\n'


def _on_develop(root: Path) -> None:
    for name in ("core", "api", "cli", "app"):
        git(root / name, "switch", "-q", "-c", "develop")
        git(root / name, "push", "-q", "-u", "origin", "develop")


def test_a_working_branch_other_than_the_target_passes_when_in_sync(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    root = tmp_path / "wb"
    scaffold.tree(root, DIAMOND, config=WORKING)
    _on_develop(root)
    (root / "core" / "NEW.txt").write_text("develop work\n")
    commit_all(root / "core", "develop work", push=True)  # develop ahead of main is normal
    audit(pytester, root).expect_failures()


def test_being_on_the_target_instead_of_the_working_branch_fails_branch(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    root = tmp_path / "wb"
    scaffold.tree(root, DIAMOND, config=WORKING)
    _on_develop(root)
    git(root / "api", "switch", "-q", "main")
    branch = audit(pytester, root).expect_failures(("api", "branch"))["api", "branch"]
    assert "on branch 'main', not the working branch 'develop'" in branch.props["message"]
    assert branch.props["fix"] == f"git -C {root / 'api'} switch develop"


def test_a_diverged_target_is_judged_while_on_the_working_branch(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    root = tmp_path / "wb"
    scaffold.tree(root, DIAMOND, config=WORKING)
    core = root / "core"
    theirs = push_from_clone(tree_remote(root, "core"), tmp_path / "clone")
    (core / "LOCAL.txt").write_text("local main commit\n")
    mine = commit_all(core, "local main commit")  # main diverged, never pushed
    _on_develop(root)
    sync = audit(pytester, root).expect_failures(("core", "target-branch-sync"))[
        "core", "target-branch-sync"
    ]
    assert "reset required" in sync.props["message"]
    assert mine in sync.text and theirs in sync.text
    assert f"git -C {core} branch -f main origin/main" in sync.props["fix"]


def test_release_fix_fast_forwards_a_target_branch_that_is_not_checked_out(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    root = tmp_path / "wb"
    scaffold.tree(root, DIAMOND, config=WORKING)
    _on_develop(root)
    core = root / "core"
    develop = git(core, "rev-parse", "HEAD")
    theirs = push_from_clone(tree_remote(root, "core"), tmp_path / "clone", branch="main")
    failed = audit(pytester, root).expect_failures(("core", "target-branch-sync"))
    assert failed["core", "target-branch-sync"].props["fix"] == (
        f"git -C {core} fetch origin && git -C {core} branch -f main origin/main"
    )
    audit(pytester, root, "--release-fix").expect_failures()
    assert git(core, "rev-parse", "main") == theirs
    assert git(core, "rev-parse", "HEAD") == develop
    assert git(core, "branch", "--show-current") == "develop"


# --------------------------------------------------------------------------- dependency graph


def test_a_runtime_cycle_fails_dependency_graph_naming_the_cycle(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    root = tmp_path / "cycle"
    scaffold.tree(
        root,
        [
            PackageSpec("a", deps=["b>=1.0.0.dev0"]),
            PackageSpec("b", deps=["c>=1.0.0.dev0"]),
            PackageSpec("c", deps=["a>=1.0.0.dev0"]),
            PackageSpec("d", deps=["a>=1.0.0.dev0"]),
        ],
    )
    graph = audit(pytester, root).expect_failures(("workspace", "dependency-graph"))[
        "workspace", "dependency-graph"
    ]
    assert graph.props["category"] == "blocking"
    message = graph.props["message"]
    assert any(
        c in message for c in ("a -> b -> c -> a", "b -> c -> a -> b", "c -> a -> b -> c")
    ), message
    assert "d ->" not in message
    assert "move one of these dependencies to an extra" in graph.props["fix"]


def test_a_two_package_cycle_is_named_in_dependency_order(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    root = tmp_path / "cycle2"
    scaffold.tree(root, [PackageSpec("core", deps=["util"]), PackageSpec("util", deps=["core"])])
    graph = audit(pytester, root).expect_failures(("workspace", "dependency-graph"))[
        "workspace", "dependency-graph"
    ]
    assert (
        "core -> util -> core" in graph.props["message"]
        or "util -> core -> util" in graph.props["message"]
    )
    assert "core depends on util" in graph.text and "util depends on core" in graph.text


def test_a_cycle_only_through_extras_passes(pytester: pytest.Pytester, tmp_path: Path) -> None:
    root = tmp_path / "extras"
    scaffold.tree(
        root,
        [
            PackageSpec("core", extras={"cli": ["cli>=1.0.0.dev0"]}),
            PackageSpec("cli", deps=["core>=1.0.0.dev0"]),
        ],
    )
    result = audit(pytester, root)
    result.expect_failures()
    cli = next(p for p in result.report["packages"] if p["name"] == "cli")
    core = next(p for p in result.report["packages"] if p["name"] == "core")
    assert (cli["depends_on"], core["depends_on"]) == (["core"], [])


def test_a_cycle_through_a_dependency_group_passes(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    root = tmp_path / "groups"
    scaffold.tree(root, [PackageSpec("core"), PackageSpec("cli", deps=["core>=1.0.0.dev0"])])
    append(root / "core" / "pyproject.toml", '\n[dependency-groups]\ndev = ["cli"]\n')
    commit_all(root / "core", "dev group", push=True)
    audit(pytester, root).expect_failures()


def test_duplicate_normalized_names_fail_naming_both_paths(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    root = tmp_path / "dupes"
    scaffold.tree(root, [PackageSpec("my-lib"), PackageSpec("My_Lib")])
    graph = audit(pytester, root).expect_failures(("workspace", "dependency-graph"))[
        "workspace", "dependency-graph"
    ]
    assert graph.props["category"] == "blocking"
    assert "My_Lib" in graph.text and "my-lib" in graph.text
    assert "my-lib: My_Lib and my-lib" in graph.text


# --------------------------------------------------------------------------- bad input: exit 4


def test_an_unknown_config_key_is_a_usage_error(pytester: pytest.Pytester, tmp_path: Path) -> None:
    root = tmp_path / "cfg"
    scaffold.tree(root, [PackageSpec("core")], config='target_branch = "main"\n')
    out = usage_error(pytester, root)
    assert "unknown key 'target_branch'" in out
    assert "valid keys: packages, exclude, target-branch, working-branch" in out


def test_a_report_path_naming_a_directory_is_a_usage_error(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    root = tmp_path / "cfg"
    scaffold.tree(root, [PackageSpec("core")])
    out = usage_error(pytester, root, "--release-report", str(tmp_path))
    assert f"--release-report {tmp_path}: is a directory" in out
    assert str(tmp_path / "release-report.json") in out


def test_an_unknown_key_in_the_pyproject_table_is_a_usage_error(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    root = tmp_path / "cfg"
    scaffold.monorepo(root, [PackageSpec("core")], config='pakages = ["libs/*"]\n')
    out = usage_error(pytester, root)
    assert "unknown key 'pakages'" in out and "[tool.releaseplan]" in out and "target-branch" in out


def test_a_bad_config_value_is_a_usage_error(pytester: pytest.Pytester, tmp_path: Path) -> None:
    root = tmp_path / "cfg"
    scaffold.tree(root, [PackageSpec("core")], config='lockfile = "sometimes"\n')
    out = usage_error(pytester, root)
    assert "'lockfile' must be one of check, require, ignore" in out


def test_config_in_both_places_is_a_usage_error(
    pytester: pytest.Pytester, diamond_monorepo: Path
) -> None:
    (diamond_monorepo / "releaseplan.toml").write_text('remote = "origin"\n')
    out = usage_error(pytester, diamond_monorepo)
    assert "releaseplan.toml" in out and "[tool.releaseplan]" in out and "keep one" in out


def test_malformed_config_toml_is_a_usage_error_naming_the_file(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    root = tmp_path / "cfg"
    scaffold.tree(root, [PackageSpec("core")], config='remote = "origin\n')
    out = usage_error(pytester, root)
    assert f"{root / 'releaseplan.toml'}: invalid TOML" in out


def test_a_malformed_package_pyproject_fails_discovery_naming_the_file(
    pytester: pytest.Pytester, diamond_tree: Path
) -> None:
    pyproject = diamond_tree / "cli" / "pyproject.toml"
    append(pyproject, "[project\n")
    result = audit(pytester, diamond_tree)
    discovery = result.expect_failures(("workspace", "discovery"))["workspace", "discovery"]
    assert discovery.props["category"] == "blocking"
    assert f"{pyproject}: invalid TOML" in discovery.text
    assert "add its directory to `exclude`" in discovery.props["fix"]
    audited = {p["name"] for p in result.report["packages"]}
    assert audited == {"core", "api", "app"}, audited


def test_a_glob_matching_no_package_is_a_usage_error(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    root = tmp_path / "cfg"
    scaffold.tree(root, [PackageSpec("core")], config='packages = ["core", "plugins/*"]\n')
    out = usage_error(pytester, root)
    assert "glob 'plugins/*' matches no package directory" in out


def test_an_explicit_path_without_a_pyproject_is_a_usage_error(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    root = tmp_path / "cfg"
    scaffold.tree(root, [PackageSpec("core")], config='packages = ["core", "missing"]\n')
    out = usage_error(pytester, root)
    assert "package path 'missing' has no pyproject.toml" in out


def test_an_invalid_package_name_fails_discovery_and_the_rest_is_audited(
    pytester: pytest.Pytester, diamond_tree: Path
) -> None:
    pyproject = diamond_tree / "cli" / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('name = "cli"', 'name = "../cli"'))
    result = audit(pytester, diamond_tree)
    discovery = result.expect_failures(("workspace", "discovery"))["workspace", "discovery"]
    assert "invalid package name '../cli'" in discovery.text
    assert f"{pyproject} [project.name]" in discovery.text
    assert {p["name"] for p in result.report["packages"]} == {"core", "api", "app"}


def test_two_mode_options_are_a_usage_error(pytester: pytest.Pytester, diamond_tree: Path) -> None:
    out = usage_error(pytester, diamond_tree, "--release-status")
    assert "choose one of" in out


# --------------------------------------------------------------------------- inert mode


def _workspace_in_cwd(pytester: pytest.Pytester) -> Path:
    root = pytester.path
    scaffold.tree(root, DIAMOND[:2])
    (root / "conftest.py").write_text("raise RuntimeError('workspace conftest imported')\n")
    tests = root / "core" / "tests"
    tests.mkdir()
    (tests / "conftest.py").write_text("raise RuntimeError('package conftest imported')\n")
    (tests / "test_core.py").write_text("def test_core():\n    assert True\n")
    commit_all(root / "core", "Add tests", push=True)
    return root


def test_without_a_release_option_the_plugin_collects_nothing(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_plain="def test_plain():\n    assert True\n")
    scaffold.tree(pytester.path / "ws", DIAMOND)
    result = pytester.runpytest(
        "-p", "no:cacheprovider", "--collect-only", "-q", "test_plain.py", "ws"
    )
    assert result.ret == 0, result.stdout.str()
    result.stdout.fnmatch_lines(["test_plain.py::test_plain", "1 test collected*"])
    assert "::clean-worktree" not in result.stdout.str()
    assert not (pytester.path / "ws" / ".releaseplan").exists()


def test_the_audit_does_not_import_workspace_conftests(pytester: pytest.Pytester) -> None:
    root = _workspace_in_cwd(pytester)
    result = pytester.runpytest("-p", "no:cacheprovider", "--release-audit", "-q")
    out = result.stdout.str() + result.stderr.str()
    assert "conftest imported" not in out and "Traceback" not in out, out
    result.assert_outcomes(passed=n_items(2, 2))
    assert (root / ".releaseplan" / "last-report.json").is_file()


def test_a_local_tag_differing_from_the_remote_does_not_break_the_fetch(
    pytester: pytest.Pytester, diamond_tree: Path, tmp_path: Path
) -> None:
    core = diamond_tree / "core"
    git(core, "tag", "-a", "-m", "release", "v0.9.0")
    git(core, "push", "-q", "origin", "v0.9.0")
    (core / "LATER.txt").write_text("later\n")
    commit_all(core, "later", push=True)
    git(core, "tag", "-f", "-a", "-m", "moved", "v0.9.0")  # now differs from the remote's tag
    theirs = push_from_clone(tree_remote(diamond_tree, "core"), tmp_path / "clone")
    failed = audit(pytester, diamond_tree).expect_failures(
        ("core", "target-branch-sync"), ("core", "branch")
    )
    assert all(c.props["category"] == "fixable" for c in failed.values())
    assert theirs in failed["core", "target-branch-sync"].text


def test_a_rebase_in_progress_fails_clean_worktree_and_branch(
    pytester: pytest.Pytester, diamond_tree: Path
) -> None:
    core = diamond_tree / "core"
    git(core, "switch", "-q", "-c", "feature")
    (core / "NOTES.txt").write_text("feature\n")
    commit_all(core, "feature notes")
    git(core, "switch", "-q", "main")
    (core / "NOTES.txt").write_text("main\n")
    commit_all(core, "main notes", push=True)
    git(core, "switch", "-q", "feature")
    rebase = process.run(("git", "-C", str(core), "rebase", "main"), timeout=60, check=False)
    assert rebase.returncode != 0
    failed = audit(pytester, diamond_tree).expect_failures(
        ("core", "clean-worktree"), ("core", "branch")
    )
    assert "a rebase is in progress" in failed["core", "clean-worktree"].text
    assert f"git -C {core} rebase --abort" in failed["core", "clean-worktree"].props["fix"]
    assert "detached HEAD" in failed["core", "branch"].props["message"]


def test_a_new_internal_dependency_without_relocking_fails_lockfile(
    pytester: pytest.Pytester, uv_monorepo: Path
) -> None:
    pyproject = uv_monorepo / "libs" / "cli" / "pyproject.toml"
    text = pyproject.read_text().replace('"core>=1.0.0.dev0",', '"core>=1.0.0.dev0",\n    "api",')
    pyproject.write_text(
        text.replace(
            "core = { workspace = true }", "core = { workspace = true }\napi = { workspace = true }"
        )
    )
    commit_all(uv_monorepo, "cli needs api", push=True)
    lock = audit(pytester, uv_monorepo).expect_failures(("cli", "lockfile"))["cli", "lockfile"]
    assert "api" in lock.text


def test_a_removed_remote_under_xdist_is_fetched_once_and_fixable(
    pytester: pytest.Pytester, diamond_tree: Path
) -> None:
    shutil.rmtree(tree_remote(diamond_tree, "app"))
    failed = audit(pytester, diamond_tree, "-n", "2").expect_failures(
        ("app", "target-branch-sync"), ("app", "branch")
    )
    assert {c.props["category"] for c in failed.values()} == {"fixable"}
    assert len(list((diamond_tree / ".releaseplan").glob("fetch-*.json"))) == 1
