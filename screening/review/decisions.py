"""Read the decisions an analyst typed into a flagged file (CSV or XLSX) back into the store.

The review columns are ``analyst_decision`` (cleared / confirmed / escalated, common spellings
accepted) and ``analyst_note``; an ``analyst`` column, when present, names who decided a row.
Each decided row becomes one decision per party match on it (the exporter's and/or the
importer's), keyed by the normalised party and the list entry, with the entry's content hash
and list version as the run wrote them. A value that is not a known decision stops the import
with the file, row and column, before anything is written: one consistent set or nothing.
"""

from __future__ import annotations

import csv
import getpass
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from screening.errors import ScreeningError
from screening.review.carry import PARTY_ROLES, party_identifiers, party_key
from screening.review.store import Decision, now_text

DECISION_COLUMN = "analyst_decision"
NOTE_COLUMN = "analyst_note"
ANALYST_COLUMN = "analyst"
CASE_SEPARATOR = "; "
"""How a grouped case joins the spellings of its party (screening.report.review_layout)."""
XLSX_SHEET = "flagged"
"""The sheet read from a flagged.xlsx (the first sheet when there is none of that name)."""

SPELLINGS: dict[str, str] = {
    **dict.fromkeys(
        [
            "cleared", "clear", "clr", "false positive", "falsepositive", "fp", "not a match",
            "no match", "not match", "nomatch", "dismissed", "dismiss", "ok", "benign",
            "whitelisted", "whitelist", "allowed", "cleared fp",
        ],
        "cleared",
    ),
    **dict.fromkeys(
        [
            "confirmed", "confirm", "true positive", "truepositive", "tp", "match",
            "true match", "positive", "hit", "blocked", "block",
        ],
        "confirmed",
    ),
    **dict.fromkeys(
        [
            "escalated", "escalate", "escalation", "esc", "refer", "referred", "review",
            "needs review", "investigate", "pending", "open",
        ],
        "escalated",
    ),
}  # fmt: skip
"""Accepted spellings (after lower-casing and folding - _ . to spaces) -> stored decision."""


class ReviewFileError(ScreeningError):
    """A flagged file's review columns cannot be read; names file, row and column."""


def canonical_decision(value: str) -> str | None:
    """The stored decision for what an analyst typed, None for an empty cell.

    Raises ValueError for anything unknown (a typo must not silently clear a match)."""
    folded = " ".join(re.sub(r"[-_./]+", " ", value.strip().lstrip("'")).casefold().split())
    if not folded:
        return None
    if folded in SPELLINGS:
        return SPELLINGS[folded]
    raise ValueError(f"unknown decision {value.strip()!r}; use cleared, confirmed or escalated")


@dataclass
class ReviewImport:
    """Decisions read from one file, and the decided rows that named no party match."""

    decisions: list[Decision] = field(default_factory=list)
    rows_read: int = 0
    rows_decided: int = 0
    rows_without_party_match: list[int] = field(default_factory=list)


def _unescape(value: Any) -> str | None:
    """A cell as text, with the apostrophe our writers add before formula-like text removed."""
    if value is None:
        return None
    text = str(value)
    if len(text) > 1 and text[0] == "'" and text[1] in "=+-@\t\r":
        text = text[1:]
    return text if text.strip() != "" else None


def _float(value: Any) -> float | None:
    try:
        return None if value in (None, "") else float(value)
    except (TypeError, ValueError):
        return None


