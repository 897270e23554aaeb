"""Goods categories as data: one CSV per source (CHPL, EU Annex XXIII, BIS Part 746 …).

Every category file has the same layout, so a list published tomorrow is screened by dropping
its CSV next to the others and naming it in the configuration, without code changes:

    code_prefix  HS prefix at any level: chapter (2), heading (4), subheading (6) or national
                 code (8 or 10 digits); dots and spaces are ignored ("8542.31" = "854231")
    category     short name of the list, e.g. CHPL (required)
    tier         the list's own grading, kept as written ("3.A" is not a number); may be empty
    description  what the entry covers; may be empty
    source       where the entry comes from: publication and version (required)
    valid_from   first day the entry applies (YYYY-MM-DD), empty = always
    valid_to     last day the entry applies (YYYY-MM-DD), empty = still in force
    hs_edition   optional column: HS edition the codes are written in, 2017 or 2022 (default)

Each row is checked on load: a bad value raises :class:`ListParseError` naming the file, the
row as a spreadsheet shows it and the column, because a typo in a prefix would silently drop
goods from screening. Other columns are allowed and ignored.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

import pyarrow as pa

from screening import paths
from screening.errors import ListParseError, ReferenceDataError
from screening.hs.vintage import CURRENT_EDITION, HS_EDITIONS
from screening.lists.store.bundled import load_manifest, sha256_of

CATEGORY_COLUMNS = (
    "code_prefix",
    "category",
    "tier",
    "description",
    "source",
    "valid_from",
    "valid_to",
)
"""Required header of a category file, in the order the bundled files write it."""
OPTIONAL_CATEGORY_COLUMNS = ("hs_edition",)
PREFIX_LENGTHS = (2, 4, 6, 8, 10)
CATEGORY_KIND = "hs_categories"
"""``kind`` of the manifest datasets loaded by default."""

CATEGORY_SCHEMA = pa.schema(
    [
        pa.field("code_prefix", pa.string(), nullable=False),
        pa.field("category", pa.string(), nullable=False),
        pa.field("tier", pa.string()),
        pa.field("description", pa.string()),
        pa.field("source", pa.string(), nullable=False),
        pa.field("valid_from", pa.date32()),
        pa.field("valid_to", pa.date32()),
        pa.field("hs_edition", pa.string(), nullable=False),
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("source_row", pa.int32(), nullable=False),
    ]
)
"""A loaded category table: one row per file row, with where it came from."""

_SEPARATORS = re.compile(r"[\s.]+")
_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _reference_dir() -> Path:
    return Path(paths.REFERENCE_DIR)


def category_dir() -> Path:
    """Where the bundled category files live (``reference_lists/categories``)."""
    return _reference_dir() / "categories"


def bundled_category_files() -> list[Path]:
    """The manifest's ``hs_categories`` files, in manifest order, each checked by sha256."""
    root = _reference_dir()
    files = []
    for dataset in load_manifest()["datasets"]:
        if dataset.get("kind") != CATEGORY_KIND:
            continue
        for entry in dataset["files"]:
            path = root / entry["path"]
            if not path.is_file():
                raise ReferenceDataError(f"{path}: bundled category file is missing")
            if sha256_of(path) != entry["sha256"]:
                raise ReferenceDataError(
                    f"{path}: sha256 does not match the manifest; rebuild it with "
                    "`python -m screening.hs.build_categories` or update manifest.yml"
                )
            files.append(path)
    return files


def _expand(paths_: Sequence[str | Path]) -> Iterator[Path]:
    """Files as given; a folder stands for its ``*.csv`` files in name order."""
    for item in paths_:
        path = Path(item)
        if path.is_dir():
            found = sorted(path.glob("*.csv"))
            if not found:
                raise ListParseError("folder holds no *.csv category file", file=path)
            yield from found
        else:
            yield path


def _prefix(raw: str, path: Path, row: int) -> str:
    digits = _SEPARATORS.sub("", raw)
    if not digits.isdigit() or not digits.isascii():
        raise ListParseError(
            f"{raw!r} is not an HS code prefix (digits, with optional dots or spaces)",
            file=path,
            row=row,
            column="code_prefix",
        )
    if len(digits) not in PREFIX_LENGTHS:
        hint = " (a lost leading zero?)" if len(digits) % 2 else ""
        raise ListParseError(
            f"{raw!r} has {len(digits)} digits{hint}; a prefix has 2, 4, 6, 8 or 10 "
            "(chapter, heading, subheading, national code)",
            file=path,
            row=row,
            column="code_prefix",
        )
    return digits


def _date(raw: str, path: Path, row: int, column: str) -> dt.date | None:
    if not raw:
        return None
    try:
        if not _ISO_DATE.fullmatch(raw):
            raise ValueError
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ListParseError(
            f"{raw!r} is not a date written YYYY-MM-DD", file=path, row=row, column=column
        ) from None


