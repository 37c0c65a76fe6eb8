"""Ask a package's own PEP 517 build backend for its version (`prepare_metadata_for_build_wheel`).

As `build.util.project_wheel_metadata` does, without isolation (the backend must be installed
in this environment), in a subprocess bounded in time, on a scratch copy of the package
directory so that nothing (an `*.egg-info`, a `build/`) is left in the user's work tree.
"""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
from pathlib import Path

from pytest_releaseplan import process
from pytest_releaseplan.errors import ConfigError

TIMEOUT = 120.0
_SCRIPT = (
    "import json, sys\n"
    "from build.util import project_wheel_metadata\n"
    "meta = project_wheel_metadata(sys.argv[1], isolated=False)\n"
    "print(json.dumps({'name': meta['Name'], 'version': meta['Version']}))\n"
)
_LEAVE_OUT = shutil.ignore_patterns(
    ".git", ".venv", "venv", "node_modules", "build", "dist", "__pycache__", "*.egg-info"
)


def ask_version(package_dir: Path, timeout: float = TIMEOUT) -> str:
    """The version the backend reports; a ConfigError saying why when it cannot run."""
    pyproject = package_dir / "pyproject.toml"
    with tempfile.TemporaryDirectory(prefix="releaseplan-meta-") as scratch:
        copy = Path(scratch) / package_dir.name
        try:
            shutil.copytree(package_dir, copy, ignore=_LEAVE_OUT, symlinks=True)
        except (OSError, shutil.Error) as exc:
            raise ConfigError(
                f"{pyproject}: cannot copy the package to ask its backend: {exc}"
            ) from None
        try:
            result = process.run(
                (sys.executable, "-c", _SCRIPT, str(copy)), cwd=copy, timeout=timeout
            )
        except process.ProcessError as exc:
            raise ConfigError(
                f"{pyproject}: the version is dynamic and its build backend could not report it: "
                f"{_reason(exc, timeout)}. Install the backend into this environment, or declare where "
                "the version lives ([tool.hatch.version] path, [tool.setuptools.dynamic] version)"
            ) from None
    try:
        version = json.loads(result.stdout.strip().splitlines()[-1])["version"]
    except (ValueError, IndexError, KeyError, TypeError):
        raise ConfigError(
            f"{pyproject}: the build backend's metadata hook gave no version "
            f"(output: {result.stdout.strip()[-200:]!r})"
        ) from None
    if not isinstance(version, str):
        raise ConfigError(f"{pyproject}: the build backend reported version {version!r}")
    return version


def _reason(exc: process.ProcessError, timeout: float) -> str:
    """The last line the backend printed (the exception, not its traceback)."""
    if exc.timed_out:
        return f"it did not answer within {timeout:.0f} s"
    lines = [line.strip() for line in exc.result.stderr.splitlines() if line.strip()]
    lines = [line for line in lines if not line.startswith(("Traceback", "File ", "^"))]
    return lines[-1] if lines else f"exit code {exc.result.returncode}"
