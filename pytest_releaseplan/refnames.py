"""Git ref name rules (`git check-ref-format`), checked without running git (pure)."""

from __future__ import annotations

_FORBIDDEN = set(" ~^:?*[\\\x7f")


def problem(name: str) -> str | None:
    """Why `name` (a branch or tag name, one level allowed) is not a valid ref name; else None."""
    reason = None
    if not name:
        reason = "it is empty"
    elif name == "@":
        reason = "it is '@'"
    elif bad := sorted({c for c in name if c in _FORBIDDEN or ord(c) < 0x20}):
        reason = f"it contains {', '.join(repr(c) for c in bad)}"
    elif ".." in name or "@{" in name or "//" in name:
        reason = "it contains '..', '@{' or '//'"
    elif name.startswith("/") or name.endswith(("/", ".")):
        reason = "it starts with '/' or ends with '/' or '.'"
    elif any(part.startswith(".") or part.endswith(".lock") for part in name.split("/")):
        reason = "a '/'-separated part starts with '.' or ends with '.lock'"
    return reason


def is_valid(name: str) -> bool:
    return problem(name) is None
