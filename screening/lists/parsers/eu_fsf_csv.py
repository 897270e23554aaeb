"""EU Financial Sanctions Files (FSF), "sanctions list global file" CSV 1.1 -> canonical table.

The European Commission's consolidated list of persons and entities under EU financial
sanctions, as the ``;``-separated CSV of the FSF platform (UTF-8 with BOM; 118 columns, see
FSF_COLUMNS). The file is flattened: every row repeats the ``Entity_*`` columns of one
sanctioned subject (``Entity_LogicalId``) and carries one name alias, address, birth date,
identification and/or citizenship. Rows are grouped by ``Entity_LogicalId``; each part is
kept once (by its own ``*_LogicalId``, else its content).

The first name alias of an entity is its primary name, the others aliases; a name whose
remark says "low quality" is a weak alias. ``Identification_TypeCode`` (``regnumber``,
``fiscalcode``, ``passport``, …) gives the scheme unless the description or remark names the
register (``INN``, ``OGRN``), through remarks.extract_labelled_numbers. ``programs`` are
``EU-<programme>`` (``EU-RUS``, as in the OpenSanctions transcriptions) and the regulation's
number and title. The FSF covers the financial sanctions; Annex IV of Regulation 833/2014
(military end users) is not in it (see eu_transcriptions).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from screening.errors import ListParseError
from screening.lists.parsers.identifiers import extract_labelled_numbers, is_country_code
from screening.lists.parsers.string_csv import add_missing_columns, read_string_csv
from screening.lists.parsers.tables import (
    arrow_strings,
    entries_table,
    identifier_lists,
    parties_table,
    string_lists,
)

LIST_SOURCE = "eu_fsf"
_REGULATION_FIELDS = (
    "Type",
    "OrganisationType",
    "PublicationDate",
    "EntryIntoForceDate",
    "NumberTitle",
    "Programme",
    "PublicationUrl",
)


def _section(prefix: str, fields: str) -> list[str]:
    """``<prefix>_<field>`` for each field, then the section's ``<prefix>_Regulation_*``."""
    own = [f"{prefix}_{field}" for field in fields.split()]
    return own + [f"{prefix}_Regulation_{field}" for field in _REGULATION_FIELDS]


FSF_COLUMNS: tuple[str, ...] = (
    "fileGenerationDate",
    *_section(
        "Entity",
        "LogicalId EU_ReferenceNumber UnitedNationId DesignationDate DesignationDetails Remark "
        "SubjectType SubjectType_ClassificationCode",
    ),
    *_section(
        "NameAlias",
        "LastName FirstName MiddleName WholeName NameLanguage Gender Title Function LogicalId "
        "RegulationLanguage Remark",
    ),
    *_section(
        "Address",
        "City Street PoBox ZipCode Region Place AsAtListingTime ContactInfo CountryIso2Code "
        "CountryDescription LogicalId RegulationLanguage Remark",
    ),
    *_section(
        "BirthDate",
        "BirthDate Day Month Year YearRangeFrom YearRangeTo Circa CalendarType ZipCode Region "
        "Place City CountryIso2Code CountryDescription LogicalId RegulationLanguage Remark",
    ),
    *_section(
        "Identification",
        "Number Diplomatic KnownExpired KnownFalse ReportedLost RevokedByIssuer IssuedBy "
        "IssuedDate ValidFrom ValidTo LatinNumber NameOnDocument TypeCode TypeDescription Region "
        "CountryIso2Code CountryDescription LogicalId RegulationLanguage Remark",
    ),
    *_section(
        "Citizenship",
        "Region CountryIso2Code CountryDescription LogicalId RegulationLanguage Remark",
    ),
)
"""The 118 columns of the FSF CSV 1.1 in their published order."""

REQUIRED_COLUMNS = ("Entity_LogicalId", "NameAlias_WholeName")
SUBJECT_TYPES = {"person": "individual", "enterprise": "entity", "p": "individual", "e": "entity"}
IDENTIFICATION_SCHEMES: dict[str, str] = {
    # Identification_TypeCode -> scheme when the description does not name the register
    "regnumber": "REGISTRATION",
    "fiscalcode": "TAX_ID",
    "passport": "PASSPORT",
    "swiftbic": "SWIFT_BIC",
    "imo": "IMO",
    "tradelic": "TRADE_LICENSE",
    "id": "ID_NUMBER",
    "ssn": "NATIONAL_ID",
    "nrn": "NATIONAL_ID",
}
_HEADER_SEARCH_LINES = 5


def looks_like_eu_fsf_csv(path: str | Path) -> bool:
    """Detector for the registry: a ``;``-separated header with the FSF's own column names."""
    path = Path(path)
    if not path.is_file() or path.suffix.lower() != ".csv":
        return False
    header, _ = _find_header(path)
    return header is not None and set(REQUIRED_COLUMNS) <= set(header)


