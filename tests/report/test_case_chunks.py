"""The review files built a chunk of cases at a time equal those of the whole review table.

On a real run over the bundled synthetic sample and two vendor files (real customs records,
../shared): 714 flagged records in 692 cases, one case of 21 records and one of 3 whose
records lie far apart in review order, vendor src_* columns filled in a few chunks only and
columns empty in every case (dropped from the file)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from python_calamine import CalamineWorkbook

from screening.io.writers import write_csv_atomic
from screening.paths import SAMPLE_TRADES
from screening.pipeline import flagged_records
from screening.report.files import report_summary, write_review_files
from screening.report.html import write_report
from screening.report.review_layout import (
    case_keys,
    case_numbers,
    filled_columns,
    listed_entities,
    review_table,
)
from screening.report.spill import FlaggedFile, FlaggedSpill
from screening.report.xlsx import write_workbook
from tests.conftest import shared_path
from tests.report.conftest import VENDOR_FILES

SHEET_ROWS = 40
"""A "flagged" sheet cut well before the last case, as a large run's is."""


class MixedRun:
    def __init__(self, path: Path) -> None:
        self.manifest: dict[str, Any] = json.loads((path / "manifest.json").read_text("utf-8"))
        self.screened = pq.read_table(path / "screened.parquet")
        self.flagged = flagged_records(self.screened)


@pytest.fixture(scope="module")
def mixed_run(tmp_path_factory: pytest.TempPathFactory) -> MixedRun:
    from screening.run import screen_files

    vendor = [shared_path("trade", "vendor_samples_csv", name) for name in VENDOR_FILES]
    base = tmp_path_factory.mktemp("mixed-run")
    result = screen_files(
        [SAMPLE_TRADES, *vendor], out_dir=base / "out", db=f"sqlite:///{base / 'review.db'}"
    )
    return MixedRun(Path(result.out_dir))


def whole_table_files(out: Path, flagged: pa.Table, manifest: dict[str, Any]) -> Path:
    """The review files as written from the whole review table at once."""
    out.mkdir()
    review = review_table(flagged)
    entities = listed_entities(review)
    write_csv_atomic(review, out / "flagged.csv")
    write_workbook(
        {"flagged": review, "by party": entities}, out / "flagged.xlsx", max_rows=SHEET_ROWS
    )
    summary = report_summary(
        manifest, flagged, entities, cases=review.num_rows, sheet_rows=SHEET_ROWS
    )
    write_report(summary, out / "report.html")
    return out


def sheets(path: Path) -> dict[str, list[list[Any]]]:
    book = CalamineWorkbook.from_path(str(path))
    return {name: book.get_sheet_by_name(name).to_python() for name in book.sheet_names}


def assert_same_files(chunked: Path, whole: Path) -> None:
    assert (chunked / "flagged.csv").read_bytes() == (whole / "flagged.csv").read_bytes()
    assert sheets(chunked / "flagged.xlsx") == sheets(whole / "flagged.xlsx")
    assert (chunked / "report.html").read_bytes() == (whole / "report.html").read_bytes()
    assert sorted(p.name for p in chunked.iterdir()) == [
        "flagged.csv",
        "flagged.xlsx",
        "report.html",
    ], "no spool left behind"


def test_the_run_has_what_chunks_could_get_wrong(mixed_run: MixedRun) -> None:
    """The data exercises chunking: cases whose records are apart in review order, a column
    empty in some chunks of 7 cases and filled in others, and columns empty throughout."""
    review = review_table(mixed_run.flagged)
    assert review.num_rows > 10 * 7
    assert sorted(review["record_count"].to_pylist())[-2:] == [3, 21]
    case = case_numbers(mixed_run.flagged)
    spans = [np.flatnonzero(case == number) for number in np.flatnonzero(np.bincount(case) > 1)]
    assert any(rows[-1] - rows[0] >= 7 for rows in spans), "a case spans record chunks of 7"
    assert any(rows[-1] - rows[0] >= len(rows) for rows in spans), "another case in between"
    chunks = [review.slice(start, 7) for start in range(0, review.num_rows, 7)]
    filled = [filled_columns(chunk) for chunk in chunks]
    assert any(name.startswith("src_") for name in set.union(*filled) - set.intersection(*filled))
    laid_out = set(mixed_run.flagged.column_names)
    assert laid_out - set(review.column_names), "some columns are dropped as empty"


@pytest.mark.parametrize("chunk_cases", [7, 64])
def test_chunked_review_files_equal_the_whole_table(
    mixed_run: MixedRun, tmp_path: Path, chunk_cases: int
) -> None:
    whole = whole_table_files(tmp_path / "whole", mixed_run.flagged, mixed_run.manifest)
    chunked = tmp_path / "chunked"
    write_review_files(
        chunked,
        flagged=mixed_run.flagged,
        manifest=mixed_run.manifest,
        chunk_cases=chunk_cases,
        sheet_rows=SHEET_ROWS,
    )
    assert_same_files(chunked, whole)
    text = (chunked / "report.html").read_text("utf-8")
    assert f"first {SHEET_ROWS} of 692 cases" in text
    last = sheets(chunked / "flagged.xlsx")["flagged"][-1][0]
    assert str(last).startswith("… 652 more rows"), last


def test_spilled_chunks_equal_the_whole_table(mixed_run: MixedRun, tmp_path: Path) -> None:
    """As a streamed run writes them: flagged records spilled part by part in input order,
    grouped from the light columns, every other column read column by column."""
    screened = mixed_run.screened
    parts = tmp_path / "parts"
    parts.mkdir()
    spill = FlaggedSpill(parts / "flagged.parquet")
    for start in range(0, screened.num_rows, 1000):
        part = screened.slice(start, 1000)
        spill.write(part.filter(pc.not_equal(part["risk_level"], "none")))
    spill.close(screened.schema)
    flagged = FlaggedFile(spill.path)
    whole = whole_table_files(tmp_path / "whole", mixed_run.flagged, mixed_run.manifest)
    chunked = tmp_path / "chunked"
    write_review_files(
        chunked,
        flagged=flagged.records,
        manifest=mixed_run.manifest,
        row_chunks=flagged.chunks,
        chunk_cases=16,
        sheet_rows=SHEET_ROWS,
    )
    assert_same_files(chunked, whole)
    assert [p.name for p in parts.iterdir()] == ["flagged.parquet"], "column files removed"


def test_no_flagged_record_gives_the_header_alone(mixed_run: MixedRun, tmp_path: Path) -> None:
    none = mixed_run.flagged.slice(0, 0)
    whole = whole_table_files(tmp_path / "whole", none, mixed_run.manifest)
    chunked = tmp_path / "chunked"
    write_review_files(chunked, flagged=none, manifest=mixed_run.manifest, sheet_rows=SHEET_ROWS)
    assert_same_files(chunked, whole)
    assert (chunked / "flagged.csv").read_bytes().count(b"\n") == 1


def test_case_numbers_are_those_of_the_joined_key_texts(mixed_run: MixedRun) -> None:
    """Cases numbered from integer codes of the key columns equal the numbering of one
    length-prefixed text per record (the earlier way, one joined text per record)."""
    parts: list[Any] = []
    for column in case_keys(mixed_run.flagged).columns:
        parts += [pc.utf8_length(column).cast(pa.string()), column]
    joined = pc.binary_join_element_wise(*parts, ":")
    expected = pc.dictionary_encode(joined).combine_chunks().indices.to_numpy()
    assert case_numbers(mixed_run.flagged).tolist() == expected.tolist()
    assert len(set(expected.tolist())) == 692
