"""The pytest nodes: one collector per directory, one item per check or publish."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from filelock import Timeout

from pytest_releaseplan.errors import Category, CheckFailure
from pytest_releaseplan.secrets import mask

NOOP_PARENT = ".releaseplan"  # hidden: never a package directory (discovery skips those)
NOOP_NAME = "idle"
NOOP_ID = f"{NOOP_PARENT}::{NOOP_NAME}"


class DirectoryNode(pytest.Collector):
    """A package directory, repository or the workspace: items are attached by the plugin."""

    def collect(self) -> list[pytest.Item | pytest.Collector]:
        return []


class ReleaseItem(pytest.Item):
    """One check (or publish) of one subject; runs `action` and reports without traceback."""

    def __init__(
        self,
        *,
        check: str,
        action: Callable[[ReleaseItem], str],
        properties: dict[str, str],
        **kwargs: Any,  # noqa: ANN401 - forwarded to pytest.Item
    ) -> None:
        super().__init__(**kwargs)
        self.check = check
        self.action = action
        for key, value in properties.items():
            self.user_properties.append((key, value))
        if "package" in properties:
            self.extra_keyword_matches.add(properties["package"])

    def runtest(self) -> None:
        try:
            try:
                message = self.action(self)
            except Timeout as exc:
                raise CheckFailure(
                    f"gave up waiting for a lock held by another worker or run: {exc.lock_file}",
                    Category.TRANSIENT,
                    [
                        "another process held it for the whole wait (a relock or git write that hangs?)"
                    ],
                    [
                        "rerun the same command; `pytest --release-status` shows what the last run did"
                    ],
                ) from None
        except CheckFailure as exc:
            self.user_properties.append(("category", exc.category.value))
            self.user_properties.append(("message", mask(exc.what)))
            self.user_properties.append(("fix", mask("\n".join(exc.fix))))
            raise
        self.user_properties.append(("message", mask(message)))

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: Any = None,  # noqa: ANN401 - pytest's TracebackStyle
    ) -> str | Any:  # noqa: ANN401 - pytest's TerminalRepr
        if isinstance(excinfo.value, CheckFailure):
            return mask(excinfo.value.render())
        # Unexpected (a bug, a timeout): the traceback still helps, but never with frame
        # arguments or locals, whatever --tb/-l say: they hold registry URLs with passwords,
        # environments with tokens. Masked like every other text (SPEC §5).
        shown = excinfo.getrepr(style="short", funcargs=False, showlocals=False, chain=True)
        return mask(str(shown))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        # The domain is the item's own name: pytest's -v line is the node id with the domain
        # replaced by itself with "." shown as "::" (".::x" would read "::::x").
        return self.path, 0, self.name  # a line number: skip marks report the item's location


class IdleItem(pytest.Item):
    """xdist's worker runs item i only once another index is queued after it: this is that one.

    It has a parent of its own, so a real item followed by it is torn down completely.
    """

    def runtest(self) -> None:
        """Never run: the worker plugin swallows it (see plugin.pytest_runtest_protocol).

        It is appended after the worker announced its items, so no count includes it."""

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, NOOP_NAME
