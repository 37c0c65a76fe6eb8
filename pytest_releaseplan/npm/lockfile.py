"""Static staleness of a package-lock.json (lockfileVersion 2/3) against the package.json files.

The lock records, per workspace package (`packages[""]` for the root, `packages["<path>"]` for
a member), its version and dependency ranges, a `node_modules/<name>` link for each member,
and the version each other dependency resolved to. A lock resolving a sibling's *published*
version is normal in a tree of repositories; only a resolution the range excludes is stale.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

from pytest_releaseplan.npm.manifest import SECTIONS, Manifest
from pytest_releaseplan.npm.semver import SemverError, admits

SUPPORTED = (2, 3)
FIX = "npm install --package-lock-only --ignore-scripts"


def stale_reasons(lock_text: str, root: Manifest, members: Sequence[Manifest] = ()) -> list[str]:
    """Why the lock beside `root`'s package.json is out of date; empty when it is in sync."""
    try:
        lock = json.loads(lock_text)
    except json.JSONDecodeError as exc:
        return [f"package-lock.json is not valid JSON ({exc.msg} at line {exc.lineno})"]
    if not isinstance(lock, dict):
        return ["package-lock.json is not a JSON object"]
    version = lock.get("lockfileVersion")
    packages = lock.get("packages")
    if version not in SUPPORTED or not isinstance(packages, dict):
        return [f"lockfileVersion {version!r} is not 2 or 3: relock with npm 7 or newer"]
    lock_dir = root.path.parent
    reasons = _entry_reasons(packages, "", root, "the root package.json")
    member_names = set()
    for member in members:
        rel = member.path.parent.relative_to(lock_dir).as_posix()
        reasons += _entry_reasons(packages, rel, member, f"{rel}/package.json")
        if member.name:
            member_names.add(member.name)
            reasons += _link_reasons(packages, member.name, rel)
    for manifest in (root, *members):
        rel = manifest.path.parent.relative_to(lock_dir).as_posix()
        reasons += _resolution_reasons(packages, manifest, "" if rel == "." else rel, member_names)
    return reasons


def _entry_reasons(
    packages: Mapping[str, object], key: str, manifest: Manifest, where: str
) -> list[str]:
    entry = packages.get(key)
    if not isinstance(entry, dict):
        return [f"{where}: the lock has no entry packages[{key!r}]"]
    reasons = []
    for field in ("name", "version"):
        wanted = getattr(manifest, field)
        if field == "name" and "name" not in entry and wanted == key.rpartition("/")[2]:
            continue  # npm omits a member's name when its folder already spells it
        if wanted is not None and entry.get(field) != wanted:
            reasons.append(f"{where}: {field} is {wanted}, the lock records {entry.get(field)}")
    for section in SECTIONS:
        wanted_specs = {d.name: d.spec for d in manifest.dependencies if d.section == section}
        locked = entry.get(section) or {}
        if not isinstance(locked, dict):
            locked = {}
        for name in sorted(set(wanted_specs) | set(locked)):
            have, lock_has = wanted_specs.get(name), locked.get(name)
            if have != lock_has:
                reasons.append(
                    f"{where}: {section}.{name} is {have or '(absent)'},"
                    f" the lock records {lock_has or '(absent)'}"
                )
    return reasons


def _link_reasons(packages: Mapping[str, object], name: str, rel: str) -> list[str]:
    entry = packages.get(f"node_modules/{name}")
    if isinstance(entry, dict) and entry.get("link") is True and entry.get("resolved") == rel:
        return []
    return [f"workspace member {name} ({rel}) is not linked in the lock (node_modules/{name})"]


def _resolution_reasons(
    packages: Mapping[str, object], manifest: Manifest, rel: str, member_names: set[str]
) -> list[str]:
    reasons = []
    for dep in manifest.dependencies:
        if dep.kind != "range" or dep.name in member_names:
            continue
        entry = _resolved(packages, rel, dep.name)
        if entry is None:
            if dep.section not in ("peerDependencies", "optionalDependencies"):
                reasons.append(f"{dep.name} ({dep.spec}) is not resolved in the lock")
            continue
        locked = entry.get("version")
        try:
            fine = isinstance(locked, str) and admits(dep.spec, locked)
        except SemverError:
            fine = False
        if not fine:
            reasons.append(
                f"{dep.name}: the lock resolves {locked}, which {dep.spec} excludes"
                f" ({manifest.path.name} of {manifest.name or 'the root'})"
            )
    return reasons


def _resolved(packages: Mapping[str, object], rel: str, name: str) -> dict[str, object] | None:
    """The entry node would load for `name` from the package at `rel` (nearest node_modules)."""
    candidates = [f"{rel}/node_modules/{name}"] if rel else []
    candidates.append(f"node_modules/{name}")
    for key in candidates:
        entry = packages.get(key)
        if isinstance(entry, dict):
            return entry
    return None


def lock_path(root_dir: Path) -> Path:
    return root_dir / "package-lock.json"
