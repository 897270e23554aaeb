"""Carrying decisions into a screened batch: cleared matches come off while the evidence is
unchanged, and come back (reopened) when the list entry, the score or a shared INN changes.
Screened for real: the bundled sample against the bundled OFAC SDN list."""

from __future__ import annotations

import dataclasses

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from screening.config import ScreeningConfig
from screening.io import load_trade_files
from screening.paths import SAMPLE_TRADES
from screening.pipeline import ReferenceData, assess_records, screen_chunk
from screening.review.carry import annotate_matches, apply_decisions, party_key
from screening.review.store import Decision


@pytest.fixture(scope="module")
def matched(sdn_reference: ReferenceData, sdn_config: ScreeningConfig) -> pa.Table:
    """The bundled sample after party matching (before the risk score)."""
    trades = load_trade_files([SAMPLE_TRADES]).table
    table, _ = screen_chunk(trades, sdn_reference, sdn_config)
    return table


def _busiest_importer_match(table: pa.Table) -> dict:
    """The importer whose match is on the most records (several records to clear at once)."""
    hits = table.filter(pc.is_valid(table["importer_match_source_id"]))
    counts = pc.value_counts(hits["importer_match_source_id"]).to_pylist()
    source_id = max(counts, key=lambda c: (c["counts"], c["values"]))["values"]
    return hits.filter(pc.equal(hits["importer_match_source_id"], source_id)).to_pylist()[0]


def _decision(record: dict, kind: str, **changes) -> Decision:
    base = Decision(
        party=party_key(record["importer"]),
        party_name=record["importer"],
        list_source=record["importer_match_list_source"],
        source_id=record["importer_match_source_id"],
        list_version=record.get("importer_match_list_version"),
        entry_hash=record.get("importer_match_entry_hash"),
        score=record["importer_match_score"],
        decision=kind,
        analyst="ana",
        decided_at="2026-03-01T09:00:00.000000+00:00",
        note="reviewed",
    )
    return dataclasses.replace(base, **changes)


def _on_entry(table: pa.Table, decision: Decision) -> pa.Array:
    """Records where either party is the decided party and matches the decided entry."""
    mask = pa.array([False] * table.num_rows)
    for role in ("exporter", "importer"):
        keys = pa.array([party_key(n) for n in table[role].to_pylist()])
        here = pc.and_(
            pc.equal(keys, decision.party),
            pc.equal(table[f"{role}_match_source_id"], decision.source_id),
        )
        mask = pc.or_(mask, pc.fill_null(here, False))
    return mask


def test_a_cleared_match_comes_off_and_the_risk_is_recomputed(
    matched: pa.Table, sdn_reference: ReferenceData, sdn_config: ScreeningConfig
) -> None:
    annotated = annotate_matches(matched, sdn_reference.lists)
    decision = _decision(_busiest_importer_match(annotated), "cleared")
    before, _ = assess_records(annotated, sdn_config)
    cleared, counts = apply_decisions(matched, {decision.key: decision}, sdn_reference.lists)
    after, _ = assess_records(cleared, sdn_config)

    on_entry = _on_entry(before, decision)
    expected = int(pc.sum(on_entry).as_py())
    assert expected >= 2  # several records of one party were flagged on this entry
    assert counts.records_suppressed == counts.matches_suppressed == expected
    assert pc.sum(_on_entry(after, decision)).as_py() == 0  # the match is off every record
    taken_off = after.filter(on_entry)
    assert all("cleared by ana" in text for text in taken_off["suppressed_by_decision"].to_pylist())
    for old, new in zip(before.filter(on_entry).to_pylist(), taken_off.to_pylist(), strict=True):
        assert new["risk_points"] < old["risk_points"]  # the party points are gone
        goods = bool(
            old["chpl_tier"] or old["chpl_possible_tier"] or old["goods_status"] == "exact"
        )
        if goods:  # the record keeps its other reason to be flagged
            assert new["risk_level"] != "none"
        assert "matches" not in (new["risk_reasons"] or "") or (
            old["exporter_match_source_id"] and old["importer_match_source_id"]
        )
    assert set(after.filter(on_entry)["risk_level"].to_pylist()) & {"none"}  # some unflagged
    untouched = pc.invert(on_entry)  # no other record changed
    assert before.filter(untouched)["risk_points"].equals(after.filter(untouched)["risk_points"])


