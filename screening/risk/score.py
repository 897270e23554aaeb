"""Risk level per trade record from party, goods and route signals, with plain-language reasons.

Scheme (points from ScreeningConfig.risk_weights, so a team can tune without code):
- a party (exporter or importer) matches a listed entity at or above the name threshold:
  ``party_match``, plus ``party_export_control_list`` when the list is an export-control or
  military-end-user list (those name who must not receive CHPL items);
- the HS code is on the CHPL: ``chpl_tier_1_2`` for tiers 1-2 (integrated circuits, radio and
  navigation parts), ``chpl_tier_3_4`` for tiers 3.A-4.B; ``chpl_possible`` when an older-edition
  code may be a CHPL code; ``other_listed_category`` for a configured category file's code;
- the description names CHPL-type goods the declared code does not show
  (``description_chpl_tier_1_2`` / ``description_chpl_tier_3_4``, plus ``possible_misdeclaration``
  when a code was declared and disagrees);
- the destination is Russia/Belarus (``route_direct_russia_belarus``) or a transshipment hub
  (``route_transshipment_hub``); the record is a leg of a coalition -> hub -> Russia re-export
  chain on the same goods (``route_chain``);
- FinCEN/BIS red flags: a freight forwarder as consignee (``freight_forwarder_consignee``), an
  importer that starts (``new_chpl_importer``) or sharply increases (``chpl_import_surge``) CHPL
  imports after 2022-02-24.
Route, chain and red-flag points count only on records with a goods or party signal.
Level: high at ``level_high`` points or more, medium at ``level_medium``, low above zero, but a
route alone never flags a record: without a goods or party signal the level is ``none``.
An unknown destination adds no points but is said in the reasons, never read as "low risk".
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import yaml

from screening.paths import PACKAGE_DATA_DIR

RISK_LEVELS = ("high", "medium", "low", "none")


@functools.cache
def list_kinds() -> dict[str, dict[str, str]]:
    """list_source -> {kind, label} (screening/data/list_kinds.yml)."""
    with open(PACKAGE_DATA_DIR / "list_kinds.yml", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def list_label(list_source: str | None) -> str:
    return list_kinds().get(list_source or "", {}).get("label", list_source or "")


def is_export_control_list(list_source: str | None) -> bool:
    kind = list_kinds().get(list_source or "", {}).get("kind")
    return kind in {"export_control", "military_end_user"}


def _optional(
    table: pa.Table, name: str, type_: pa.DataType | None = None
) -> pa.ChunkedArray | pa.Array:
    """A column, or all-null when an earlier stage did not run."""
    if name in table.column_names:
        return table[name]
    return pa.nulls(table.num_rows, type_ or pa.string())


def score_risk(screened: pa.Table, weights: Mapping[str, float]) -> pa.Table:
    """Add ``risk_points``, ``risk_level`` and ``risk_reasons`` to a screened table.

    Expects the columns written by the screening stages: ``chpl_tier``, ``route``,
    ``route_reason``, ``destination_status`` and, per party role, ``<role>_match_score``,
    ``<role>_match_name``, ``<role>_match_list_source``, ``<role>_match_source_id``.
    Reasons are built only for records with a goods or party signal.
    """
    n = screened.num_rows
    tier = pc.fill_null(screened["chpl_tier"], "")
    tier_12 = np.asarray(pc.is_in(tier, pa.array(["1", "2"])))
    tier_34 = np.asarray(pc.starts_with(tier, "3")) | np.asarray(pc.starts_with(tier, "4"))
    route = np.asarray(pc.fill_null(screened["route"], ""), dtype=object)
    direct = route == "direct_russia_belarus"
    hub = route == "via_transshipment_hub"

    code_chpl = tier_12 | tier_34
    possible = np.asarray(pc.is_valid(_optional(screened, "chpl_possible_tier"))) & ~code_chpl
    goods_exact = np.asarray(
        pc.fill_null(pc.equal(_optional(screened, "goods_status"), "exact"), False)
    )
    other_category = goods_exact & ~code_chpl

    points = np.zeros(n)
    points += np.where(tier_12, weights["chpl_tier_1_2"], 0.0)
    points += np.where(tier_34, weights["chpl_tier_3_4"], 0.0)
    points += np.where(possible, weights["chpl_possible"], 0.0)
    points += np.where(other_category, weights["other_listed_category"], 0.0)
    party_hit = np.zeros(n, dtype=bool)
    export_control_hit = np.zeros(n, dtype=bool)
    export_control = pa.array(sorted(s for s in list_kinds() if is_export_control_list(s)))
    for role in ("exporter", "importer"):
        sources = _optional(screened, f"{role}_match_list_source")
        party_hit |= np.asarray(pc.is_valid(sources))
        export_control_hit |= np.asarray(pc.is_in(sources, export_control))
    points += np.where(party_hit, weights["party_match"], 0.0)
    points += np.where(export_control_hit, weights["party_export_control_list"], 0.0)
    description_signal = np.asarray(
        pc.fill_null(_optional(screened, "description_signal"), ""), dtype=object
    )
    description_tier = np.asarray(
        pc.fill_null(_optional(screened, "description_tier"), ""), dtype=object
    )
    described = ~code_chpl & np.isin(
        description_signal, ["possible_misdeclaration", "description_only"]
    )
    desc_12 = described & np.isin(description_tier, ["1", "2"])
    desc_34 = described & ~desc_12 & (description_tier != "")
    misdeclared = described & (description_signal == "possible_misdeclaration")
    points += np.where(desc_12, weights["description_chpl_tier_1_2"], 0.0)
    points += np.where(desc_34, weights["description_chpl_tier_3_4"], 0.0)
    points += np.where(misdeclared, weights["possible_misdeclaration"], 0.0)

    signal = code_chpl | possible | other_category | desc_12 | desc_34 | party_hit
    points += np.where(signal & direct, weights["route_direct_russia_belarus"], 0.0)
    points += np.where(signal & hub, weights["route_transshipment_hub"], 0.0)
    chain = np.asarray(pc.is_valid(_optional(screened, "route_chain_role")))
    forwarder = np.asarray(
        pc.fill_null(_optional(screened, "importer_forwarder", pa.bool_()), False)
    )
    red_flag = np.asarray(pc.fill_null(_optional(screened, "red_flag"), ""), dtype=object)
    points += np.where(signal & chain, weights["route_chain"], 0.0)
    points += np.where(signal & forwarder, weights["freight_forwarder_consignee"], 0.0)
    points += np.where(signal & (red_flag == "new_chpl_importer"), weights["new_chpl_importer"], 0)
    points += np.where(signal & (red_flag == "chpl_import_surge"), weights["chpl_import_surge"], 0)
    points = np.where(signal, points, 0.0)

    level = np.full(n, "none", dtype=object)
    level[signal] = "low"
    level[signal & (points >= weights["level_medium"])] = "medium"
    level[signal & (points >= weights["level_high"])] = "high"

    reasons = [None] * n
    flagged = np.flatnonzero(signal)
    if len(flagged):
        reasons = _reasons(screened, flagged, reasons)
    return (
        screened.append_column("risk_points", pa.array(points, pa.float64()))
        .append_column("risk_level", pa.array(level.tolist(), pa.string()))
        .append_column("risk_reasons", pa.array(reasons, pa.string()))
    )


def _reasons(screened: pa.Table, rows: np.ndarray, reasons: list) -> list:
    sub = screened.take(pa.array(rows)).to_pylist()
    for row_no, rec in zip(rows.tolist(), sub, strict=True):
        parts = []
        for role in ("exporter", "importer"):
            source = rec.get(f"{role}_match_list_source")
            if source:
                parts.append(
                    f"{role} '{rec.get(role)}' matches '{rec.get(f'{role}_match_name')}' on "
                    f"{list_label(source)} (id {rec.get(f'{role}_match_source_id')}, "
                    f"score {rec.get(f'{role}_match_score'):.0f})"
                )
        if rec.get("chpl_tier"):
            parts.append(
                f"HS {rec.get('hs6')} is CHPL tier {rec['chpl_tier']}"
                f" ({rec.get('chpl_description') or 'Common High Priority List item'})"
            )
        elif rec.get("chpl_possible_tier"):
            candidates = ", ".join(rec.get("goods_candidates") or [])
            parts.append(
                f"HS {rec.get('hs6')} may be CHPL tier {rec['chpl_possible_tier']} "
                f"(an older HS edition code; HS 2022 candidates {candidates})"
            )
        elif rec.get("goods_status") == "exact" and rec.get("goods_category"):
            parts.append(
                f"HS {rec.get('hs6')} is listed in {rec['goods_category']}"
                + (f" (tier {rec['goods_tier']})" if rec.get("goods_tier") else "")
            )
        if rec.get("description_reason") and rec.get("description_signal") in (
            "possible_misdeclaration",
            "description_only",
        ):
            parts.append(rec["description_reason"])
        if rec.get("route_reason"):
            parts.append(rec["route_reason"])
        for optional in ("route_chain_reason", "importer_forwarder_reason", "red_flag_reason"):
            if rec.get(optional):
                parts.append(rec[optional])
        reasons[row_no] = "; ".join(parts)
    return reasons
