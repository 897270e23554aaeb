"""US BIS Denied Persons List, tab-separated text file -> canonical list table.

BIS publishes the DPL as a quoted, tab-separated file with a header: ``Name, Street_Address,
City, State, Country, Postal_Code, Effective_Date, Expiration_Date, Standard_Order,
Last_Update, Action, FR_Citation``. Each row is one denial order against one party at one
address; the file has no id, so ``source_id`` is a short hash of the row (stable when rows
move), with ``-2``, ``-3`` … for rows repeated word for word. Names hold aliases inline
(``FUYI SUN A/K/A FRANK SUN``, ``PEARL (A.K.A. NEI-CHIEN CHU) LI``): they become alias rows.
Persons and companies are mixed and not told apart, so ``entity_type`` is null.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from screening.errors import ListParseError
from screening.lists.parsers.identifiers import is_country_code
from screening.lists.parsers.string_csv import (
    add_missing_columns,
    read_header,
    read_string_csv,
    require_header,
)
from screening.lists.parsers.tables import arrow_strings, entries_table, parties_table, string_lists

LIST_SOURCE = "us_bis_dpl"
COLUMNS = (
    "Name",
    "Street_Address",
    "City",
    "State",
    "Country",
    "Postal_Code",
    "Effective_Date",
    "Expiration_Date",
    "Standard_Order",
    "Last_Update",
    "Action",
    "FR_Citation",
)
_REQUIRED = frozenset({"Name", "Street_Address", "Effective_Date", "FR_Citation"})
_INLINE_ALIAS = r"\s*\(?\s*\b(?:A/K/A|A\.K\.A\.?|AKA|F/K/A|F\.K\.A\.?|D/B/A|D\.B\.A\.?)\s+"


def looks_like_bis_dpl(path: str | Path) -> bool:
    """Detector for the registry: a tab-separated file with the DPL's header."""
    path = Path(path)
    if not path.is_file():
        return False
    return set(read_header(path, delimiter="\t")) >= _REQUIRED


def parse_bis_dpl(path: str | Path, *, list_version: str | None = None) -> pa.Table:
    """Parse the DPL into LIST_ENTRY_SCHEMA rows (one per name).

    ``listed_on`` is the order's effective date; ``list_version`` defaults to the newest
    ``Last_Update`` that is not in the future (the 2019 file has a typo year 3017).
    """
    path = Path(path)
    frame = _read(path)
    n = len(frame)
    listed_on = _dates(path, frame["Effective_Date"], "%m/%d/%Y", "Effective_Date")
    updated = _dates(path, frame["Last_Update"], "%Y-%m-%d", "Last_Update")
    if list_version is None:
        plausible = [d for d in updated if d is not None and d <= date.today()]
        list_version = max(plausible).isoformat() if plausible else None

    address = frame["Street_Address"].fillna("")
    for column in ("City", "State", "Postal_Code", "Country"):
        address = address.str.cat(frame[column], sep=", ", na_rep="").str.strip(", ")
    address = address.str.replace(r"(?:,\s*)+", ", ", regex=True)
    country = frame["Country"].str.upper()
    country = country.where(country.map(is_country_code, na_action="ignore").fillna(False))

    parties = parties_table(
        n,
        {
            "list_source": LIST_SOURCE,
            "source_id": arrow_strings(_source_ids(frame)),
            "countries": string_lists(
                pd.DataFrame({"row": np.arange(n), "country": country}), "country", n
            ),
            "addresses": string_lists(
                pd.DataFrame({"row": np.arange(n), "address": address.where(address.ne(""))}),
                "address",
                n,
            ),
            "remarks": arrow_strings(_remarks(frame)),
            "listed_on": pa.array(listed_on, pa.date32(), from_pandas=True),
            "list_version": list_version,
        },
    )
    return entries_table(parties, _names(frame["Name"]))


