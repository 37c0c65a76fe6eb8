"""Drive one package's publish: decide, run the steps, checkpoint each, report them."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from packaging.version import Version

from pytest_releaseplan import faults, gitops, registry, specifiers, state, tags
from pytest_releaseplan.context import Context
from pytest_releaseplan.errors import Category, CheckFailure, ConfigError
from pytest_releaseplan.process import ProcessError
from pytest_releaseplan.publish import decide, steps
from pytest_releaseplan.publish.steps import Job
from pytest_releaseplan.workspace import Package

FULL = (
    "update-internal-deps",
    "set-version",
    "check",
    "build",
    "upload",
    "wait-index",
    "push",
    "next-version",
)
STEP_FUNCS: dict[str, Callable[[Job], None]] = {
    "update-internal-deps": steps.update_internal_deps,
    "set-version": steps.set_version,
    "check": steps.check,
    "build": steps.build,
    "upload": steps.upload,
    "wait-index": steps.wait_index,
    "push": steps.push,
    "next-version": steps.next_version,
    "build-from-tag": steps.build_from_tag,
    "tag": steps.tag_release_commit,
}
PLANS = {
    decide.RELEASE: FULL,
    decide.COMPLETE_UPLOAD: ("build-from-tag", "upload", "wait-index", "push", "next-version"),
    decide.COMPLETE_TAG: ("tag", "push", "next-version"),
}
RELEASED = ("published", "already-published", "dry-run")
OUTCOME = {
    decide.RELEASE: "published",
    decide.FINISH: "already-published",
    decide.COMPLETE_UPLOAD: "already-published",
    decide.COMPLETE_TAG: "already-published",
}


def registry_of(ctx: Context) -> registry.Registry:
    cfg = ctx.config
    if not cfg.registry:
        raise CheckFailure(
            "no registry configured: publish refuses to guess where to upload",
            Category.FIXABLE,
            [f"config: {cfg.source}"],
            [
                'set `registry = "https://upload.example/legacy/"` (or "file:DIR") in [tool.releaseplan], '
                "or pass --release-registry URL"
            ],
        )
    try:
        return registry.parse_registry(cfg.registry, cfg.index_url, ctx.workspace.root)
    except ConfigError as exc:
        raise CheckFailure(str(exc), Category.FIXABLE, [], ["fix `registry`/`index-url`"]) from None


def publish(ctx: Context, pkg: Package, props: list[tuple[str, object]]) -> str:
    body: dict[str, Any] = {"outcome": None, "steps": [], "wait_s": 0.0}
    try:
        return _publish(ctx, pkg, body)
    finally:
        props.append(("publish", json.dumps(body)))


def _publish(ctx: Context, pkg: Package, body: dict[str, Any]) -> str:
    if pkg.release_version is None:
        body["outcome"] = "skipped"
        pytest.skip(f"{pkg.name}: version comes from VCS tags; release it by tagging")
    reg = registry_of(ctx)
    release = pkg.release_version
    tag = ctx.workspace.tag_for(pkg, release)
    state_path = state.path_of(ctx.statedir, ctx.settings.dry_run)
    # Read once: the dependencies this item waited for have finished and recorded already.
    snapshot = state.read(state_path)
    released_in_run = _released_in_run(snapshot)
    entry = snapshot.get("packages", {}).get(pkg.name, {})
    _check_deselected_deps(ctx, pkg, reg, released_in_run)
    refs = gitops.refs(pkg.repo)
    on_index = release in registry.published_versions(reg, pkg.name)
    tagged = f"refs/tags/{tag}" in refs
    previous = tags.last_release_before(ctx.workspace, pkg, refs, release)
    what = decide.action(tagged, on_index, _changed_since(pkg, previous))
    resumed = _in_progress(entry, release)
    record = _recorder(state_path, pkg, release, body)
    if what == decide.UP_TO_DATE:
        steps_to_run = _finishing(ctx, pkg, tag, entry, resumed)
        if not steps_to_run:
            return _up_to_date(pkg, release, record, body, f"{tag} tagged, pushed and on the index")
        what = decide.FINISH
    elif what == decide.NOTHING_NEW:
        assert previous is not None
        released = previous[1]
        return _up_to_date(pkg, released, record, body, f"no changes since {released}")
    else:
        steps_to_run = PLANS[what]
    job = _job(ctx, pkg, release, tag, reg, state_path, released_in_run)
    try:
        _run_steps(job, steps_to_run, record)
    finally:
        body["wait_s"] = round(job.wait_s, 3)
        shutil.rmtree(job.scratch, ignore_errors=True)
    outcome = "dry-run" if ctx.settings.dry_run else OUTCOME[what]
    if resumed:
        outcome = "published"  # our own release, finished by this rerun
    body["outcome"] = outcome
    body["notes"] = job.notes
    record(None, None, outcome, release)
    return f"{pkg.name} {release}: {outcome}\n" + "\n".join(f"  {n}" for n in job.notes)


def _job(
    ctx: Context,
    pkg: Package,
    release: Version,
    tag: str,
    reg: registry.Registry,
    state_path: Path,
    raise_to: dict[str, Version],
) -> Job:
    scratch = ctx.statedir / "scratch" / f"{pkg.name}-{release}"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    job = Job(
        ctx=ctx,
        pkg=pkg,
        release=release,
        tag=tag,
        registry=reg,
        raise_to=raise_to,
        scratch=scratch,
        dry_run=ctx.settings.dry_run,
    )

    def mark_writing(paths: list[Path]) -> None:
        state.update(state_path, _writing(pkg.name, paths))

    job.mark_writing = mark_writing
    if ctx.settings.dry_run:
        copy = scratch / "source"
        shutil.copytree(
            pkg.path,
            copy,
            ignore=shutil.ignore_patterns(".git", "dist", "build", ".venv", "*.egg-info"),
        )
        job.source = copy
    return job


def _writing(name: str, paths: list[Path]) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        state.package_entry(data, name)["writing"] = [str(p) for p in paths]

    return change


def _run_steps(job: Job, plan: tuple[str, ...], record: Callable[..., None]) -> None:
    for name in plan:
        started = time.time()
        record(name, "started", None, None)
        try:
            STEP_FUNCS[name](job)
        except CheckFailure as exc:
            if name in UNTAG_ON_FAILURE and "set-version" in plan:
                _drop_unpushed_tag(job, exc)
            record(name, "failed", None, None, started=started, failure=exc)
            raise
        except BaseException:
            record(name, "failed", None, None, started=started)
            raise
        faults.crash_point(job.pkg.name, name, recorded=False)
        record(name, "passed", None, None, started=started)
        faults.crash_point(job.pkg.name, name, recorded=True)


UNTAG_ON_FAILURE = ("check", "build")


def _up_to_date(
    pkg: Package, released: Version, record: Callable[..., None], body: dict[str, Any], why: str
) -> str:
    body["outcome"] = "up-to-date"
    record(None, None, "up-to-date", released)
    return f"{pkg.name} {released}: up-to-date ({why})"


def _in_progress(entry: dict[str, Any], release: Version) -> bool:
    """The state entry shows this tool's own release of `release` started and unfinished."""
    steps_done = entry.get("steps", {})
    return (
        entry.get("release_version") == str(release)
        and bool(steps_done)
        and steps_done.get("next-version") != "passed"
    )


