"""`--release-audit` on the checkouts CI systems make, with the exact git commands they run.

Each case replaces a package's repository by a CI-made checkout of its bare remote, sets the
CI variables and asserts the outcome of every item, read back from the JUnit XML.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import junitparser
import pytest

from pytest_releaseplan import ci, safety, scaffold
from pytest_releaseplan.scaffold import PackageSpec
from tests.conftest import run_release

PASSED, FAILED, SKIPPED = "passed", "failed", "skipped"
ALL_PASS = {
    "discovery": PASSED,
    "dependency-graph": PASSED,
    "clean-worktree": PASSED,
    "branch": PASSED,
    "target-branch-sync": PASSED,
    "version": PASSED,
    "internal-deps": PASSED,
    "lockfile": PASSED,
}


def git(repo: Path, *args: str) -> str:
    return scaffold.git(repo, *args).strip()


@dataclass
class Item:
    outcome: str
    props: dict[str, str]
    text: str


def read_junit(path: Path) -> dict[str, Item]:
    items: dict[str, Item] = {}
    for suite in junitparser.JUnitXml.fromfile(str(path)):
        for case in suite:
            props = {p.name: p.value for p in case.iterchildren(junitparser.Property)}
            for holder in case.iterchildren(junitparser.Properties):
                props |= {p.name: p.value for p in holder}
            outcome, text = PASSED, ""
            for result in case.result:
                outcome = SKIPPED if isinstance(result, junitparser.Skipped) else FAILED
                text = f"{result.message or ''}\n{result.text or ''}"
            items[case.name] = Item(outcome, props, text)
    return items


@pytest.fixture
def ci_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for key in ci.VARIABLES:
        monkeypatch.delenv(key, raising=False)
    return monkeypatch


def github(env: pytest.MonkeyPatch, ref: str, event: str = "push", base: str = "") -> None:
    env.setenv("CI", "true")
    env.setenv("GITHUB_ACTIONS", "true")
    env.setenv("GITHUB_REF", ref)
    env.setenv("GITHUB_EVENT_NAME", event)
    env.setenv("GITHUB_BASE_REF", base)
    env.setenv("GITHUB_HEAD_REF", "feature" if base else "")


def gitlab(env: pytest.MonkeyPatch, branch: str) -> None:
    env.setenv("CI", "true")
    env.setenv("GITLAB_CI", "true")
    env.setenv("CI_COMMIT_BRANCH", branch)
    env.setenv("CI_COMMIT_REF_NAME", branch)


@dataclass
class Workspace:
    root: Path
    repo: Path
    remote: Path

    @property
    def url(self) -> str:
        return f"file://{self.remote}"

    def commit(self, filename: str, *, push: bool = True, where: Path | None = None) -> str:
        repo = where or self.repo
        (repo / filename).write_text(f"{filename}\n")
        git(repo, "add", "-A")
        git(repo, "commit", "-q", "-m", f"add {filename}")
        if push:
            git(repo, "push", "-q", "origin", "HEAD")
        return git(repo, "rev-parse", "HEAD")

    def fresh_checkout(self, *commands: tuple[str, ...]) -> None:
        """Replace the repository by `git init` + the CI system's own commands."""
        shutil.rmtree(self.repo)
        self.repo.mkdir()
        git(self.repo, "init", "-q")
        git(self.repo, "remote", "add", "origin", self.url)
        for argv in commands:
            git(self.repo, *argv)

    def pull_request(self, number: int, work: Path) -> str:
        """A feature branch and the merge commit a forge keeps at refs/pull/N/merge."""
        scaffold.git(work.parent, "clone", "-q", self.url, str(work))
        git(work, "switch", "-q", "-c", "feature")
        self.commit("FEATURE.txt", push=False, where=work)
        git(work, "push", "-q", "origin", "feature")
        git(work, "switch", "-q", "main")
        git(work, "merge", "-q", "--no-ff", "-m", "Merge feature", "feature")
        git(work, "push", "-q", "origin", f"HEAD:refs/pull/{number}/merge")
        git(work, "reset", "-q", "--hard", "origin/main")
        return git(work, "rev-parse", "refs/remotes/origin/main")

    def audit(self, pytester: pytest.Pytester, *args: str) -> dict[str, Item]:
        xml = pytester.path / f"junit-{len(list(pytester.path.glob('junit-*.xml')))}.xml"
        result = run_release(pytester, self.root, "--release-audit", f"--junitxml={xml}", *args)
        out = result.stdout.str() + result.stderr.str()
        assert "Traceback" not in out, out
        items = read_junit(xml)
        assert result.ret == (1 if FAILED in {i.outcome for i in items.values()} else 0), out
        return items


