"""EU sanctions annexes as published in the Official Journal, transcribed by OpenSanctions -> table.

OpenSanctions' ``datasets/eu/journal_sanctions`` CSVs (one per regulation, e.g. 32014R0833.csv)
hold one record per annex entry: ``celex, recordId, programKey, annex, measure, startDate,
schema, name, alias, …, innCode, ogrnCode, …, address``. They matter because the EU Financial
Sanctions File lacks the non-financial annexes, above all **Annex IV of Regulation 833/2014**:
the Russian military end users to whom dual-use goods (the CHPL) may not be sold.

Each record is one party; ``list_source`` is ``eu_<regulation number>`` (``eu_833``,
``eu_269``, ``eu_765``), except the export-control annexes, which get their own code
(``eu_833_annex_iv``; Belarus' equivalent ``eu_765_annex_v``) so that screening can weight them
as military end-user lists. ``programs`` keep the annex and the measure
(``EU 833/2014 Annex IV``, ``EU-RUS Export control``). Identifier cells such as
``7704730655 (Tax ID/INN)`` become ``INN`` etc. (remarks.extract_labelled_numbers).

Licence: the transcriptions are CC BY-NC 4.0 (OpenSanctions); read them, do not bundle them.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from screening.errors import ListParseError
from screening.lists.parsers.identifiers import (
    address_countries,
    country_codes,
    extract_labelled_numbers,
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
    string_lists,
)

REQUIRED_COLUMNS = ("celex", "recordId", "programKey", "annex", "measure", "schema", "name")
_HEADER_MARKERS = frozenset({"celex", "annex", "measure", "schema", "name"})
_OPTIONAL_COLUMNS = (
    "alias",
    "weakAlias",
    "previousName",
    "address",
    "country",
    "nationality",
    "jurisdiction",
    "startDate",
)

EXPORT_CONTROL_ANNEXES: dict[tuple[str, str], str] = {
    # (CELEX, annex) -> list_source of the annexes that restrict dual-use exports to end users
    ("32014R0833", "IV"): "eu_833_annex_iv",
    ("32006R0765", "V"): "eu_765_annex_v",
}

SCHEMA_TYPES: dict[str, str | None] = {
    "Person": "individual",
    "LegalEntity": "entity",
    "Company": "entity",
    "Organization": "entity",
    "PublicBody": "entity",
    "Vessel": "vessel",
    "Airplane": "aircraft",
    "Asset": None,  # economic zones, crypto-assets: listed, but neither company nor person
}

ID_COLUMNS: dict[str, str] = {
    # column -> scheme when the cell does not say (its label wins: "1234 (OGRN)")
    "registrationNumber": "REGISTRATION",
    "taxNumber": "TAX_ID",
    "idNumber": "ID_NUMBER",
    "innCode": "INN",
    "ogrnCode": "OGRN",
    "kppCode": "KPP",
    "okpoCode": "OKPO",
    "leiCode": "LEI",
    "swiftBic": "SWIFT_BIC",
    "imoNumber": "IMO",
    "mmsi": "MMSI",
    "passportNumber": "PASSPORT",
}

REMARK_COLUMNS: dict[str, str] = {
    # column -> label in remarks: what an analyst needs to tell two namesakes apart
    "reason": "Reason",
    "position": "Position",
    "birthDate": "Born",
    "birthPlace": "Birth place",
    "gender": "Gender",
    "legalForm": "Legal form",
    "incorporationDate": "Incorporated",
    "sector": "Sector",
    "phone": "Phone",
    "email": "Email",
    "website": "Website",
    "notes": "Notes",
}

NATIONALITY_DEMONYMS: dict[str, str] = {
    # the Official Journal writes nationalities as adjectives; pycountry knows only names
    "russian": "RU",
    "belarusian": "BY",
    "belarussian": "BY",
    "ukrainian": "UA",
    "iranian": "IR",
    "syrian": "SY",
    "north korean": "KP",
    "chinese": "CN",
    "azerbaijani": "AZ",
    "armenian": "AM",
    "finnish": "FI",
    "israeli": "IL",
    "moldovan": "MD",
    "cypriot": "CY",
    "swiss": "CH",
    "serbian": "RS",
    "croatian": "HR",
    "french": "FR",
    "german": "DE",
    "indian": "IN",
    "uzbekistani": "UZ",
    "uzbek": "UZ",
    "british": "GB",
    "kazakh": "KZ",
    "kazakhstani": "KZ",
    "kyrgyz": "KG",
    "georgian": "GE",
    "turkish": "TR",
    "emirati": "AE",
    "latvian": "LV",
    "estonian": "EE",
    "lithuanian": "LT",
    "american": "US",
    "canadian": "CA",
    "venezuelan": "VE",
    "cuban": "CU",
    "italian": "IT",
    "spanish": "ES",
    "dutch": "NL",
    "austrian": "AT",
    "bulgarian": "BG",
    "greek": "GR",
    "tajik": "TJ",
    "turkmen": "TM",
}

_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_JUNK_NAMES = re.compile(r"^(?:text of image|.*:)$", re.IGNORECASE)  # transcription notes


def looks_like_eu_transcription_csv(path: str | Path) -> bool:
    """Detector for the registry: a CSV whose header has OpenSanctions' journal columns."""
    path = Path(path)
    if not path.is_file() or path.suffix.lower() != ".csv":
        return False
    return set(read_header(path)) >= _HEADER_MARKERS


