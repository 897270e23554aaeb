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

import csv
import hashlib
import io
from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from screening.errors import ListParseError
from screening.lists.remarks import arrow_strings, entries_table, is_country_code, string_lists
from screening.schema import IDENTIFIER_TYPE

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
    return set(_read_header(path)) >= _REQUIRED


def _read_header(path: Path) -> list[str]:
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
        return [name.strip() for name in next(csv.reader(fh, delimiter="\t"), [])]


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

    parties = pa.table(
        {
            "list_source": pa.array([LIST_SOURCE] * n, pa.string()),
            "source_id": arrow_strings(_source_ids(frame)),
            "entity_type": pa.nulls(n, pa.string()),
            "programs": pa.array([[]] * n, pa.list_(pa.string())),
            "countries": string_lists(
                pd.DataFrame({"row": np.arange(n), "country": country}), "country", n
            ),
            "addresses": string_lists(
                pd.DataFrame({"row": np.arange(n), "address": address.where(address.ne(""))}),
                "address",
                n,
            ),
            "identifiers": pa.array([[]] * n, pa.list_(IDENTIFIER_TYPE)),
            "related": pa.array([[]] * n, pa.list_(pa.string())),
            "remarks": arrow_strings(_remarks(frame)),
            "listed_on": pa.array(listed_on, pa.date32(), from_pandas=True),
            "list_version": pa.array([list_version] * n, pa.string()),
        }
    )
    return entries_table(parties, _names(frame["Name"]))


def _read(path: Path) -> pd.DataFrame:
    header = _read_header(path)
    missing = sorted(_REQUIRED - set(header))
    if missing:
        raise ListParseError(
            f"not a Denied Persons List file: missing column(s) {', '.join(missing)}; "
            f"header seen: {header[:12]}",
            file=path,
            row=1,
            column=missing[0],
        )
    bad_rows: list[tuple[int, int, int]] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        bad_rows.append((row.number, row.expected_columns, row.actual_columns))
        return "error"

    data = path.read_bytes()
    try:
        data.decode("utf-8")
        encoding = "utf8"
    except UnicodeDecodeError:
        encoding = "cp1252"  # BIS' older files are Windows-1252
    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(use_threads=False, encoding=encoding),
            parse_options=pacsv.ParseOptions(delimiter="\t", invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(header, pa.string()),
                null_values=[""],
                strings_can_be_null=True,
            ),
        )
    except pa.ArrowInvalid as exc:
        if bad_rows:
            row, expected, actual = bad_rows[0]
            column = header[actual] if actual < expected else f"(extra column {actual})"
            raise ListParseError(
                f"expected {expected} tab-separated columns as in the header, got {actual}",
                file=path,
                row=row if row and row > 0 else None,
                column=column,
            ) from exc
        raise ListParseError(f"not a readable tab-separated file: {exc}", file=path) from exc
    frame = table.to_pandas().apply(lambda column: column.str.strip()).replace("", None)
    for column in COLUMNS:
        if column not in frame:
            frame[column] = pd.Series([None] * len(frame), dtype="str")
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
