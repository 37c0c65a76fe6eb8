"""Make a scenario's workspace for real (repositories, bare remotes, earlier releases on the
index, hooks) and read the world back for the invariants."""

from __future__ import annotations

import io
import json
import re
import subprocess
import tarfile
import tomllib
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench.fuzz_check import Release, RepoState, World
from bench.fuzz_gen import Pkg, Scenario
from pytest_releaseplan.scaffold import PackageSpec, git, module_name, monorepo, tree

BUILD = 'build = ["{python}", "-m", "build", "--no-isolation", "--outdir", "{dist}"]\n'
# Rejects push number AT once, as a remote that moved would; counts in a file beside it.
REJECT_HOOK = """#!/bin/sh
count="$0.count"
n=$(( $(cat "$count" 2>/dev/null || echo 0) + 1 ))
echo "$n" > "$count"
if [ "$n" -eq AT ]; then
  echo "error: the remote moved while you pushed: fetch first" >&2
  exit 1
fi
exit 0
"""


@dataclass(frozen=True)
class Layout:
    root: Path
    monorepo: bool
    repos: dict[str, Path]  # package -> its local repository
    remotes: dict[str, Path]  # package -> the bare remote of that repository
    dirs: dict[str, Path]  # package -> its directory

    def tag(self, name: str, version: str) -> str:
        return f"{name}-v{version}" if self.monorepo else f"v{version}"

    def distinct_remotes(self) -> dict[Path, list[str]]:
        out: dict[Path, list[str]] = {}
        for name, remote in self.remotes.items():
            out.setdefault(remote, []).append(name)
        return out


def config(registry: str) -> str:
    return f'registry = "{registry}"\nindex-wait = 30\nretries = 3\ntimeout = 600\n{BUILD}'


def build(sc: Scenario, base: Path, registry: str, packages_dir: Path) -> Layout:
    root = base / "ws"
    specs = [
        PackageSpec(
            p.name, p.previous or p.version, p.deps, dynamic="setuptools" if p.dynamic else None
        )
        for p in sc.packages
    ]
    if sc.layout == "monorepo":
        monorepo(root, specs, config=config(registry))
        remote = root.parent / f"{root.name}-remote.git"
        dirs = {p.name: root / "libs" / p.name for p in sc.packages}
        layout = Layout(root, True, dict.fromkeys(dirs, root), dict.fromkeys(dirs, remote), dirs)
    else:
        paths = tree(root, specs, config=config(registry))
        remotes = {n: root / ".remotes" / f"{n}.git" for n in paths}
        layout = Layout(root, False, paths, remotes, paths)
    for pkg in sc.packages:
        if pkg.previous:
            _release_before(layout, pkg, packages_dir)
    for repo in set(layout.repos.values()):
        git(repo, "push", "-q", "--follow-tags", "origin", "main")
    return layout


def _release_before(layout: Layout, pkg: Pkg, packages_dir: Path) -> None:
    """As an earlier release left it: tagged, both files on the index, bumped to next dev."""
    assert pkg.previous is not None
    repo = layout.repos[pkg.name]
    message = f"release: {pkg.name} {pkg.previous}"
    git(repo, "tag", "-a", layout.tag(pkg.name, pkg.previous), "-m", message)
    _fake_dists(packages_dir, pkg.name, pkg.previous)
    path = _version_file(layout, pkg)
    path.write_text(path.read_text().replace(f'"{pkg.previous}"', f'"{pkg.version}"', 1))
    git(repo, "commit", "-q", "-am", f"release: {pkg.name} next version {pkg.version}")
    if pkg.changed:
        module = layout.dirs[pkg.name] / "src" / module_name(pkg.name) / "__init__.py"
        module.write_text(module.read_text() + "\nWORK = True\n")
        git(repo, "commit", "-q", "-am", f"work on {pkg.name}")


def _version_file(layout: Layout, pkg: Pkg) -> Path:
    d = layout.dirs[pkg.name]
    return (
        d / "src" / module_name(pkg.name) / "__init__.py" if pkg.dynamic else d / "pyproject.toml"
    )


def _fake_dists(packages_dir: Path, name: str, version: str) -> None:
    """Small but well-formed files (the index and the release only read their names)."""
    packages_dir.mkdir(parents=True, exist_ok=True)
    meta = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()
    mod = module_name(name)
    with zipfile.ZipFile(packages_dir / f"{mod}-{version}-py3-none-any.whl", "w") as zf:
        zf.writestr(f"{mod}-{version}.dist-info/METADATA", meta)
    with tarfile.open(packages_dir / f"{mod}-{version}.tar.gz", "w:gz") as tar:
        info = tarfile.TarInfo(f"{mod}-{version}/PKG-INFO")
        info.size = len(meta)
        tar.addfile(info, io.BytesIO(meta))


