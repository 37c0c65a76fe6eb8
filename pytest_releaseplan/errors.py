"""The error types the plugin raises, and the failure categories of SPEC §5."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum


class Category(StrEnum):
    TRANSIENT = "transient"
    FIXABLE = "fixable"
    BLOCKING = "blocking"


class ConfigError(Exception):
    """Bad input (config, pyproject, layout): becomes a pytest usage error, exit code 4."""


class CheckFailure(Exception):
    """A release item failed for a reason it can explain: rendered without a traceback."""

    def __init__(
        self,
        what: str,
        category: Category,
        evidence: Sequence[str] = (),
        fix: Sequence[str] = (),
    ) -> None:
        super().__init__(what)
        self.what = what
        self.category = category
        self.evidence = list(evidence)
        self.fix = list(fix)

    def render(self) -> str:
        lines = [self.what, f"category: {self.category.value}"]
        lines += [f"  {line}" for line in self.evidence]
        lines += [f"Fix: {line}" for line in self.fix]
        return "\n".join(lines)
