"""Goods: what the description says the goods are, read against the CHPL and the declared code."""

from __future__ import annotations

from screening.goods.descriptions import (
    CONSISTENT,
    DESCRIPTION_COLUMNS,
    DESCRIPTION_ONLY,
    DESCRIPTION_RULES_FILE,
    DESCRIPTION_SIGNALS,
    OTHER_CHPL_CODE,
    POSSIBLE_MISDECLARATION,
    DescriptionRule,
    DescriptionRules,
    classify_descriptions,
    load_description_rules,
    normalise_texts,
)

__all__ = [
    "CONSISTENT",
    "DESCRIPTION_COLUMNS",
    "DESCRIPTION_ONLY",
    "DESCRIPTION_RULES_FILE",
    "DESCRIPTION_SIGNALS",
    "OTHER_CHPL_CODE",
    "POSSIBLE_MISDECLARATION",
    "DescriptionRule",
    "DescriptionRules",
    "classify_descriptions",
    "load_description_rules",
    "normalise_texts",
]
