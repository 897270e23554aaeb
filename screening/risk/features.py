"""The risk signals: each a small named function over the screened columns that says which
records it hits and, for those an analyst will read, the sentence why.

A signal only detects; its points come from :class:`screening.config.RiskWeights` through the
model in :mod:`screening.risk.score`, so a team can tune the weights without touching code. Every
signal declares the columns it reads (``reads``), and the model refuses a table lacking any of
them: a renamed column stops the run instead of silently scoring nothing. Sentences are built only
for the rows asked (the flagged ones), never for every record.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from screening import yaml_files
from screening.paths import PACKAGE_DATA_DIR
from screening.risk.red_flags import CHPL_IMPORT_SURGE, NEW_CHPL_IMPORTER
from screening.schema import PARTY_ROLES

Sentences = list[tuple[str, ...]]
"""Per asked row, the sentences a signal says about it (empty where it says nothing)."""


@dataclass(frozen=True, slots=True)
class Signal:
    """What one feature found: ``hit`` per record, and ``explain(rows)`` for the given rows."""

    hit: np.ndarray
    explain: Callable[[np.ndarray], Sentences]


@dataclass(frozen=True)
class Feature:
    """A named risk feature: the columns it reads and the function that detects it. Its
    docstring is the analyst-facing description of the signal."""

    name: str
    reads: tuple[str, ...]
    detect: Callable[[ScreenedColumns], Signal]

    def __call__(self, table: ScreenedColumns) -> Signal:
        return self.detect(table)

    @property
    def doc(self) -> str:
        return inspect.getdoc(self.detect) or ""


def feature(*reads: str) -> Callable[[Callable[[ScreenedColumns], Signal]], Feature]:
    """Declare a feature function and the screened columns it reads."""

    def declare(detect: Callable[[ScreenedColumns], Signal]) -> Feature:
        return Feature(detect.__name__, tuple(reads), detect)

    return declare


@functools.cache
def list_kinds() -> dict[str, dict[str, str]]:
    """list_source -> {kind, label} (screening/data/list_kinds.yml)."""
    with open(PACKAGE_DATA_DIR / "list_kinds.yml", encoding="utf-8") as fh:
        return yaml_files.safe_load(fh)


def list_label(list_source: str | None) -> str:
    return list_kinds().get(list_source or "", {}).get("label", list_source or "")


def is_export_control_list(list_source: str | None) -> bool:
    kind = list_kinds().get(list_source or "", {}).get("kind")
    return kind in {"export_control", "military_end_user"}


class ScreenedColumns:
    """The screened table as the signals read it: each column converted once, on first use."""

    def __init__(self, table: pa.Table) -> None:
        self.table = table
        self.num_rows = table.num_rows
        self._text: dict[str, np.ndarray] = {}

    def text(self, name: str) -> np.ndarray:
        """A string column as an object array, null as ""."""
        if name not in self._text:
            self._text[name] = np.asarray(
                pc.fill_null(self.table[name], "").to_numpy(zero_copy_only=False), dtype=object
            )
        return self._text[name]

    def present(self, name: str) -> np.ndarray:
        """Whether the column has a value (not null) per record."""
        return np.asarray(pc.is_valid(self.table[name]).to_numpy(zero_copy_only=False), dtype=bool)

    def rows(self, rows: np.ndarray, names: Sequence[str]) -> list[dict]:
        """The given records' values of ``names``, as Python dicts (for sentences only)."""
        return self.table.select(list(names)).take(pa.array(rows, pa.int64())).to_pylist()

    @functools.cached_property
    def chpl_tier_1_2(self) -> np.ndarray:
        return np.isin(self.text("chpl_tier"), ["1", "2"])

    @functools.cached_property
    def chpl_tier_3_4(self) -> np.ndarray:
        tier = pc.fill_null(self.table["chpl_tier"], "")
        three_four = pc.or_(pc.starts_with(tier, "3"), pc.starts_with(tier, "4"))
        return np.asarray(three_four.to_numpy(zero_copy_only=False), dtype=bool)

    @functools.cached_property
    def chpl_code(self) -> np.ndarray:
        """The declared code itself is on the CHPL: the other goods signals then stand aside."""
        return self.chpl_tier_1_2 | self.chpl_tier_3_4

    @functools.cached_property
    def described_chpl(self) -> np.ndarray:
        """The description names CHPL goods (of a tier) the declared code does not show."""
        signal = self.text("description_signal")
        named = np.isin(signal, ["possible_misdeclaration", "description_only"])
        return ~self.chpl_code & named & (self.text("description_tier") != "")


def _say(
    table: ScreenedColumns, columns: Sequence[str], sentence: Callable[[dict], str | None]
) -> Callable[[np.ndarray], Sentences]:
    """An ``explain`` saying one sentence per asked row, built from that row's ``columns``."""

    def explain(rows: np.ndarray) -> Sentences:
        return [(s,) if s else () for s in map(sentence, table.rows(rows, columns))]

    return explain