def test_a_changed_list_entry_reopens_a_cleared_match(
    matched: pa.Table, sdn_reference: ReferenceData
) -> None:
    decision = _decision(
        _busiest_importer_match(annotate_matches(matched, sdn_reference.lists)), "cleared"
    )
    lists = sdn_reference.lists
    entity = lists.filter(
        pc.and_(
            pc.equal(lists["source_id"], decision.source_id),
            pc.equal(lists["name_kind"], "primary"),
        )
    )
    new_alias = entity.set_column(
        entity.schema.get_field_index("name"), "name", pa.array(["A NEW ALIAS LLC"])
    ).set_column(entity.schema.get_field_index("name_kind"), "name_kind", pa.array(["alias"]))
    updated = pa.concat_tables([lists, new_alias.cast(lists.schema)])
    reopened, counts = apply_decisions(matched, {decision.key: decision}, updated)
    on_entry = _on_entry(reopened, decision)
    assert counts.records_suppressed == 0
    assert counts.reopened == pc.sum(on_entry).as_py() >= 2
    assert counts.reopen_reasons == {"list entry changed": counts.reopened}
    rows = reopened.filter(on_entry)
    assert set(rows["previous_decision"].to_pylist()) == {"cleared, reopened: list entry changed"}
    assert set(rows["decided_by"].to_pylist()) == {"ana"}


def test_stronger_evidence_reopens_a_cleared_match(
    matched: pa.Table, sdn_reference: ReferenceData
) -> None:
    target = _busiest_importer_match(annotate_matches(matched, sdn_reference.lists))
    weaker = _decision(target, "cleared", score=target["importer_match_score"] - 5)
    _, counts = apply_decisions(matched, {weaker.key: weaker}, sdn_reference.lists)
    assert counts.records_suppressed == 0
    assert counts.reopen_reasons == {"higher score": counts.reopened}


def test_an_inn_now_shared_reopens_a_cleared_match(
    sdn_reference: ReferenceData, sdn_config: ScreeningConfig
) -> None:
    # OFAC SDN 16806, OOO VOLGA GROUP, lists INN 7718989383; customs systems glue the INN
    # before the name
    trades = pa.table(
        {
            "record_id": ["t:2", "t:3"],
            "date": ["2024-03-01"] * 2,
            "exporter": ["ACME GMBH"] * 2,
            "importer": ["OOO VOLGA GROUP", "7718989383 OOO VOLGA GROUP"],
            "origin_country": ["DE"] * 2,
            "destination_country": ["RU"] * 2,
            "hs_code": ["940360"] * 2,
            "description": ["WOODEN FURNITURE"] * 2,
            "value": [1000.0] * 2,
            "quantity": [10.0] * 2,
            "source_file": ["t.csv"] * 2,
            "source_row": pa.array([2, 3], pa.int64()),
        }
    )
    screened, _ = screen_chunk(trades, sdn_reference, sdn_config)
    screened = annotate_matches(screened, sdn_reference.lists)
    first = screened.to_pylist()[0]
    assert first["importer_match_source_id"] == "16806"
    decision = _decision(first, "cleared")  # cleared on the name alone, no INN written
    out, counts = apply_decisions(screened, {decision.key: decision}, sdn_reference.lists)
    assert out["importer_match_source_id"].to_pylist() == [None, "16806"]
    assert counts.records_suppressed == 1
    assert out["previous_decision"].to_pylist() == [
        None,
        "cleared, reopened: identifier now shared",
    ]


@pytest.mark.parametrize("kind", ["confirmed", "escalated"])
def test_confirmed_and_escalated_matches_stay_flagged_with_the_decision(
    matched: pa.Table, sdn_reference: ReferenceData, sdn_config: ScreeningConfig, kind: str
) -> None:
    target = _busiest_importer_match(annotate_matches(matched, sdn_reference.lists))
    decision = _decision(target, kind)
    out, counts = apply_decisions(matched, {decision.key: decision}, sdn_reference.lists)
    scored, _ = assess_records(out, sdn_config)
    decided = scored.filter(pc.is_valid(scored["previous_decision"]))
    assert decided.num_rows == getattr(counts, kind) >= 2
    assert set(decided["previous_decision"].to_pylist()) == {kind}
    assert set(decided["decided_at"].to_pylist()) == {decision.decided_at}
    assert "none" not in decided["risk_level"].to_pylist()
    assert counts.records_suppressed == 0
