"""``match-names`` reads its file in a forked process while the index loads: the same pairs,
the same hits and the same one-line errors as reading it in this process.

The forked path runs in a fresh interpreter: a pytest process that has run Prefect or Dask
tests keeps threads, and a process with threads reads in turn instead (can_fork_now)."""

from __future__ import annotations

import csv
import json
import subprocess
from pathlib import Path

import pytest

from screening.lists import parse_list_files
from screening.names import NameIndex, match_names
from screening.names.file_matching import distinct_pairs_in_file, match_names_in_file
from tests.conftest import fresh_python

FORKED = """
import json, sys
from screening.names.bulk import can_fork_now
from screening.names.file_matching import match_names_in_file

assert can_fork_now(), "a fresh interpreter must be allowed to fork"
path, lists = sys.argv[1], sys.argv[2]
matched = match_names_in_file(path, "party", country_column="cc", list_paths=[lists], top=5)
assert can_fork_now(), "the reader's threads must be gone once it has read"
print(json.dumps({"hits": matched.hits.to_pylist(), "unreadable": matched.unreadable}))
"""


@pytest.fixture(scope="module")
def trade_names(small_sdn_file: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Listed names as written, with a slip, padded, repeated, and a clean one, with countries
    (some missing)."""
    names = [n for n in parse_list_files([str(small_sdn_file)])["name"].to_pylist() if n][:60]
    rows = [(name, "RU") for name in names]
    rows += [(name[:-1] + "X", "") for name in names[::3]]
    rows += [(f"  {names[0]} ", "RU"), (names[1], "RU"), ("ACME TOOLING GMBH", "DE"), ("", "RU")]
    path = tmp_path_factory.mktemp("trade") / "parties.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["party", "cc"])
        writer.writerows(rows)
        fh.write("ROSOBORONEKSPORT OAO,RU,one field too many\n")  # a row no parser splits
    return path


def test_the_file_read_in_a_forked_process_gives_the_hits_of_match_names(
    trade_names: Path, small_sdn_file: Path
) -> None:
    done = fresh_python("-c", FORKED, trade_names, small_sdn_file)
    assert done.returncode == 0, done.stderr[-3000:]
    forked = json.loads(done.stdout.strip().splitlines()[-1])
    with trade_names.open(encoding="utf-8") as fh:
        rows = [r for r in csv.DictReader(fh) if None not in r]  # (the unreadable row aside)
    index = NameIndex.build(parse_list_files([str(small_sdn_file)]))
    expected = match_names(
        [r["party"] for r in rows], index, countries=[r["cc"] for r in rows], top=5,
        show_held=True,
    ).to_pylist()  # fmt: skip
    assert len(expected) > 40
    assert forked["hits"] == expected
    unreadable = [f"row {len(rows) + 2} could not be read: wrong number of fields: expected 2, "
                  "found 3"]  # fmt: skip
    assert forked["unreadable"] == unreadable
    here = match_names_in_file(
        trade_names, "party", country_column="cc", list_paths=[small_sdn_file], top=5
    )  # in turn, in this process
    assert (here.hits.to_pylist(), here.unreadable) == (expected, unreadable)


def test_pairs_are_stripped_deduplicated_and_sorted(trade_names: Path) -> None:
    pairs = distinct_pairs_in_file(trade_names, "party", "cc").pairs
    assert pairs == sorted(pairs, key=lambda p: (p[0], p[1] or ""))
    assert len(pairs) == len(set(pairs))
    assert all(name == name.strip() and name for name, _ in pairs)
    assert ("ACME TOOLING GMBH", "DE") in pairs
    assert any(country is None for _, country in pairs)  # an empty cell is no country
    assert {c for _, c in distinct_pairs_in_file(trade_names, "party").pairs} == {None}


def _match_names_command(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """``python -m screening match-names ARGS`` in a fresh interpreter (one that may fork)."""
    return fresh_python("-m", "screening", "match-names", *args)


def test_a_missing_column_is_the_same_one_line_error_through_the_forked_reader(
    trade_names: Path, small_sdn_file: Path, tmp_path: Path
) -> None:
    done = _match_names_command(
        trade_names, "--column", "name", "--lists", small_sdn_file, "--out", tmp_path / "hits.csv"
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"error: {trade_names}, column 'name': no column 'name'; columns: ['party', 'cc']"
    ]
    assert not (tmp_path / "hits.csv").exists()


def test_match_names_names_the_rows_it_could_not_read(
    trade_names: Path, small_sdn_file: Path, tmp_path: Path
) -> None:
    done = _match_names_command(
        trade_names, "--column", "party", "--country-column", "cc", "--lists", small_sdn_file,
        "--out", tmp_path / "hits.csv",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert (tmp_path / "hits.csv").is_file()
    warning = done.stderr.strip().splitlines()[-1]
    assert warning.startswith(f"warning: 1 row(s) of {trade_names} could not be read and were ")
    assert warning.endswith("could not be read: wrong number of fields: expected 2, found 3")
