"""trade.gov Consolidated Screening List (CSL) CSV -> canonical list table.

One file merges eleven-plus US lists (OFAC, BIS, State). Each row's ``source`` text is mapped
to a stable ``list_source`` code; a source trade.gov adds later gets a slug code rather than
being dropped. Multi-valued cells are ``;``-joined; each address ends in an ISO-2 country
code. The ``ids`` cell comes in two layouts: ``[CC, ][expiry, ][issued, ]number, type``
(2022 file) and ``type, number[, CC]`` (2025 file); both are read.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from screening.errors import ListParseError
from screening.lists.parsers.aliases import extract_related
from screening.lists.parsers.identifiers import (
    IDENTIFIER_LABELS,
    extract_identifiers,
    is_country_code,
    normalise_identifiers,
)
from screening.lists.parsers.string_csv import (
    add_missing_columns,
    read_header,
    read_string_csv,
    require_header,
)
from screening.lists.parsers.tables import (
    arrow_strings,
    entries_table,
    identifier_lists,
    parties_table,
    split_joined,
    string_lists,
)
from screening.schema import ENTITY_TYPES

REQUIRED_COLUMNS = ("_id", "source", "name")
OPTIONAL_COLUMNS = (
    "entity_number",
    "type",
    "programs",
    "addresses",
    "start_date",
    "call_sign",
    "remarks",
    "alt_names",
    "citizenships",
    "nationalities",
    "ids",
)
_HEADER_MARKERS = frozenset({"_id", "source", "entity_number", "name", "alt_names"})

SOURCE_CODES: tuple[tuple[str, str], ...] = (
    # (phrase in trade.gov's ``source`` text, list_source); first match wins
    ("specially designated nationals", "us_ofac_sdn"),
    ("entity list", "us_bis_entity_list"),
    ("military end user", "us_bis_meu"),
    ("unverified list", "us_bis_uvl"),
    ("denied persons", "us_bis_dpl"),
    ("sectoral sanctions identifications", "us_ofac_ssi"),
    ("itar debarred", "us_state_itar_debarred"),
    ("nonproliferation sanctions", "us_state_isn"),
    ("palestinian legislative council", "us_ofac_plc"),
    ("chinese military-industrial complex", "us_ofac_cmic"),
    ("capta", "us_ofac_capta"),
    ("menu-based sanctions", "us_ofac_ns_mbs"),
    ("foreign sanctions evaders", "us_ofac_fse"),
)


def list_source_code(source: str) -> str:
    """Stable code of a CSL ``source`` text; unknown sources get ``us_csl_<slug>``."""
    folded = source.lower()
    for phrase, code in SOURCE_CODES:
        if phrase in folded:
            return code
    slug = re.sub(r"[^a-z0-9]+", "_", folded).strip("_")
    return f"us_csl_{slug or 'unknown'}"


def looks_like_trade_csl_csv(path: str | Path) -> bool:
    """Detector for the registry: a CSV whose header has the CSL's own column names."""
    path = Path(path)
    if not path.is_file() or path.suffix.lower() != ".csv":
        return False
    return set(read_header(path)) >= _HEADER_MARKERS


def parse_trade_csl_csv(path: str | Path, *, list_version: str | None = None) -> pa.Table:
    """Parse a CSL CSV into LIST_ENTRY_SCHEMA rows (one per name).

    ``source_id`` is ``entity_number`` when given, else ``_id``. Rows that repeat a party
    exactly (same list, id and content) are kept once. ``type`` is lower-cased and stays null
    where the list gives none (BIS and State lists mix companies and people).
    """
    path = Path(path)
    frame = _read_csl(path)
    _reject_unknown(path, frame, frame["type"].str.strip().str.lower(), "type", set(ENTITY_TYPES))
    frame["listed_on"] = _dates(path, frame["start_date"])
    frame = frame.drop_duplicates(subset=[c for c in frame.columns if c != "source_list_url"])
    frame = frame.reset_index(drop=True)
    n = len(frame)

    sources = frame["source"].str.strip()
    codes = {text: list_source_code(text) for text in sources.unique()}
    entity_type = frame["type"].str.strip().str.lower()

    names = pd.concat(
        [
            pd.DataFrame({"row": np.arange(n), "name": frame["name"], "name_kind": "primary"}),
            split_joined(frame["alt_names"], ";")
            .assign(name=lambda d: d["value"].str.replace(r"^and\s+", "", regex=True))
            .assign(name_kind="alias")[["row", "name", "name_kind"]],
        ],
        ignore_index=True,
    )

    addresses = split_joined(frame["addresses"], ";")  # 2025 BIS rows: "A; and B, CN"
    addresses["value"] = addresses["value"].str.replace(r"^and\s+", "", regex=True)
    address_codes = addresses["value"].str.extract(r"(?:^|,\s*)([A-Z]{2})$", expand=False)
    countries = pd.concat(
        [
            pd.DataFrame({"row": addresses["row"], "country": address_codes}),
            split_joined(frame["nationalities"], ";").rename(columns={"value": "country"}),
            split_joined(frame["citizenships"], ";").rename(columns={"value": "country"}),
        ],
        ignore_index=True,
    ).dropna()
    countries = countries[countries["country"].map(is_country_code).astype(bool)]

    call_signs = pd.DataFrame(
        {"row": np.arange(n), "scheme": "CALL_SIGN", "value": frame["call_sign"].str.strip()}
    ).dropna()
    identifiers = pd.concat(
        [parse_ids_cell(frame["ids"]), extract_identifiers(frame["remarks"]), call_signs],
        ignore_index=True,
    )

    parties = parties_table(
        n,
        {
            "list_source": arrow_strings(sources.map(codes)),
            "source_id": arrow_strings(frame["entity_number"].str.strip().fillna(frame["_id"])),
            "entity_type": arrow_strings(entity_type),
            "programs": string_lists(
                split_joined(frame["programs"], ";").rename(columns={"value": "program"}),
                "program",
                n,
            ),
            "countries": string_lists(countries, "country", n),
            "addresses": string_lists(addresses.rename(columns={"value": "address"}), "address", n),
            "identifiers": identifier_lists(identifiers, n),
            "related": string_lists(extract_related(frame["remarks"], frame["name"]), "name", n),
            "remarks": arrow_strings(frame["remarks"]),
            "listed_on": pa.array(frame["listed_on"], pa.date32(), from_pandas=True),
            "list_version": list_version,
        },
    )
    return entries_table(parties, names)


