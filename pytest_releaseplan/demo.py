"""A realistic demo workspace: `python -m pytest_releaseplan.demo DIR`.

Five sibling repositories (a *tree*), each with a bare remote under `DIR/.remotes`::

    core <- storage --+
    core <- api ------+-- service
    core <- cli
    core[cli] -> cli   (an extra: would be a cycle if extras ordered; they never do)

`releaseplan.toml` publishes into a directory registry `DIR/registry` (PEP 503 layout)
and builds with `--no-isolation`, so no package index is needed: setuptools and wheel
must be importable by the Python that runs pytest.

`--npm URL` adds two npm repositories (web-sdk <- web-app) published to the npm registry at
URL (npm has no directory registry; from a clone of this project,
`python -m tests.npm_registry` runs a local verdaccio and prints its URL and a token).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections.abc import Sequence
from pathlib import Path

from pytest_releaseplan.scaffold import PackageSpec, npm_repo, tree

EXIT_OK = 0
EXIT_USAGE = 2

CONFIG = """\
# The demo workspace: a tree of sibling repositories, one package each.
registry = "file:registry"
# --no-isolation: build with the running interpreter's setuptools/wheel (no index needed).
build = ["{python}", "-m", "build", "--no-isolation", "--outdir", "{dist}"]
"""

SPECS: tuple[PackageSpec, ...] = (
    PackageSpec("core", version="1.4.0.dev0", extras={"cli": ["cli>=1.3"]}),
    PackageSpec("storage", version="0.9.0.dev0", deps=["core>=1.3,<2"]),
    PackageSpec("api", version="2.1.0.dev0", deps=["core>=1.3"], dynamic="setuptools"),
    PackageSpec("service", version="0.3.0.dev0", deps=["storage>=0.8", "api>=2.0,<3"]),
    PackageSpec("cli", version="1.4.0.dev0", deps=["core>=1.3"]),
)
TOP = "service"
# With --npm URL: a tree of two npm repositories beside the Python ones; web-app's range on
# web-sdk is raised to the release (^1.1.0 -> ^1.2.0) before web-app is published.
NPM_SPECS: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("web-sdk", "1.2.0-dev.0", {}),
    ("web-app", "0.5.0-dev.0", {"web-sdk": "^1.1.0"}),
)
NPM_TOP = "web-app"


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m pytest_releaseplan.demo",
        description="Create a demo tree of git repositories to try pytest-releaseplan on.",
    )
    parser.add_argument("directory", type=Path, help="where to create it (must be empty or absent)")
    parser.add_argument(
        "--npm",
        metavar="REGISTRY_URL",
        help="also create two npm packages (web-sdk <- web-app) published to this npm registry",
    )
    args = parser.parse_args(argv)
    if args.npm is not None and not args.npm.startswith(("http://", "https://")):
        parser.error(f"--npm takes the npm registry's http(s) URL, got {args.npm!r}")
    return args


def refusal(directory: Path) -> str | None:
    """Why DIR cannot hold the demo, or None."""
    if not directory.exists():
        return None
    if not directory.is_dir():
        return f"{directory} exists and is not a directory"
    if any(directory.iterdir()):
        return f"{directory} is not empty; choose a new or empty directory (nothing was changed)"
    return None


def missing_build_tools() -> list[str]:
    names = ("setuptools", "wheel", "build")
    return [name for name in names if importlib.util.find_spec(name) is None]


def create(directory: Path, npm_registry: str | None = None) -> dict[str, Path]:
    config = CONFIG + (f'npm-registry = "{npm_registry}"\n' if npm_registry else "")
    made = tree(directory, SPECS, config=config)
    if npm_registry:
        for name, version, deps in NPM_SPECS:
            made[name] = npm_repo(directory, name, version, deps)
    return made


def npm_instructions(npm_registry: str) -> list[str]:
    return [
        "",
        f"npm packages: web-sdk <- web-app, published to {npm_registry}",
        "  export NPM_TOKEN=...   # a token of a user who may publish there (never on a command line)",
        f"  npm install --registry {npm_registry} {NPM_TOP}   # after the publish, anywhere",
    ]


def instructions(directory: Path, npm_registry: str | None = None) -> str:
    registry = (directory / "registry" / "simple").resolve()
    lines = [
        f"Demo workspace created in {directory}:",
        "  core <- {storage, api} <- service;  core <- cli",
        "  core[cli] -> cli: an extra, would be a cycle, never orders",
        "",
        "Try:",
        f"  cd {directory}",
        "  pytest --release-audit",
        "  pytest --release-publish --collect-only",
        "  pytest --release-publish --release-dry-run",
        "  pytest --release-publish -n 4",
        f"  pip install --index-url file://{registry}/ {TOP}",
        "",
        "Note: builds run with --no-isolation, so setuptools and wheel must be installed in",
        "the environment that runs pytest (`pip install setuptools wheel`; both are in the",
        "pytest-releaseplan[test] extra).",
    ]
    return "\n".join(lines + (npm_instructions(npm_registry) if npm_registry else []))


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    # Absolute: the bare remotes' URLs are recorded in each repository's config.
    directory: Path = args.directory.resolve()
    problem = refusal(directory)
    if problem is not None:
        print(f"error: {problem}", file=sys.stderr)
        return EXIT_USAGE
    create(directory, args.npm)
    print(instructions(directory, args.npm))
    missing = missing_build_tools()
    if missing:
        print(
            f"\nwarning: not importable here: {', '.join(missing)}; publish will fail to build.",
            file=sys.stderr,
        )
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
