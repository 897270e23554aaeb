"""UK sanctions lists as CSV: OFSI's consolidated list and the FCDO's UK Sanctions List.

Two official layouts, read by their published column definitions:

- **OFSI ConList.csv** (``uk_ofsi``): a banner ``Last Updated,DD/MM/YYYY``, then ``Name 6,
  Name 1, …, Name 5, Title, Name Non-Latin Script, …, Nationality, Passport Number, …,
  Address 1..6, Post/Zip Code, Country, Other Information, Group Type, Alias Type, Alias
  Quality, Regime, Listed On, UK Sanctions List Date Designated, Last Updated, Group ID``.
  One row per name *and* address of a target; rows sharing a ``Group ID`` are one target.
  Registration numbers and the UK Sanctions List reference sit in ``Other Information`` as
  ``(Label):value`` segments.
- **UK Sanctions List CSV** (``uk_fcdo``): a banner ``Report Date: DD-Mon-YYYY``, then
  ``Last Updated, Unique ID, OFSI Group ID, UN Reference Number, Name 6, Name 1..5, Name
  type, Alias strength, …, Regime Name, Designation Type, …, Business registration number
  (s), IMO number, Current owner/operator (s), …``; rows sharing a ``Unique ID`` are one
  designation.

Individuals' names are written given names first (``Name 1 … Name 5`` then ``Name 6``, the
surname); entities and ships have their whole name in ``Name 6``. Non-Latin-script names are
aliases. Each layout is a UkLayout, so both are read by one function.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from screening.errors import ListParseError
from screening.lists.parsers.identifiers import country_codes, extract_labelled_numbers
from screening.lists.parsers.string_csv import add_missing_columns, read_string_csv
from screening.lists.parsers.tables import (
    arrow_strings,
    entries_table,
    identifier_lists,
    parties_table,
    string_lists,
)

NAME_PARTS = ("Name 1", "Name 2", "Name 3", "Name 4", "Name 5", "Name 6")
NAME_TYPES = {
    "primary name": "primary",
    "primary name variation": "alias",
    "aka": "alias",
    "alias": "alias",
    "fka": "former",
}
GROUP_TYPES = {"individual": "individual", "entity": "entity", "ship": "vessel"}
_ENUMERATOR = r"\(\d{1,2}\)"
_SEGMENT_RE = (
    r"\((?P<label>[A-Za-z][^():]{1,60})\)\s*:\s*(?P<value>.*?)\s*(?=\([A-Za-z][^():]{1,60}\)\s*:|$)"
)
_IDENTIFIER_LABEL = re.compile(r"reg|\bimo\b|tax|\binn\b|ogrn|kpp|okpo|company n", re.IGNORECASE)
_HEADER_SEARCH_LINES = 5


@dataclass(frozen=True)
class UkLayout:
    """Where one UK layout keeps each piece of a listed party."""

    list_source: str
    key: str
    name_type: str
    quality: str
    non_latin: str
    group_type: str
    regime: str
    listed_on: str
    last_updated: str
    address_lines: tuple[str, ...]
    postcode: str
    address_country: str
    nationality: str
    passport: tuple[str, str]
    national_id: tuple[str, str]
    other_information: str
    registration: str | None = None
    imo: str | None = None
    id_columns: tuple[tuple[str, str], ...] = ()
    related: tuple[str, ...] = ()
    remark_columns: tuple[tuple[str, str], ...] = ()

    @property
    def required(self) -> tuple[str, ...]:
        return (self.key, "Name 6", self.group_type, self.name_type)


OFSI_CONLIST = UkLayout(
    list_source="uk_ofsi",
    key="Group ID",
    name_type="Alias Type",
    quality="Alias Quality",
    non_latin="Name Non-Latin Script",
    group_type="Group Type",
    regime="Regime",
    listed_on="Listed On",
    last_updated="Last Updated",
    address_lines=tuple(f"Address {i}" for i in range(1, 7)),
    postcode="Post/Zip Code",
    address_country="Country",
    nationality="Nationality",
    passport=("Passport Number", "Passport Details"),
    national_id=("National Identification Number", "National Identification Details"),
    other_information="Other Information",
    id_columns=(("Group ID", "OFSI_GROUP_ID"),),
    remark_columns=(
        ("Title", "Title"),
        ("DOB", "Born"),
        ("Town of Birth", "Birth town"),
        ("Country of Birth", "Birth country"),
        ("Position", "Position"),
        ("UK Sanctions List Date Designated", "UK Sanctions List designation"),
        ("Other Information", "Other information"),
    ),
)

UK_SANCTIONS_LIST = UkLayout(
    list_source="uk_fcdo",
    key="Unique ID",
    name_type="Name type",
    quality="Alias strength",
    non_latin="Name non-latin script",
    group_type="Designation Type",
    regime="Regime Name",
    listed_on="Date Designated",
    last_updated="Last Updated",
    address_lines=tuple(f"Address Line {i}" for i in range(1, 7)),
    postcode="Address Postal Code",
    address_country="Address Country",
    nationality="Nationality(/ies)",
    passport=("Passport number", "Passport additional information"),
    national_id=("National Identifier number", "National Identifier additional information"),
    other_information="Other Information",
    registration="Business registration number (s)",
    imo="IMO number",
    id_columns=(("OFSI Group ID", "OFSI_GROUP_ID"), ("UN Reference Number", "UN_REFERENCE")),
    related=("Parent company", "Subsidiaries", "Current owner/operator (s)"),
    remark_columns=(
        ("Title", "Title"),
        ("D.O.B", "Born"),
        ("Town of birth", "Birth town"),
        ("Country of birth", "Birth country"),
        ("Position", "Position"),
        ("Gender", "Gender"),
        ("Designation source", "Designation source"),
        ("Sanctions Imposed", "Sanctions imposed"),
        ("Type of entity", "Type of entity"),
        ("Current believed flag of ship", "Flag"),
        ("Previous owner/operator (s)", "Previous owners"),
        ("UK Statement of Reasons", "Statement of reasons"),
        ("Other Information", "Other information"),
    ),
)
_MARKERS = {
    OFSI_CONLIST: frozenset({"Name 6", "Group ID", "Alias Type", "Group Type", "Regime"}),
    UK_SANCTIONS_LIST: frozenset({"Unique ID", "Name 6", "Name type", "Regime Name"}),
}


def looks_like_ofsi_conlist_csv(path: str | Path) -> bool:
    """Detector for the registry: OFSI's ConList.csv header (after its banner line)."""
    return _matches(Path(path), OFSI_CONLIST)


