"""Bulk matching forks over the cores even while a progress display is shown.

A command in a terminal shows rich's progress display, whose refresh thread made the
single-thread check of the forked path fail: `dualuse run` matched in one process in a
terminal and in two when piped. The display's thread is now paused around the forked part.
Checked in a fresh process (the test session has threads of its own)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

from screening import progress

CHILD = r"""
import json, sys, threading
import pyarrow as pa
from screening import progress
from screening.lists import parse_list_files
from screening.names import NameIndex, match_names
import screening.names.bulk as bulk

index = NameIndex.build(parse_list_files([sys.argv[1]]))
names = index.list_table["name"].to_pylist()
queries = [n for n in names if n][:240] + [n.upper() + " LLC" for n in names if n][:240]
bulk.PARALLEL_MIN_NAMES = 100
forked = []
plain = bulk.match_in_processes
def spy(*args, **kwargs):
    forked.append(kwargs["processes"])
    return plain(*args, **kwargs)
bulk.match_in_processes = spy
alone = match_names(queries, index, workers=1)
with progress.show_progress(True):
    threads_shown = threading.active_count()
    shown = match_names(queries, index, workers=2)
    threads_after = threading.active_count()
print(json.dumps({
    "forked": forked, "threads_shown": threads_shown, "threads_after": threads_after,
    "equal": shown.equals(alone), "hits": alone.num_rows,
}))
"""


def test_matching_forks_while_progress_is_shown(small_sdn_file: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-c", CHILD, str(small_sdn_file)],
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["threads_shown"] == 2  # the main thread and the display's refresher
    assert result["forked"] == [2]
    assert result["equal"] and result["hits"] > 200
    assert result["threads_after"] == 2  # the refresher runs again after matching


def test_pausing_without_a_display_changes_nothing() -> None:
    before = threading.active_count()
    with progress.refresh_thread_paused():
        assert threading.active_count() == before
    progress.redraw()
    assert threading.active_count() == before
