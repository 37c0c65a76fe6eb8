"""Reading the files a lockfile is compared with: labels for messages, TOML that may be bad."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pytest_releaseplan.workspace import Workspace

TomlData = dict[str, Any]
# What a lock or pyproject of an unexpected shape raises when read as the format says.
STRUCTURE_ERRORS = (TypeError, AttributeError, KeyError, ValueError)


def label(workspace: Workspace, path: Path) -> str:
    """`path` relative to the workspace root, for messages (absolute when outside it)."""
    try:
        return path.resolve().relative_to(workspace.root).as_posix()
    except ValueError:
        return str(path)


def load_toml(path: Path, name: str) -> tuple[TomlData | None, str]:
    """(data, "") or (None, a sentence naming `name` and what is wrong with it)."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")), ""
    except tomllib.TOMLDecodeError as exc:
        return None, f"{name} {toml_problem(exc)}"
    except (OSError, UnicodeDecodeError) as exc:
        return None, f"{name} cannot be read ({exc})"


def toml_problem(exc: tomllib.TOMLDecodeError) -> str:
    return f"is not valid TOML ({exc}); it cannot be checked, relock it"