def looks_like_uk_sanctions_list_csv(path: str | Path) -> bool:
    """Detector for the registry: the FCDO's UK Sanctions List CSV header."""
    return _matches(Path(path), UK_SANCTIONS_LIST)


def parse_ofsi_conlist_csv(path: str | Path, *, list_version: str | None = None) -> pa.Table:
    """Parse OFSI's ConList.csv into LIST_ENTRY_SCHEMA rows (``source_id`` = Group ID)."""
    return parse_uk_csv(Path(path), OFSI_CONLIST, list_version=list_version)


def parse_uk_sanctions_list_csv(path: str | Path, *, list_version: str | None = None) -> pa.Table:
    """Parse the UK Sanctions List CSV into LIST_ENTRY_SCHEMA rows (``source_id`` = Unique ID)."""
    return parse_uk_csv(Path(path), UK_SANCTIONS_LIST, list_version=list_version)


def parse_uk_csv(path: Path, layout: UkLayout, *, list_version: str | None = None) -> pa.Table:
    """Rows of one layout grouped into parties by ``layout.key``; one row per name.

    ``list_version`` defaults to the banner's date, else the newest ``Last Updated``.
    """
    frame, banner, header_line = _read(path, layout)
    keys = frame[layout.key]
    parties = frame.drop_duplicates(layout.key)
    n = len(parties)
    party = pd.Series(np.arange(n), index=pd.Index(parties[layout.key])).loc[keys].to_numpy()
    kinds = parties[layout.group_type].str.lower().map(GROUP_TYPES)
    _refuse_unknown(path, parties, kinds, layout.group_type, GROUP_TYPES, header_line)
    listed_on = _dates(path, frame[layout.listed_on], layout.listed_on, header_line)
    if list_version is None:
        updated = _dates(path, frame[layout.last_updated], layout.last_updated, header_line)
        list_version = _banner_date(banner) or max(
            (d.isoformat() for d in updated.dropna()), default=None
        )

    countries = pd.concat(
        [
            pd.DataFrame({"row": party, "name": frame[layout.address_country]}),
            _enumerated(frame[layout.nationality], party).rename(columns={"value": "name"}),
        ],
        ignore_index=True,
    ).dropna()
    countries = pd.DataFrame(
        {"row": countries["row"], "country": country_codes(countries["name"])}
    ).dropna()
    per_party = countries.drop_duplicates().groupby("row")["country"]
    sole = per_party.first().where(per_party.nunique().eq(1))

    table = parties_table(
        n,
        {
            "list_source": layout.list_source,
            "source_id": arrow_strings(parties[layout.key]),
            "entity_type": arrow_strings(kinds),
            "programs": string_lists(
                pd.DataFrame({"row": party, "program": frame[layout.regime]}), "program", n
            ),
            "countries": string_lists(countries, "country", n),
            "addresses": string_lists(_addresses(frame, party, layout), "address", n),
            "identifiers": identifier_lists(_identifiers(frame, party, sole, layout), n),
            "related": string_lists(_related(frame, party, layout), "value", n),
            "remarks": arrow_strings(_remarks(frame, party, n, layout)),
            "listed_on": pa.array(
                pd.Series(listed_on.to_numpy()).groupby(party).min().reindex(range(n)).tolist(),
                pa.date32(),
            ),
            "list_version": list_version,
        },
    )
    return entries_table(table, _names(path, frame, party, layout, header_line))