def _finishing(
    ctx: Context, pkg: Package, tag: str, entry: dict[str, Any], in_progress: bool
) -> tuple[str, ...]:
    """Tagged and on the index: the upload, push or next-version a crashed run may have left."""
    try:
        remote = gitops.ls_remote(pkg.repo, ctx.config.remote, f"refs/tags/{tag}")
    except ProcessError as exc:
        raise CheckFailure(
            f"{pkg.name}: cannot read the tags of remote {ctx.config.remote}",
            Category.TRANSIENT,
            [exc.render()],
            [f"git -C {pkg.repo} ls-remote {ctx.config.remote}   # check the remote, then rerun"],
        ) from None
    return decide.finishing_steps(
        tag_on_remote=f"refs/tags/{tag}" in remote,
        release_in_progress=in_progress,
        bump=ctx.config.next_version != "none",
        uploaded=entry.get("steps", {}).get("upload") == "passed",
    )


def _drop_unpushed_tag(job: Job, exc: CheckFailure) -> None:
    """A check or build failure after tagging: the tag was never pushed, so take it back;
    after the fix is committed, the rerun tags the fixed commit."""
    if job.dry_run:
        return
    with job.ctx.repo_lock(job.repo):
        if f"refs/tags/{job.tag}" in gitops.refs(job.repo):
            gitops.git(job.repo, "tag", "-d", job.tag)
    exc.fix.append(
        f"the local tag {job.tag} was removed (it was never pushed): commit your fix "
        "and rerun the same command to release"
    )


