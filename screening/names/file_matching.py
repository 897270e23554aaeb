"""The names of a trade file matched against the lists (``dualuse match-names``), the file read
while the lists and their name index load.

Why: before any matching process can start, the command reads the file and makes its (name,
country) pairs distinct (0.7 s for 200k names) and loads the lists and the index (0.75 s).
One after the other they were a tenth of the command's time on two cores, with one core idle.
Where this process may fork (one thread, a fork-capable system), a forked process reads the
file while this one loads the index; otherwise both happen here in turn. The pairs are the
same either way, and so are the hits.
"""

from __future__ import annotations

import contextlib
import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from screening.names.bulk import can_fork_now
from screening.names.index import NameIndex
from screening.names.match import distinct_queries, match_distinct_names


@dataclass(frozen=True)
class FilePairs:
    """What a file's name (and country) columns hold for matching."""

    pairs: list[tuple[str, str | None]]
    """the distinct (name, ISO-2 country) pairs, sorted (see distinct_queries)"""
    unreadable: list[str]
    """why each row the file's parser could not split was left out ("row 17 could not be
    read: ..."), in row order"""


@dataclass(frozen=True)
class FileMatches:
    hits: pa.Table
    """NAME_MATCH_SCHEMA rows, as match_names gives them"""
    unreadable: list[str]
    """rows of the file not matched because they could not be read, and why (FilePairs)"""


def distinct_pairs_in_file(
    path: str | Path, column: str, country_column: str | None = None
) -> FilePairs:
    """The distinct (name, ISO-2 country) pairs of a CSV/XLSX/Parquet file's columns (the
    country None throughout without ``country_column``), read as the trade loader reads:
    encoding detected, header found; and the rows that could not be read."""
    from screening.io import read_text_columns

    wanted = [column] + ([country_column] if country_column else [])
    read, problems = read_text_columns(path, wanted)
    countries = read[1].to_pylist() if country_column else None
    unreadable = [] if problems is None else problems.drop_null().to_pylist()
    return FilePairs(distinct_queries(read[0].to_pylist(), countries), unreadable)


def _pairs_or_none(path: str | Path, column: str, country_column: str | None) -> FilePairs | None:
    """(in the reading process) None for a file that cannot be read: the caller reads it again
    itself and raises the error as a run in one process does (errors that name a file and row
    do not travel between processes intact)."""
    try:
        return distinct_pairs_in_file(path, column, country_column)
    except Exception:
        return None


def match_names_in_file(
    path: str | Path,
    column: str,
    *,
    country_column: str | None = None,
    list_paths: Sequence[str | Path] = (),
    threshold: float | None = None,
    top: int = 3,
    show_held: bool = True,
) -> FileMatches:
    """Every distinct name (with ``country_column``, (name, country) pair) of the file's
    ``column`` matched against ``list_paths`` (default: the bundled active lists): the hits of
    :func:`screening.names.match_names`, and the rows left out because they could not be
    read."""
    from screening.lists import load_bundled_lists, parse_list_files

    def load_index() -> NameIndex:
        lists = parse_list_files(list(list_paths)) if list_paths else load_bundled_lists()
        return NameIndex.build(lists)

    read: FilePairs | None = None
    if can_fork_now():
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as reader:
            reading = reader.submit(_pairs_or_none, path, column, country_column)
            index = load_index()
            with contextlib.suppress(BrokenProcessPool):  # (the reader died: read here below)
                read = reading.result()
        # (the reader's threads are gone: matching may fork its own processes now)
    else:
        index = load_index()
    if read is None:
        read = distinct_pairs_in_file(path, column, country_column)
    hits = match_distinct_names(
        read.pairs,
        index,
        use_countries=country_column is not None,
        threshold=threshold,
        top=top,
        show_held=show_held,
    )
    return FileMatches(hits, read.unreadable)