def outcomes(items: dict[str, Item]) -> dict[str, str]:
    return {name: item.outcome for name, item in items.items()}


@pytest.fixture
def ws(tmp_path: Path, ci_env: pytest.MonkeyPatch) -> Workspace:
    root = tmp_path / "tree"
    repo = scaffold.tree(root, [PackageSpec("core")])["core"]
    return Workspace(root, repo, (root / ".remotes" / "core.git").resolve())


def github_push_checkout(ws: Workspace, sha: str) -> None:
    ws.fresh_checkout(
        (
            "fetch",
            "--no-tags",
            "--prune",
            "--depth=1",
            "origin",
            f"+{sha}:refs/remotes/origin/main",
        ),
        ("checkout", "--force", "-B", "main", "refs/remotes/origin/main"),
    )


def github_pr_checkout(ws: Workspace, number: int) -> None:
    merge = f"refs/pull/{number}/merge"
    ws.fresh_checkout(
        ("fetch", "--no-tags", "--depth=1", "origin", f"+{merge}:refs/remotes/pull/{number}/merge"),
        ("checkout", "--force", f"refs/remotes/pull/{number}/merge"),
    )


def gitlab_checkout(ws: Workspace, sha: str) -> None:
    ws.fresh_checkout(
        ("fetch", "--depth", "20", "origin", "+refs/heads/main:refs/remotes/origin/main"),
        ("checkout", "-f", "-q", sha),
    )


# --------------------------------------------------------------------------- the three checkouts


def test_a_github_push_build_of_main_passes(
    pytester: pytest.Pytester, ws: Workspace, ci_env: pytest.MonkeyPatch
) -> None:
    github(ci_env, "refs/heads/main")
    github_push_checkout(ws, git(ws.repo, "rev-parse", "HEAD"))
    items = ws.audit(pytester)
    assert outcomes(items) == ALL_PASS
    assert "GitHub Actions build of branch main" in items["branch"].props["message"]