def _read(path: Path) -> pd.DataFrame:
    header = require_header(
        path, sorted(_REQUIRED), expected="a Denied Persons List file", delimiter="\t"
    )
    frame = read_string_csv(
        path,
        header,
        delimiter="\t",
        newlines_in_values=False,
        cp1252_fallback=True,  # BIS' older files are Windows-1252
        strip=True,
        kind="tab-separated file",
    )
    add_missing_columns(frame, COLUMNS)
    blank = frame["Name"].isna()
    if blank.any():
        i = int(np.flatnonzero(blank.to_numpy())[0])
        raise ListParseError("entry without a name", file=path, row=i + 2, column="Name")
    return frame


def _dates(path: Path, texts: pd.Series, fmt: str, column: str) -> pd.Series:
    """Dates in ``fmt``, each distinct text parsed once; a year like 3017 is a typo, but a date."""
    parsed = {text: _strptime(text, fmt) for text in texts.dropna().unique()}
    dates = texts.map(parsed)
    bad = texts.notna() & dates.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise ListParseError(
            f"{column} {texts.iloc[i]!r} is not a date ({fmt})",
            file=path,
            row=i + 2,
            column=column,
        )
    return pd.Series(dates.to_numpy(), dtype=object)


def _strptime(text: str, fmt: str) -> date | None:
    try:
        return datetime.strptime(text, fmt).date()
    except ValueError:
        return None


def _source_ids(frame: pd.DataFrame) -> pd.Series:
    """Short sha1 of the row's content; exact repeats get ``-2``, ``-3`` …"""
    content = frame[list(COLUMNS)].fillna("").agg("\t".join, axis=1)
    digest = content.map(lambda text: hashlib.sha1(text.encode("utf-8")).hexdigest()[:12])
    repeat = digest.groupby(digest).cumcount() + 1
    return digest.where(repeat.eq(1), digest + "-" + repeat.astype("str"))


def _names(names: pd.Series) -> pd.DataFrame:
    """The name as listed minus inline aliases (primary), and each inline alias (alias)."""
    n = len(names)
    parts = names.str.split(_INLINE_ALIAS, regex=True)
    first = parts.str[0].str.strip()
    # "PEARL (A.K.A. NEI-CHIEN CHU) LI": the alias sits in parentheses inside the name
    inner = names.str.extract(r"^(?P<head>.*?)\(\s*A\.K\.A\.?\s+(?P<alias>[^)]+)\)(?P<tail>.*)$")
    has_inner = inner["alias"].notna()
    primary = first.where(
        ~has_inner, (inner["head"].str.strip() + " " + inner["tail"].str.strip()).str.strip()
    )
    aliases = parts.str[1:].explode().dropna().str.strip(" )")
    aliases = aliases[~has_inner.reindex(aliases.index).fillna(False).astype(bool)]
    return pd.concat(
        [
            pd.DataFrame({"row": np.arange(n), "name": primary, "name_kind": "primary"}),
            pd.DataFrame(
                {
                    "row": aliases.index.to_numpy(dtype=np.int64),
                    "name": aliases.to_numpy(),
                    "name_kind": "alias",
                }
            ),
            pd.DataFrame(
                {
                    "row": np.flatnonzero(has_inner.to_numpy()),
                    "name": inner["alias"][has_inner].str.strip().to_numpy(),
                    "name_kind": "alias",
                }
            ),
        ],
        ignore_index=True,
    )


def _remarks(frame: pd.DataFrame) -> pd.Series:
    text = pd.Series([""] * len(frame), dtype="str")
    for column, label in (
        ("Name", "Listed as"),
        ("Effective_Date", "Effective"),
        ("Expiration_Date", "Expires"),
        ("Standard_Order", "Standard order"),
        ("FR_Citation", "Federal Register"),
        ("Action", "Last action"),
        ("Last_Update", "Last update"),
    ):
        text = text.str.cat((label + ": " + frame[column]).fillna(""), sep="; ").str.strip("; ")
    return text.where(text.str.len() > 0)
