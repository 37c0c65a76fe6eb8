"""Drive one package's publish: gather the facts, decide, run the steps, checkpoint each."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import pytest
from packaging.version import Version

from pytest_releaseplan import ecosystems, faults, gitops, specifiers
from pytest_releaseplan.context import Context
from pytest_releaseplan.ecosystems import Ecosystem
from pytest_releaseplan.errors import Category, CheckFailure
from pytest_releaseplan.metadata import Dependency
from pytest_releaseplan.npm.discover import NpmDependency
from pytest_releaseplan.publish import decide, facts, preflight, steps
from pytest_releaseplan.publish.ledger import Ledger
from pytest_releaseplan.publish.steps import Job
from pytest_releaseplan.report import iso
from pytest_releaseplan.workspace import Package

DRY_RUN_LEAVE_OUT = (
    ".git", "dist", "build", ".venv", "venv", "*.egg-info", "node_modules", "__pycache__",
    ".releaseplan",
)  # fmt: skip


def publish(ctx: Context, pkg: Package, props: list[tuple[str, object]]) -> str:
    body: dict[str, Any] = {"outcome": None, "steps": [], "wait_s": 0.0}
    try:
        return _publish(ctx, pkg, body)
    finally:
        props.append(("publish", json.dumps(body)))


def _publish(ctx: Context, pkg: Package, body: dict[str, Any]) -> str:
    ledger = Ledger.of(ctx.statedir, ctx.settings.dry_run)
    if pkg.release_version is None:
        body["outcome"] = "skipped"
        if pkg.version_error is not None:
            pytest.skip(f"{pkg.name}: the version cannot be read (see {pkg.relpath}::version)")
        pytest.skip(
            f"{pkg.name}: version comes from VCS tags ({pkg.version_source}); release it by tagging"
        )
    if pkg.private:
        body["outcome"] = "skipped"
        pytest.skip(f'{pkg.name}: "private": true in {pkg.manifest}: audited, never published')
    if not pkg.version_writable:
        body["outcome"] = "skipped"
        pytest.skip(
            f"{pkg.name}: only the build backend knows the version ({pkg.version_source}), so "
            "publish cannot write it: declare it statically or in a version file "
            "([tool.hatch.version] path, [tool.setuptools.dynamic] version.attr)"
        )
    release = pkg.release_version
    try:
        eco = ecosystems.of(ctx, pkg)
        eco.target()  # no registry configured, or an invalid one: say so before anything
        # Read once: the dependencies this item waited for have finished and recorded already.
        run = ledger.read()
        released_in_run = run.released_in_run()
        _check_deselected_deps(ctx, pkg, released_in_run)
        decision = decide.decide(facts.gather(ctx, pkg, eco, run))
        if decision.runs:
            preflight.verify(ctx, pkg, decision, eco)
    except CheckFailure as exc:
        if not ctx.settings.dry_run:
            ledger.failed_before_steps(pkg.name, release, exc)
        raise
    if not decision.runs:
        assert decision.version is not None
        body["outcome"] = decision.outcome
        ledger.finished(pkg.name, release, decision.outcome, decision.version)
        return f"{pkg.name} {decision.version}: {decision.why}"
    assert decision.version is not None
    release = decision.version  # the release the steps are about (a previous one, to finish it)
    job = _job(ctx, pkg, release, eco, ledger, released_in_run)
    entry = run.packages.get(pkg.name)
    if entry is not None and entry.writing and entry.release_version == str(release):
        job.interrupted_step = entry.step
    try:
        _run_steps(job, decision.steps, ledger, body)
    finally:
        body["wait_s"] = round(job.wait_s, 3)
        shutil.rmtree(job.scratch, ignore_errors=True)
    body["outcome"] = decision.outcome
    body["notes"] = job.notes
    ledger.finished(pkg.name, release, decision.outcome, release)
    return f"{pkg.name} {release}: {decision.outcome}\n" + "\n".join(f"  {n}" for n in job.notes)


def _job(
    ctx: Context,
    pkg: Package,
    release: Version,
    eco: Ecosystem,
    ledger: Ledger,
    raise_to: dict[str, Version],
) -> Job:
    scratch = ctx.statedir / "scratch" / f"{pkg.name}-{release}"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    job = Job(
        ctx=ctx,
        pkg=pkg,
        release=release,
        tag=ctx.workspace.tag_for(pkg, release),
        eco=eco,
        raise_to=raise_to,
        scratch=scratch,
        dry_run=ctx.settings.dry_run,
    )

    def mark_writing(paths: list[Path]) -> None:
        ledger.writing(pkg.name, release, paths)

    job.mark_writing = mark_writing
    if ctx.settings.dry_run:
        copy = scratch / "source"
        shutil.copytree(
            pkg.path,
            copy,
            # not node_modules: thousands of files and links into the workspace, which npm
            # pack leaves out (bar bundleDependencies); a dry run must not copy them
            ignore=shutil.ignore_patterns(*DRY_RUN_LEAVE_OUT),
            symlinks=True,
        )
        job.source = copy
    return job


def _run_steps(job: Job, plan: tuple[str, ...], ledger: Ledger, body: dict[str, Any]) -> None:
    name, release = job.pkg.name, job.release
    for step in plan:
        started = time.time()
        ledger.step_started(name, release, step)
        try:
            steps.STEPS[step](job)
        except CheckFailure as exc:
            if step in decide.UNTAG_ON_FAILURE and "set-version" in plan:
                _drop_unpushed_tag(job, exc)
            _report_step(body, step, "failed", started)
            ledger.step_failed(name, release, step, exc)
            raise
        except BaseException:
            _report_step(body, step, "failed", started)
            ledger.step_failed(name, release, step, None)
            raise
        faults.crash_point(name, step, recorded=False)
        _report_step(body, step, "passed", started)
        ledger.step_passed(name, release, step)
        faults.crash_point(name, step, recorded=True)


def _report_step(body: dict[str, Any], step: str, outcome: str, started: float) -> None:
    body["steps"].append(
        {"name": step, "outcome": outcome, "started": iso(started), "finished": iso(time.time())}
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


def _check_deselected_deps(ctx: Context, pkg: Package, done: dict[str, Version]) -> None:
    """A dependency not published in this run must already be on the index in some version
    its specifier admits; otherwise dependents would resolve nothing (SPEC §4)."""
    for dep in ctx.workspace.internal(pkg):
        if not dep.orders or dep.name in done:
            continue
        target = ctx.workspace.by_name[dep.name]
        if target.release_version is None:
            continue
        eco = ecosystems.of(ctx, target)
        published = eco.published_versions(target)
        if not any(_admits(dep, v) for v in published):
            seen = ", ".join(str(v) for v in sorted(published)) or "none"
            raise CheckFailure(
                f"{pkg.name}: dependency {dep.name} was not published in this run and the index "
                f"has no version that {dep.raw!r} admits",
                Category.FIXABLE,
                [f"registry: {eco.target()}", f"{dep.name} versions there: {seen}"],
                [f"publish {dep.name} first: pytest --release-publish -k {dep.name}"],
            )


def _admits(dep: Dependency, version: Version) -> bool:
    if isinstance(dep, NpmDependency):
        return dep.admits(version)
    return specifiers.admits(dep.specifier, version, poetry=dep.poetry)
