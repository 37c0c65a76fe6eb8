"""Every touch of pytest's or pytest-xdist's internals, in one place: why, and since when.

Each was checked against the oldest versions the project declares (pytest 8.0, pytest-xdist
3.5) and the newest (.ci/run runs a subset of the suite on both).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Sequence

    from xdist.workermanage import WorkerController


# ------------------------------------------------------------------------------------ pytest


def skip_conftests(early_config: pytest.Config) -> None:
    """What `--noconftest` does, for a run whose items are not the workspace's tests.

    No public API stops conftest loading; pytest's own pytest_load_initial_conftests reads
    `known_args_namespace.noconftest` (pytest >= 7.0, unchanged in 9.x). Call it from a
    tryfirst pytest_load_initial_conftests, before pytest's runs.
    """
    early_config.known_args_namespace.noconftest = True


def read_terminal_line(config: pytest.Config, prompt: str) -> str:
    """`input()` with pytest's capture lifted, as pytest's own --pdb does.

    The capture manager's suspend/resume_global_capture are not public API but have been
    stable since pytest 3.3 (still in 9.x); without them input() reads from a null stdin.
    """
    capman = config.pluginmanager.getplugin("capturemanager")
    if capman is not None:
        capman.suspend_global_capture(in_=True)
    try:
        return input(prompt)
    except EOFError:
        return ""
    finally:
        if capman is not None:
            capman.resume_global_capture()


def finish_collection(
    session: pytest.Session, items: list[pytest.Item], unannounced: Sequence[pytest.Item] = ()
) -> None:
    """The tail of `Session.perform_collect` for items a plugin built itself.

    Release items come from the plan, not from walking the workspace (500 packages collect in
    well under 2 s), so a tryfirst pytest_collection returns True and pytest's perform_collect
    never runs. Its tail is what other plugins and pytest's reporting rely on; copied from
    pytest 8.0 (identical in 9.x): one collect report for the session, check_pending,
    modifyitems (-k, --deselect, --lf ...), collection_finish, testscollected.

    `check_pending` is kept: it is how pytest tells a user about a misspelled hook in one of
    their plugins; our own hooks of optional plugins (xdist's) are marked `optionalhook`.

    `unannounced` items are appended once pytest_collection_finish returned. An xdist worker
    announces `session.items` to the controller from that hook (the `[N items]` line and the
    progress percentage count those ids) and later runs `session.items[i]` for each index it
    is sent (pytest-xdist 1.x through 3.8): such an item is runnable by index and counted
    nowhere.
    """
    session.items = items
    report = pytest.CollectReport("", "passed", None, list(items))
    session.ihook.pytest_collectreport(report=report)
    config = session.config
    config.pluginmanager.check_pending()
    config.hook.pytest_collection_modifyitems(session=session, config=config, items=session.items)
    config.hook.pytest_collection_finish(session=session)
    session.testscollected = len(session.items)
    session.items.extend(unannounced)


def terminal_writer(config: pytest.Config) -> Any:  # noqa: ANN401 - pytest's TerminalWriter
    """The terminal reporter's writer (`TerminalReporter._tw`, private; stable since pytest
    3.x, still in 9.x). None when absent: the live progress view then falls back to lines."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    return getattr(reporter, "_tw", None)


def writer_file(tw: Any) -> Any | None:  # noqa: ANN401 - file-like objects
    """The file pytest's TerminalWriter writes to (`TerminalWriter._file`, private, pytest >= 6)."""
    return getattr(tw, "_file", None)


def swap_writer_file(tw: Any, new: Any) -> Any | None:  # noqa: ANN401 - file-like objects
    """Put `new` under pytest's TerminalWriter (`TerminalWriter._file`, private, pytest >= 6)
    so the live view can erase itself before pytest writes; return the old file (None: the
    writer has no such attribute, and nothing was swapped)."""
    if tw is None or not hasattr(tw, "_file"):
        return None
    old = tw._file
    tw._file = new
    return old


# ------------------------------------------------------------------------------ pytest-xdist


def is_worker(config: pytest.Config) -> bool:
    """xdist's documented test for a worker process (pytest-xdist >= 2.0)."""
    return hasattr(config, "workerinput")


def worker_input(config: pytest.Config) -> dict[str, Any]:
    winput: dict[str, Any] = config.workerinput  # type: ignore[attr-defined]
    return winput


def is_distributing(config: pytest.Config) -> bool:
    """True on an xdist controller that will hand items to workers.

    Decided from xdist's own options (`dist`, `tx`; `-n N` sets both in xdist's
    pytest_cmdline_main, pytest-xdist >= 2.0), because xdist's DSession is only registered by
    its trylast pytest_configure, after ours ran.
    """
    if (
        is_worker(config)
        or config.getoption("collectonly")
        or not config.pluginmanager.has_plugin("xdist")
    ):
        return False
    return config.getoption("dist", "no") != "no" and bool(config.getoption("tx", None))


def run_in_this_process(config: pytest.Config) -> int:
    """Undo `-n N` before xdist acts on it; return the N that was asked (0: none).

    xdist's pytest_cmdline_main has already turned `-n N` into `option.dist`/`option.tx`; its
    trylast pytest_configure creates the distributed session from them (pytest-xdist >= 2.0,
    still so in 3.8). Resetting them in our tryfirst pytest_configure keeps every item here.
    """
    if is_worker(config) or not config.pluginmanager.has_plugin("xdist"):
        return 0
    asked = len(getattr(config.option, "tx", None) or [])
    if asked:
        config.option.dist = "no"
        config.option.tx = []
        config.option.numprocesses = 0
    return asked


def worker_count(config: pytest.Config) -> int:
    """How many workers `-n` asked for (xdist's `numprocesses` option, any 3.x)."""
    return int(getattr(config.option, "numprocesses", 0) or 0) if is_distributing(config) else 0


def configured_nodes(config: pytest.Config) -> int:
    """How many workers the scheduler should wait for, as xdist's own schedulers count them.

    pytest-xdist 3.7 renamed `parse_spec_config` to `parse_tx_spec_config` (when it added
    --px); 3.5 and 3.6 have only the old name.
    """
    from xdist import workermanage

    parse = getattr(workermanage, "parse_tx_spec_config", None) or workermanage.parse_spec_config
    return len(parse(config))


def node_id(node: WorkerController) -> str:
    """A worker's name, e.g. `gw0` (the execnet gateway id, pytest-xdist any 3.x)."""
    return str(node.gateway.id)


def collection_diff(first: Sequence[str], other: Sequence[str], a: str, b: str) -> str | None:
    """xdist's text for two workers collecting differently (`xdist.report`, any 3.x)."""
    from xdist.report import report_collection_diff

    return report_collection_diff(first, other, a, b)  # type: ignore[no-any-return]


def scheduler_log(log: Any | None, name: str) -> Any:  # noqa: ANN401 - xdist's Producer
    """A sub-log of the log xdist passes to pytest_xdist_make_scheduler, or a silent one.

    `xdist.remote.Producer` replaced `py.log.Producer` in pytest-xdist 3.0.
    """
    from xdist.remote import Producer

    return Producer(name, enabled=False) if log is None else getattr(log, name)