def _matches(path: Path, layout: UkLayout) -> bool:
    if not path.is_file() or path.suffix.lower() != ".csv":
        return False
    header, _, _ = _find_header(path, layout)
    return header is not None


def _encoding(path: Path) -> str:
    try:
        path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252"  # older OFSI files are Windows-1252
    return "utf-8-sig"


def _find_header(path: Path, layout: UkLayout) -> tuple[list[str] | None, str, int]:
    """(header names, banner text, 0-based header line); names None when not found."""
    banner = ""
    with open(path, encoding=_encoding(path), errors="replace", newline="") as fh:
        for number, row in enumerate(csv.reader(fh)):
            if number >= _HEADER_SEARCH_LINES:
                break
            names = [name.strip() for name in row]
            if _MARKERS[layout] <= set(names):
                return names, banner, number
            banner = " ".join(names)
    return None, banner, 0


def _read(path: Path, layout: UkLayout) -> tuple[pd.DataFrame, str, int]:
    header, banner, header_line = _find_header(path, layout)
    if header is None:
        raise ListParseError(
            f"no header with {', '.join(sorted(_MARKERS[layout]))} in the first "
            f"{_HEADER_SEARCH_LINES} lines (not a {layout.list_source} CSV)",
            file=path,
        )
    data = path.read_bytes().decode(_encoding(path)).encode("utf-8")
    names = [name or f"(blank {i})" for i, name in enumerate(header)]
    frame = read_string_csv(
        path, names, data=data, column_names_given=True, skip_rows=header_line + 1, strip=True
    )
    frame = frame.dropna(how="all").reset_index(drop=True)
    optional = {c for pair in (layout.passport, layout.national_id) for c in pair}
    optional |= {c for c, _ in layout.id_columns + layout.remark_columns}
    optional |= {*layout.address_lines, *layout.related, layout.registration, layout.imo}
    optional |= {layout.postcode, layout.address_country, layout.nationality, layout.quality}
    optional |= {layout.non_latin, layout.regime, layout.listed_on, layout.last_updated}
    optional |= {layout.other_information, *NAME_PARTS}
    add_missing_columns(frame, [c for c in optional if c is not None])
    for column in (layout.key, layout.group_type):
        blank = frame[column].isna()
        if blank.any():
            i = int(np.flatnonzero(blank.to_numpy())[0])
            raise ListParseError(
                f"empty {column}", file=path, row=header_line + i + 2, column=column
            )
    return frame, banner, header_line


