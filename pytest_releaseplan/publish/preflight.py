"""Preflight: before the first commit, tag or upload of a package, check everything that can
be known (SPEC §4). Every problem is collected, then reported at once; nothing is changed.

`gather` reads the world (git, the remote, the ecosystem's tools and credentials); `check`
is pure over what it read, cargo-release style: every problem at once, each with its fix.
"""

from __future__ import annotations

import shlex
import shutil
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from pytest_releaseplan import gitops
from pytest_releaseplan.context import Context
from pytest_releaseplan.ecosystems import Ecosystem
from pytest_releaseplan.errors import Category, CheckFailure
from pytest_releaseplan.process import ProcessError
from pytest_releaseplan.publish import decide
from pytest_releaseplan.workspace import Package

WRITING_STEPS = {"update-internal-deps", "set-version", "next-version", "tag"}


@dataclass
class World:
    """What the preflight read for one package."""

    identity_error: str | None = None  # why git cannot make a commit here
    signing_error: str | None = None  # tag signing configured and not working
    remote_tag: str | None = None  # the remote's object id for the release tag, if any
    local_tag_commit: str | None = None  # the commit the local release tag points at
    remote_error: str | None = None
    tagged_version: str | None = None  # the static version the release tag's commit declares
    format_problems: list[tuple[str, str]] = field(default_factory=list)  # the ecosystem's


def verify(ctx: Context, pkg: Package, decision: decide.Decision, eco: Ecosystem) -> None:
    problems, fixes = check(ctx, pkg, decision, gather(ctx, pkg, decision, eco))
    if problems:
        raise CheckFailure(
            f"{pkg.name}: preflight failed before anything was changed",
            Category.FIXABLE,
            problems,
            fixes,
        )


def check(
    ctx: Context, pkg: Package, decision: decide.Decision, world: World
) -> tuple[list[str], list[str]]:
    """The problems and their fixes (pure)."""
    problems: list[str] = []
    fixes: list[str] = []
    repo = shlex.quote(str(pkg.repo))
    writes = bool(WRITING_STEPS & set(decision.steps))
    if writes and world.identity_error:
        problems.append(f"git cannot commit in {pkg.repo}: {world.identity_error}")
        fixes.append(
            f'git -C {repo} config user.name "Your Name" && '
            f'git -C {repo} config user.email "you@example.com"'
        )
    if writes and world.signing_error:
        problems.append(f"tag signing is configured and fails: {world.signing_error}")
        fixes.append(f"git -C {repo} config gpg.program PATH   # or turn signing off for this repository")
    tag = f"refs/tags/{_tag(ctx, pkg)}"
    if world.remote_error:
        problems.append(f"cannot read the tags of remote {ctx.config.remote}: {world.remote_error}")
        fixes.append(
            f"git -C {repo} ls-remote {ctx.config.remote}   # check the remote, then rerun"
        )
    elif world.remote_tag is not None and decision.action == decide.RELEASE:
        problems.append(
            f"the release tag {tag} already exists on remote {ctx.config.remote} "
            f"({world.remote_tag[:12]}) but not here"
        )
        fixes.append(
            f"git -C {repo} fetch {ctx.config.remote} tag {_tag(ctx, pkg)}   # then rerun: the "
            "release is completed, not cut again"
        )
    elif (
        world.remote_tag is not None
        and world.local_tag_commit is not None
        and world.remote_tag != world.local_tag_commit
    ):
        problems.append(
            f"the release tag {tag} on remote {ctx.config.remote} points at "
            f"{world.remote_tag[:12]}, the local one at {world.local_tag_commit[:12]}"
        )
        fixes.append(
            f"git -C {repo} fetch {ctx.config.remote} --tags --force   # if the remote's is the "
            "release; else delete the wrong one by hand"
        )
    release = str(pkg.release_version)
    if world.tagged_version is not None and world.tagged_version != release:
        problems.append(
            f"the release tag {tag} points at a commit whose {pkg.relpath}/pyproject.toml says "
            f"version {world.tagged_version}, not {release}: it is not this release's tag"
        )
        fixes.append(
            f"git -C {repo} show {_tag(ctx, pkg)} --stat   # find out what made it; if it is wrong, "
            f"remove it (git -C {repo} tag -d {_tag(ctx, pkg)}) and rerun"
        )
    for problem, fix in world.format_problems:
        problems.append(problem)
        if fix not in fixes:
            fixes.append(fix)
    return problems, fixes


def _tag(ctx: Context, pkg: Package) -> str:
    assert pkg.release_version is not None
    return ctx.workspace.tag_for(pkg, pkg.release_version)


def gather(ctx: Context, pkg: Package, decision: decide.Decision, eco: Ecosystem) -> World:
    world = World()
    steps = set(decision.steps)
    if steps & WRITING_STEPS:
        world.identity_error = _identity_error(pkg.repo)
        world.signing_error = _signing_error(pkg.repo)
    tag = _tag(ctx, pkg)
    if decision.action in (decide.RELEASE, decide.COMPLETE_UPLOAD):
        try:
            remote = gitops.ls_remote(pkg.repo, ctx.config.remote, f"refs/tags/{tag}")
        except ProcessError as exc:
            world.remote_error = exc.render().splitlines()[-1] if exc.render() else "unreachable"
        else:
            world.remote_tag = remote.get(f"refs/tags/{tag}")  # peeled: the tagged commit
        if decision.action == decide.COMPLETE_UPLOAD:
            world.local_tag_commit = _local_tag(pkg.repo, tag)
            world.tagged_version = _static_version_at(pkg, tag)
    world.format_problems = eco.preflight(pkg, steps)
    return world


def _identity_error(repo: Path) -> str | None:
    try:
        gitops.out(repo, "var", "GIT_COMMITTER_IDENT")
        gitops.out(repo, "var", "GIT_AUTHOR_IDENT")
    except ProcessError as exc:
        lines = [ln for ln in exc.result.stderr.splitlines() if ln.strip()]
        return lines[-1] if lines else "no user.name/user.email"
    return None


def _signing_error(repo: Path) -> str | None:
    signing = [
        key
        for key in ("commit.gpgSign", "tag.gpgSign")
        if gitops.git(repo, "config", "--bool", key, check=False).stdout.strip() == "true"
    ]
    if not signing:
        return None
    program = gitops.git(repo, "config", "gpg.program", check=False).stdout.strip() or "gpg"
    if shutil.which(program) is None:
        return f"{' and '.join(signing)} set, and the signing program {program!r} is not installed"
    return None


def _local_tag(repo: Path, tag: str) -> str | None:
    result = gitops.git(
        repo, "rev-parse", "--verify", "-q", f"refs/tags/{tag}^{{commit}}", check=False
    )
    return result.stdout.strip() or None


def _static_version_at(pkg: Package, tag: str) -> str | None:
    """The `[project]`/`[tool.poetry]` version in the package's pyproject at `tag`, if static."""
    rel = pkg.pyproject.relative_to(pkg.repo).as_posix()
    shown = gitops.read(pkg.repo, "show", f"refs/tags/{tag}:{rel}", check=False)
    if shown.returncode != 0:
        return None
    try:
        data = tomllib.loads(shown.stdout)
    except ValueError:
        return None
    project = data.get("project")
    if isinstance(project, dict) and isinstance(project.get("version"), str):
        return str(project["version"])
    tool = data.get("tool")
    poetry = tool.get("poetry") if isinstance(tool, dict) else None
    if isinstance(poetry, dict) and isinstance(poetry.get("version"), str):
        return str(poetry["version"])
    return None