def install_reject_hook(remote: Path, at: int) -> None:
    hook = remote / "hooks" / "pre-receive"
    hook.write_text(REJECT_HOOK.replace("AT", str(at)))
    hook.chmod(0o755)


def bare(remote: Path, *args: str) -> str:
    return subprocess.run(
        ["git", f"--git-dir={remote}", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    ).stdout


def remote_refs(remote: Path) -> dict[str, str]:
    """ref -> commit (tags peeled)."""
    out = bare(remote, "for-each-ref", "--format=%(refname) %(objectname) %(*objectname)")
    refs: dict[str, str] = {}
    for line in out.splitlines():
        parts = line.split()
        refs[parts[0]] = parts[2] if len(parts) > 2 else parts[1]
    return refs


def observe(
    sc: Scenario, layout: Layout, start: dict[Path, dict[str, str]], files: frozenset[str],
    uploads: Counter[str], survivors: tuple[str, ...], leaks: tuple[str, ...],
) -> World:  # fmt: skip
    releases: list[Release] = []
    repos: list[RepoState] = []
    pkgs = {p.name: p for p in sc.packages}
    for remote, names in layout.distinct_remotes().items():
        before, now = start[remote], remote_refs(remote)
        first, tip = before["refs/heads/main"], now.get("refs/heads/main")
        for ref, commit in sorted(now.items()):
            if ref.startswith("refs/tags/") and ref not in before:
                releases.append(
                    _release(layout, pkgs, names, remote, ref[len("refs/tags/") :], commit)
                )
        repos.append(_repo_state(layout, remote, names, first, tip))
    state = _json(layout.root / ".releaseplan" / "state.json")
    report = _json(layout.root / ".releaseplan" / "last-report.json")
    return World(
        index_files=files, uploads=uploads, releases=tuple(releases), repos=tuple(repos),
        finished=bool(state.get("finished")), outcomes=_outcomes(report),
        survivors=survivors, leaks=leaks,
    )  # fmt: skip


def _release(
    layout: Layout, pkgs: dict[str, Pkg], names: list[str], remote: Path, tag: str, commit: str
) -> Release:
    found = re.fullmatch(r"(?:(.+)-)?v(.+)", tag)
    name = (found.group(1) if found else None) or names[0]
    version = found.group(2) if found else tag
    if name not in pkgs:
        return Release(name, version, tag, commit, None)
    rel = layout.dirs[name].relative_to(layout.repos[name]).as_posix()
    prefix = "" if rel == "." else rel + "/"
    pyproject = tomllib.loads(bare(remote, "show", f"{commit}:{prefix}pyproject.toml") or "")
    project = pyproject.get("project", {})
    declared = project.get("version")
    if pkgs[name].dynamic:
        module = bare(remote, "show", f"{commit}:{prefix}src/{module_name(name)}/__init__.py")
        hit = re.search(r'__version__ = "([^"]+)"', module)
        declared = hit.group(1) if hit else None
    return Release(name, version, tag, commit, declared, tuple(project.get("dependencies", ())))


def _repo_state(
    layout: Layout, remote: Path, names: list[str], first: str, tip: str | None
) -> RepoState:
    repo = layout.repos[names[0]]
    descends = (
        tip is not None
        and subprocess.run(
            ["git", f"--git-dir={remote}", "merge-base", "--is-ancestor", first, tip],
            timeout=60,
            check=False,
        ).returncode
        == 0
    )
    subjects = (
        tuple(bare(remote, "log", "--format=%s", f"{first}..{tip}").splitlines()) if tip else ()
    )
    status = git(repo, "status", "--porcelain")
    head = git(repo, "rev-parse", "HEAD").strip()
    label = "monorepo" if layout.monorepo else names[0]
    dirt = " | ".join(status.splitlines()) + (
        " (.git/index.lock left)" if (repo / ".git" / "index.lock").exists() else ""
    )
    clean, matches = status.strip() == "", head == tip
    return RepoState(label, first, tip, descends, subjects, clean, dirt=dirt, head_matches=matches)


def _json(path: Path) -> dict[str, object]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _outcomes(report: dict[str, object]) -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    packages = report.get("packages")
    for pkg in packages if isinstance(packages, list) else []:
        publish = pkg.get("publish") or {}
        failure = publish.get("failure") or {}
        checks = [c for c in pkg.get("checks", []) if c.get("outcome") == "failed"]
        why = failure.get("message", "") if isinstance(failure, dict) else str(failure)
        why = why or "; ".join(f"{c['name']}: {c.get('message', '')}" for c in checks)
        out[pkg["name"]] = (publish.get("outcome") or "no publish", why[:400])
    return out