def _refuse_unknown(
    path: Path,
    frame: pd.DataFrame,
    mapped: pd.Series,
    column: str,
    allowed: dict[str, str],
    header_line: int,
) -> None:
    unknown = frame[column].notna() & mapped.isna()
    if unknown.any():
        i = int(np.flatnonzero(unknown.to_numpy())[0])
        raise ListParseError(
            f"unknown {column} {frame[column].iloc[i]!r}; expected one of {sorted(allowed)}",
            file=path,
            row=header_line + int(frame.index[i]) + 2,
            column=column,
        )


def _dates(path: Path, texts: pd.Series, column: str, header_line: int) -> pd.Series:
    """``DD/MM/YYYY`` -> dates (null stays null); anything else names its row."""
    parsed = pd.to_datetime(texts, format="%d/%m/%Y", errors="coerce")
    bad = texts.notna() & parsed.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise ListParseError(
            f"{column} {texts.iloc[i]!r} is not DD/MM/YYYY",
            file=path,
            row=header_line + i + 2,
            column=column,
        )
    return pd.Series([d.date() if pd.notna(d) else None for d in parsed], dtype=object)


def _banner_date(banner: str) -> str | None:
    """``Last Updated 03/06/2026`` or ``Report Date: 13-Feb-2026`` -> ISO date."""
    for pattern, fmt in (
        (r"\d{1,2}/\d{1,2}/\d{4}", "%d/%m/%Y"),
        (r"\d{1,2}-\w{3}-\d{4}", "%d-%b-%Y"),
    ):
        found = re.search(pattern, banner)
        if found:
            try:
                return datetime.strptime(found.group(), fmt).date().isoformat()
            except ValueError:
                return None
    return None


def _enumerated(texts: pd.Series, party: np.ndarray) -> pd.DataFrame:
    """``(1) Russia (2) Ukraine`` -> one ``row, value`` per item."""
    parts = texts.str.split(_ENUMERATOR, regex=True).explode().astype("str").str.strip(" ;,.")
    out = pd.DataFrame({"row": party[parts.index.to_numpy()], "value": parts.to_numpy()})
    return out[out["value"].str.len().fillna(0) > 0].reset_index(drop=True)


def _names(
    path: Path, frame: pd.DataFrame, party: np.ndarray, layout: UkLayout, header_line: int
) -> pd.DataFrame:
    """One name per row (given names, then Name 6), plus its non-Latin-script spelling.

    Each party keeps exactly one primary name: the first; further distinct "primary names"
    become aliases, and a party without one has its first name promoted.
    """
    whole = frame[list(NAME_PARTS)].fillna("").agg(" ".join, axis=1).str.split().str.join(" ")
    folded = frame[layout.name_type].str.lower().str.strip()
    kind = folded.map(NAME_TYPES)
    _refuse_unknown(path, frame, kind, layout.name_type, NAME_TYPES, header_line)
    weak = frame[layout.quality].str.contains("low", case=False).fillna(False).astype(bool)
    kind = kind.fillna("alias").where(~(weak & kind.isin(["alias"])), "weak_alias")
    names = pd.concat(
        [
            pd.DataFrame({"row": party, "name": whole, "name_kind": kind}),
            pd.DataFrame({"row": party, "name": frame[layout.non_latin], "name_kind": "alias"}),
        ],
        ignore_index=True,
    )
    names = names[names["name"].str.len().fillna(0) > 0].drop_duplicates(["row", "name"])
    primary = names["name_kind"].eq("primary")
    first_primary = names[primary].drop_duplicates("row").index
    names.loc[primary & ~names.index.isin(first_primary), "name_kind"] = "alias"
    without = ~names["row"].isin(names.loc[first_primary, "row"])
    promote = names[without].drop_duplicates("row").index
    names.loc[promote, "name_kind"] = "primary"
    return names


