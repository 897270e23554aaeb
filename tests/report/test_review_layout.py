"""The review file: cases grouped, reading order, rounding, entry links, one row per entity."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from screening.pipeline import flagged_records
from screening.report.links import entry_link
from screening.report.review_layout import listed_entities, review_table
from tests.report.conftest import RunFolder

SDN_ID = "30392"
CSL_HASH = "8ca8ac3af4ab8c5093ca3a22a61af82498186c8f"


def flagged_rows() -> pa.Table:
    """Five flagged records modelled on the vendor run: three of one shipment pair (two of
    them matched through different aliases of one SDN entry), one with a different HS6, one
    importer matched on the BIS Entity List."""
    base = {
        "risk_level": "medium",
        "risk_points": 50,
        "risk_reasons": "exporter matches an SDN entry",
        "source_file": "Armenia_Import_S.csv",
        "exporter": "PARS TILE CO",
        "exporter_match_name": "PARS TILE COMPANY",
        "exporter_match_list_source": "us_ofac_sdn",
        "exporter_match_source_id": SDN_ID,
        "exporter_match_score": 99.96666,
        "exporter_match_explanation": "matched words: pars, tile",
        "importer": "IMEX GROUP LLC",
        "importer_match_name": None,
        "importer_match_list_source": None,
        "importer_match_source_id": None,
        "importer_match_score": None,
        "hs_code": "6907210000",
        "hs6": "690721",
        "route": "via_transshipment_hub",
        "value": 683062.384999,
        "hs_status": "valid",
        "src_MONTHYEAR": "2024-10",
        "always_empty": None,
    }
    rows = [
        {**base, "record_id": "r1", "source_row": 2, "date": "2024-10"},
        {
            **base,
            "record_id": "r2",
            "source_row": 3,
            "date": "2025-09",
            "exporter": "Pars Tile Co ",
            "exporter_match_name": "PARS TILE",
            "value": 0.333333,
        },
        {**base, "record_id": "r3", "source_row": 4, "date": "2024-12", "value": None},
        {**base, "record_id": "r4", "source_row": 5, "date": "2024-11", "hs6": "690722"},
        {
            **base,
            "record_id": "r5",
            "source_row": 6,
            "risk_level": "high",
            "risk_points": 70,
            "exporter_match_name": None,
            "exporter_match_list_source": None,
            "exporter_match_source_id": None,
            "exporter_match_score": None,
            "importer": "INTERSAN",
            "importer_match_name": "Interscan",
            "importer_match_list_source": "us_bis_entity_list",
            "importer_match_source_id": CSL_HASH,
            "importer_match_score": 88.33,
        },
    ]
    return pa.Table.from_pylist(rows)


@pytest.fixture
def review() -> pa.Table:
    return review_table(flagged_records(flagged_rows()))


def test_identical_cases_become_one_row_with_count_and_ids(review: pa.Table) -> None:
    rows = review.to_pylist()
    assert [r["record_count"] for r in rows] == [1, 3, 1]
    assert rows[0]["record_ids"] == "r5"  # high risk first
    grouped = rows[1]
    assert grouped["record_ids"] == "r1; r2; r3"
    assert (grouped["date"], grouped["date_last"]) == ("2024-10", "2025-09")
    assert grouped["value"] == Decimal("683062.72")  # 683062.384999 + 0.333333, in cents
    # one listed entry, both aliases it matched through, both spellings of the party
    assert grouped["exporter_match_name"] == "PARS TILE COMPANY; PARS TILE"
    assert grouped["exporter"] == "PARS TILE CO; Pars Tile Co "
    assert rows[2]["hs6"] == "690722"
    assert sum(r["record_count"] for r in rows) == 5


def test_columns_in_reading_order(review: pa.Table) -> None:
    names = review.column_names
    assert names[:2] == ["analyst_decision", "analyst_note"]
    assert names[2:5] == ["risk_level", "risk_points", "risk_reasons"]
    assert names.index("record_count") < names.index("exporter") < names.index("importer")
    assert names.index("importer_match_score") < names.index("hs6") < names.index("route")
    assert names.index("route") < names.index("source_file") < names.index("hs_status")
    assert names[-1] == "src_MONTHYEAR"
    assert "always_empty" not in names


def test_decisions_carried_by_the_store_come_right_after_the_empty_ones() -> None:
    table = flagged_rows()
    for column in ("decided_at", "previous_decision", "decided_by"):
        table = table.append_column(column, pa.array(["x"] * table.num_rows))
    names = review_table(flagged_records(table)).column_names
    assert names[:5] == [
        "analyst_decision",
        "analyst_note",
        "previous_decision",
        "decided_by",
        "decided_at",
    ]


def test_numbers_rounded(review: pa.Table) -> None:
    assert review["exporter_match_score"].to_pylist()[1] == Decimal("100.0")
    assert review["importer_match_score"].to_pylist()[0] == Decimal("88.3")
    assert review["value"].to_pylist() == [
        Decimal("683062.38"),
        Decimal("683062.72"),
        Decimal("683062.38"),
    ]


def test_entry_links(review: pa.Table) -> None:
    rows = review.to_pylist()
    assert rows[1]["exporter_match_link"] == (
        f"https://sanctionssearch.ofac.treas.gov/Details.aspx?id={SDN_ID}"
    )
    assert rows[0]["importer_match_link"] == "https://www.trade.gov/data-visualization/csl-search"
    assert entry_link("us_ofac_sdn", "1/../x") == (
        "https://sanctionssearch.ofac.treas.gov/Details.aspx?id=1%2F..%2Fx"
    )
    assert entry_link("a_list_we_do_not_know", "1") is None
    assert entry_link(None, None) is None


def test_one_row_per_listed_entity(review: pa.Table) -> None:
    entities = listed_entities(review).to_pylist()
    assert [(e["list_source"], e["source_id"]) for e in entities] == [
        ("us_ofac_sdn", SDN_ID),
        ("us_bis_entity_list", CSL_HASH),
    ]
    sdn = entities[0]
    assert (sdn["records"], sdn["cases"]) == (4, 2)
    assert sdn["matched_names"] == "PARS TILE COMPANY; PARS TILE"
    assert sdn["highest_risk"] == "medium"
    assert entities[1]["highest_risk"] == "high"


def test_no_flags_gives_an_empty_file_with_the_decision_columns() -> None:
    table = flagged_rows().filter(pc.equal(pc.field("risk_level"), "none"))
    review = review_table(table)
    assert review.num_rows == 0
    assert review.column_names[:2] == ["analyst_decision", "analyst_note"]
    assert listed_entities(review).num_rows == 0


def test_vendor_run_flagged_csv_groups_the_repeated_shipment(vendor_run: RunFolder) -> None:
    frame = pd.read_csv(vendor_run.path / "flagged.csv", dtype=str, encoding="utf-8-sig")
    counts = vendor_run.manifest["counts"]
    assert frame["record_count"].astype(int).sum() == counts["rows_flagged"]
    assert len(frame) < counts["rows_flagged"]
    pars = frame[frame["exporter"] == "PARS TILE CO"]
    assert len(pars) == 1
    assert int(pars["record_count"].iloc[0]) == 21
    ids = pars["record_ids"].iloc[0].split("; ")
    flagged = flagged_records(vendor_run.screened).to_pandas()
    assert sorted(ids) == sorted(flagged.loc[flagged["exporter"] == "PARS TILE CO", "record_id"])
    assert (
        pars["exporter_match_link"]
        .iloc[0]
        .startswith("https://sanctionssearch.ofac.treas.gov/Details.aspx?id=")
    )
    assert list(frame.columns[:2]) == ["analyst_decision", "analyst_note"]
    src = [i for i, c in enumerate(frame.columns) if c.startswith("src_")]
    assert src == list(range(len(frame.columns) - len(src), len(frame.columns)))
    decimals = frame["value"].dropna().str.partition(".")[2].str.len()
    assert (decimals <= 2).all()
    # screened.parquet keeps one row per record
    assert vendor_run.screened.num_rows == counts["rows_screened"]
    assert counts["rows_in"] == counts["rows_screened"] + counts["rows_rejected"]
