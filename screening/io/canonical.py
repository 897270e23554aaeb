"""Raw text batches -> canonical trade records: the mapped fields, parsed values, countries.

Every data row becomes a record or a reject. Fields are copied as written (trimmed, vendor null
markers dropped), dates and amounts parsed with the reason in ``date_issue`` / ``value_issue``
when a cell cannot be read, and origin/destination filled from the partner and reporter country
where the flow says which is which. One :class:`Canonicaliser` serves a whole file, batch by
batch, so file-wide decisions (a date column's time zone) hold for every batch and the notes
count the whole file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from screening.io.layouts import (
    CANONICAL_DATA_FIELDS,
    SCREENING_FIELDS,
    ResolvedLayout,
    TradeMappings,
)
from screening.io.readers.base import RawBatch
from screening.io.values.dates import DateReader
from screening.io.values.numbers import combine_issues, parse_numbers
from screening.io.values.text import clean_text, null_strings
from screening.schema import EXTRA_COLUMN_PREFIX, TRADE_SCHEMA

VERBATIM_FIELDS = (
    "exporter",
    "importer",
    "origin_country",
    "destination_country",
    "hs_code",
    "description",
)
"""Fields copied from their column as written (trimmed): that column is not repeated as src_."""
AMOUNT_FIELDS = ("value", "quantity")


class CountedNotes:
    """Notes whose counts add up over batches: ``add("filled ... on {n} row(s)", 12)``."""

    def __init__(self) -> None:
        self._counts: dict[str, int] = {}

    def add(self, template: str, count: int) -> None:
        if count:
            self._counts[template] = self._counts.get(template, 0) + count

    def render(self) -> list[str]:
        return [t.replace("{n}", str(n)) for t, n in self._counts.items()]


def _fill(target: pa.Array, where: pa.Array, source: pa.Array | pa.Scalar) -> tuple[pa.Array, int]:
    """Fill ``target`` with ``source`` on rows where ``where`` holds and target is null."""
    if isinstance(source, pa.Scalar) and not source.is_valid:
        return target, 0
    mask = pc.and_(pc.fill_null(where, False), pc.is_null(target))
    if isinstance(source, pa.Array):
        mask = pc.and_(mask, pc.is_valid(source))
    count = int(pc.sum(mask).as_py() or 0)
    return (pc.if_else(mask, source, target) if count else target), count


def raw_row_text(columns: Sequence[pa.Array], index: int) -> str:
    """One row as a CSV line, for the ``raw`` column of a reject."""
    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow(
        ["" if c[index].as_py() is None else c[index].as_py() for c in columns]
    )
    return out.getvalue()


class Canonicaliser:
    """Turns one file's raw batches into canonical record tables and rejects."""

    def __init__(
        self,
        headers: Sequence[str],
        layout: ResolvedLayout,
        mappings: TradeMappings,
        *,
        file_name: str,
        reporter: str | None,
        flow: str | None,
        flow_is_explicit: bool,
        from_excel: bool,
    ) -> None:
        self.headers = list(headers)
        self.layout = layout
        self.mappings = mappings
        self.file_name = file_name
        self.reporter = reporter
        self.flow = flow
        self.flow_is_explicit = flow_is_explicit
        self.cols = dict(layout.columns)
        self.counted = CountedNotes()
        self.dates = DateReader(excel_serials=from_excel)
        self._clean_cache: dict[int, pa.Array] = {}
        verbatim = {self.cols[f] for f in VERBATIM_FIELDS if f in self.cols}
        self._src_indexes = [i for i in range(len(self.headers)) if i not in verbatim]
        src_names = [f"{EXTRA_COLUMN_PREFIX}{self.headers[i]}" for i in self._src_indexes]
        self.schema = pa.schema(
            list(TRADE_SCHEMA) + [pa.field(name, pa.string()) for name in src_names]
        )

    def header(self, name: str) -> str:
        return self.headers[self.cols[name]]

    def notes(self) -> list[str]:
        """What was inferred or filled in over the whole file so far."""
        notes = []
        unmapped = [f for f in CANONICAL_DATA_FIELDS if f not in self.cols]
        if unmapped:
            notes.append(f"no input column for: {', '.join(unmapped)}")
        if "date" in self.cols:
            notes.extend(self.dates.notes(self.header("date")))
        return notes + self.counted.render()

    def _split_unscreenable(self, raw: RawBatch) -> tuple[RawBatch, list[dict[str, Any]]]:
        """Rows whose exporter, importer, HS code and description are all empty: rejects."""
        screened = [f for f in SCREENING_FIELDS if f in self.cols]
        empty = None
        for name in screened:
            is_null = pc.is_null(self._cleaned(raw, self.cols[name]))
            empty = is_null if empty is None else pc.and_(empty, is_null)
        if empty is None or raw.num_rows == 0 or not pc.any(empty).as_py():
            return raw, []
        used = ", ".join(self.header(f) for f in screened)
        reason = f"nothing to screen: {' / '.join(screened)} all empty (columns {used})"
        rejects = [
            {
                "file": self.file_name,
                "row": raw.source_rows[int(index)].as_py(),
                "column": None,
                "reason": reason,
                "raw": raw_row_text(raw.columns, int(index)),
            }
            for index in np.flatnonzero(empty.to_numpy(zero_copy_only=False))
        ]
        keep = pc.invert(empty)
        kept = RawBatch(
            columns=[c.filter(keep) for c in raw.columns],
            source_rows=raw.source_rows.filter(keep),
            rejects=raw.rejects,
            blank_rows=raw.blank_rows,
        )
        self._clean_cache = {i: c.filter(keep) for i, c in self._clean_cache.items()}
        return kept, rejects

    def _cleaned(self, raw: RawBatch, index: int) -> pa.Array:
        """Column ``index`` of the current batch, trimmed and null-marked, computed once."""
        if index not in self._clean_cache:
            self._clean_cache[index] = clean_text(raw.columns[index], self.mappings.null_markers)
        return self._clean_cache[index]

    def batch(self, raw: RawBatch) -> tuple[pa.Table, list[dict[str, Any]]]:
        """(records, rejects) for one raw batch; rejects are the reader's and unscreenable rows."""
        self._clean_cache = {}
        raw, unscreenable = self._split_unscreenable(raw)
        n = raw.num_rows

        def column(name: str) -> pa.Array | None:
            return self._cleaned(raw, self.cols[name]) if name in self.cols else None

        out: dict[str, pa.Array] = {}
        for name in VERBATIM_FIELDS:
            col = column(name)
            out[name] = col if col is not None else null_strings(n)
        out["hs_code"] = pc.replace_substring_regex(out["hs_code"], r"^(\d+)\.0+$", r"\1")

        date_col = column("date")
        if date_col is not None:
            out["date"], out["date_issue"] = self.dates.read(date_col)
        else:
            out["date"], out["date_issue"] = null_strings(n), null_strings(n)
        issues = []
        for name in AMOUNT_FIELDS:
            col = column(name)
            if col is None:
                out[name] = pa.nulls(n, pa.float64())
                continue
            out[name], issue = parse_numbers(col, name)
            issues.append(issue)
            not_numbers = int(pc.sum(pc.match_substring(issue, "not a number")).as_py() or 0)
            self.counted.add(
                f"{name}: {{n}} non-numeric value(s) in {self.header(name)!r} left null "
                f"(kept in {EXTRA_COLUMN_PREFIX}{self.header(name)})",
                not_numbers,
            )
            odd = n - issue.null_count - not_numbers
            self.counted.add(
                f"{name}: {{n}} infinite, overflowing or negative value(s) in "
                f"{self.header(name)!r} (reason in value_issue)",
                odd,
            )
        out["value_issue"] = combine_issues(*issues) if issues else null_strings(n)

        self._fill_countries(raw, out)

        record_id = pc.binary_join_element_wise(
            pa.scalar(self.file_name), raw.source_rows.cast(pa.string()), ":"
        )
        canonical = {
            "record_id": record_id,
            **out,
            "source_file": pa.repeat(pa.scalar(self.file_name, pa.string()), n),
            "source_row": raw.source_rows,
        }
        arrays = [canonical[f.name] for f in TRADE_SCHEMA] + [
            raw.columns[i] for i in self._src_indexes
        ]
        table = pa.Table.from_arrays(arrays, schema=self.schema)
        return table, [*raw.rejects, *unscreenable]

    def _fill_countries(self, raw: RawBatch, out: dict[str, pa.Array]) -> None:
        """Origin/destination from the partner and reporter countries, row by row.

        A partner column (UN Comtrade) is the destination of an export and the origin of an
        import. The reporter (the declaring country) is the origin of an export and the
        destination of an import; it fills only rows whose own column is missing or empty,
        and each fill is noted.
        """
        n = raw.num_rows
        cols = self.cols
        row_flow: pa.Array = pa.repeat(pa.scalar(self.flow, pa.string()), n)
        if "flow" in cols and not self.flow_is_explicit:
            values = self._cleaned(raw, cols["flow"])
            unique = pc.unique(values).drop_null()
            lookup = pa.array([self.mappings.flow_of(v) for v in unique.to_pylist()], pa.string())
            per_row = pc.take(lookup, pc.index_in(values, value_set=unique))
            row_flow = pc.coalesce(per_row, row_flow)
        is_export = pc.equal(row_flow, "export")
        is_import = pc.equal(row_flow, "import")

        if "partner_country" in cols:
            partner = self._cleaned(raw, cols["partner_country"])
            for name, where in (("destination_country", is_export), ("origin_country", is_import)):
                out[name], count = _fill(out[name], where, partner)
                flow_word = "export" if name == "destination_country" else "import"
                self.counted.add(
                    f"filled {name} from partner column {self.header('partner_country')!r} "
                    f"on {{n}} {flow_word} row(s)",
                    count,
                )

        row_reporter: pa.Array | pa.Scalar = pa.scalar(self.reporter, pa.string())
        described = repr(self.reporter)
        if "reporter_country" in cols:
            per_row = self._cleaned(raw, cols["reporter_country"])
            row_reporter = pc.coalesce(per_row, pa.scalar(self.reporter, pa.string()))
            described = f"column {self.header('reporter_country')!r}"
        elif self.reporter is None:
            return
        for name, where, flow_word in (
            ("origin_country", is_export, "export"),
            ("destination_country", is_import, "import"),
        ):
            out[name], count = _fill(out[name], where, row_reporter)
            why = f"empty {self.header(name)!r}" if name in cols else f"no {name} column"
            self.counted.add(
                f"filled {name} with the reporter country ({described}) on {{n}} "
                f"{flow_word} row(s): {why}",
                count,
            )