def _find_header(path: Path) -> tuple[list[str] | None, int]:
    """The header's column names and its 0-based line, looked for in the first lines."""
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
        for number, row in enumerate(csv.reader(fh, delimiter=";")):
            if number >= _HEADER_SEARCH_LINES:
                break
            names = [name.strip() for name in row]
            if "Entity_LogicalId" in names:
                return names, number
    return None, 0


def parse_eu_fsf_csv(path: str | Path, *, list_version: str | None = None) -> pa.Table:
    """Parse an FSF CSV into LIST_ENTRY_SCHEMA rows (one per name).

    ``source_id`` is ``Entity_LogicalId``; ``listed_on`` the designation date, else the
    earliest publication of its regulation; ``list_version`` defaults to fileGenerationDate.
    """
    path = Path(path)
    frame, first_line = _read(path)
    return fsf_table(path, frame, first_line, list_version=list_version)


def fsf_table(
    path: Path, frame: pd.DataFrame, first_line: int | None, *, list_version: str | None = None
) -> pa.Table:
    """The canonical table of the FSF's flattened rows (FSF_COLUMNS, stripped, blank = null),
    whether read from the CSV or flattened from the XML (eu_fsf_xml). ``first_line`` is the
    CSV header's 0-based line, for row numbers in errors (None: no row numbers)."""
    ids = frame["Entity_LogicalId"]
    parties = frame.drop_duplicates("Entity_LogicalId").reset_index(drop=True)
    n = len(parties)
    row_of = pd.Series(np.arange(n), index=pd.Index(parties["Entity_LogicalId"]))
    party = row_of.loc[ids].to_numpy()
    if list_version is None:
        generated = _dates(path, frame["fileGenerationDate"], "fileGenerationDate", first_line)
        list_version = max(generated.dropna(), default=None)

    countries = pd.concat(
        [
            pd.DataFrame({"row": party, "country": frame[c].str.upper()})
            for c in ("Address_CountryIso2Code", "Citizenship_CountryIso2Code")
        ],
        ignore_index=True,
    ).dropna()
    countries = countries[countries["country"].map(is_country_code).astype(bool)]
    countries = countries.drop_duplicates()
    per_party = countries.groupby("row")["country"]
    sole = per_party.first().where(per_party.nunique().eq(1))

    designated = _dates(path, frame["Entity_DesignationDate"], "Entity_DesignationDate", first_line)
    published = _dates(
        path,
        frame["Entity_Regulation_PublicationDate"],
        "Entity_Regulation_PublicationDate",
        first_line,
    )
    listed_on = designated.fillna(published).groupby(party).min().reindex(range(n))

    table = parties_table(
        n,
        {
            "list_source": LIST_SOURCE,
            "source_id": arrow_strings(parties["Entity_LogicalId"]),
            "entity_type": arrow_strings(_subject_types(parties)),
            "programs": string_lists(_programs(frame, party), "program", n),
            "countries": string_lists(countries, "country", n),
            "addresses": string_lists(_addresses(frame, party), "address", n),
            "identifiers": identifier_lists(_identifiers(frame, party, sole, parties), n),
            "remarks": arrow_strings(_remarks(frame, party, n)),
            "listed_on": pa.array(
                [None if pd.isna(d) else pd.Timestamp(d).date() for d in listed_on], pa.date32()
            ),
            "list_version": list_version,
        },
    )
    return entries_table(table, _names(frame, party))


def _read(path: Path) -> tuple[pd.DataFrame, int]:
    """The rows as stripped strings (blank -> null) and the 0-based line of the header."""
    header, header_line = _find_header(path)
    if header is None or not set(REQUIRED_COLUMNS) <= set(header):
        raise ListParseError(
            f"not an EU FSF CSV: no ';'-separated header with {', '.join(REQUIRED_COLUMNS)} "
            f"in the first {_HEADER_SEARCH_LINES} lines",
            file=path,
            row=header_line + 1 if header else None,
        )
    frame = read_string_csv(path, header, skip_rows=header_line, delimiter=";", strip=True)
    frame.columns = [c.lstrip("\ufeff").strip() for c in frame.columns]
    add_missing_columns(frame, FSF_COLUMNS)
    blank = frame["Entity_LogicalId"].isna()
    if blank.any():
        i = int(np.flatnonzero(blank.to_numpy())[0])
        raise ListParseError(
            "row without Entity_LogicalId",
            file=path,
            row=header_line + i + 2,
            column="Entity_LogicalId",
        )
    return frame, header_line


def _dates(path: Path, texts: pd.Series, column: str, header_line: int | None) -> pd.Series:
    """ISO ``2022-02-25`` or ``25/02/2022`` -> ISO text; anything else names its row."""
    iso = pd.to_datetime(texts, format="%Y-%m-%d", errors="coerce")
    european = pd.to_datetime(texts, format="%d/%m/%Y", errors="coerce")
    parsed = iso.fillna(european)
    bad = texts.notna() & parsed.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise ListParseError(
            f"{column} {texts.iloc[i]!r} is neither YYYY-MM-DD nor DD/MM/YYYY",
            file=path,
            row=None if header_line is None else header_line + i + 2,
            column=column,
        )
    return parsed.dt.strftime("%Y-%m-%d").where(parsed.notna())