# --------------------------------------------------------------------------------------------
# Parties

PARTY_COLUMNS = tuple(
    column
    for role in PARTY_ROLES
    for column in (
        role,
        f"{role}_match_name",
        f"{role}_match_list_source",
        f"{role}_match_source_id",
        f"{role}_match_score",
    )
)


def _party_sentences(
    table: ScreenedColumns, roles_of: Callable[[dict], Sequence[str]]
) -> Callable[[np.ndarray], Sentences]:
    def explain(rows: np.ndarray) -> Sentences:
        return [
            tuple(
                f"{role} '{rec[role]}' matches '{rec[f'{role}_match_name']}' on "
                f"{list_label(rec[f'{role}_match_list_source'])} "
                f"(id {rec[f'{role}_match_source_id']}, score {rec[f'{role}_match_score']:.0f})"
                for role in roles_of(rec)
            )
            for rec in table.rows(rows, PARTY_COLUMNS)
        ]

    return explain


@feature(*PARTY_COLUMNS)
def party_match(table: ScreenedColumns) -> Signal:
    """The exporter or the importer matches a listed party at or above the name threshold."""
    hit = np.zeros(table.num_rows, dtype=bool)
    for role in PARTY_ROLES:
        hit |= table.present(f"{role}_match_list_source")
    return Signal(
        hit,
        _party_sentences(
            table, lambda rec: [r for r in PARTY_ROLES if rec[f"{r}_match_list_source"]]
        ),
    )


@feature(*PARTY_COLUMNS)
def party_export_control_list(table: ScreenedColumns) -> Signal:
    """The matching list is an export-control or military-end-user list (BIS Entity List, MEU,
    EU Annex IV, METI): those name who must not receive CHPL items, so the match weighs more.
    Its sentence is the match's own, which names the list."""
    controlled = [s for s in list_kinds() if is_export_control_list(s)]
    hit = np.zeros(table.num_rows, dtype=bool)
    for role in PARTY_ROLES:
        hit |= np.isin(table.text(f"{role}_match_list_source"), controlled)
    return Signal(
        hit,
        _party_sentences(
            table,
            lambda rec: [
                r for r in PARTY_ROLES if is_export_control_list(rec[f"{r}_match_list_source"])
            ],
        ),
    )


# --------------------------------------------------------------------------------------------
# Goods: the declared code

_CHPL_READS = ("hs6", "chpl_tier", "chpl_description")


def _chpl_sentence(rec: dict) -> str:
    return (
        f"HS {rec['hs6']} is CHPL tier {rec['chpl_tier']}"
        f" ({rec['chpl_description'] or 'Common High Priority List item'})"
    )


@feature(*_CHPL_READS)
def chpl_tier_1_2(table: ScreenedColumns) -> Signal:
    """The declared HS code is on the CHPL in tier 1 or 2 (integrated circuits, radio and
    navigation parts): the items Russia's weapons most depend on."""
    return Signal(table.chpl_tier_1_2, _say(table, _CHPL_READS, _chpl_sentence))


@feature(*_CHPL_READS)
def chpl_tier_3_4(table: ScreenedColumns) -> Signal:
    """The declared HS code is on the CHPL in tiers 3.A to 4.B."""
    return Signal(table.chpl_tier_3_4, _say(table, _CHPL_READS, _chpl_sentence))


_POSSIBLE_READS = ("hs6", "chpl_possible_tier", "goods_candidates")


def _possible_sentence(rec: dict) -> str:
    candidates = ", ".join(rec["goods_candidates"] or [])
    return (
        f"HS {rec['hs6']} may be CHPL tier {rec['chpl_possible_tier']} "
        f"(an older HS edition code; HS 2022 candidates {candidates})"
    )


@feature(*_POSSIBLE_READS)
def chpl_possible(table: ScreenedColumns) -> Signal:
    """The code is of an older HS edition (2017) and may be a CHPL HS 2022 code through the
    UNSD correlation (1:n or n:n): a lead to check, not a finding."""
    hit = table.present("chpl_possible_tier") & ~table.chpl_code
    return Signal(hit, _say(table, _POSSIBLE_READS, _possible_sentence))


_CATEGORY_READS = ("hs6", "goods_status", "goods_category", "goods_tier")


def _category_sentence(rec: dict) -> str | None:
    if not rec["goods_category"]:
        return None
    tier = f" (tier {rec['goods_tier']})" if rec["goods_tier"] else ""
    return f"HS {rec['hs6']} is listed in {rec['goods_category']}{tier}"


