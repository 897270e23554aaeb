"""UK FCDO sanctions list, summary export as OpenDocument spreadsheet (.ods) -> canonical table.

The FCDO's summary export has one row per designation and eight columns: ``Unique ID, OFSI
Group ID, Name, Regime Name, Type, Designation source, Date Designated, Sanctions Imposed``
(cells padded with spaces). It carries no aliases, addresses or identifiers; the full lists
are read by :mod:`screening.lists.parsers.uk_csv`. The OFSI Group ID is kept as an identifier
(``OFSI_GROUP_ID``) so a designation can be joined to its OFSI consolidated-list entry.
ODS is read by pandas' ``odf`` engine (the ``odfpy`` package).
"""

from __future__ import annotations

import re
import warnings
import zipfile
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from screening.errors import ListParseError
from screening.lists.parsers.tables import (
    arrow_strings,
    entries_table,
    identifier_lists,
    parties_table,
)

LIST_SOURCE = "uk_fcdo"
REQUIRED_COLUMNS = ("Unique ID", "Name", "Regime Name", "Type")
OPTIONAL_COLUMNS = ("OFSI Group ID", "Designation source", "Date Designated", "Sanctions Imposed")
TYPE_KINDS = {"individual": "individual", "entity": "entity", "ship": "vessel"}
_SNIFF_BYTES = 200_000
_HEADER_SEARCH_ROWS = 10
SHEET_ROW = "_sheet_row"


class NamelessEntryWarning(UserWarning):
    """A list entry has no name: it cannot be screened by name, so it is left out, said which."""


def looks_like_uk_fcdo_ods(path: str | Path) -> bool:
    """Detector for the registry: an ODS whose first sheet has the FCDO export's headers."""
    path = Path(path)
    if not path.is_file() or path.suffix.lower() != ".ods" or not zipfile.is_zipfile(path):
        return False
    try:
        with zipfile.ZipFile(path) as archive, archive.open("content.xml") as fh:
            head = fh.read(_SNIFF_BYTES).decode("utf-8", errors="replace")
    except KeyError:
        return False
    return all(column in head for column in ("Unique ID", "Regime Name", "Designation source"))


def parse_uk_fcdo_ods(path: str | Path, *, list_version: str | None = None) -> pa.Table:
    """Parse the FCDO summary export into LIST_ENTRY_SCHEMA rows (one per designation).

    ``source_id`` is the Unique ID (``RUS0859``); ``programs`` the regime as written
    (``Russia``); ``list_version`` defaults to the date in the file name, else the date the
    spreadsheet was saved. A designation without a name cannot be screened by name: it is kept,
    with an empty name, and a NamelessEntryWarning names it (the 2025-08-11 export has two).
    """
    path = Path(path)
    frame = _read(path)
    n = len(frame)
    kinds = frame["Type"].str.lower().map(TYPE_KINDS)
    unknown = kinds.isna()
    if unknown.any():
        i = int(np.flatnonzero(unknown.to_numpy())[0])
        raise ListParseError(
            f"unknown Type {frame['Type'].iloc[i]!r}; expected one of {sorted(TYPE_KINDS)}",
            file=path,
            row=int(frame[SHEET_ROW].iloc[i]),
            column="Type",
        )
    repeated = frame["Unique ID"].duplicated()
    if repeated.any():
        i = int(np.flatnonzero(repeated.to_numpy())[0])
        raise ListParseError(
            f"Unique ID {frame['Unique ID'].iloc[i]} appears twice",
            file=path,
            row=int(frame[SHEET_ROW].iloc[i]),
            column="Unique ID",
        )
    listed_on = _dates(path, frame["Date Designated"], frame[SHEET_ROW])
    group_ids = pd.DataFrame(
        {"row": np.arange(n), "scheme": "OFSI_GROUP_ID", "value": frame["OFSI Group ID"]}
    ).dropna()
    remarks = (
        ("Designation source: " + frame["Designation source"])
        .fillna("")
        .str.cat(("Sanctions imposed: " + frame["Sanctions Imposed"]).fillna(""), sep="; ")
        .str.strip("; ")
    )
    parties = parties_table(
        n,
        {
            "list_source": LIST_SOURCE,
            "source_id": arrow_strings(frame["Unique ID"]),
            "entity_type": arrow_strings(kinds),
            "programs": pa.array([[r] for r in frame["Regime Name"]], pa.list_(pa.string())),
            "identifiers": identifier_lists(group_ids, n),
            "remarks": arrow_strings(remarks.where(remarks.str.len() > 0)),
            "listed_on": pa.array(listed_on, pa.date32(), from_pandas=True),
            "list_version": list_version or _file_date(path),
        },
    )
    names = pd.DataFrame({"row": np.arange(n), "name": frame["Name"], "name_kind": "primary"})
    return entries_table(parties, names, keep_nameless=True)