def parse_ids_cell(ids: pd.Series) -> pd.DataFrame:
    """The ``ids`` cell -> ``row, scheme, value``; only labels in IDENTIFIER_LABELS count.

    2022 layout: ``RU, 7707083893, Tax ID No.`` (type last, optional country and dates first);
    2025 layout: ``Tax ID No., 7707083893, RU`` (type first, optional country last).
    """
    items = split_joined(ids, ";")
    parts = items["value"].str.split(", ", regex=False)
    first, last = parts.str[0].str.strip(), parts.str[-1].str.strip()
    size = parts.str.len()
    type_last = last.isin(list(IDENTIFIER_LABELS)) & (size >= 2)
    type_first = first.isin(list(IDENTIFIER_LABELS)) & (size >= 2) & ~type_last
    iso = r"[A-Z]{2}"
    old = pd.DataFrame(
        {
            "row": items["row"],
            "label": last,
            "value": parts.str[-2],
            "country": first.where(first.str.fullmatch(iso).astype(bool) & (size >= 3)),
        }
    )[type_last]
    new = pd.DataFrame(
        {
            "row": items["row"],
            "label": first,
            "value": parts.str[1],
            "country": last.where(last.str.fullmatch(iso).astype(bool) & (size >= 3)),
        }
    )[type_first]
    found = pd.concat([old, new], ignore_index=True)
    if found.empty:
        return pd.DataFrame({"row": [], "scheme": [], "value": []})
    return normalise_identifiers(found)


def _read_csl(path: Path) -> pd.DataFrame:
    header = require_header(path, REQUIRED_COLUMNS, expected="a Consolidated Screening List CSV")
    frame = add_missing_columns(read_string_csv(path, header), OPTIONAL_COLUMNS)
    blank = frame["name"].str.strip().str.len().fillna(0).eq(0)
    if blank.any():
        i = int(np.flatnonzero(blank.to_numpy())[0])
        raise ListParseError("entry without a name", file=path, row=i + 2, column="name")
    return frame


def _reject_unknown(
    path: Path, frame: pd.DataFrame, values: pd.Series, column: str, allowed: set[str]
) -> None:
    unknown = values.notna() & ~values.isin(list(allowed))
    if unknown.any():
        i = int(np.flatnonzero(unknown.to_numpy())[0])
        raise ListParseError(
            f"unknown value {frame[column].iloc[i]!r}; expected one of {sorted(allowed)}",
            file=path,
            row=i + 2,
            column=column,
        )


def _dates(path: Path, texts: pd.Series) -> pd.Series:
    """ISO ``start_date`` -> dates (any year: BIS has a 3017 typo); else an error naming the row."""
    texts = texts.str.strip()
    parsed = pc.strptime(
        pa.array(texts, pa.string(), from_pandas=True),
        format="%Y-%m-%d",
        unit="s",
        error_is_null=True,
    )
    bad = texts.notna().to_numpy() & parsed.is_null().to_numpy(zero_copy_only=False)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ListParseError(
            f"start_date {texts.iloc[i]!r} is not a YYYY-MM-DD date",
            file=path,
            row=i + 2,
            column="start_date",
        )
    return pd.Series(parsed.cast(pa.date32()).to_pylist(), dtype=object, index=texts.index)
