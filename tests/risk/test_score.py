"""The risk verdict: points per signal, level cut-offs, context that never flags alone, the
export-control bonus, weights from the config, and reasons said once per piece of evidence."""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pytest

from screening.config import DEFAULT_RISK_WEIGHTS, ConfigError, RiskWeights, ScreeningConfig
from screening.risk.features import is_export_control_list, list_kinds
from screening.risk.score import (
    RISK_MODEL,
    describe_risk_model,
    risk_input_columns,
    score_risk,
)
from screening.schema import StageOutputError
from tests.risk.factory import chpl, party, screened

W = DEFAULT_RISK_WEIGHTS

TIER_12_DESCRIPTION = {
    "hs6": "940360",
    "hs_status": "valid",
    "description_tier": "1",
    "description_signal": "possible_misdeclaration",
    "description_reason": "description names CHPL tier 1 goods (microcontroller), but the "
    "declared HS 940360 is neither on the CHPL nor where those goods belong: possible "
    "misdeclaration",
}

# (case, record, points, level): one signal at a time, then in combination
CASES: list[tuple[str, dict[str, Any], float, str]] = [
    ("nothing", {"route": "other"}, 0, "none"),
    ("exporter on a sanctions list", {**party("exporter"), "route": "other"}, 45, "medium"),
    ("importer on a sanctions list", {**party("importer"), "route": "other"}, 45, "medium"),
    (
        "both parties listed count once",
        {**party("exporter"), **party("importer"), "route": "other"},
        45,
        "medium",
    ),
    (
        "exporter on the BIS Entity List",
        {**party("exporter", "us_bis_entity_list"), "route": "other"},
        55,
        "medium",
    ),
    ("CHPL tier 1", {**chpl("1"), "route": "other"}, 40, "low"),
    ("CHPL tier 2", {**chpl("2"), "route": "other"}, 40, "low"),
    ("CHPL tier 3.A", {**chpl("3.A"), "route": "other"}, 25, "low"),
    ("CHPL tier 4.B", {**chpl("4.B"), "route": "other"}, 25, "low"),
    (
        "HS 2017 code that may be CHPL",
        {
            "hs6": "854239",
            "goods_status": "possible",
            "chpl_possible_tier": "1",
            "goods_candidates": ["854231", "854232"],
            "route": "other",
        },
        15,
        "low",
    ),
    (
        "code in another category file",
        {"hs6": "880211", "goods_status": "exact", "goods_category": "MY_LIST", "route": "other"},
        20,
        "low",
    ),
    (
        "description names tier 1 goods, code disagrees",
        {**TIER_12_DESCRIPTION, "route": "other"},
        45,
        "medium",
    ),
    (
        "description names tier 3 goods, no code",
        {
            "description_tier": "3.A",
            "description_signal": "description_only",
            "description_reason": "description names CHPL tier 3.A goods; no HS code declared",
            "route": "other",
        },
        20,
        "low",
    ),
    (
        "description agrees with a CHPL code: only the code scores",
        {
            **chpl("1"),
            "description_tier": "1",
            "description_signal": "consistent",
            "description_reason": "description names CHPL tier 1 goods; the declared HS agrees",
            "route": "other",
        },
        40,
        "low",
    ),
    ("CHPL tier 1 to Russia", {**chpl("1"), "route": "direct_russia_belarus"}, 75, "high"),
    ("CHPL tier 1 to a hub", {**chpl("1"), "route": "via_transshipment_hub"}, 55, "medium"),
    ("CHPL tier 3 to Russia", {**chpl("3.B"), "route": "direct_russia_belarus"}, 60, "medium"),
    (
        "CHPL tier 3, leg of a re-export chain",
        {**chpl("3.A"), "route": "other", "route_chain_role": "first_leg", "route_chain_count": 1},
        45,
        "medium",
    ),
    (
        "CHPL tier 1 to a forwarder",
        {**chpl("1"), "route": "other", "importer_forwarder": True},
        50,
        "medium",
    ),
    (
        "CHPL tier 1 to a new CHPL importer",
        {**chpl("1"), "route": "other", "red_flag": "new_chpl_importer"},
        55,
        "medium",
    ),
    (
        "CHPL tier 1 to a surging importer",
        {**chpl("1"), "route": "other", "red_flag": "chpl_import_surge"},
        50,
        "medium",
    ),
    (
        "listed party to Russia",
        {**party("importer"), "route": "direct_russia_belarus"},
        80,
        "high",
    ),
    (
        "everything at once",
        {
            **party("exporter", "us_bis_entity_list"),
            **chpl("1"),
            "route": "via_transshipment_hub",
            "route_chain_role": "second_leg",
            "route_chain_count": 1,
            "importer_forwarder": True,
            "red_flag": "new_chpl_importer",
        },
        45 + 10 + 40 + 15 + 20 + 10 + 15,
        "high",
    ),
]

