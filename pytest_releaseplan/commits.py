"""The commits this tool makes: their messages are built and recognised here only.

Every commit and annotated tag the release writes has a subject starting with `release: `;
"changed since a release" means a commit other than those touched the package.
"""

from __future__ import annotations

from pathlib import Path

from pytest_releaseplan import gitops

PREFIX = "release: "


def raise_deps(name: str) -> str:
    return f"{PREFIX}raise internal dependencies of {name}"


def release(name: str, version: object) -> str:
    """The release commit, and the message of its annotated tag."""
    return f"{PREFIX}{name} {version}"


def next_version(name: str, version: object) -> str:
    return f"{PREFIX}{name} next version {version}"


def is_release_commit(subject: str) -> bool:
    return subject.startswith(PREFIX)


def changed_since(repo: Path, ref: str, path: Path | str) -> bool:
    """Whether a commit other than this tool's own touched `path` between `ref` and HEAD."""
    subjects = gitops.read(repo, "log", "--format=%s", f"{ref}..HEAD", "--", str(path)).stdout
    return any(not is_release_commit(s) for s in subjects.splitlines() if s.strip())