def _recorder(
    state_path: Path,
    pkg: Package,
    release: Version,
    body: dict[str, Any],
) -> Callable[..., None]:
    def record(
        step: str | None,
        outcome: str | None,
        final: str | None,
        released: Version | None,
        started: float | None = None,
        failure: CheckFailure | None = None,
    ) -> None:
        now = time.time()
        if step is not None and outcome != "started":
            from pytest_releaseplan.report import iso

            body["steps"].append(
                {"name": step, "outcome": outcome, "started": iso(started), "finished": iso(now)}
            )

        def change(data: dict[str, Any]) -> None:
            entry = state.package_entry(data, pkg.name)
            if final == "up-to-date" and entry.get("outcome") in RELEASED:
                return  # released earlier in this (resumed) run: dependents still raise to it
            if entry.get("release_version") != str(release):
                entry.clear()
                entry["release_version"] = str(release)
            entry.setdefault("steps", {})
            if step is not None:
                if outcome == "passed":
                    entry.pop("writing", None)  # committed: no longer an interrupted write
                entry["step"] = step
                entry["steps"][step] = outcome
            if final is not None:
                entry["outcome"] = final
                entry["released_version"] = str(released)
            if failure is not None:
                entry["outcome"] = "failed"
                entry["failure"] = {
                    "message": failure.what,
                    "category": failure.category.value,
                    "fix": failure.fix,
                }
            elif outcome == "failed":
                entry["outcome"] = "failed"
                entry["failure"] = {
                    "message": f"step {step} was interrupted or crashed",
                    "category": "transient",
                    "fix": ["rerun the same command: the release resumes"],
                }
            entry["updated"] = now

        state.update(state_path, change)

    return record


def _released_in_run(data: dict[str, Any]) -> dict[str, Version]:
    """Packages this (possibly resumed) run released, with the version now on the index."""
    out: dict[str, Version] = {}
    for name, entry in data.get("packages", {}).items():
        if entry.get("outcome") in RELEASED and entry.get("released_version"):
            out[name] = Version(entry["released_version"])
    return out


def _changed_since(pkg: Package, previous: tuple[str, Version] | None) -> bool | None:
    """None if never released; else whether commits other than ours touched it since."""
    if previous is None:
        return None
    subjects = gitops.out(
        pkg.repo, "log", "--format=%s", f"refs/tags/{previous[0]}..HEAD", "--", str(pkg.path)
    )
    return any(not decide.is_own_commit(s) for s in subjects.splitlines() if s.strip())


def _check_deselected_deps(
    ctx: Context, pkg: Package, reg: registry.Registry, done: dict[str, Version]
) -> None:
    """A dependency not published in this run must already be on the index in some version
    its specifier admits; otherwise dependents would resolve nothing (SPEC §4)."""
    for dep in ctx.workspace.internal(pkg):
        if not dep.orders or dep.name in done:
            continue
        target = ctx.workspace.by_name[dep.name]
        if target.release_version is None:
            continue
        published = registry.published_versions(reg, dep.name)
        poetry = dep.group.startswith("poetry")
        if not any(specifiers.admits(dep.specifier, v, poetry=poetry) for v in published):
            seen = ", ".join(str(v) for v in sorted(published)) or "none"
            raise CheckFailure(
                f"{pkg.name}: dependency {dep.name} was not published in this run and the index "
                f"has no version that {dep.raw!r} admits",
                Category.FIXABLE,
                [f"index: {reg.display_index}", f"{dep.name} versions there: {seen}"],
                [f"publish {dep.name} first: pytest --release-publish -k {dep.name}"],
            )