ROUTE_ONLY = [
    ("to Russia", {"route": "direct_russia_belarus"}),
    ("to a hub", {"route": "via_transshipment_hub"}),
    ("unknown destination", {"route": "unknown_destination"}),
    ("chain leg", {"route": "direct_russia_belarus", "route_chain_role": "second_leg"}),
    ("forwarder", {"route": "direct_russia_belarus", "importer_forwarder": True}),
    ("new CHPL importer", {"route": "direct_russia_belarus", "red_flag": "new_chpl_importer"}),
    (
        "every kind of context at once",
        {
            "route": "direct_russia_belarus",
            "route_chain_role": "second_leg",
            "importer_forwarder": True,
            "red_flag": "chpl_import_surge",
        },
    ),
    (
        "description consistent with a non-CHPL code",
        {"route": "direct_russia_belarus", "description_signal": "consistent"},
    ),
]


def _score(*records: dict[str, Any], weights: Any = W) -> list[dict[str, Any]]:
    scored = score_risk(screened(*records), weights)
    return scored.select(["risk_points", "risk_level", "risk_reasons"]).to_pylist()


@pytest.mark.parametrize(
    ("record", "points", "level"),
    [pytest.param(r, p, lv, id=name) for name, r, p, lv in CASES],
)
def test_points_and_level_per_case(record: dict[str, Any], points: float, level: str) -> None:
    (result,) = _score(record)
    assert result["risk_points"] == pytest.approx(points)
    assert result["risk_level"] == level


@pytest.mark.parametrize("record", [pytest.param(r, id=name) for name, r in ROUTE_ONLY])
def test_a_route_or_red_flag_alone_never_flags(record: dict[str, Any]) -> None:
    (result,) = _score(record)
    assert result == {"risk_points": 0.0, "risk_level": "none", "risk_reasons": None}


@pytest.mark.parametrize(
    ("party_points", "level"),
    [(0.0, "low"), (44.9, "low"), (45.0, "medium"), (69.9, "medium"), (70.0, "high")],
)
def test_level_cut_offs(party_points: float, level: str) -> None:
    """Levels change exactly at level_medium and level_high; any evidence is at least low."""
    weights = {"party_match": party_points}
    (result,) = _score({**party("exporter"), "route": "other"}, weights=weights)
    assert result["risk_points"] == pytest.approx(party_points)
    assert result["risk_level"] == level


@pytest.mark.parametrize("list_source", sorted(list_kinds()))
def test_export_control_bonus_follows_the_list_kind(list_source: str) -> None:
    kind = list_kinds()[list_source]["kind"]
    (result,) = _score({**party("importer", list_source), "route": "other"})
    bonus = W["party_export_control_list"] if kind in {"export_control", "military_end_user"} else 0
    assert result["risk_points"] == W["party_match"] + bonus
    assert is_export_control_list(list_source) == bool(bonus)
    assert list_kinds()[list_source]["label"] in result["risk_reasons"]


def test_export_control_bonus_on_either_party_counts_once() -> None:
    (result,) = _score(
        {
            **party("exporter", "us_bis_entity_list"),
            **party("importer", "eu_833_annex_iv"),
            "route": "other",
        }
    )
    assert result["risk_points"] == W["party_match"] + W["party_export_control_list"]