def _subject_types(parties: pd.DataFrame) -> pd.Series:
    code = parties["Entity_SubjectType_ClassificationCode"].fillna(parties["Entity_SubjectType"])
    return code.str.lower().map(SUBJECT_TYPES)


def _names(frame: pd.DataFrame, party: np.ndarray) -> pd.DataFrame:
    composed = (
        frame[["NameAlias_FirstName", "NameAlias_MiddleName", "NameAlias_LastName"]]
        .fillna("")
        .agg(" ".join, axis=1)
        .str.split()
        .str.join(" ")
    )
    whole = frame["NameAlias_WholeName"].fillna(composed.where(composed.str.len() > 0))
    weak = frame["NameAlias_Remark"].str.contains(r"lo\w* quality", case=False).fillna(False)
    names = pd.DataFrame(
        {
            "row": party,
            "name": whole,
            "key": frame["NameAlias_LogicalId"].fillna(whole),
            "weak": weak.astype(bool).to_numpy(),
        }
    ).dropna(subset=["name"])
    names = names.drop_duplicates(["row", "key"])
    strong = names[~names["weak"]]
    first = strong.drop_duplicates("row").index
    kind = np.where(names["weak"], "weak_alias", "alias")
    names = names.assign(name_kind=kind)
    names.loc[first, "name_kind"] = "primary"
    return names[["row", "name", "name_kind"]]


def _programs(frame: pd.DataFrame, party: np.ndarray) -> pd.DataFrame:
    return pd.concat(
        [
            pd.DataFrame({"row": party, "program": "EU-" + frame["Entity_Regulation_Programme"]}),
            pd.DataFrame({"row": party, "program": frame["Entity_Regulation_NumberTitle"]}),
        ],
        ignore_index=True,
    ).dropna()


def _addresses(frame: pd.DataFrame, party: np.ndarray) -> pd.DataFrame:
    parts = ["Address_Street", "Address_PoBox", "Address_Place", "Address_City",
             "Address_ZipCode", "Address_Region", "Address_CountryDescription"]  # fmt: skip
    text = pd.Series([""] * len(frame), dtype="str")
    for column in parts:
        value = frame[column].where(frame[column].str.upper().ne("UNKNOWN"))
        text = text.str.cat(value, sep=", ", na_rep="").str.strip(", ")
    text = text.str.replace(r"(?:,\s*)+", ", ", regex=True)
    return pd.DataFrame({"row": party, "address": text.where(text.str.len() > 0)}).dropna()


def _identifiers(
    frame: pd.DataFrame, party: np.ndarray, sole: pd.Series, parties: pd.DataFrame
) -> pd.DataFrame:
    has_number = frame["Identification_Number"].notna().to_numpy()
    ids = frame[has_number]
    rows = party[has_number]
    label = (
        ids["Identification_TypeDescription"]
        .fillna("")
        .str.cat(ids["Identification_Remark"].fillna(""), sep=" ")
        .str.replace(r"[()]", " ", regex=True)
        .str.strip()
    )
    text = ids["Identification_Number"] + (" (" + label + ")").where(label.str.len() > 0, "")
    scheme = ids["Identification_TypeCode"].str.lower().map(IDENTIFICATION_SCHEMES)
    country = ids["Identification_CountryIso2Code"].str.upper()
    country = country.where(country.map(is_country_code, na_action="ignore").fillna(False))
    country = country.fillna(pd.Series(rows, index=ids.index).map(sole))
    found = extract_labelled_numbers(text, scheme.fillna("ID_NUMBER"), country)
    found = found.assign(row=rows[found["row"].to_numpy(dtype=int)])
    references = pd.DataFrame(
        {
            "row": np.arange(len(parties)),
            "scheme": "EU_REFERENCE_NUMBER",
            "value": parties["Entity_EU_ReferenceNumber"],
        }
    ).dropna()
    return pd.concat([found, references], ignore_index=True).drop_duplicates()


def _remarks(frame: pd.DataFrame, party: np.ndarray, n: int) -> pd.Series:
    pieces = []
    for column, label in (
        ("Entity_EU_ReferenceNumber", "EU reference"),
        ("Entity_UnitedNationId", "UN id"),
        ("Entity_Remark", None),
        ("Entity_DesignationDetails", None),
        ("NameAlias_Function", "Function"),
        ("BirthDate_BirthDate", "Born"),
    ):
        value = frame[column] if label is None else label + ": " + frame[column]
        pieces.append(pd.DataFrame({"row": party, "text": value}).dropna())
    long = pd.concat(pieces, ignore_index=True).drop_duplicates()
    joined = long.groupby("row", sort=True)["text"].agg("; ".join)
    return joined.reindex(range(n)).astype("str")