def _required(value: str, path: Path, row: int, column: str) -> str:
    if not value:
        raise ListParseError("empty; this column is required", file=path, row=row, column=column)
    return value


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(spreadsheet row, cells) of each non-empty record; the header is row 1."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = [cell.strip() for cell in next(reader, [])]
            missing = [c for c in CATEGORY_COLUMNS if c not in header]
            if missing:
                raise ListParseError(
                    f"missing column; a category file needs {list(CATEGORY_COLUMNS)}, "
                    f"the header has {header}",
                    file=path,
                    row=1,
                    column=missing[0],
                )
            for index, cells in enumerate(reader):
                if not any(cell.strip() for cell in cells):
                    continue
                if len(cells) != len(header):
                    raise ListParseError(
                        f"{len(cells)} fields where the header has {len(header)}",
                        file=path,
                        row=index + 2,
                    )
                yield index + 2, {h: c.strip() for h, c in zip(header, cells, strict=True)}
    except FileNotFoundError as exc:
        raise ListParseError("file not found", file=path) from exc
    except UnicodeDecodeError as exc:
        raise ListParseError(
            f"not UTF-8 text: {exc.reason} at byte {exc.start}", file=path
        ) from exc
    except csv.Error as exc:
        raise ListParseError(f"not a readable CSV: {exc}", file=path) from exc


def read_category_file(path: str | Path) -> pa.Table:
    """One category file as a CATEGORY_SCHEMA table, every row checked."""
    path = Path(path)
    records: dict[str, list] = {field.name: [] for field in CATEGORY_SCHEMA}
    for row, cells in _rows(path):
        valid_from = _date(cells["valid_from"], path, row, "valid_from")
        valid_to = _date(cells["valid_to"], path, row, "valid_to")
        if valid_from and valid_to and valid_from > valid_to:
            raise ListParseError(
                f"valid_to {valid_to} is before valid_from {valid_from}",
                file=path,
                row=row,
                column="valid_to",
            )
        edition = cells.get("hs_edition") or CURRENT_EDITION
        if edition not in HS_EDITIONS:
            raise ListParseError(
                f"unknown HS edition {edition!r}; expected one of {HS_EDITIONS}",
                file=path,
                row=row,
                column="hs_edition",
            )
        records["code_prefix"].append(_prefix(cells["code_prefix"], path, row))
        records["category"].append(_required(cells["category"], path, row, "category"))
        records["tier"].append(cells["tier"] or None)
        records["description"].append(cells["description"] or None)
        records["source"].append(_required(cells["source"], path, row, "source"))
        records["valid_from"].append(valid_from)
        records["valid_to"].append(valid_to)
        records["hs_edition"].append(edition)
        records["source_file"].append(str(path))
        records["source_row"].append(row)
    if not records["code_prefix"]:
        raise ListParseError("the category file has no rows", file=path)
    return pa.table(records, schema=CATEGORY_SCHEMA)


def _check_no_overlaps(table: pa.Table) -> None:
    """One entry per (category, edition, prefix) at any date, else the match is ambiguous."""
    seen: dict[tuple[str, str, str], list[tuple[dt.date, dt.date, str, int]]] = {}
    for entry in table.to_pylist():
        key = (entry["category"], entry["hs_edition"], entry["code_prefix"])
        start = entry["valid_from"] or dt.date.min
        end = entry["valid_to"] or dt.date.max
        for other_start, other_end, other_file, other_row in seen.get(key, []):
            if start <= other_end and other_start <= end:
                where = "" if other_file == entry["source_file"] else f" of {other_file}"
                raise ListParseError(
                    f"{entry['code_prefix']} is already listed for {entry['category']} over an "
                    f"overlapping period (row {other_row}{where})",
                    file=Path(entry["source_file"]),
                    row=entry["source_row"],
                    column="code_prefix",
                )
        seen.setdefault(key, []).append((start, end, entry["source_file"], entry["source_row"]))


@functools.cache
def _load_bundled(reference_dir: Path) -> pa.Table:
    return _load_files(bundled_category_files())


def _load_files(files: Sequence[Path]) -> pa.Table:
    tables = [read_category_file(path) for path in files]
    table = pa.concat_tables(tables) if tables else CATEGORY_SCHEMA.empty_table()
    _check_no_overlaps(table)
    return table


def load_categories(paths: Sequence[str | Path] | None = None) -> pa.Table:
    """All category files as one CATEGORY_SCHEMA table, in the order given.

    ``None`` loads the bundled files (the CHPL), checked against their manifest sha256 and
    parsed once per process. A folder stands for its ``*.csv`` files. The same prefix listed
    twice for a category over overlapping periods is an error naming both rows.
    """
    if paths is None:
        return _load_bundled(_reference_dir().resolve())
    if isinstance(paths, str | Path):
        paths = [paths]
    return _load_files(list(_expand(paths)))


def category_names(categories: pa.Table) -> list[str]:
    """Distinct categories in the order they were loaded (the order results list them)."""
    return list(dict.fromkeys(categories["category"].to_pylist()))
