"""The resume invariants (pure): judged over what the world holds after the last rerun.

`World` is read from the git remotes, the index's files, the upload log of the proxy, the
work trees and the processes (bench/fuzz_world.py) — the state file only for `finished`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename
from packaging.version import InvalidVersion, Version

from bench.fuzz_gen import Pkg

OK_OUTCOMES = ("published", "already-published", "up-to-date")


@dataclass(frozen=True)
class Release:
    """A release tag that appeared on a remote during the run."""

    package: str
    version: str
    tag: str
    commit: str
    declared: str | None  # the version the package's files say at the tagged commit
    pins: tuple[str, ...] = ()  # runtime requirement strings at the tagged commit


@dataclass(frozen=True)
class RepoState:
    label: str
    start: str  # the remote target branch when the run started
    tip: str | None  # the remote target branch now
    descends: bool  # `start` is an ancestor of `tip`
    new_subjects: tuple[str, ...] = ()  # subjects of start..tip on the remote
    clean: bool = True  # the local work tree has no change
    dirt: str = ""  # what `git status --porcelain` shows, and a left-over index.lock
    head_matches: bool = True  # the local branch is where the remote's is


@dataclass(frozen=True)
class World:
    index_files: frozenset[str]
    uploads: Counter[str]  # file name -> uploads the index accepted
    releases: tuple[Release, ...]
    repos: tuple[RepoState, ...]
    finished: bool
    outcomes: dict[str, tuple[str, str]]  # package -> (publish outcome, failure text)
    survivors: tuple[str, ...] = ()  # processes of the run alive after it ended
    leaks: tuple[str, ...] = ()  # where the canary secret was seen
    notes: tuple[str, ...] = field(default=())


def check(packages: Sequence[Pkg], world: World) -> list[str]:
    """Every invariant the world breaks, one line each (empty: the release is sound)."""
    bad: list[str] = []
    by_pkg: dict[str, list[Release]] = {}
    for rel in world.releases:
        by_pkg.setdefault(rel.package, []).append(rel)
    on_index = _index_versions(world.index_files)
    for name, count in sorted(world.uploads.items()):
        if count > 1:
            bad.append(f"{name} was uploaded {count} times (the index accepted each)")
    for pkg in packages:
        rels = by_pkg.get(pkg.name, [])
        if len(rels) > 1:
            bad.append(f"{pkg.name}: {len(rels)} releases in one run: {[r.tag for r in rels]}")
        if not rels and pkg.previous is None:
            bad.append(f"{pkg.name}: never released before, and no release tag now")
        for rel in rels:
            bad += _check_release(pkg, rel, on_index, by_pkg)
        outcome, why = world.outcomes.get(pkg.name, ("missing", "not in the last report"))
        if outcome not in OK_OUTCOMES:
            bad.append(f"{pkg.name}: last run says {outcome}: {why}".rstrip(": "))
    for repo in world.repos:
        bad += _check_repo(repo)
    if not world.finished:
        bad.append("the state file does not say finished")
    bad += [f"process left alive: {p}" for p in world.survivors]
    bad += [f"secret leaked in {where}" for where in world.leaks]
    return bad


def _check_release(
    pkg: Pkg,
    rel: Release,
    on_index: dict[str, set[tuple[Version, str]]],
    by_pkg: dict[str, list[Release]],
) -> list[str]:
    bad: list[str] = []
    files = on_index.get(canonicalize_name(pkg.name), set())
    version = Version(rel.version)
    for kind in ("sdist", "wheel"):
        if (version, kind) not in files:
            bad.append(f"{pkg.name} {rel.version}: tagged {rel.tag} but no {kind} on the index")
    if rel.declared != rel.version:
        bad.append(f"{pkg.name}: tag {rel.tag} is on a commit whose files say {rel.declared}")
    for raw in rel.pins:
        bad += _check_pin(pkg.name, rel, raw, on_index, by_pkg)
    return bad


def _check_pin(
    name: str,
    rel: Release,
    raw: str,
    on_index: dict[str, set[tuple[Version, str]]],
    by_pkg: dict[str, list[Release]],
) -> list[str]:
    try:
        req = Requirement(raw)
    except InvalidRequirement:
        return [f"{name} {rel.version}: unparseable requirement {raw!r} at {rel.tag}"]
    dep = canonicalize_name(req.name)
    released = by_pkg.get(dep)
    if released:
        wanted = {Version(r.version) for r in released}
        if not any(req.specifier.contains(v, prereleases=True) for v in wanted):
            shown = ", ".join(sorted(str(v) for v in wanted))
            return [f"{name} {rel.version}: {raw!r} excludes {dep} {shown} released in this run"]
        return []
    versions = {v for v, _kind in on_index.get(dep, set())}
    if versions and not any(req.specifier.contains(v, prereleases=True) for v in versions):
        return [f"{name} {rel.version}: {raw!r} admits no {dep} version on the index"]
    return []


def _check_repo(repo: RepoState) -> list[str]:
    bad: list[str] = []
    if repo.tip is None:
        bad.append(f"{repo.label}: the remote target branch is gone")
    elif not repo.descends:
        bad.append(f"{repo.label}: the remote branch {repo.tip[:10]} is no fast-forward of "
                   f"{repo.start[:10]}")  # fmt: skip
    repeated = [
        s for s, n in Counter(repo.new_subjects).items() if n > 1 and s.startswith("release: ")
    ]
    bad += [f"{repo.label}: commit {s!r} made more than once" for s in repeated]
    if not repo.clean:
        bad.append(f"{repo.label}: the work tree is left modified: {repo.dirt}")
    if not repo.head_matches:
        bad.append(f"{repo.label}: the local branch is not where the remote's is")
    return bad


def _index_versions(files: frozenset[str]) -> dict[str, set[tuple[Version, str]]]:
    found: dict[str, set[tuple[Version, str]]] = {}
    for name in files:
        try:
            if name.endswith(".whl"):
                project, version, _build, _tags = parse_wheel_filename(name)
                kind = "wheel"
            elif name.endswith(".tar.gz"):
                project, version = parse_sdist_filename(name)
                kind = "sdist"
            else:
                continue
        except (ValueError, InvalidVersion):
            continue
        found.setdefault(str(project), set()).add((version, kind))
    return found