def parse_eu_transcription_csv(path: str | Path, *, list_version: str | None = None) -> pa.Table:
    """Parse one regulation's transcription CSV into LIST_ENTRY_SCHEMA rows (one per name).

    ``source_id`` is ``<annex>/<recordId>`` (``IV/1``); entries without a recordId (some
    financial annexes) are numbered within their annex (``XIV/#3``). ``list_version``
    defaults to the newest ``startDate`` in the file (ISO date).
    """
    path = Path(path)
    frame = _read(path)
    n = len(frame)
    celex = frame["celex"].str.strip()
    annex = frame["annex"].str.strip()
    _check_schemas(path, frame)
    listed_on = _dates(path, frame["startDate"])
    if list_version is None and listed_on.notna().any():
        list_version = max(d for d in listed_on if d is not None).isoformat()

    countries = _party_countries(frame)
    per_party = countries.groupby("row")["country"]
    sole = per_party.first().where(per_party.nunique().eq(1))
    party_country = pd.Series(np.arange(n)).map(sole).astype("str")
    identifiers = pd.concat(
        [
            extract_labelled_numbers(frame[column], scheme, party_country)
            for column, scheme in ID_COLUMNS.items()
            if column in frame
        ],
        ignore_index=True,
    )
    addresses = _split_cells(frame["address"], ";").rename(columns={"value": "address"})

    regulation = celex.map(_regulation_number)
    export_control = pd.Series(list(zip(celex, annex, strict=True))).map(EXPORT_CONTROL_ANNEXES)
    list_source = export_control.fillna("eu_" + regulation.str.split("/").str[0])
    programs = pd.concat(
        [
            pd.DataFrame({"row": np.arange(n), "program": "EU " + regulation + " Annex " + annex}),
            pd.DataFrame(
                {"row": np.arange(n), "program": frame["programKey"] + " " + frame["measure"]}
            ),
        ],
        ignore_index=True,
    ).dropna()

    parties = parties_table(
        n,
        {
            "list_source": arrow_strings(list_source),
            "source_id": arrow_strings(_source_ids(path, annex, frame["recordId"])),
            "entity_type": arrow_strings(frame["schema"].str.strip().map(SCHEMA_TYPES)),
            "programs": string_lists(programs, "program", n),
            "countries": string_lists(countries, "country", n),
            "addresses": string_lists(addresses, "address", n),
            "identifiers": identifier_lists(identifiers, n),
            "remarks": arrow_strings(_remarks(frame)),
            "listed_on": pa.array(listed_on, pa.date32(), from_pandas=True),
            "list_version": list_version,
        },
    )
    return entries_table(parties, _names(frame))