def _read(path: Path) -> pd.DataFrame:
    """The designations as stripped strings, with the sheet row of each (1-based) in SHEET_ROW."""
    try:
        raw = pd.read_excel(path, engine="odf", header=None, dtype=str, sheet_name=0)
    except ImportError as exc:
        raise ListParseError(
            "reading .ods needs the odfpy package (pip install odfpy)", file=path
        ) from exc
    except Exception as exc:  # odfpy raises bare XML/zip errors on a corrupt file
        raise ListParseError(f"not a readable ODS spreadsheet: {exc}", file=path) from exc
    raw = raw.apply(lambda column: column.str.strip()).replace("", None)
    header_row = next(
        (
            i
            for i in range(min(_HEADER_SEARCH_ROWS, len(raw)))
            if set(REQUIRED_COLUMNS) <= set(raw.iloc[i].dropna())
        ),
        None,
    )
    if header_row is None:
        first = raw.iloc[0].dropna().tolist() if len(raw) else []
        raise ListParseError(
            f"no header row with {', '.join(REQUIRED_COLUMNS)} in the first "
            f"{_HEADER_SEARCH_ROWS} rows; first row seen: {first}",
            file=path,
        )
    frame = raw.iloc[header_row + 1 :].copy()
    frame.columns = [
        str(c) if c is not None else f"(blank {i})" for i, c in enumerate(raw.iloc[header_row])
    ]
    frame[SHEET_ROW] = np.arange(len(frame)) + header_row + 2
    frame = frame.dropna(how="all", subset=[c for c in frame.columns if c != SHEET_ROW])
    for column in OPTIONAL_COLUMNS:
        if column not in frame:
            frame[column] = pd.Series([None] * len(frame), dtype="str", index=frame.index)
    for column in ("Unique ID", "Type"):
        blank = frame[column].isna()
        if blank.any():
            row = int(frame.loc[blank, SHEET_ROW].iloc[0])
            raise ListParseError(f"empty {column}", file=path, row=row, column=column)
    nameless = frame["Name"].isna()
    if nameless.any():
        warnings.warn(
            f"{path}: {int(nameless.sum())} designation(s) without a name, kept with an "
            f"empty name (they cannot be matched by name): "
            f"{', '.join(frame.loc[nameless, 'Unique ID'])} "
            f"(rows {frame.loc[nameless, SHEET_ROW].tolist()})",
            NamelessEntryWarning,
            stacklevel=3,
        )
    return frame.reset_index(drop=True)


def _dates(path: Path, texts: pd.Series, sheet_rows: pd.Series) -> pd.Series:
    """``29-06-2012`` (or ``29/06/2012``) -> dates; anything else names its row."""
    parsed = pd.to_datetime(
        texts.str.replace("/", "-", regex=False), format="%d-%m-%Y", errors="coerce"
    )
    bad = texts.notna() & parsed.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise ListParseError(
            f"Date Designated {texts.iloc[i]!r} is not DD-MM-YYYY",
            file=path,
            row=int(sheet_rows.iloc[i]),
            column="Date Designated",
        )
    return pd.Series([d.date() if pd.notna(d) else None for d in parsed], dtype=object)


def _file_date(path: Path) -> str | None:
    """``FCDO_SL_2025-08-11.ods`` -> 2025-08-11; else the date content.xml was written."""
    named = re.search(r"(\d{4})-(\d{2})-(\d{2})", path.name)
    if named:
        return named.group()
    with zipfile.ZipFile(path) as archive:
        try:
            year, month, day, *_ = archive.getinfo("content.xml").date_time
        except KeyError:
            return None
    return date(year, month, day).isoformat() if year > 1980 else None
