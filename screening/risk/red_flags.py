"""Red flags of export-control evasion from the FinCEN/BIS joint alerts, where trade data has them.

- A freight forwarder, logistics, courier or customs-broker firm as consignee: the real end user
  hides behind the intermediary (terms in ``screening/data/forwarder_terms.yml``).
- A consignee that starts importing CHPL goods after Russia's full-scale invasion
  (2022-02-24), or imports sharply more of them than before, measured against its own history
  in the data: the alerts name new customers and sudden volume changes as red flags.

Both work over distinct names (the first) or one group-by (the second), never per record pair.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import yaml
from anyascii import anyascii

from screening.errors import ListParseError
from screening.geo.chains import date_bounds, party_keys, require_columns
from screening.goods.descriptions import (
    compile_patterns,
    match_patterns,
    normalise_texts,
    unspace_cjk,
)
from screening.paths import PACKAGE_DATA_DIR

FORWARDER_TERMS_FILE = PACKAGE_DATA_DIR / "forwarder_terms.yml"
NEW_CHPL_IMPORTER = "new_chpl_importer"
CHPL_IMPORT_SURGE = "chpl_import_surge"
INVASION_DATE = "2022-02-24"
_DAYS_PER_MONTH = 365.25 / 12


def _strings(values: pa.Array | pa.ChunkedArray | Sequence[str | None]) -> pa.Array:
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    if not isinstance(values, pa.Array):
        values = pa.array(list(values), type=pa.string())
    return values if values.type == pa.string() else values.cast(pa.string())


# --------------------------------------------------------------------------------------------
# Freight forwarders as consignee


@functools.cache
def load_forwarder_terms(path: str | None = None) -> tuple[tuple[str, str, str], ...]:
    """(category, label, compiled regex) per category of the terms file; cached per path."""
    source = Path(path) if path else FORWARDER_TERMS_FILE
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ListParseError("file not found", file=source) from exc
    except yaml.YAMLError as exc:
        raise ListParseError(f"not valid YAML: {exc}", file=source) from exc
    categories = data.get("categories") if isinstance(data, dict) else None
    if not isinstance(categories, dict) or not categories:
        raise ListParseError("expected a 'categories:' mapping", file=source, column="categories")
    out = []
    for name, spec in categories.items():
        patterns = [p for ps in (spec or {}).get("patterns", {}).values() for p in ps or []]
        if not patterns:
            raise ListParseError(
                f"category {name!r} has no patterns", file=source, column=f"{name}.patterns"
            )
        regex = compile_patterns([str(p) for p in patterns])
        try:
            pc.match_substring_regex(pa.array([""]), regex)
        except pa.ArrowInvalid as exc:
            raise ListParseError(
                f"category {name!r}: a pattern is not valid RE2: {exc}",
                file=source,
                column=f"{name}.patterns",
            ) from exc
        out.append((str(name), str(spec.get("label") or name), regex))
    return tuple(out)


def _matched_term(normalised: pa.Array, regex: str) -> list[str | None]:
    found = pc.extract_regex(normalised, " (?P<term>" + regex[1:-1] + ") ")
    terms = pc.struct_field(found, "term").to_pylist()
    return [None if t is None else unspace_cjk(t.strip()) for t in terms]


def freight_forwarder_flags(
    names: pa.Array | pa.ChunkedArray | Sequence[str | None],
    *,
    role: str = "importer",
    terms_file: str | Path | None = None,
) -> pa.Table:
    """Per name: is it a forwarder / logistics / courier / customs-broker firm, and why.

    Columns: ``freight_forwarder`` (bool, never null), ``freight_forwarder_term`` (the words
    that matched) and ``freight_forwarder_reason`` (null when not flagged). ``role`` only words
    the reason ("importer", "consignee"). Names are matched as written and transliterated.
    """
    values = _strings(names)
    encoded = pc.dictionary_encode(values)
    distinct = encoded.dictionary
    as_written = normalise_texts(distinct)
    latin = normalise_texts([anyascii(n) if not n.isascii() else n for n in distinct.to_pylist()])
    category = np.full(len(distinct), None, dtype=object)
    term = np.full(len(distinct), None, dtype=object)
    found = np.zeros(len(distinct), dtype=bool)
    for _name, label, regex in load_forwarder_terms(str(terms_file) if terms_file else None):
        for text in (as_written, latin):
            hit = match_patterns(text, regex) & ~found
            if hit.any():
                rows = np.flatnonzero(hit)
                found[rows] = True
                category[rows] = label
                term[rows] = _matched_term(text.take(pa.array(rows)), regex)
    reason = np.array(
        [
            None
            if c is None
            else f"{role} '{n}' is a {c} ('{t}'): the BIS/FinCEN alerts name a forwarder or "
            "logistics firm as consignee as a red flag (it hides the end user)"
            for n, c, t in zip(distinct.to_pylist(), category, term, strict=True)
        ]
        + [None],
        dtype=object,
    )
    flagged = np.append(found, False)
    terms = np.array([*term, None], dtype=object)
    positions = pc.fill_null(encoded.indices.cast(pa.int64()), len(distinct)).to_numpy(
        zero_copy_only=False
    )
    return pa.table(
        {
            "freight_forwarder": pa.array(flagged[positions], pa.bool_()),
            "freight_forwarder_term": pa.array(terms[positions].tolist(), pa.string()),
            "freight_forwarder_reason": pa.array(reason[positions].tolist(), pa.string()),
        }
    )


# --------------------------------------------------------------------------------------------
# New or surging CHPL importers


def chpl_import_surge_flags(
    screened: pa.Table,
    *,
    cutoff: str = INVASION_DATE,
    party: str = "importer",
    chpl_column: str = "chpl_tier",
    surge_ratio: float = 3.0,
    min_after_records: int = 1,
    min_surge_records: int = 3,
    min_history_days: int = 90,
    measure: Literal["records", "value"] = "records",
) -> pa.Table:
    """Flag the post-cutoff CHPL records of consignees that are new to, or surging in, CHPL goods.

    Per ``party`` (normalised name key): CHPL records (``chpl_column`` not null) dated before
    ``cutoff`` vs from it on. A record dated only to the month that contains the cutoff counts
    in neither period; undated records count in neither.

    - ``new_chpl_importer``: no CHPL record before, at least ``min_after_records`` after;
    - ``chpl_import_surge``: CHPL records (or value, ``measure="value"``) per month after the
      cutoff at least ``surge_ratio`` times the rate before, with ``min_surge_records`` after.

    Rates use the months the whole data set covers before and after the cutoff. When the data
    covers fewer than ``min_history_days`` before the cutoff, "none before" means nothing and
    no record is flagged. Returns one row per input record, in order: ``record_id``,
    ``red_flag`` (null when none) and ``red_flag_reason``.

    The work is three steps so a streamed run can do it batch by batch: per-party totals of
    any slice (:func:`surge_totals`, summed with :func:`combine_surge_totals`), the verdict per
    party (:func:`surge_verdicts`), and the verdicts applied to records
    (:func:`apply_surge_verdicts`).
    """
    require_columns(screened, ("record_id", "date", party, chpl_column), "chpl_import_surge_flags")
    keys = party_keys(screened[party])
    totals = surge_totals(screened, cutoff=cutoff, party=party, chpl_column=chpl_column, keys=keys)
    verdicts = surge_verdicts(
        totals,
        cutoff=cutoff,
        surge_ratio=surge_ratio,
        min_after_records=min_after_records,
        min_surge_records=min_surge_records,
        min_history_days=min_history_days,
        measure=measure,
    )
    return apply_surge_verdicts(
        screened, verdicts, cutoff=cutoff, party=party, chpl_column=chpl_column, keys=keys
    )


_TOTAL_COLUMNS = ("any_before", "chpl_before", "chpl_after", "value_before", "value_after")


@dataclass(frozen=True)
class SurgeTotals:
    """Per-party sums over some records (index: party key) and the days those records span."""

    per_party: pd.DataFrame
    first_day: np.datetime64 | None
    last_day: np.datetime64 | None


def _periods(
    screened: pa.Table, cutoff: str, chpl_column: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    cutoff_day = np.datetime64(dt.date.fromisoformat(cutoff), "D")
    lo, hi = date_bounds(screened["date"])
    dated = ~np.isnat(lo)
    chpl = pc.fill_null(pc.greater(pc.utf8_length(_strings(screened[chpl_column])), 0), False)
    return lo, hi, dated, chpl.to_numpy(zero_copy_only=False), np.asarray(cutoff_day)


def surge_totals(
    screened: pa.Table,
    *,
    cutoff: str = INVASION_DATE,
    party: str = "importer",
    chpl_column: str = "chpl_tier",
    keys: np.ndarray | None = None,
) -> SurgeTotals:
    """Per-party record counts and CHPL values before/after ``cutoff`` of any slice of records.

    ``keys`` are the party's name keys per record when the caller has them already.
    """
    require_columns(screened, ("date", party, chpl_column), "surge_totals")
    n = screened.num_rows
    lo, hi, dated, chpl, cutoff_day = _periods(screened, cutoff, chpl_column)
    value = (
        pc.fill_null(screened["value"].combine_chunks(), 0.0).to_numpy(zero_copy_only=False)
        if "value" in screened.column_names
        else np.zeros(n)
    )
    frame = pd.DataFrame(
        {
            "key": party_keys(screened[party]) if keys is None else keys,
            "chpl": chpl,
            "before": dated & (hi < cutoff_day),
            "after": dated & (lo >= cutoff_day),
            "value": value,
        }
    )
    frame = frame[frame["key"].notna()]
    frame["chpl_before"] = frame["chpl"] & frame["before"]
    frame["chpl_after"] = frame["chpl"] & frame["after"]
    frame["value_before"] = np.where(frame["chpl_before"], frame["value"], 0.0)
    frame["value_after"] = np.where(frame["chpl_after"], frame["value"], 0.0)
    per_party = frame.groupby("key").agg(
        any_before=("before", "sum"),
        chpl_before=("chpl_before", "sum"),
        chpl_after=("chpl_after", "sum"),
        value_before=("value_before", "sum"),
        value_after=("value_after", "sum"),
    )
    return SurgeTotals(
        per_party,
        lo[dated].min() if dated.any() else None,
        hi[dated].max() if dated.any() else None,
    )


def combine_surge_totals(parts: Sequence[SurgeTotals]) -> SurgeTotals:
    """The totals of several slices of records, as if computed over all of them at once."""
    frames = [p.per_party for p in parts if not p.per_party.empty]
    per_party = (
        pd.concat(frames).groupby(level=0).sum()
        if frames
        else pd.DataFrame(columns=list(_TOTAL_COLUMNS))
    )
    firsts = [p.first_day for p in parts if p.first_day is not None]
    lasts = [p.last_day for p in parts if p.last_day is not None]
    return SurgeTotals(per_party, min(firsts) if firsts else None, max(lasts) if lasts else None)


def surge_verdicts(
    totals: SurgeTotals,
    *,
    cutoff: str = INVASION_DATE,
    surge_ratio: float = 3.0,
    min_after_records: int = 1,
    min_surge_records: int = 3,
    min_history_days: int = 90,
    measure: Literal["records", "value"] = "records",
) -> dict[str, tuple[str, str]]:
    """Party key -> (red flag, reason) for the parties new to, or surging in, CHPL imports."""
    if totals.first_day is None or totals.last_day is None:
        return {}
    cutoff_day = np.datetime64(dt.date.fromisoformat(cutoff), "D")
    before_days = int((cutoff_day - totals.first_day).astype(int))
    after_days = int((totals.last_day - cutoff_day).astype(int)) + 1
    if before_days < min_history_days or after_days <= 0:
        return {}
    per_party = totals.per_party
    months_before = before_days / _DAYS_PER_MONTH
    months_after = after_days / _DAYS_PER_MONTH
    amount_before = per_party["chpl_before" if measure == "records" else "value_before"]
    amount_after = per_party["chpl_after" if measure == "records" else "value_after"]
    rate_before = amount_before / months_before
    rate_after = amount_after / months_after
    new = (per_party["chpl_before"] == 0) & (per_party["chpl_after"] >= min_after_records)
    surge = (
        (per_party["chpl_before"] > 0)
        & (per_party["chpl_after"] >= min_surge_records)
        & (rate_after >= surge_ratio * rate_before)
        & (rate_before > 0)
    )
    flagged = per_party[new | surge]
    reasons: dict[str, tuple[str, str]] = {}
    for key, row in flagged.iterrows():
        history = (
            f"it had {int(row.any_before)} other record(s) before"
            if row.any_before
            else "no records at all before: a new trading party"
        )
        if new[key]:
            reasons[str(key)] = (
                NEW_CHPL_IMPORTER,
                f"new CHPL importer: {int(row.chpl_after)} CHPL record(s) (value "
                f"{row.value_after:,.0f}) from {cutoff} on and none in the "
                f"{months_before:.0f} months of data before ({history})",
            )
        else:
            unit = "records" if measure == "records" else "value"
            reasons[str(key)] = (
                CHPL_IMPORT_SURGE,
                f"CHPL import surge: {rate_after[key]:,.1f} CHPL {unit}/month from {cutoff} on "
                f"vs {rate_before[key]:,.1f} before ({rate_after[key] / rate_before[key]:.1f}x; "
                f"{int(row.chpl_after)} vs {int(row.chpl_before)} records, value "
                f"{row.value_after:,.0f} vs {row.value_before:,.0f})",
            )
    return reasons


def apply_surge_verdicts(
    screened: pa.Table,
    verdicts: dict[str, tuple[str, str]],
    *,
    cutoff: str = INVASION_DATE,
    party: str = "importer",
    chpl_column: str = "chpl_tier",
    keys: np.ndarray | None = None,
) -> pa.Table:
    """``record_id``, ``red_flag``, ``red_flag_reason`` per record: the party's verdict on its
    CHPL records from ``cutoff`` on."""
    n = screened.num_rows
    record_id = _strings(screened["record_id"])
    flag = np.full(n, None, dtype=object)
    reason = np.full(n, None, dtype=object)
    if verdicts:
        lo, _, dated, chpl, cutoff_day = _periods(screened, cutoff, chpl_column)
        keys = party_keys(screened[party]) if keys is None else keys
        in_period = chpl & dated & (lo >= cutoff_day)
        names = _strings(screened[party]).to_pylist()
        for row in np.flatnonzero(in_period).tolist():
            found = verdicts.get(keys[row])
            if found:
                flag[row] = found[0]
                reason[row] = f"{party} '{names[row]}': {found[1]}"
    return pa.table(
        {
            "record_id": record_id,
            "red_flag": pa.array(flag.tolist(), pa.string()),
            "red_flag_reason": pa.array(reason.tolist(), pa.string()),
        }
    )
