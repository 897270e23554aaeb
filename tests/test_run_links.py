"""The whole-input signals of a streamed run (import surges, re-export chains) do not depend on
how the records are cut into batches: a party written two ways in two batches is one party."""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from screening.risk.red_flags import NEW_CHPL_IMPORTER, chpl_import_surge_flags

HEADER = ["RECORD_ID", "DATE", "EXPORTER_NAME", "IMPORTER_NAME", "ORIGIN_COUNTRY",
          "DESTINATION_COUNTRY", "HS_CODE", "PRODUCT_DESCRIPTION", "VALUE_USD"]  # fmt: skip


def _rows() -> list[list[str]]:
    """Four years of monthly tile imports by one importer, then tantalum capacitors after the
    invasion under its name in Cyrillic; plus a re-export chain through Kazakhstan."""
    rows = []
    for year in (2021, 2022, 2023, 2024):
        for month in range(1, 13):
            rows.append(["", f"{year}-{month:02d}-10", "CERAMICHE SPA", "OOO KERAMIKA", "IT",
                         "RU", "690721", "tiles", "9000"])  # fmt: skip
            rows.append(["", f"{year}-{month:02d}-12", "ACME GMBH", "OOO STABILNOST", "DE",
                         "RU", "854232", "memory chips", "5000"])  # fmt: skip
    rows.append(["", "2022-06-01", "KEMET EUROPE", "OOO KERAMIKA", "DE", "RU", "853221",
                 "tantalum capacitors", "40000"])  # fmt: skip
    rows.append(["", "2022-09-01", "KEMET EUROPE", "ООО КЕРАМИКА", "DE", "RU", "853221",
                 "tantalum capacitors", "1"])  # fmt: skip
    rows.append(["", "2023-01-05", "SIEMENS AG", "TOO ALMATY TRADE", "DE", "KZ", "853221",
                 "capacitors", "700"])  # fmt: skip
    rows.append(["", "2023-02-05", "ТОО АЛМАТЫ ТРЕЙД", "OOO ZAKAZCHIK", "KZ", "RU", "853221",
                 "capacitors", "900"])  # fmt: skip
    return [[f"R{i:04d}", *row[1:]] for i, row in enumerate(rows)]


@pytest.fixture(scope="module")
def trades(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("links") / "trades.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(_rows())
    return path


def _screened(trades: Path, out: Path, batch_rows: int) -> dict[str, list]:
    from screening import screen_files

    result = screen_files([trades], out_dir=out, batch_rows=batch_rows)
    assert result.manifest["execution"]["batches"] >= -(-len(_rows()) // batch_rows)
    table = pq.read_table(out / "screened.parquet")
    assert table.num_rows == len(_rows())
    columns = ["record_id", "red_flag", "red_flag_reason", "route_chain_role",
               "route_chain_partner", "risk_level", "risk_reasons"]  # fmt: skip
    return {c: table[c].to_pylist() for c in columns} | {"table": table}


def test_signals_over_the_whole_input_do_not_depend_on_the_batches(
    trades: Path, tmp_path: Path
) -> None:
    # batches of 7 records: the two spellings, and the chain's two legs, in different batches
    run = _screened(trades, tmp_path / "cut", batch_rows=7)
    table = run.pop("table")
    # the run's verdicts are those of the whole table at once
    expected = chpl_import_surge_flags(table)
    assert run["red_flag"] == expected["red_flag"].to_pylist()
    assert run["red_flag_reason"] == expected["red_flag_reason"].to_pylist()
    flagged = pc.indices_nonzero(pc.is_valid(table["red_flag"])).to_pylist()
    last = len(_rows()) - 3
    # both capacitor records of the tile importer, whichever way its name is written; the
    # steady importer never; the chain's two importers are new to CHPL goods too
    assert flagged == [last - 1, last, last + 1, last + 2]
    assert run["red_flag"][last] == NEW_CHPL_IMPORTER
    assert run["red_flag_reason"][last].startswith("importer 'ООО КЕРАМИКА': new CHPL importer")
    roles = run["route_chain_role"][-2:]
    assert roles == ["first_leg", "second_leg"], "TOO ALMATY TRADE = ТОО АЛМАТЫ ТРЕЙД"
    assert run["route_chain_partner"][-2:] == run["record_id"][::-1][:2]
