"""515 generated malformed trade files through loading and screening: each ends in a clear
refusal naming the file (a ScreeningError) or in records and rejected rows with reasons, with
rows in = records + rejects, a correct decoding when text was decoded, and no other exception,
each within a time bound. One small reference list is shared by every family."""

from __future__ import annotations

import time
import traceback
from pathlib import Path

import pyarrow as pa
import pytest

from screening.errors import ScreeningError
from screening.io import load_trade_file
from screening.pipeline import screen_records
from screening.schema import TRADE_SCHEMA
from tests.fuzz.cases import FAMILIES, Case

CASE_SECONDS = 20.0
"""Per-file bound on a busy 2-core machine (the largest case, a 1.5 MB cell, takes ~0.1 s)."""


def _check(case: Case, path: Path) -> tuple[str, pa.Table | None, list[str]]:
    """(outcome, records, problems) for one case."""
    problems: list[str] = []
    started = time.perf_counter()
    try:
        loaded = load_trade_file(path)
    except ScreeningError as exc:
        message = str(exc)
        if not message.startswith(str(path)):
            problems.append(f"refusal does not name the file first: {message[:200]!r}")
        if "\n" in message or len(message) > 1500:
            problems.append(f"refusal is not one short line: {message[:300]!r}")
        if case.must_load:
            problems.append(f"refused a file that must load: {message[:300]}")
        if case.refusal and case.refusal not in message:
            problems.append(f"refusal without {case.refusal!r}: {message[:300]}")
        outcome, records = "refused", None
    except Exception:  # the defect this suite exists to find
        problems.append("unhandled exception:\n" + traceback.format_exc(limit=6))
        outcome, records = "crashed", None
    else:
        outcome, records = "loaded", loaded.table
        if case.must_fail:
            problems.append("loaded a file that must be refused")
        if loaded.rows_in != loaded.table.num_rows + loaded.rejects.num_rows:
            problems.append(
                f"rows_in {loaded.rows_in} != {loaded.table.num_rows} records + "
                f"{loaded.rejects.num_rows} rejects"
            )
        for reject in loaded.rejects.to_pylist():
            if reject["file"] != path.name or not reject["reason"] or reject["row"] is None:
                problems.append(f"reject without file, row and reason: {reject}")
        if case.decoded is not None:
            got = tuple(loaded.table.column("importer").to_pylist())
            if got != case.decoded:
                problems.append(f"decoded wrong: {got[:3]} instead of {case.decoded[:3]}")
    elapsed = time.perf_counter() - started
    if elapsed > CASE_SECONDS:
        problems.append(f"took {elapsed:.1f} s")
    return outcome, records, problems


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_fuzz_family(family, tmp_path, small_reference):
    make, count = FAMILIES[family]
    cases = list(make(count))
    assert len(cases) == count
    failures: dict[str, list[str]] = {}
    outcomes: dict[str, int] = {}
    loaded: list[pa.Table] = []
    for case in cases:
        path = tmp_path / case.name
        case.write(path)
        outcome, records, problems = _check(case, path)
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        if problems:
            failures[case.name] = problems
        if records is not None and records.num_rows:
            loaded.append(records.select(TRADE_SCHEMA.names))
    assert not failures, "\n".join(f"{name}: {'; '.join(p)}" for name, p in failures.items())

    # Everything read goes through screening as one table: odd codes, dates and amounts
    # must be screened, not crash the run.
    if loaded:
        records = pa.concat_tables(loaded)
        reference, config = small_reference
        screened, _ = screen_records(records, reference, config)
        assert screened.num_rows == records.num_rows
        assert screened.column("record_id").to_pylist() == records.column("record_id").to_pylist()
    print(f"{family}: {len(cases)} cases, {outcomes}")


def test_suite_size():
    assert sum(count for _, count in FAMILIES.values()) >= 500


def test_fuzz_folder_through_screen_files(tmp_path, small_reference):
    """A folder of every 12th case through the entry point the CLI, flow and notebook use:
    the bad files are rejected one by one with their reason, the others screened, and rows in
    = screened + rejected over the whole run."""
    from screening.run import screen_files

    folder = tmp_path / "in"
    folder.mkdir()
    cases = [case for make, count in FAMILIES.values() for case in make(count)][::12]
    refused = set()
    for case in cases:
        case.write(folder / case.name)
        try:
            load_trade_file(folder / case.name)
        except ScreeningError:
            refused.add(case.name)
    _, config = small_reference
    started = time.perf_counter()
    result = screen_files([str(folder)], config, tmp_path / "out")
    counts = result.counts
    assert counts["rows_in"] == counts["rows_screened"] + counts["rows_rejected"]
    assert {Path(r["path"]).name for r in result.files_rejected} == refused
    # each reject names its file once, in its path (the reason does not repeat it)
    assert all(r["reason"] and not r["reason"].startswith(r["path"]) for r in result.files_rejected)
    assert 0 < len(refused) < len(cases)
    assert time.perf_counter() - started < 120
    print(f"folder run: {len(cases)} files, {len(refused)} rejected, {counts}")
