"""Which CI build this is, read from the CI system's variables (pure), and what a CI job
leaves in the work tree that is not anyone's uncommitted work."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

# Every variable `detect` reads: tests of checkouts outside CI unset these.
GITHUB = ("GITHUB_ACTIONS", "GITHUB_REF", "GITHUB_BASE_REF", "GITHUB_HEAD_REF", "GITHUB_EVENT_NAME")
GITLAB = (
    "GITLAB_CI",
    "CI_COMMIT_BRANCH",
    "CI_COMMIT_REF_NAME",
    "CI_COMMIT_TAG",
    "CI_MERGE_REQUEST_IID",
    "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME",
    "CI_MERGE_REQUEST_TARGET_BRANCH_NAME",
)
# Other CI systems name the branch, and a pull request's target, in their own variables.
GENERIC_BRANCH = (
    "BRANCH_NAME",  # Jenkins
    "CIRCLE_BRANCH",
    "BUILDKITE_BRANCH",
    "BITBUCKET_BRANCH",
    "DRONE_SOURCE_BRANCH",
    "TRAVIS_PULL_REQUEST_BRANCH",
    "TRAVIS_BRANCH",
    "CI_BRANCH",
)
GENERIC_TARGET = (
    "CHANGE_TARGET",  # Jenkins multibranch pull requests
    "BITBUCKET_PR_DESTINATION_BRANCH",
    "BUILDKITE_PULL_REQUEST_BASE_BRANCH",
    "DRONE_TARGET_BRANCH",
    "SYSTEM_PULLREQUEST_TARGETBRANCH",
)
VARIABLES = ("CI", *GITHUB, *GITLAB, *GENERIC_BRANCH, *GENERIC_TARGET, "TRAVIS_PULL_REQUEST")

# Untracked directories a CI job makes in the work tree: caches, and virtualenvs (any
# directory holding pyvenv.cfg).
JOB_MADE_DIRS = frozenset(
    {
        ".pytest_cache",
        ".mypy_cache",
        ".ruff_cache",
        "__pycache__",
        ".tox",
        ".nox",
        ".cache",
        ".hypothesis",
        "node_modules",
    }
)

PUSH = "push"
PULL_REQUEST = "pull-request"
TAG = "tag"


@dataclass(frozen=True)
class Build:
    system: str  # "GitHub Actions", "GitLab CI", "CI"
    event: str  # PUSH, PULL_REQUEST or TAG
    ref: str | None  # the branch (or tag) built; a pull request's source branch
    target: str | None = None  # a pull request's target branch
    number: str | None = None  # a pull request's number

    def describe(self) -> str:
        if self.event == PULL_REQUEST:
            number = f" #{self.number}" if self.number else ""
            return f"{self.system} pull request{number} ({self.ref or '?'} -> {self.target})"
        if self.event == TAG:
            return f"{self.system} build of tag {self.ref}"
        return f"{self.system} build of branch {self.ref}" if self.ref else f"{self.system} build"


def _set(env: Mapping[str, str], key: str) -> str | None:
    value = env.get(key, "").strip()
    return value if value and value.lower() not in {"0", "false"} else None


def detect(env: Mapping[str, str]) -> Build | None:
    """The build these variables describe, or None outside CI."""
    if _set(env, "GITHUB_ACTIONS"):
        return _github(env)
    if _set(env, "GITLAB_CI"):
        return _gitlab(env)
    if _set(env, "CI"):
        return _generic(env)
    return None


def _github(env: Mapping[str, str]) -> Build:
    ref = env.get("GITHUB_REF", "")
    base = _set(env, "GITHUB_BASE_REF")
    if base or env.get("GITHUB_EVENT_NAME", "").startswith("pull_request"):
        parts = ref.split("/")
        number = parts[2] if ref.startswith("refs/pull/") and len(parts) > 2 else None
        return Build("GitHub Actions", PULL_REQUEST, _set(env, "GITHUB_HEAD_REF"), base, number)
    if ref.startswith("refs/tags/"):
        return Build("GitHub Actions", TAG, ref.removeprefix("refs/tags/"))
    return Build("GitHub Actions", PUSH, ref.removeprefix("refs/heads/") or None)


def _gitlab(env: Mapping[str, str]) -> Build:
    target = _set(env, "CI_MERGE_REQUEST_TARGET_BRANCH_NAME")
    if target:
        source = _set(env, "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME")
        return Build("GitLab CI", PULL_REQUEST, source, target, _set(env, "CI_MERGE_REQUEST_IID"))
    tag = _set(env, "CI_COMMIT_TAG")
    if tag:
        return Build("GitLab CI", TAG, tag)
    return Build("GitLab CI", PUSH, _set(env, "CI_COMMIT_BRANCH") or _set(env, "CI_COMMIT_REF_NAME"))


def _generic(env: Mapping[str, str]) -> Build:
    branch = next((v for k in GENERIC_BRANCH if (v := _set(env, k))), None)
    if branch and branch.startswith("origin/"):
        branch = branch.removeprefix("origin/")
    target = next((v for k in GENERIC_TARGET if (v := _set(env, k))), None)
    if target is None and _set(env, "TRAVIS_PULL_REQUEST"):
        target = _set(env, "TRAVIS_BRANCH")  # Travis names the target there in a PR build
        branch = _set(env, "TRAVIS_PULL_REQUEST_BRANCH")
    if target:
        return Build("CI", PULL_REQUEST, branch, target)
    return Build("CI", PUSH, branch)


def is_job_made(repo: Path, change: str) -> bool:
    """Whether a `git status` entry ("?? path/") is a cache or virtualenv a CI job made.

    Only untracked directories qualify: a modified tracked file is always someone's work.
    """
    if not change.startswith("?? ") or not change.endswith("/"):
        return False
    rel = change[3:].rstrip("/")
    return Path(rel).name in JOB_MADE_DIRS or (repo / rel / "pyvenv.cfg").is_file()


RELEASE = "release"  # a build of the working or target branch
OTHER = "other"  # a build of another branch, or of a tag
UNKNOWN = "unknown"  # the CI named no branch and HEAD is detached


def role(build: Build, working: str, target: str, local_branch: str | None) -> str:
    """What the release-branch checks make of this build."""
    if build.event == PULL_REQUEST:
        return PULL_REQUEST if build.target in {working, target} else OTHER
    if build.event == TAG:
        return OTHER
    ref = build.ref or local_branch
    if ref is None:
        return UNKNOWN
    return RELEASE if ref in {working, target} else OTHER


def full_history_fix(build: Build | None) -> str:
    """How to give this CI system's checkout the whole history and the tags."""
    if build is not None and build.system == "GitHub Actions":
        return "set `fetch-depth: 0` on the actions/checkout step (all history and tags)"
    if build is not None and build.system == "GitLab CI":
        return "set `GIT_DEPTH: 0` in the job's variables (all history and tags)"
    return "clone with all history and tags: git fetch --unshallow --tags"