def test_reasons_say_each_piece_of_evidence_once_in_model_order() -> None:
    (result,) = _score(
        {
            **party("exporter", "us_bis_entity_list"),
            **party("importer"),
            **chpl("1"),
            "route": "via_transshipment_hub",
            "route_chain_role": "first_leg",
            "route_chain_reason": "first leg of a re-export chain",
            "importer_forwarder": True,
            "importer_forwarder_reason": "importer is a logistics company",
            "red_flag": "new_chpl_importer",
            "red_flag_reason": "new CHPL importer",
        }
    )
    sentences = result["risk_reasons"].split("; ")
    assert sentences == [
        "exporter 'EXPORTER TRADING LLC' matches 'EXPORTER TRADING' on US BIS Entity List "
        "(id 1234, score 95)",
        "importer 'IMPORTER TRADING LLC' matches 'IMPORTER TRADING' on US OFAC SDN List "
        "(id 1234, score 95)",
        "HS 854231 is CHPL tier 1 (Electronic integrated circuits: processors and controllers)",
        "destination Kazakhstan (KZ) is a transshipment hub listed by BIS/FinCEN",
        "first leg of a re-export chain",
        "importer is a logistics company",
        "new CHPL importer",
    ]


def test_an_unknown_destination_is_said_not_scored() -> None:
    (result,) = _score({**chpl("1"), "route": "unknown_destination"})
    assert result["risk_points"] == W["chpl_tier_1_2"]
    assert "destination value 'ATLANTIS' not recognised" in result["risk_reasons"]


def test_possible_code_in_another_category_says_both() -> None:
    (result,) = _score(
        {
            "hs6": "854239",
            "goods_status": "exact",
            "goods_category": "MY_LIST",
            "chpl_possible_tier": "1",
            "goods_candidates": ["854231"],
            "route": "other",
        }
    )
    assert result["risk_points"] == W["chpl_possible"] + W["other_listed_category"]
    assert "may be CHPL tier 1" in result["risk_reasons"]
    assert "listed in MY_LIST" in result["risk_reasons"]


@pytest.mark.parametrize("column", risk_input_columns())
def test_every_input_column_is_required(column: str) -> None:
    table = screened({**chpl("1"), "route": "other"}).drop_columns([column])
    with pytest.raises(StageOutputError, match=f"score_risk needs missing column '{column}'"):
        score_risk(table, W)


def test_a_mistyped_column_is_refused() -> None:
    table = screened({**chpl("1"), "route": "other"})
    index = table.schema.get_field_index("importer_forwarder")
    table = table.set_column(index, "importer_forwarder", pa.array(["yes"]))
    with pytest.raises(StageOutputError, match="'importer_forwarder' is string, declared bool"):
        score_risk(table, W)


def test_weights_from_a_config_mapping_and_a_yaml_file(tmp_path) -> None:
    record = {**party("exporter"), "route": "other"}
    config = ScreeningConfig.from_mapping({"risk_weights": {"party_match": 75}})
    assert _score(record, weights=config.risk_weights)[0]["risk_level"] == "high"
    path = tmp_path / "config.yml"
    path.write_text("risk_weights:\n  level_medium: 50\n  level_high: 60\n", encoding="utf-8")
    weights = ScreeningConfig.from_file(path).risk_weights
    assert weights.party_match == W["party_match"]  # the keys not given keep their defaults
    assert _score(record, weights=weights)[0]["risk_level"] == "low"
    assert _score({**record, "route": "direct_russia_belarus"}, weights=weights)[0][
        "risk_level"
    ] == ("high")


def test_a_plain_mapping_of_weights_is_validated() -> None:
    with pytest.raises(ConfigError, match=r"unknown config key 'risk_weights\.party_mtach'"):
        score_risk(screened({"route": "other"}), {"party_mtach": 10})


def test_model_lists_every_weight_once() -> None:
    weighted = [entry.weight for entry in RISK_MODEL if entry.weight]
    levels = {"level_high", "level_medium"}
    assert sorted(weighted) == sorted(set(RiskWeights.model_fields) - levels)
    described = describe_risk_model()
    assert [row["feature"] for row in described] == [e.feature.name for e in RISK_MODEL]
    assert all(row["description"] for row in described)


def test_empty_table_scores_to_empty_columns() -> None:
    table = score_risk(screened(), W)
    assert table.num_rows == 0
    assert {"risk_points", "risk_level", "risk_reasons"} <= set(table.column_names)
