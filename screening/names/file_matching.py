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

import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pyarrow as pa

from screening.names.bulk import can_fork_now
from screening.names.index import NameIndex
from screening.names.match import distinct_queries, match_distinct_names


def distinct_pairs_in_file(
    path: str | Path, column: str, country_column: str | None = None
) -> list[tuple[str, str | None]]:
    """The distinct (name, ISO-2 country) pairs of a CSV/XLSX/Parquet file's columns, sorted
    (the country None throughout without ``country_column``); read as the trade loader reads:
    encoding detected, header found."""
    from screening.io import read_text_columns

    wanted = [column] + ([country_column] if country_column else [])
    read, _ = read_text_columns(path, wanted)
    countries = read[1].to_pylist() if country_column else None
    return distinct_queries(read[0].to_pylist(), countries)


def _pairs_or_none(
    path: str | Path, column: str, country_column: str | None
) -> list[tuple[str, str | None]] | None:
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
) -> pa.Table:
    """Every distinct name (with ``country_column``, (name, country) pair) of the file's
    ``column`` matched against ``list_paths`` (default: the bundled active lists): the hits of
    :func:`screening.names.match_names`."""
    from screening.lists import load_bundled_lists, parse_list_files

    def load_index() -> NameIndex:
        lists = parse_list_files(list(list_paths)) if list_paths else load_bundled_lists()
        return NameIndex.build(lists)

    distinct: list[tuple[str, str | None]] | None = None
    if can_fork_now():
        with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as reader:
            read = reader.submit(_pairs_or_none, path, column, country_column)
            index = load_index()
            distinct = read.result()
        # (the reader's threads are gone: matching may fork its own processes now)
    else:
        index = load_index()
    if distinct is None:
        distinct = distinct_pairs_in_file(path, column, country_column)
    return match_distinct_names(
        distinct,
        index,
        use_countries=country_column is not None,
        threshold=threshold,
        top=top,
        show_held=show_held,
    )