def test_a_github_pull_request_build_passes(
    pytester: pytest.Pytester, ws: Workspace, ci_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    main = ws.pull_request(7, tmp_path / "work")
    github(ci_env, "refs/pull/7/merge", "pull_request", base="main")
    github_pr_checkout(ws, 7)
    items = ws.audit(pytester)
    assert outcomes(items) == ALL_PASS
    assert "GitHub Actions pull request #7 (feature -> main)" in items["branch"].props["message"]
    assert f"contains origin/main ({main[:12]})" in items["target-branch-sync"].props["message"]


def test_a_gitlab_build_detached_at_the_tip_of_main_passes(
    pytester: pytest.Pytester, ws: Workspace, ci_env: pytest.MonkeyPatch
) -> None:
    gitlab(ci_env, "main")
    gitlab_checkout(ws, git(ws.repo, "rev-parse", "HEAD"))
    assert git(ws.repo, "branch", "--show-current") == ""
    items = ws.audit(pytester)
    assert outcomes(items) == ALL_PASS
    assert "the tip of origin/main" in items["branch"].props["message"]


def test_a_build_of_main_behind_a_newer_push_passes_and_says_so(
    pytester: pytest.Pytester, ws: Workspace, ci_env: pytest.MonkeyPatch
) -> None:
    built = git(ws.repo, "rev-parse", "HEAD")
    newer = ws.commit("NEWER.txt")
    gitlab(ci_env, "main")
    gitlab_checkout(ws, built)
    items = ws.audit(pytester)
    assert outcomes(items) == ALL_PASS
    assert f"moved on to {newer[:12]}" in items["target-branch-sync"].props["message"]


# --------------------------------------------------------------------------- wrong checkouts


def test_a_stale_pull_request_base_fails_target_branch_sync(
    pytester: pytest.Pytester, ws: Workspace, ci_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ws.pull_request(7, tmp_path / "work")
    moved = ws.commit("MAIN-MOVED.txt")  # main moves on after the merge commit was made
    github(ci_env, "refs/pull/7/merge", "pull_request", base="main")
    github_pr_checkout(ws, 7)
    items = ws.audit(pytester)
    assert outcomes(items) == ALL_PASS | {"target-branch-sync": FAILED}
    sync = items["target-branch-sync"]
    assert sync.props["category"] == "fixable"
    assert "main has moved on since GitHub Actions pull request #7" in sync.props["message"]
    assert moved in sync.text
    assert (
        "git switch feature && git pull --no-rebase origin main && git push origin feature"
        in (sync.props["fix"])
    )


def test_a_force_pushed_target_fails_both_branch_checks(
    pytester: pytest.Pytester, ws: Workspace, ci_env: pytest.MonkeyPatch
) -> None:
    built = ws.commit("LOST.txt")
    gitlab(ci_env, "main")
    gitlab_checkout(ws, built)
    git(ws.root / ".remotes" / "core.git", "update-ref", "refs/heads/main", f"{built}~1")
    items = ws.audit(pytester)
    assert outcomes(items) == ALL_PASS | {"branch": FAILED, "target-branch-sync": FAILED}
    for name in ("branch", "target-branch-sync"):
        assert items[name].props["category"] == "fixable"
        assert "HEAD is not on the history of origin/main" in items[name].props["message"]
        assert "re-run the pipeline on the current origin/main" in items[name].props["fix"]


def test_a_build_of_a_feature_branch_skips_the_release_branch_checks(
    pytester: pytest.Pytester, ws: Workspace, ci_env: pytest.MonkeyPatch
) -> None:
    git(ws.repo, "switch", "-q", "-c", "feature")
    sha = ws.commit("FEATURE.txt")
    github(ci_env, "refs/heads/feature")
    ws.fresh_checkout(
        (
            "fetch",
            "--no-tags",
            "--prune",
            "--depth=1",
            "origin",
            f"+{sha}:refs/remotes/origin/feature",
        ),
        ("checkout", "--force", "-B", "feature", "refs/remotes/origin/feature"),
    )
    items = ws.audit(pytester)
    skipped = {"branch": SKIPPED, "target-branch-sync": SKIPPED}
    assert outcomes(items) == ALL_PASS | skipped
    assert "GitHub Actions build of branch feature" in items["branch"].text
    assert "judge builds of 'main'" in items["branch"].text


def test_outside_ci_the_same_detached_checkout_fails(
    pytester: pytest.Pytester, ws: Workspace
) -> None:
    gitlab_checkout(ws, git(ws.repo, "rev-parse", "HEAD"))
    items = ws.audit(pytester)
    assert outcomes(items) == ALL_PASS | {"branch": FAILED, "target-branch-sync": FAILED}
    assert "detached HEAD" in items["branch"].props["message"]


# --------------------------------------------------------------------------- work tree and history


def test_a_virtualenv_and_caches_in_the_work_tree_are_not_uncommitted_work(
    pytester: pytest.Pytester, ws: Workspace, ci_env: pytest.MonkeyPatch
) -> None:
    github(ci_env, "refs/heads/main")
    github_push_checkout(ws, git(ws.repo, "rev-parse", "HEAD"))
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(ws.repo / "venv")],
        check=True,
        timeout=120,
    )
    for cache in (".pytest_cache", ".mypy_cache", "src/core/__pycache__"):
        (ws.repo / cache).mkdir(parents=True, exist_ok=True)
        (ws.repo / cache / "x").write_text("cache\n")
    items = ws.audit(pytester)
    assert outcomes(items) == ALL_PASS
    assert "made by the CI job" in items["clean-worktree"].props["message"]

    (ws.repo / "pyproject.toml").write_text((ws.repo / "pyproject.toml").read_text() + "\n# edit\n")
    (ws.repo / "notes.txt").write_text("someone's work\n")
    items = ws.audit(pytester)
    assert outcomes(items) == ALL_PASS | {"clean-worktree": FAILED}
    text = items["clean-worktree"].text
    assert ".M pyproject.toml" in text and "?? notes.txt" in text
    assert "?? venv/" not in text and "?? .pytest_cache/" not in text and "__pycache__" not in text