@feature(*_CATEGORY_READS)
def other_listed_category(table: ScreenedColumns) -> Signal:
    """The code is listed in another configured category file (``category_files``), not on
    the CHPL."""
    hit = (table.text("goods_status") == "exact") & ~table.chpl_code
    return Signal(hit, _say(table, _CATEGORY_READS, _category_sentence))


# --------------------------------------------------------------------------------------------
# Goods: the description

_DESCRIPTION_READS = ("chpl_tier", "description_signal", "description_tier", "description_reason")


def _description_sentence(rec: dict) -> str | None:
    return rec["description_reason"]


@feature(*_DESCRIPTION_READS)
def description_chpl_tier_1_2(table: ScreenedColumns) -> Signal:
    """The description names CHPL tier 1-2 goods (a microcontroller, a GNSS module) that the
    declared code does not show, or no code was declared."""
    hit = table.described_chpl & np.isin(table.text("description_tier"), ["1", "2"])
    return Signal(hit, _say(table, _DESCRIPTION_READS, _description_sentence))


@feature(*_DESCRIPTION_READS)
def description_chpl_tier_3_4(table: ScreenedColumns) -> Signal:
    """The description names CHPL tier 3-4 goods that the declared code does not show."""
    tier = table.text("description_tier")
    hit = table.described_chpl & ~np.isin(tier, ["1", "2"]) & (tier != "")
    return Signal(hit, _say(table, _DESCRIPTION_READS, _description_sentence))


@feature(*_DESCRIPTION_READS)
def possible_misdeclaration(table: ScreenedColumns) -> Signal:
    """A code was declared (or is unreadable) and is neither on the CHPL nor where the
    described CHPL goods belong: the BIS/FinCEN alerts name misdeclared codes as a red flag."""
    hit = table.described_chpl & (table.text("description_signal") == "possible_misdeclaration")
    return Signal(hit, _say(table, _DESCRIPTION_READS, _description_sentence))


# --------------------------------------------------------------------------------------------
# Route and red flags: context that only counts on records with a goods or party signal

_ROUTE_READS = ("route", "route_reason")


def _route_sentence(rec: dict) -> str | None:
    return rec["route_reason"]


@feature(*_ROUTE_READS)
def route_direct_russia_belarus(table: ScreenedColumns) -> Signal:
    """The destination is Russia or Belarus."""
    hit = table.text("route") == "direct_russia_belarus"
    return Signal(hit, _say(table, _ROUTE_READS, _route_sentence))


@feature(*_ROUTE_READS)
def route_transshipment_hub(table: ScreenedColumns) -> Signal:
    """The destination is a transshipment hub named by BIS/FinCEN or the EU/UK guidance."""
    hit = table.text("route") == "via_transshipment_hub"
    return Signal(hit, _say(table, _ROUTE_READS, _route_sentence))


@feature(*_ROUTE_READS)
def destination_stated(table: ScreenedColumns) -> Signal:
    """Where the goods go, said for every flagged record and worth no points: an unknown or
    ordinary destination is reported as such, never read as low risk."""
    return Signal(table.present("route_reason"), _say(table, _ROUTE_READS, _route_sentence))


@feature("route_chain_role", "route_chain_reason")
def route_chain(table: ScreenedColumns) -> Signal:
    """The record is a leg of a coalition -> hub -> Russia re-export chain on the same goods by
    the same intermediary (see :mod:`screening.geo.chains`)."""
    return Signal(
        table.present("route_chain_role"),
        _say(table, ("route_chain_reason",), lambda rec: rec["route_chain_reason"]),
    )


@feature("importer_forwarder", "importer_forwarder_reason")
def freight_forwarder_consignee(table: ScreenedColumns) -> Signal:
    """The consignee is a freight forwarder, logistics, courier or customs-broker firm: the
    alerts name it as a red flag, since it hides the end user."""
    hit = np.asarray(
        pc.fill_null(table.table["importer_forwarder"], False).to_numpy(zero_copy_only=False),
        dtype=bool,
    )
    reason = ("importer_forwarder_reason",)
    return Signal(hit, _say(table, reason, lambda rec: rec["importer_forwarder_reason"]))


def _red_flag(table: ScreenedColumns, flag: str) -> Signal:
    hit = table.text("red_flag") == flag
    return Signal(hit, _say(table, ("red_flag_reason",), lambda rec: rec["red_flag_reason"]))


@feature("red_flag", "red_flag_reason")
def new_chpl_importer(table: ScreenedColumns) -> Signal:
    """The importer starts importing CHPL goods after the cut-off date (2022-02-24) with none
    in the data before it."""
    return _red_flag(table, NEW_CHPL_IMPORTER)


@feature("red_flag", "red_flag_reason")
def chpl_import_surge(table: ScreenedColumns) -> Signal:
    """The importer's CHPL imports per month after the cut-off date are a multiple
    (``import_surge.surge_ratio``) of its rate before."""
    return _red_flag(table, CHPL_IMPORT_SURGE)
