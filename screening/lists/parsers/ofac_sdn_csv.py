"""OFAC's legacy CSV set (sdn.csv + alt.csv + add.csv + sdn_comments.csv) -> canonical list table.

The files have no header, write null as ``-0- `` (with the trailing space), end with a DOS
end-of-file byte (0x1A), join programmes as ``A] [B`` and cut long remarks, continuing them
in sdn_comments.csv. OFAC's column definitions (https://ofac.treasury.gov, "SDN list data
formats") give the column names below. The same layout serves the consolidated non-SDN list
(cons_prim.csv + cons_alt.csv + cons_add.csv + cons_comments.csv).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from screening.errors import ListParseError
from screening.lists.parsers.aliases import extract_aliases, extract_related
from screening.lists.parsers.identifiers import (
    country_codes,
    extract_identifiers,
    extract_nationalities,
)
from screening.lists.parsers.string_csv import read_string_csv
from screening.lists.parsers.tables import (
    arrow_strings,
    entries_table,
    identifier_lists,
    parties_table,
    split_joined,
    string_lists,
)

SDN_COLUMNS = (
    "ent_num",
    "SDN_Name",
    "SDN_Type",
    "Program",
    "Title",
    "Call_Sign",
    "Vess_type",
    "Tonnage",
    "GRT",
    "Vess_flag",
    "Vess_owner",
    "Remarks",
)
ALT_COLUMNS = ("ent_num", "alt_num", "alt_type", "alt_name", "alt_remarks")
ADD_COLUMNS = ("ent_num", "add_num", "address", "city_state_postal", "country", "add_remarks")
COMMENT_COLUMNS = ("ent_num", "remarks_extended")

NULL_TOKEN = "-0- "
ALT_TYPE_KINDS = {"aka": "alias", "fka": "former", "nka": "alias"}


@dataclass(frozen=True)
class OfacFileSet:
    """The files of one publication; only the primary file is required."""

    primary: Path
    alt: Path | None
    add: Path | None
    comments: Path | None
    list_source: str


_SETS = {
    # primary file stem -> (alt, add, comments stems, list_source)
    "sdn": ("alt", "add", "sdn_comments", "us_ofac_sdn"),
    "cons_prim": ("cons_alt", "cons_add", "cons_comments", "us_ofac_non_sdn"),
}
_SIBLING_STEMS = frozenset(stem for spec in _SETS.values() for stem in spec[:3])
_SET_STEMS = _SIBLING_STEMS | frozenset(_SETS)


def resolve_file_set(path: str | Path) -> OfacFileSet:
    """The set ``path`` belongs to: a folder holding sdn.csv, sdn.csv itself or a sibling."""
    path = Path(path)
    folder = path if path.is_dir() else path.parent
    by_stem = {p.stem.lower(): p for p in folder.glob("*") if p.suffix.lower() == ".csv"}
    stem = None if path.is_dir() else path.stem.lower()
    for primary_stem, (alt, add, comments, list_source) in _SETS.items():
        in_set = stem is None or stem in (primary_stem, alt, add, comments)
        if in_set and primary_stem in by_stem:
            return OfacFileSet(
                by_stem[primary_stem],
                by_stem.get(alt),
                by_stem.get(add),
                by_stem.get(comments),
                list_source,
            )
    if stem is not None and stem not in _SIBLING_STEMS:
        # a renamed primary file (e.g. sdn_2024-05-03.csv): no siblings to pick up
        return OfacFileSet(path, None, None, None, "us_ofac_sdn")
    raise ListParseError(
        "OFAC legacy CSV set without its primary file (sdn.csv or cons_prim.csv); "
        f"CSV files seen in the folder: {sorted(by_stem) or 'none'}",
        file=path,
    )


def looks_like_ofac_sdn_csv(path: str | Path) -> bool:
    """Detector for the registry: the set's file names, or a 12-column headerless first row."""
    path = Path(path)
    if path.is_dir():
        return any(
            (path / f"{stem}.csv").exists() or (path / f"{stem.upper()}.CSV").exists()
            for stem in _SETS
        )
    if path.suffix.lower() != ".csv":
        return False
    if path.stem.lower() in _SET_STEMS:
        return True
    with open(path, "rb") as fh:
        first = fh.readline(100_000).decode("utf-8", errors="replace")
    return bool(re.match(r'^\d+,"[^"]*",', first)) and NULL_TOKEN.strip() in first