def test_a_depth_1_clone_of_a_tagged_version_with_later_commits_fails_version(
    pytester: pytest.Pytester, ws: Workspace, ci_env: pytest.MonkeyPatch
) -> None:
    git(ws.repo, "tag", "-a", "-m", "release", "v1.0.0")
    git(ws.repo, "push", "-q", "origin", "v1.0.0")
    head = ws.commit("src/core/more.py")
    github(ci_env, "refs/heads/main")
    github_push_checkout(ws, head)
    assert "v1.0.0" not in git(ws.repo, "tag", "--list")
    items = ws.audit(pytester)
    assert outcomes(items) == ALL_PASS | {"version": FAILED}
    assert "already released (tag v1.0.0) but commits touch" in items["version"].props["message"]
    assert git(ws.repo, "rev-parse", "--is-shallow-repository") == "false"


def test_no_verdict_on_missing_history_offline(
    pytester: pytest.Pytester, ws: Workspace, ci_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ws.pull_request(7, tmp_path / "work")
    github(ci_env, "refs/pull/7/merge", "pull_request", base="main")
    github_pr_checkout(ws, 7)
    items = ws.audit(pytester, "--release-offline")
    # Neither whether HEAD contains the target nor whether the version is already released
    # (no tags in a depth-1 clone) can be told: both say how to get the history.
    assert outcomes(items) == ALL_PASS | {"target-branch-sync": FAILED, "version": FAILED}
    for name in ("target-branch-sync", "version"):
        assert items[name].props["category"] == "fixable"
        assert "the history is not in this checkout" in items[name].props["message"]
        assert "fetch-depth: 0" in items[name].props["fix"]


# --------------------------------------------------------------------------- a publish running


def test_an_audit_during_a_publish_says_a_publish_is_running(
    pytester: pytest.Pytester, ws: Workspace
) -> None:
    ws.commit("UNPUSHED.txt", push=False)
    lock = safety.acquire_run_lock(ws.root / ".releaseplan", ["core"])
    try:
        items = ws.audit(pytester, "--release-offline")
    finally:
        lock.release()
    assert outcomes(items) == ALL_PASS | {"target-branch-sync": FAILED, "branch": PASSED}
    sync = items["target-branch-sync"]
    assert sync.props["category"] == "transient"
    assert sync.props["message"].startswith("a publish is running in this workspace (pid ")
    assert "push" not in sync.props["fix"]
    assert "--release-status" in sync.props["fix"]


def test_fix_commands_quote_paths_with_spaces(
    pytester: pytest.Pytester, tmp_path: Path, ci_env: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "my tree"
    repo = scaffold.tree(root, [PackageSpec("core")])["core"]
    git(repo, "switch", "-q", "--detach")
    items = Workspace(root, repo, root / ".remotes" / "core.git").audit(
        pytester, "--release-offline"
    )
    assert items["branch"].props["fix"] == f"git -C '{repo}' switch main"


# --------------------------------------------------------------------------- detection (pure)


@pytest.mark.parametrize(
    ("env", "build"),
    [
        ({}, None),
        ({"CI": "false"}, None),
        (
            {
                "GITHUB_ACTIONS": "true",
                "GITHUB_REF": "refs/heads/main",
                "GITHUB_EVENT_NAME": "push",
            },
            ci.Build("GitHub Actions", ci.PUSH, "main"),
        ),
        (
            {
                "GITHUB_ACTIONS": "true",
                "GITHUB_REF": "refs/pull/12/merge",
                "GITHUB_EVENT_NAME": "pull_request",
                "GITHUB_BASE_REF": "main",
                "GITHUB_HEAD_REF": "fix-it",
            },
            ci.Build("GitHub Actions", ci.PULL_REQUEST, "fix-it", "main", "12"),
        ),
        (
            {"GITHUB_ACTIONS": "true", "GITHUB_REF": "refs/tags/v1.0.0", "GITHUB_BASE_REF": ""},
            ci.Build("GitHub Actions", ci.TAG, "v1.0.0"),
        ),
        (
            {"GITLAB_CI": "true", "CI_COMMIT_BRANCH": "main", "CI_COMMIT_REF_NAME": "main"},
            ci.Build("GitLab CI", ci.PUSH, "main"),
        ),
        (
            {
                "GITLAB_CI": "true",
                "CI_COMMIT_REF_NAME": "feat",
                "CI_MERGE_REQUEST_IID": "3",
                "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "feat",
                "CI_MERGE_REQUEST_TARGET_BRANCH_NAME": "main",
            },
            ci.Build("GitLab CI", ci.PULL_REQUEST, "feat", "main", "3"),
        ),
        ({"GITLAB_CI": "true", "CI_COMMIT_TAG": "v2"}, ci.Build("GitLab CI", ci.TAG, "v2")),
        ({"CI": "1", "GIT_BRANCH": "x", "BRANCH_NAME": "main"}, ci.Build("CI", ci.PUSH, "main")),
        ({"CI": "true"}, ci.Build("CI", ci.PUSH, None)),
        (
            {"CI": "true", "BRANCH_NAME": "PR-4", "CHANGE_TARGET": "main"},
            ci.Build("CI", ci.PULL_REQUEST, "PR-4", "main"),
        ),
    ],
)
def test_detect(env: dict[str, str], build: ci.Build | None) -> None:
    assert ci.detect(env) == build


@pytest.mark.parametrize(
    ("build", "local", "role"),
    [
        (ci.Build("CI", ci.PUSH, "main"), None, ci.RELEASE),
        (ci.Build("CI", ci.PUSH, "develop"), None, ci.RELEASE),  # the working branch
        (ci.Build("CI", ci.PUSH, "feature"), None, ci.OTHER),
        (ci.Build("CI", ci.PUSH, None), "main", ci.RELEASE),
        (ci.Build("CI", ci.PUSH, None), None, ci.UNKNOWN),
        (ci.Build("CI", ci.TAG, "v1"), None, ci.OTHER),
        (ci.Build("CI", ci.PULL_REQUEST, "f", "main"), None, ci.PULL_REQUEST),
        (ci.Build("CI", ci.PULL_REQUEST, "f", "release-1.x"), None, ci.OTHER),
    ],
)
def test_role(build: ci.Build, local: str | None, role: str) -> None:
    assert ci.role(build, "develop", "main", local) == role


def test_only_untracked_caches_and_virtualenvs_are_job_made(tmp_path: Path) -> None:
    (tmp_path / "env").mkdir()
    (tmp_path / "env" / "pyvenv.cfg").write_text("home = /usr\n")
    (tmp_path / "data").mkdir()
    assert ci.is_job_made(tmp_path, "?? env/")
    assert ci.is_job_made(tmp_path, "?? .tox/")
    assert ci.is_job_made(tmp_path, "?? src/pkg/__pycache__/")
    assert not ci.is_job_made(tmp_path, "?? data/")
    assert not ci.is_job_made(tmp_path, "?? .mypy_cache")  # a file of that name
    assert not ci.is_job_made(tmp_path, ".M .venv/pyvenv.cfg")  # tracked: someone's work
