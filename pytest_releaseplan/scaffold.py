"""Write small, real workspaces: packages, git repositories with bare remotes.

Used by the demo (`python -m pytest_releaseplan.demo`) and by the project's test harness.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pytest_releaseplan import process

IDENTITY = {
    "GIT_AUTHOR_NAME": "Release Bot",
    "GIT_AUTHOR_EMAIL": "release@example.invalid",
    "GIT_COMMITTER_NAME": "Release Bot",
    "GIT_COMMITTER_EMAIL": "release@example.invalid",
}


def git(repo: Path, *args: str) -> str:
    env = {**os.environ, **IDENTITY, "GIT_TERMINAL_PROMPT": "0"}
    for key in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE"):
        env.pop(key, None)
    return process.run(("git", "-C", str(repo), *args), env=env, timeout=60).stdout


@dataclass
class PackageSpec:
    name: str
    version: str = "1.0.0.dev0"
    deps: Sequence[str] = ()  # runtime requirement strings, e.g. "core>=1.0"
    extras: Mapping[str, Sequence[str]] = field(default_factory=dict)
    dynamic: str | None = None  # "hatch" | "setuptools": version lives in the module file


def module_name(name: str) -> str:
    return re.sub(r"[-.]", "_", name)


def write_package(directory: Path, spec: PackageSpec) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    mod = module_name(spec.name)
    src = directory / "src" / mod
    src.mkdir(parents=True, exist_ok=True)
    deps = "".join(f'    "{d}",\n' for d in spec.deps)
    extras = "".join(
        f"{extra} = [{', '.join(repr(x).replace(chr(39), chr(34)) for x in reqs)}]\n"
        for extra, reqs in spec.extras.items()
    )
    version_line = f'version = "{spec.version}"'
    tool = ""
    if spec.dynamic is not None:
        version_line = 'dynamic = ["version"]'
        tool = f'\n[tool.setuptools.dynamic]\nversion = {{attr = "{mod}.__version__"}}\n'
        (src / "__init__.py").write_text(
            f'"""The {spec.name} package."""\n\n__version__ = "{spec.version}"\n'
        )
    else:
        (src / "__init__.py").write_text(f'"""The {spec.name} package."""\n')
    text = (
        '[build-system]\nrequires = ["setuptools>=61"]\nbuild-backend = "setuptools.build_meta"\n\n'
        f'[project]\nname = "{spec.name}"\n{version_line}\n'
        f'description = "The {spec.name} package of the demo workspace"\n'
        f'requires-python = ">=3.8"\ndependencies = [\n{deps}]\n'
        + (f"\n[project.optional-dependencies]\n{extras}" if extras else "")
        + tool
    )
    (directory / "pyproject.toml").write_text(text)
    return directory


def init_repo(repo: Path, remote_dir: Path, branch: str = "main") -> Path:
    """git init + commit everything + a bare remote `origin` that has the branch pushed."""
    remote_dir = remote_dir.resolve()  # git resolves a relative URL from inside the repo
    git(repo, "init", "-q", "-b", branch)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "Initial commit")
    remote_dir.parent.mkdir(parents=True, exist_ok=True)
    process.run(("git", "init", "-q", "--bare", "-b", branch, str(remote_dir)), timeout=60)
    git(repo, "remote", "add", "origin", str(remote_dir))
    git(repo, "push", "-q", "-u", "origin", branch)
    return remote_dir


def tree(root: Path, specs: Sequence[PackageSpec], config: str = "") -> dict[str, Path]:
    """A directory of sibling repositories, one package each, remotes under root/.remotes."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "releaseplan.toml").write_text(config)
    paths: dict[str, Path] = {}
    for spec in specs:
        repo = write_package(root / spec.name, spec)
        (repo / ".gitignore").write_text("dist/\nbuild/\n*.egg-info/\n__pycache__/\n")
        init_repo(repo, root / ".remotes" / f"{spec.name}.git")
        paths[spec.name] = repo
    return paths


NPM_GITIGNORE = "node_modules/\ndist/\nbuild/\n*.egg-info/\n__pycache__/\n*.tgz\n"


def npm_repo(
    root: Path, name: str, version: str, deps: Mapping[str, str] | None = None, **extra: object
) -> Path:
    """A repository holding one npm package (package.json, index.js), remote under
    root/.remotes; `deps` are its `dependencies` (name -> range), `extra` more manifest
    keys (`private=True`)."""
    repo = root / name
    repo.mkdir(parents=True)
    manifest: dict[str, object] = {"name": name, "version": version, "main": "index.js", **extra}
    if deps:
        manifest["dependencies"] = dict(deps)
    (repo / "package.json").write_text(json.dumps(manifest, indent=2) + "\n")
    (repo / "index.js").write_text(f"module.exports = {json.dumps(name)};\n")
    (repo / ".gitignore").write_text(NPM_GITIGNORE)
    init_repo(repo, root / ".remotes" / f"{name}.git")
    return repo


def monorepo(
    root: Path, specs: Sequence[PackageSpec], config: str = "", uv_workspace: bool = False
) -> Path:
    """One repository with packages under libs/, remote at root/../<name>-remote.git."""
    root.mkdir(parents=True, exist_ok=True)
    body = '[project]\nname = "workspace-root"\nversion = "0.0.0"\n\n[tool.uv]\npackage = false\n'
    if uv_workspace:
        body += '\n[tool.uv.workspace]\nmembers = ["libs/*"]\n'
    if config:
        body += f"\n[tool.releaseplan]\n{config}"
    (root / "pyproject.toml").write_text(body)
    (root / ".gitignore").write_text("dist/\nbuild/\n*.egg-info/\n__pycache__/\n.venv/\n")
    for spec in specs:
        write_package(root / "libs" / spec.name, spec)
    init_repo(root, root.parent / f"{root.name}-remote.git")
    return root