def parse_ofac_sdn_csv(
    path: str | Path, *, list_version: str | None = None, list_source: str | None = None
) -> pa.Table:
    """Parse an OFAC legacy CSV set into LIST_ENTRY_SCHEMA rows (one per name).

    ``path`` is the folder, sdn.csv or any sibling file. ``list_version`` defaults to the
    folder name when it is a date (``2023-12-28``). Primary names, alt.csv aliases
    (aka/nka -> alias, fka -> former) and remark aliases (OFAC's weak ones -> weak_alias)
    each become a row; identifiers, nationalities and ``Linked To:`` come from the remarks.
    """
    files = resolve_file_set(path)
    if list_version is None:
        folder = files.primary.parent.name
        dated = re.search(r"\d{4}-\d{2}-\d{2}$", folder)
        list_version = dated.group() if dated else None
    sdn = read_ofac_csv(files.primary, SDN_COLUMNS)
    n = len(sdn)
    remarks = _full_remarks(sdn, files.comments)
    ent_num = sdn["ent_num"]
    repeated = ent_num.duplicated()
    if repeated.any():
        i = int(np.flatnonzero(repeated.to_numpy())[0])
        raise ListParseError(
            f"ent_num {ent_num.iloc[i]} appears more than once",
            file=files.primary,
            row=i + 1,
            column="ent_num",
        )
    position = pd.Series(np.arange(n), index=pd.Index(ent_num))

    names = [pd.DataFrame({"row": np.arange(n), "name": sdn["SDN_Name"], "name_kind": "primary"})]
    if files.alt is not None:
        alt = read_ofac_csv(files.alt, ALT_COLUMNS)
        _check_known_parties(alt, position, files.alt)
        kinds = alt["alt_type"].str.strip().str.lower().map(ALT_TYPE_KINDS)
        unknown = kinds.isna()
        if unknown.any():
            i = int(np.flatnonzero(unknown.to_numpy())[0])
            raise ListParseError(
                f"unknown alt_type {alt['alt_type'].iloc[i]!r}; expected one of "
                f"{sorted(ALT_TYPE_KINDS)}",
                file=files.alt,
                row=i + 1,
                column="alt_type",
            )
        names.append(
            pd.DataFrame(
                {
                    "row": position.loc[alt["ent_num"]].to_numpy(),
                    "name": alt["alt_name"],
                    "name_kind": kinds.to_numpy(),
                }
            )
        )
    names.append(extract_aliases(remarks))

    address_rows, address_countries = _addresses(files.add, position)
    nationalities = extract_nationalities(remarks)
    flags = pd.DataFrame({"row": np.arange(n), "country": country_codes(sdn["Vess_flag"])})
    countries = pd.concat([address_countries, nationalities, flags.dropna()], ignore_index=True)

    identifiers = extract_identifiers(remarks)
    call_signs = pd.DataFrame(
        {"row": np.arange(n), "scheme": "CALL_SIGN", "value": sdn["Call_Sign"].str.strip()}
    ).dropna()
    identifiers = pd.concat([identifiers, call_signs], ignore_index=True)

    programs = split_joined(sdn["Program"].str.strip().str.strip("[]"), "] [").rename(
        columns={"value": "program"}
    )
    related = extract_related(remarks, known_names=sdn["SDN_Name"])

    source = files.list_source if list_source is None else list_source
    entity_type = sdn["SDN_Type"].str.strip().str.lower().fillna("entity")
    parties = parties_table(
        n,
        {
            "list_source": source,
            "source_id": arrow_strings(ent_num),
            "entity_type": arrow_strings(entity_type),
            "programs": string_lists(programs, "program", n),
            "countries": string_lists(countries, "country", n),
            "addresses": string_lists(address_rows, "address", n),
            "identifiers": identifier_lists(identifiers, n),
            "related": string_lists(related, "name", n),
            "remarks": arrow_strings(remarks),
            "list_version": list_version,
        },
    )
    return entries_table(parties, pd.concat(names, ignore_index=True))


