"""Risk scoring: named features (features.py) weighed by the model (score.py) into a level and
the reasons an analyst reads; FinCEN/BIS red flags computed from the data (red_flags.py)."""

from screening.risk.features import Feature, ScreenedColumns, Signal, feature
from screening.risk.score import (
    RISK_LEVELS,
    RISK_MODEL,
    WeightedFeature,
    describe_risk_model,
    risk_input_columns,
    score_risk,
)

__all__ = [
    "RISK_LEVELS",
    "RISK_MODEL",
    "Feature",
    "ScreenedColumns",
    "Signal",
    "WeightedFeature",
    "describe_risk_model",
    "feature",
    "risk_input_columns",
    "score_risk",
]
