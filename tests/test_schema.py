"""Declared stage outputs: the screened table is exactly the declared columns, and a stage or a
reader that loses or retypes one stops with its name."""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow as pa
import pytest

from screening.config import ScreeningConfig
from screening.io import load_trade_files
from screening.pipeline import load_reference_data, screen_records
from screening.schema import (
    EXTRA_COLUMN_PREFIX,
    SCREENED_FIELDS,
    STAGE_OUTPUTS,
    StageOutputError,
    check_stage_output,
    require_columns,
)

TRADE_HEADER = [
    *("DATE", "EXPORTER_NAME", "IMPORTER_NAME", "ORIGIN_COUNTRY", "DESTINATION_COUNTRY"),
    *("HS_CODE", "PRODUCT_DESCRIPTION", "VALUE_USD"),
]
CSL_HEADER = ["_id", "source", "entity_number", "type", "name", "addresses", "alt_names"]


def write_small_list(path: Path) -> Path:
    """A trade.gov CSL file of two entities: lists this small load in a blink."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(CSL_HEADER)
        writer.writerow(
            [
                "a1",
                "Entity List (EL) - Bureau of Industry and Security",
                "",
                "Entity",
                "SILOVYE MASHINY PAO",
                "Moscow, RU",
                "POWER MACHINES",
            ]
        )
        writer.writerow(
            [
                "b2",
                "Specially Designated Nationals (SDN) - Treasury Department",
                "36465",
                "Entity",
                "EVEREST GRUP OOO",
                "Moscow, RU",
                "",
            ]
        )
    return path


def write_trades(path: Path) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(TRADE_HEADER)
        writer.writerow(
            ["2023-03-01", "ACME GMBH", "PAO SILOVYE MASHINY", "DE", "RU", "854231", "ICs", "10"]
        )
        writer.writerow(
            ["2023-04-01", "ACME GMBH", "ALFA LOGISTICS LLC", "DE", "KZ", "940360", "chairs", "5"]
        )
        writer.writerow(
            ["2023-05-01", "BETA SRL", "OOO EVEREST GRUP", "IT", "ATLANTIS", "", "", "1"]
        )
    return path


@pytest.fixture(scope="module")
def screened(tmp_path_factory: pytest.TempPathFactory) -> pa.Table:
    folder = tmp_path_factory.mktemp("schema")
    config = ScreeningConfig(list_files=(str(write_small_list(folder / "csl.csv")),))
    trades = load_trade_files([write_trades(folder / "trades.csv")]).table
    table, _ = screen_records(trades, load_reference_data(config), config)
    return table


def test_screened_table_is_exactly_the_declared_columns_in_stage_order(screened: pa.Table) -> None:
    declared = [field.name for schema in STAGE_OUTPUTS.values() for field in schema]
    extra = [c for c in screened.column_names if c.startswith(EXTRA_COLUMN_PREFIX)]
    assert [c for c in screened.column_names if c not in extra] == declared
    for name in declared:
        assert screened.schema.field(name).type == SCREENED_FIELDS[name][1].type, name


def test_never_null_columns_have_no_nulls(screened: pa.Table) -> None:
    for name, (_stage, field) in SCREENED_FIELDS.items():
        if not field.nullable:
            assert screened[name].null_count == 0, name


def test_about_48_columns_are_added_by_the_stages() -> None:
    added = [f for stage, schema in STAGE_OUTPUTS.items() if stage != "load_trades" for f in schema]
    assert len(added) == 48


def test_the_small_run_scores_what_it_should(screened: pa.Table) -> None:
    """The declared columns carry the verdict: listed consignee + CHPL tier 1 to Russia is high;
    chairs to a forwarder in a hub is nothing; a listed consignee with an unknown destination
    is medium and says the destination is unknown."""
    rows = screened.select(["risk_level", "risk_reasons"]).to_pylist()
    assert [r["risk_level"] for r in rows] == ["high", "none", "medium"]
    assert "US BIS Entity List" in rows[0]["risk_reasons"]
    assert "'ATLANTIS' not recognised" in rows[2]["risk_reasons"]


def test_a_stage_that_loses_a_column_is_named(screened: pa.Table) -> None:
    broken = screened.drop_columns(["route_reason"])
    with pytest.raises(
        StageOutputError, match="stage classify_destinations finished with missing column"
    ):
        check_stage_output("classify_destinations", broken)


def test_a_retyped_or_doubled_column_is_named(screened: pa.Table) -> None:
    index = screened.schema.get_field_index("exporter_match_score")
    retyped = screened.set_column(
        index, "exporter_match_score", screened["exporter_match_score"].cast(pa.string())
    )
    with pytest.raises(StageOutputError, match="'exporter_match_score' is string, declared double"):
        check_stage_output("match_parties", retyped)
    doubled = screened.append_column("route", screened["route"])
    with pytest.raises(StageOutputError, match="column 'route' appears 2 times"):
        check_stage_output("classify_destinations", doubled)


def test_a_reader_names_the_missing_column_and_its_stage(screened: pa.Table) -> None:
    with pytest.raises(
        StageOutputError,
        match=r"reader needs missing column 'red_flag' \(added by stage link_records: did it run",
    ):
        require_columns(screened.drop_columns(["red_flag"]), ["route", "red_flag"], reader="reader")
    with pytest.raises(KeyError, match="undeclared column"):
        require_columns(screened, ["no_such_column"], reader="reader")
