"""What each row of a pair file says its second name is: a person, a company, a vessel.

Why: a list tells the matcher which entries are people (personal names need corroboration, a
person named by two common words is weak evidence); a pair file with no such column leaves
each name to be judged by its words, and "Deutsche Bank" then reads like a person's name. A
pair file may say it the way lists do (``entity_type``: entity / individual / vessel /
aircraft) or the way FollowTheMoney data does (``schema``: Company, Person, Vessel ...).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

ENTITY_TYPES = frozenset({"entity", "individual", "vessel", "aircraft"})
SCHEMA_ENTITY_TYPES = {
    "person": "individual",
    "company": "entity",
    "organization": "entity",
    "legalentity": "entity",
    "publicbody": "entity",
    "vessel": "vessel",
    "airplane": "aircraft",
}
"""FollowTheMoney schemata -> the lists' entity types (others: unknown)."""


def pair_entity_types(frame: pd.DataFrame) -> Sequence[str | None] | None:
    """Per row, the list entity type its ``entity_type`` or ``schema`` column gives (None
    where blank or unknown); None when the file has neither column."""
    if "entity_type" in frame.columns:
        values = frame["entity_type"].fillna("").astype(str).str.strip().str.lower()
        return [v if v in ENTITY_TYPES else None for v in values]
    if "schema" in frame.columns:
        values = frame["schema"].fillna("").astype(str).str.strip().str.lower()
        return [SCHEMA_ENTITY_TYPES.get(v) for v in values]
    return None


__all__ = ["pair_entity_types"]