def read_ofac_csv(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    """One headerless OFAC CSV as strings (``-0- `` -> null), ent_num checked to be numeric."""
    # DOS end-of-file byte after the last CRLF; the last field's "-0- " keeps its space
    data = re.sub(rb"[\x1a\r\n]+\Z", b"\n", path.read_bytes())
    frame = read_string_csv(
        path,
        columns,
        data=data,
        column_names_given=True,
        newlines_in_values=False,
        cp1252_fallback=True,  # OFAC's older files are Windows-1252
        null_values=(NULL_TOKEN, NULL_TOKEN.strip(), ""),
        columns_described=f"({', '.join(columns)})",
        kind="OFAC CSV file",
    )
    ent = frame["ent_num"].str.strip()
    bad = ~ent.str.fullmatch(r"\d+").fillna(False).astype(bool)
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise ListParseError(
            f"ent_num must be a whole number, got {frame['ent_num'].iloc[i]!r}",
            file=path,
            row=i + 1,
            column="ent_num",
        )
    frame["ent_num"] = ent
    return frame


def _check_known_parties(frame: pd.DataFrame, position: pd.Series, path: Path) -> None:
    unknown = ~frame["ent_num"].isin(position.index)
    if unknown.any():
        i = int(np.flatnonzero(unknown.to_numpy())[0])
        raise ListParseError(
            f"ent_num {frame['ent_num'].iloc[i]} is not in the primary file "
            f"({unknown.sum()} such rows): the files come from different publications",
            file=path,
            row=i + 1,
            column="ent_num",
        )


def _full_remarks(sdn: pd.DataFrame, comments_path: Path | None) -> pd.Series:
    """Remarks with their sdn_comments.csv continuation appended (OFAC cuts mid-word)."""
    remarks = sdn["Remarks"]
    if comments_path is None:
        return remarks
    comments = read_ofac_csv(comments_path, COMMENT_COLUMNS)
    # Rows for ent_nums absent from the primary file belong to delisted parties: ignored.
    extra = comments.dropna().groupby("ent_num", sort=False)["remarks_extended"].agg("".join)
    continuation = sdn["ent_num"].map(extra)
    joined = remarks.fillna("") + continuation.fillna("")
    return joined.where(remarks.notna() | continuation.notna())


def _addresses(add_path: Path | None, position: pd.Series) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``row, address`` and ``row, country`` long frames from add.csv."""
    if add_path is None:
        empty = pd.DataFrame({"row": pd.Series([], dtype=np.int64)})
        return empty.assign(address=[]), empty.assign(country=[])
    add = read_ofac_csv(add_path, ADD_COLUMNS)
    _check_known_parties(add, position, add_path)
    rows = position.loc[add["ent_num"]].to_numpy()
    parts = add[["address", "city_state_postal", "country"]].apply(lambda s: s.str.strip())
    text = parts["address"].fillna("")
    for column in ("city_state_postal", "country"):
        text = text.str.cat(parts[column], sep=", ", na_rep="").str.strip(", ")
    text = text.str.replace(r"(, )+", ", ", regex=True)
    addresses = pd.DataFrame({"row": rows, "address": text.where(text.str.len() > 0)})
    countries = pd.DataFrame({"row": rows, "country": country_codes(parts["country"])})
    return addresses.dropna(), countries.dropna()