def _read(path: Path) -> pd.DataFrame:
    header = require_header(path, REQUIRED_COLUMNS, expected="an EU journal transcription CSV")
    frame = read_string_csv(path, header)
    add_missing_columns(frame, [*ID_COLUMNS, *REMARK_COLUMNS, *_OPTIONAL_COLUMNS])
    for column in ("celex", "annex", "name", "schema"):
        blank = frame[column].str.strip().str.len().fillna(0).eq(0)
        if blank.any():
            i = int(np.flatnonzero(blank.to_numpy())[0])
            raise ListParseError(f"empty {column}", file=path, row=i + 2, column=column)
    return frame


def _regulation_number(celex: str) -> str:
    """CELEX ``32014R0833`` -> ``833/2014`` (how the Official Journal cites it)."""
    match = re.fullmatch(r"3(\d{4})[RDL](\d{4})", celex)
    if match is None:
        return celex
    return f"{int(match.group(2))}/{match.group(1)}"


def _check_schemas(path: Path, frame: pd.DataFrame) -> None:
    schemas = frame["schema"].str.strip()
    unknown = ~schemas.isin(list(SCHEMA_TYPES))
    if unknown.any():
        i = int(np.flatnonzero(unknown.to_numpy())[0])
        raise ListParseError(
            f"unknown schema {schemas.iloc[i]!r}; expected one of {sorted(SCHEMA_TYPES)}",
            file=path,
            row=i + 2,
            column="schema",
        )
    bad_celex = ~frame["celex"].str.strip().str.fullmatch(r"3\d{4}[RDL]\d{4}").astype(bool)
    if bad_celex.any():
        i = int(np.flatnonzero(bad_celex.to_numpy())[0])
        raise ListParseError(
            f"celex {frame['celex'].iloc[i]!r} is not a CELEX number of a legal act "
            "(e.g. 32014R0833)",
            file=path,
            row=i + 2,
            column="celex",
        )


def _source_ids(path: Path, annex: pd.Series, record_id: pd.Series) -> pd.Series:
    """``<annex>/<recordId>``, or ``<annex>/#<n>`` numbering id-less entries within the annex."""
    ordinal = annex.groupby(annex).cumcount() + 1
    ids = annex + "/" + record_id.str.strip().fillna("#" + ordinal.astype("str"))
    repeated = ids.duplicated()
    if repeated.any():
        i = int(np.flatnonzero(repeated.to_numpy())[0])
        raise ListParseError(
            f"recordId {record_id.iloc[i]!r} appears twice in annex {annex.iloc[i]}",
            file=path,
            row=i + 2,
            column="recordId",
        )
    return ids


def _dates(path: Path, texts: pd.Series) -> pd.Series:
    """``12.9.2014`` and ``9 August 2022`` -> dates; anything else is an error naming the row."""
    texts = texts.str.strip()
    dotted = pd.to_datetime(texts, format="%d.%m.%Y", errors="coerce")
    written = pd.to_datetime(texts, format="%d %B %Y", errors="coerce")
    parsed = dotted.fillna(written)
    bad = texts.notna() & parsed.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise ListParseError(
            f"startDate {texts.iloc[i]!r} is neither D.M.YYYY nor 'D Month YYYY' ({_MONTHS})",
            file=path,
            row=i + 2,
            column="startDate",
        )
    return pd.Series([d.date() if pd.notna(d) else None for d in parsed], dtype=object)


def _party_countries(frame: pd.DataFrame) -> pd.DataFrame:
    """``row, country``: address endings, the country/jurisdiction cells and nationalities."""
    addresses = _split_cells(frame["address"], ";")
    from_addresses = pd.DataFrame(
        {"row": addresses["row"], "country": address_countries(addresses["value"])}
    )
    named = pd.concat(
        [_split_cells(frame[c], ";") for c in ("country", "jurisdiction")], ignore_index=True
    )
    from_names = pd.DataFrame({"row": named["row"], "country": country_codes(named["value"])})
    nationalities = _split_cells(
        frame["nationality"].str.replace(r"\([^)]*\)", " ", regex=True),
        r";|,|\band/or\b|\band\b",
        regex=True,
    )
    words = nationalities["value"].str.lower().str.strip()
    from_nationality = pd.DataFrame(
        {
            "row": nationalities["row"],
            "country": words.map(NATIONALITY_DEMONYMS).fillna(
                country_codes(nationalities["value"])
            ),
        }
    )
    found = pd.concat([from_addresses, from_names, from_nationality], ignore_index=True)
    return found.dropna().drop_duplicates().reset_index(drop=True)