def iter_review_rows(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(spreadsheet row number, {column: value}) of a flagged CSV or XLSX; header is row 1."""
    path = Path(path)
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        yield from _xlsx_rows(path)
        return
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            for row in reader:
                yield reader.line_num, row
    except UnicodeDecodeError as exc:
        raise ReviewFileError(f"{path}: not UTF-8 text ({exc.reason})") from exc
    except csv.Error as exc:
        raise ReviewFileError(f"{path}: unreadable CSV: {exc}") from exc


def _xlsx_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several types for a damaged workbook
        raise ReviewFileError(f"{path}: unreadable workbook: {exc}") from exc
    try:
        sheet = book[XLSX_SHEET] if XLSX_SHEET in book.sheetnames else book.worksheets[0]
        rows = sheet.iter_rows(values_only=True)
        header = [str(h) if h is not None else "" for h in next(rows, ())]
        for number, values in enumerate(rows, start=2):
            if values is None or all(v is None for v in values):
                continue
            yield number, dict(zip(header, values, strict=False))
    finally:
        book.close()


def read_review_file(path: str | Path, *, analyst: str | None = None) -> ReviewImport:
    """The decisions typed into a flagged file. Unknown decision values raise ReviewFileError
    naming the file, row and column; nothing is returned half-read."""
    path = Path(path)
    default_analyst = analyst or os.environ.get("DUALUSE_ANALYST") or _login()
    result = ReviewImport()
    header_checked = False
    decided_at = now_text()
    for number, row in iter_review_rows(path):
        if not header_checked:
            if DECISION_COLUMN not in row:
                raise ReviewFileError(
                    f"{path}: no {DECISION_COLUMN!r} column; columns seen: "
                    f"{', '.join(map(str, row))}"
                )
            header_checked = True
        result.rows_read += 1
        raw = _unescape(row.get(DECISION_COLUMN))
        if raw is None:
            continue
        try:
            decision = canonical_decision(raw)
        except ValueError as exc:
            raise ReviewFileError(
                f"{path}, row {number}, column {DECISION_COLUMN!r}: {exc}"
            ) from None
        if decision is None:
            continue
        result.rows_decided += 1
        who = analyst or _unescape(row.get(ANALYST_COLUMN)) or default_analyst
        note = _unescape(row.get(NOTE_COLUMN))
        matched = False
        for role in PARTY_ROLES:
            list_source = _unescape(row.get(f"{role}_match_list_source"))
            source_id = _unescape(row.get(f"{role}_match_source_id"))
            names = _unescape(row.get(role))
            if not (list_source and source_id and names):
                continue
            matched = True
            for name in _spellings(names):
                result.decisions.append(
                    Decision(
                        party=party_key(name),
                        party_name=name,
                        party_identifiers=";".join(sorted(party_identifiers(name))),
                        list_source=list_source,
                        source_id=_id_text(source_id),
                        list_version=_unescape(row.get(f"{role}_match_list_version")),
                        entry_hash=_unescape(row.get(f"{role}_match_entry_hash")),
                        score=_float(row.get(f"{role}_match_score")),
                        decision=decision,
                        analyst=who,
                        decided_at=decided_at,
                        note=note,
                        source=f"{path.name}:{number}",
                        record_id=_unescape(row.get("record_id") or row.get("record_ids")),
                    )
                )
        if not matched:
            result.rows_without_party_match.append(number)
    if not header_checked and result.rows_read == 0:
        _check_header_only(path)
    result.decisions = _one_per_match(result.decisions, path)
    return result


def _one_per_match(decisions: list[Decision], path: Path) -> list[Decision]:
    """One decision per (party, list entry) of a file: repeated rows of one shipment decided
    alike are stored once; decided differently, the file contradicts itself and is refused."""
    first: dict[tuple[str, str, str], Decision] = {}
    for decision in decisions:
        earlier = first.setdefault(decision.key, decision)
        if earlier.decision != decision.decision:
            raise ReviewFileError(
                f"{path}: {earlier.source} and {decision.source} decide the same match "
                f"({decision.party_name!r} ~ {decision.list_source} {decision.source_id}) "
                f"differently ({earlier.decision} / {decision.decision}), column "
                f"{DECISION_COLUMN!r}; make them agree"
            )
    return list(first.values())


def _spellings(names: str) -> list[str]:
    """The party spellings of a row: a grouped case lists every spelling of its party, joined
    by "; " (ALI SALIM; ALİ SALİM); one per normalised party is kept."""
    by_party: dict[str, str] = {}
    for name in names.split(CASE_SEPARATOR):
        if name.strip():
            by_party.setdefault(party_key(name), name.strip())
    return list(by_party.values())


def _id_text(value: str) -> str:
    """A list id as the lists write it: a spreadsheet may turn ``12345`` into ``12345.0``."""
    return value[:-2] if re.fullmatch(r"\d+\.0", value) else value


def _check_header_only(path: Path) -> None:
    """An empty flagged file is fine, a file without the review column is not."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return
    with open(path, encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle), [])
    if header and DECISION_COLUMN not in header:
        raise ReviewFileError(
            f"{path}: no {DECISION_COLUMN!r} column; columns seen: {', '.join(header)}"
        )


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
