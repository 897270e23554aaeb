"""Risk level per trade record: a weighted list of named features, with plain-language reasons.

The model (:data:`RISK_MODEL`) is a list of features from :mod:`screening.risk.features`, each
with the key of its points in :class:`screening.config.RiskWeights` (so a team can tune without
code) and whether it is *evidence* or *context*:

- evidence (goods or party): a party matches a listed entity (``party_match``, plus
  ``party_export_control_list`` on an export-control or military-end-user list); the HS code is
  on the CHPL (``chpl_tier_1_2`` / ``chpl_tier_3_4``), may be a CHPL code of the newer edition
  (``chpl_possible``) or is in another configured category (``other_listed_category``); the
  description names CHPL goods the code does not show (``description_chpl_tier_1_2`` /
  ``description_chpl_tier_3_4``, plus ``possible_misdeclaration`` when a code was declared);
- context, counted only on records with evidence: the destination is Russia/Belarus or a
  transshipment hub, the record is a leg of a re-export chain, the consignee is a forwarder,
  the importer is new to or surging in CHPL imports after 2022-02-24 (FinCEN/BIS red flags).

Level: high at ``level_high`` points or more, medium at ``level_medium``, low above that with any
evidence; without evidence the level is ``none``, so a route alone never flags a record. The
destination is said in every flagged record's reasons, also when it is unknown (never read as
"low risk"). Each feature is computed once; sentences are built only for flagged records, and the
same sentence said by two features (a match and its export-control bonus) appears once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from screening.config import RiskWeights
from screening.risk import features as f
from screening.risk.features import Feature, ScreenedColumns, Signal, list_label
from screening.schema import check_stage_output, require_columns

RISK_LEVELS = ("high", "medium", "low", "none")

__all__ = [
    "RISK_LEVELS",
    "RISK_MODEL",
    "WeightedFeature",
    "describe_risk_model",
    "list_label",
    "risk_input_columns",
    "score_risk",
]


@dataclass(frozen=True)
class WeightedFeature:
    """A feature in the model: ``weight`` names its points in RiskWeights (None: said in the
    reasons, worth no points); ``evidence`` features make a record flaggable, the others only
    add to a record that has evidence."""

    feature: Feature
    weight: str | None
    evidence: bool


def _evidence(feature: Feature) -> WeightedFeature:
    return WeightedFeature(feature, feature.name, evidence=True)


def _context(feature: Feature, *, scored: bool = True) -> WeightedFeature:
    return WeightedFeature(feature, feature.name if scored else None, evidence=False)


RISK_MODEL: tuple[WeightedFeature, ...] = (
    _evidence(f.party_match),
    _evidence(f.party_export_control_list),
    _evidence(f.chpl_tier_1_2),
    _evidence(f.chpl_tier_3_4),
    _evidence(f.chpl_possible),
    _evidence(f.other_listed_category),
    _evidence(f.description_chpl_tier_1_2),
    _evidence(f.description_chpl_tier_3_4),
    _evidence(f.possible_misdeclaration),
    _context(f.route_direct_russia_belarus),
    _context(f.route_transshipment_hub),
    _context(f.destination_stated, scored=False),
    _context(f.route_chain),
    _context(f.freight_forwarder_consignee),
    _context(f.new_chpl_importer),
    _context(f.chpl_import_surge),
)
"""The features in the order their sentences appear in ``risk_reasons``."""


def risk_input_columns(model: Sequence[WeightedFeature] = RISK_MODEL) -> tuple[str, ...]:
    """Every screened column the model reads, in first-read order."""
    return tuple(dict.fromkeys(c for entry in model for c in entry.feature.reads))


def describe_risk_model(
    weights: RiskWeights | None = None, model: Sequence[WeightedFeature] = RISK_MODEL
) -> list[dict[str, object]]:
    """One row per feature (name, points, evidence or context, what it means): the scheme as an
    analyst reads it, from the same objects that score."""
    weights = weights or RiskWeights()
    return [
        {
            "feature": entry.feature.name,
            "points": weights[entry.weight] if entry.weight else 0.0,
            "kind": "evidence" if entry.evidence else "context",
            "description": entry.feature.doc,
        }
        for entry in model
    ]


def _as_weights(weights: RiskWeights | Mapping[str, float]) -> RiskWeights:
    if isinstance(weights, RiskWeights):
        return weights
    from screening.config import ScreeningConfig

    return ScreeningConfig.from_mapping({"risk_weights": dict(weights)}).risk_weights


def score_risk(
    screened: pa.Table,
    weights: RiskWeights | Mapping[str, float],
    *,
    model: Sequence[WeightedFeature] = RISK_MODEL,
) -> pa.Table:
    """Add ``risk_points``, ``risk_level`` and ``risk_reasons`` to a screened table.

    ``screened`` must have every column the model's features read (:func:`risk_input_columns`:
    the goods, description, route, party-match, forwarder and link stages' outputs); a missing
    or mistyped one raises StageOutputError naming it. ``weights`` is the config's RiskWeights
    (a plain mapping is validated and completed from the defaults).
    """
    require_columns(screened, risk_input_columns(model), reader="score_risk")
    weights = _as_weights(weights)
    n = screened.num_rows
    table = ScreenedColumns(screened)
    signals: list[Signal] = [entry.feature(table) for entry in model]

    evidence = np.zeros(n, dtype=bool)
    for entry, signal in zip(model, signals, strict=True):
        if entry.evidence:
            evidence |= signal.hit
    points = np.zeros(n)
    for entry, signal in zip(model, signals, strict=True):
        if entry.weight:
            counts = signal.hit if entry.evidence else signal.hit & evidence
            points += np.where(counts, weights[entry.weight], 0.0)

    level = np.full(n, "none", dtype=object)
    level[evidence] = "low"
    level[evidence & (points >= weights.level_medium)] = "medium"
    level[evidence & (points >= weights.level_high)] = "high"

    out = (
        screened.append_column("risk_points", pa.array(points, pa.float64()))
        .append_column("risk_level", pa.array(level.tolist(), pa.string()))
        .append_column("risk_reasons", pa.array(_reasons(signals, evidence), pa.string()))
    )
    return check_stage_output("score_risk", out)


def _reasons(signals: Sequence[Signal], flagged: np.ndarray) -> list[str | None]:
    """ "; "-joined sentences of the features that hit each flagged record, each said once."""
    reasons: list[str | None] = [None] * flagged.shape[0]
    rows = np.flatnonzero(flagged)
    if not rows.size:
        return reasons
    said: list[list[str]] = [[] for _ in range(rows.size)]
    position = np.full(flagged.shape[0], -1, dtype=np.int64)
    position[rows] = np.arange(rows.size)
    for signal in signals:
        hit_rows = rows[signal.hit[rows]]
        if not hit_rows.size:
            continue
        for at, sentences in zip(
            position[hit_rows].tolist(), signal.explain(hit_rows), strict=True
        ):
            for sentence in sentences:
                if sentence not in said[at]:
                    said[at].append(sentence)
    for at, row in enumerate(rows.tolist()):
        reasons[row] = "; ".join(said[at])
    return reasons