def _names(frame: pd.DataFrame) -> pd.DataFrame:
    """``row, name, name_kind``: the name, aliases, weak aliases and previous names.

    Cells are split on top-level ``;`` and on `` / `` (``Юрий … / Юрiй …``); ``Latin (Кириллица)``
    pairs become two names, so each script is matched on its own.
    """
    n = len(frame)
    parts = [pd.DataFrame({"row": np.arange(n), "name": frame["name"], "name_kind": "primary"})]
    for column, kind in (
        ("alias", "alias"),
        ("weakAlias", "weak_alias"),
        ("previousName", "former"),
    ):
        split = _split_cells(frame[column], ";", top_level=True)
        split = _split_cells(split["value"], " / ", rows=split["row"])
        parts.append(pd.DataFrame({"row": split["row"], "name": split["value"], "name_kind": kind}))
    names = pd.concat(parts, ignore_index=True)
    names = names[~names["name"].str.strip().str.fullmatch(_JUNK_NAMES).astype(bool)]
    return _split_script_pairs(names)


def _split_script_pairs(names: pd.DataFrame) -> pd.DataFrame:
    """``Sergei AKSENOV (Сергей АКСЁНОВ)`` -> two rows (the second an alias of a primary name).

    Same-script parentheses (``Alexander (Alexandr) …``, ``… (UAZ)``) stay as written.
    """
    pair = names["name"].str.extract(r"^(?P<outer>[^()]+?)\s*\((?P<inner>[^()]+)\)$")
    outer_cyrillic = pair["outer"].str.contains(_CYRILLIC).astype("boolean")
    inner_cyrillic = pair["inner"].str.contains(_CYRILLIC).astype("boolean")
    split = (outer_cyrillic != inner_cyrillic).fillna(False).to_numpy(dtype=bool)
    kept = names[~split]
    outer = names[split].assign(name=pair["outer"][split])
    inner = names[split].assign(name=pair["inner"][split])
    inner = inner.assign(name_kind=inner["name_kind"].replace("primary", "alias"))
    return pd.concat([kept, outer, inner], ignore_index=True)


def _remarks(frame: pd.DataFrame) -> pd.Series:
    text = pd.Series([""] * len(frame), dtype="str")
    for column, label in REMARK_COLUMNS.items():
        value = frame[column].str.strip()
        piece = (label + ": " + value).fillna("")
        text = text.str.cat(piece, sep="; ").str.strip("; ")
    return text.where(text.str.len() > 0)


def _split_cells(
    texts: pd.Series,
    separator: str,
    *,
    regex: bool = False,
    top_level: bool = False,
    rows: pd.Series | None = None,
) -> pd.DataFrame:
    """``row, value`` long frame of the stripped, non-blank parts of each cell.

    ``top_level`` splits only outside parentheses (``ХУЛАПОВА (КАШИРСКАЯ; …)`` stays whole);
    ``rows`` gives the row of each text when ``texts`` is already a long column.
    """
    texts = pd.Series(texts.to_numpy(), dtype="str")
    row_of = np.arange(len(texts)) if rows is None else np.asarray(rows, dtype=np.int64)
    if top_level:
        unique = texts.dropna().unique()
        split_map = {text: _split_outside_parentheses(text, separator) for text in unique}
        parts = texts.map(split_map)
    else:
        parts = texts.str.split(separator, regex=regex)
    long = parts.explode()
    values = long.astype("str").str.strip()
    out = pd.DataFrame({"row": row_of[long.index.to_numpy()], "value": values.to_numpy()})
    return out[out["value"].str.len().fillna(0) > 0].reset_index(drop=True)


def _split_outside_parentheses(text: str, separator: str) -> list[str]:
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(depth - 1, 0)
        elif depth == 0 and text.startswith(separator, i):
            parts.append(text[start:i])
            start = i + len(separator)
    parts.append(text[start:])
    return parts