def _addresses(frame: pd.DataFrame, party: np.ndarray, layout: UkLayout) -> pd.DataFrame:
    text = pd.Series([""] * len(frame), dtype="str")
    for column in (*layout.address_lines, layout.postcode, layout.address_country):
        text = text.str.cat(frame[column], sep=", ", na_rep="").str.strip(", ")
    text = text.str.replace(r"(?:,\s*)+", ", ", regex=True)
    return pd.DataFrame({"row": party, "address": text.where(text.str.len() > 0)}).dropna()


def _identifiers(
    frame: pd.DataFrame, party: np.ndarray, sole: pd.Series, layout: UkLayout
) -> pd.DataFrame:
    """Passport, national ID, registration and IMO cells; ``(Business Reg No):…`` segments
    of Other Information; the list's own cross-references (OFSI Group ID, UK list ref)."""
    country = pd.Series(party).map(sole)
    cells: list[tuple[pd.Series, str, np.ndarray, pd.Series]] = []
    for (number, details), scheme in (
        (layout.passport, "PASSPORT"),
        (layout.national_id, "ID_NUMBER"),
    ):
        text = frame[number] + (
            " (" + frame[details].str.replace(r"[()]", " ", regex=True) + ")"
        ).fillna("")
        cells.append((text, scheme, party, country))
    if layout.registration:
        cells.append((frame[layout.registration], "REGISTRATION", party, country))
    if layout.imo:
        cells.append((frame[layout.imo], "IMO", party, country))
    segments = _segments(frame[layout.other_information], party)
    numbered = segments[segments["label"].str.contains(_IDENTIFIER_LABEL).astype(bool)]
    cells.append(
        (
            numbered["value"],
            "REGISTRATION",
            numbered["row"].to_numpy(),
            numbered["row"].map(sole),
        )
    )
    found = []
    for texts, scheme, rows, countries in cells:
        texts = pd.Series(texts.to_numpy(), dtype="str")
        long = extract_labelled_numbers(texts, scheme, pd.Series(countries.to_numpy(), dtype="str"))
        found.append(long.assign(row=np.asarray(rows)[long["row"].to_numpy(dtype=int)]))
    references = segments[segments["label"].str.fullmatch("UK Sanctions List Ref", case=False)]
    found.append(
        pd.DataFrame(
            {
                "row": references["row"],
                "scheme": "UK_SANCTIONS_LIST_REF",
                "value": references["value"].str.rstrip("."),
            }
        )
    )
    for column, scheme in layout.id_columns:
        found.append(
            pd.DataFrame({"row": party, "scheme": scheme, "value": frame[column]}).dropna()
        )
    return pd.concat(found, ignore_index=True)


def _segments(texts: pd.Series, party: np.ndarray) -> pd.DataFrame:
    """``(Label):value (Label):value`` -> ``row, label, value``."""
    texts = pd.Series(texts.to_numpy(), dtype="str")
    found = texts.str.extractall(_SEGMENT_RE)
    rows = party[found.index.get_level_values(0).to_numpy(dtype=np.int64)]
    return pd.DataFrame(
        {
            "row": rows,
            "label": found["label"].str.strip().to_numpy(),
            "value": found["value"].to_numpy(),
        }
    )


def _related(frame: pd.DataFrame, party: np.ndarray, layout: UkLayout) -> pd.DataFrame:
    parts = [_enumerated(frame[column], party) for column in layout.related]
    segments = _segments(frame[layout.other_information], party)
    linked = segments[segments["label"].str.contains("parent|subsidiar", case=False)]
    parts.append(_enumerated(linked["value"].reset_index(drop=True), linked["row"].to_numpy()))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame({"row": [], "value": []})


def _remarks(frame: pd.DataFrame, party: np.ndarray, n: int, layout: UkLayout) -> pd.Series:
    pieces = [
        pd.DataFrame({"row": party, "text": label + ": " + frame[column]}).dropna()
        for column, label in layout.remark_columns
    ]
    long = pd.concat(pieces, ignore_index=True).drop_duplicates()
    return long.groupby("row", sort=True)["text"].agg("; ".join).reindex(range(n)).astype("str")
