"""Progress of the long steps (parsing lists, indexing and matching names, writing files) on
the terminal, and quiet logs by default.

Why: a first run parsed lists for 20 s in silence, then printed ~110 INFO lines for 36 files
that buried the summary. The library reports progress through :func:`step`, which does
nothing unless a command line switched a display on with :func:`show_progress` (notebooks,
tests and the Prefect flow in a worker stay silent). Prefect's own INFO lines appear with
``--verbose`` only.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

Advance = Callable[[int], None]

_display: Any = None
"""The rich Progress shown by the command line, or None (library use: no output)."""
_tasks: dict[str, Any] = {}
_lock = threading.Lock()


def _nothing(_: int = 1) -> None:
    return None


@contextmanager
def step(description: str, total: int | None = None) -> Iterator[Advance]:
    """A long step: yields ``advance(n)``. Repeated steps of one description (one per chunk
    of a streamed run) add up on one line. Without a display, costs nothing."""
    display = _display
    if display is None:
        yield _nothing
        return
    with _lock:
        task = _tasks.get(description)
        if task is None:
            task = display.add_task(description, total=total)
            _tasks[description] = task
        elif total is not None:
            current = display.tasks[task].total or 0
            display.update(task, total=current + total)

    def advance(n: int = 1) -> None:
        display.advance(task, n)

    try:
        yield advance
    finally:
        if total is None:
            display.update(task, total=1, completed=1)


def counter(description: str, total: int) -> Advance:
    """``advance(n)`` for a loop that cannot be wrapped in :func:`step`: the line completes
    when ``total`` is reached. Without a display, costs nothing."""
    display = _display
    if display is None:
        return _nothing
    with _lock:
        task = _tasks.get(description)
        if task is None:
            task = display.add_task(description, total=total)
            _tasks[description] = task
        else:
            display.update(task, total=(display.tasks[task].total or 0) + total)

    def advance(n: int = 1) -> None:
        display.advance(task, n)

    return advance


@contextmanager
def show_progress(enabled: bool | None = None) -> Iterator[None]:
    """Show the steps' progress on stderr while the block runs (by default when stderr is a
    terminal). Nested or concurrent use keeps the first display."""
    global _display
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled or _display is not None:
        yield
        return
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    display = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    )
    with display:
        _display = display
        try:
            yield
        finally:
            _display = None
            _tasks.clear()


@contextmanager
def refresh_thread_paused() -> Iterator[None]:
    """The display's refresh thread stopped and joined while the block runs, restarted after.

    Why: bulk name matching forks worker processes, which is only safe while no other thread
    may hold a lock, so it forks only from a single-threaded process. A command showing
    progress has one more thread, rich's refresher, and that alone kept matching on one core
    in a terminal (twice the wall time of the same command piped). The block redraws with
    :func:`redraw` instead. Reaches into rich's ``Live`` (version pinned in the lock file);
    without a display, or a display without a refresh thread, does nothing."""
    live = getattr(_display, "live", None)
    thread = getattr(live, "_refresh_thread", None)
    if live is None or thread is None:
        yield
        return
    with live._lock:
        thread.stop()
        live._refresh_thread = None
    thread.join()
    try:
        yield
    finally:
        from rich.live import _RefreshThread

        with live._lock:
            if live.is_started and live._refresh_thread is None:
                live._refresh_thread = _RefreshThread(live, live.refresh_per_second)
                live._refresh_thread.start()


def redraw() -> None:
    """Draw the display now (while its refresh thread is paused)."""
    if _display is not None:
        _display.refresh()


def forget_display() -> None:
    """In a forked child: the parent's display is not this process's to draw on."""
    global _display
    _display = None
    _tasks.clear()


QUIET_LEVEL = "WARNING"
VERBOSE_LEVEL = "INFO"


def set_log_level(verbose: bool) -> None:
    """Prefect's log level for this process (read when Prefect is imported): warnings only by
    default, its INFO lines with ``--verbose``. An explicit PREFECT_LOGGING_LEVEL wins."""
    os.environ["DUALUSE_VERBOSE"] = "1" if verbose else ""
    if verbose:
        os.environ["PREFECT_LOGGING_LEVEL"] = VERBOSE_LEVEL
    else:
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", QUIET_LEVEL)


def log_level() -> int:
    """The Python logging level chosen by ``--verbose`` (INFO) or not (WARNING)."""
    import logging

    return logging.INFO if os.environ.get("DUALUSE_VERBOSE") else logging.WARNING


def _set_verbosity(ctx: click.Context, param: click.Parameter, value: bool) -> bool:
    set_log_level(value)
    return value


verbose_option = click.option(
    "--verbose",
    "-v",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_set_verbosity,
    help="Show INFO log lines, Prefect's included (default: warnings and the summary only).",
)
"""Add to a command that runs Prefect flows: quiet by default, --verbose for INFO lines."""
