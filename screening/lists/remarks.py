"""Free-text extraction shared by the list parsers, plus the Arrow helpers its results come in.

US lists hide much of what screening needs inside remarks: OFAC's *weak* aliases
(``a.k.a. 'BNC'``), company identifiers (``Tax ID No. 7718852163 (Russia)``), nationalities and
``Linked To:`` relations. Everything here works on whole pandas columns (``str.extractall``)
and returns *long* frames (one row per finding, ``row`` = position of the source record), which
:func:`group_into_lists` turns into list columns aligned with the records.

Identifier schemes are upper-case. Schemes that are national by definition (``INN``, ``OGRN``,
``KPP``, ``OKPO``, ``USCC``, ...) or global (``IMO``, ``LEI``, ``SWIFT_BIC``, ...) are bare;
generic ones carry the issuing country as an ISO-2 suffix when the list gives it
(``TAX_ID:UA``, ``REGISTRATION:CY``), so the ``value`` stays the bare number for matching.
"""

from __future__ import annotations

import re
from functools import cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pycountry

from screening.geo.countries import country_to_iso2
from screening.schema import IDENTIFIER_TYPE, LIST_ENTRY_SCHEMA

# --------------------------------------------------------------------------- countries


@cache
def is_country_code(code: str) -> bool:
    """True for an ISO-3166 alpha-2 code (plus XK, Kosovo, which US lists use)."""
    return code == "XK" or pycountry.countries.get(alpha_2=code) is not None


def country_codes(names: pd.Series) -> pd.Series:
    """Country names as lists write them ("Russia", "Korea, North") -> ISO-2, else null.

    Resolution is screening.geo's (one policy for the whole tool: regions such as
    "Region: Crimea" stay unknown); each distinct spelling is looked up once.
    """
    names = names.astype("str")
    lookup = {name: country_to_iso2(name) for name in names.dropna().unique()}
    return names.map(lookup).astype("str")


# --------------------------------------------------------------------------- identifiers

IDENTIFIER_LABELS: dict[str, str] = {
    # label as US lists write it -> base scheme
    "Tax ID No.": "TAX_ID",
    "NIT #": "TAX_ID",
    "RUC #": "TAX_ID",
    "R.F.C.": "TAX_ID",
    "Registration Number": "REGISTRATION",
    "Registration ID": "REGISTRATION",
    "Public Registration Number": "REGISTRATION",
    "Business Registration Number": "REGISTRATION",
    "Business Registration Document #": "REGISTRATION",
    "Commercial Registry Number": "REGISTRATION",
    "Company Number": "REGISTRATION",
    "C.R. No.": "REGISTRATION",
    "Folio Mercantil No.": "REGISTRATION",
    "Matricula Mercantil No": "REGISTRATION",
    "Economic Register Number (CBLS)": "REGISTRATION",
    "Government Gazette Number": "GOVERNMENT_GAZETTE",
    "Vessel Registration Identification": "IMO",
    "Identification Number": "ID_NUMBER",
    "Legal Entity Number": "LEI",
    "Unified Social Credit Code (USCC)": "USCC",
    "D-U-N-S Number": "DUNS",
    "SWIFT/BIC": "SWIFT_BIC",
    "MMSI": "MMSI",
    "V.A.T. Number": "VAT",
    "Trade License No.": "TRADE_LICENSE",
    "BIK (RU)": "BIK",
    "ISIN": "ISIN",
    "Passport": "PASSPORT",
    "National ID No.": "NATIONAL_ID",
    "Cedula No.": "NATIONAL_ID",
    "C.U.R.P.": "NATIONAL_ID",
    "D.N.I.": "NATIONAL_ID",
    "Aircraft Tail Number": "AIRCRAFT_TAIL_NUMBER",
    "Aircraft Manufacturer's Serial Number (MSN)": "AIRCRAFT_MSN",
    "INN": "INN",
    "OGRN": "OGRN",
    "KPP": "KPP",
    "OKPO": "OKPO",
}
"""Only these labels become identifiers: dates, gender, websites etc. stay in ``remarks``."""

COUNTRYLESS_SCHEMES = frozenset(
    {
        "INN",
        "OGRN",
        "KPP",
        "OKPO",
        "BIK",
        "USCC",
        "IMO",
        "IMO_COMPANY",
        "LEI",
        "DUNS",
        "SWIFT_BIC",
        "ISIN",
        "MMSI",
    }
)
"""Schemes that already say which register they belong to, so no ``:CC`` suffix is added."""

_LABEL_ALTERNATION = "|".join(
    re.escape(label) for label in sorted(IDENTIFIER_LABELS, key=len, reverse=True)
)
_IDENTIFIER_RE = (
    r"(?:^|;)\s*(?:alt\.\s+)?(?P<label>" + _LABEL_ALTERNATION + r")(?:\s*:)?\s+"
    r"(?P<value>[^;(\s][^;(]*?)\s*"
    r"(?:\((?P<country>[^();]+)\)[^;]*|(?:\s+(?:issued|expires)\b[^;]*)?\.?\s*)"
    r"(?=;|$)"
)
_IMO_VALUE = r"^IMO\s*(\d{7})$"


def normalise_identifiers(found: pd.DataFrame) -> pd.DataFrame:
    """Map ``label``/``value``/``country`` (ISO-2 or null) findings to ``scheme``/``value``.

    Russian numbers get their real scheme: a 10/12-digit tax ID is an ``INN``, a 13/15-digit
    registration number an ``OGRN`` (OGRNIP), and OFAC's "Government Gazette Number" is the
    OKPO code. ``IMO 1234567`` is a vessel ``IMO`` number, or ``IMO_COMPANY`` when it is given
    as a company/identification number.
    """
    base = found["label"].map(IDENTIFIER_LABELS).astype("str")
    value = (
        found["value"]
        .astype("str")
        .str.replace(r"\s+", " ", regex=True)
        .str.replace(r"^(?:#|No\.?:?)\s*", "", regex=True)  # "R.F.C. # ABC-123", "No.: 031"
        .str.replace(r",\s.*$", "", regex=True)  # "D000483, Diplomatic", "1372584, Kenya"
        .str.strip(" .,:")
    )
    country = found["country"].astype("str")
    digits = value.str.fullmatch(r"\d+")
    length = value.str.len()
    russian = country.eq("RU")
    imo = value.str.extract(_IMO_VALUE, expand=False)
    scheme = base.copy()
    scheme[base.eq("TAX_ID") & russian & digits & length.isin([10, 12])] = "INN"
    scheme[base.eq("REGISTRATION") & russian & digits & length.isin([13, 15])] = "OGRN"
    scheme[base.eq("GOVERNMENT_GAZETTE") & russian] = "OKPO"
    is_vessel_imo = base.eq("IMO")
    scheme[is_vessel_imo & imo.isna()] = "VESSEL_REGISTRATION"
    scheme[~is_vessel_imo & imo.notna()] = "IMO_COMPANY"
    value = value.where(imo.isna(), imo)
    qualify = country.notna() & ~scheme.isin(list(COUNTRYLESS_SCHEMES))
    scheme = scheme.where(~qualify, scheme + ":" + country)
    # a number has a digit ("Passport issued in Sarajevo" has none); a BIC may have none
    plausible = value.str.contains(r"\d").astype(bool) | (
        base.eq("SWIFT_BIC") & value.str.fullmatch(r"[A-Z0-9]{8}(?:[A-Z0-9]{3})?").astype(bool)
    )
    out = pd.DataFrame({"row": found["row"], "scheme": scheme, "value": value})
    return out[plausible].reset_index(drop=True)


def extract_identifiers(remarks: pd.Series) -> pd.DataFrame:
    """Identifiers written in remarks: long frame ``row, scheme, value`` (row = position)."""
    found = _extract_all(remarks, _IDENTIFIER_RE)
    if found.empty:
        return pd.DataFrame({"row": [], "scheme": [], "value": []})
    found["country"] = country_codes(found["country"])
    return normalise_identifiers(found)


# --------------------------------------------------------------------------- names, relations

_ALIAS_RE = (
    r"(?P<kind>[afn])\.k\.a\.,?\s*'(?P<name>.+?)'"
    r"(?=\s*(?:[;,)]|\.?\s*$|\.\s*;))"
)


def extract_aliases(remarks: pd.Series) -> pd.DataFrame:
    """``a.k.a. 'X'`` / ``f.k.a.`` / ``n.k.a.`` in remarks: long frame ``row, name, name_kind``.

    OFAC's legacy files put exactly its *low-quality* ("weak") aliases in the remarks; the
    enhanced XML flags the same names ``isLowQuality`` (checked on the 2025 consolidated list:
    64 of 68 remark aliases are flagged weak there, none strong; the rest are cut-off
    names). So all of them are ``weak_alias``, whether a.k.a., f.k.a. or n.k.a.
    """
    found = _extract_all(remarks, _ALIAS_RE)
    names = found["name"].astype("str").str.strip()
    quoted = names.str.fullmatch(r"'[^']+'")  # ''FOOPIE'': a nickname in its own quotes
    names = names.where(~quoted, names.str.slice(1, -1)).str.strip()
    out = pd.DataFrame({"row": found["row"], "name": names, "name_kind": "weak_alias"})
    return out[out["name"].str.len() > 0].reset_index(drop=True)


_LINKED_RE = r"Linked To:\s*(?P<name>[^;]+?)\s*(?=;|$)"


def extract_related(remarks: pd.Series, known_names: pd.Series | None = None) -> pd.DataFrame:
    """``Linked To: NAME`` relations: long frame ``row, name``.

    The sentence's closing period (and the ``)`` of CSL's ``(Linked To: X)``) is dropped. When
    the name itself ends in a period ("... CO., LTD.") and ``known_names`` (the list's names)
    contains that spelling, the period is kept.
    """
    found = _extract_all(remarks, _LINKED_RE)
    names = found["name"].astype("str")
    unbalanced = names.str.count(r"\)") > names.str.count(r"\(")
    names = names.where(~unbalanced, names.str.replace(r"\)\s*$", "", regex=True))
    stripped = names.str.replace(r"\.\s*$", "", regex=True).str.strip()
    if known_names is not None:
        known = pd.Index(known_names.dropna().unique())
        with_period = stripped + "."
        keep_period = with_period.isin(known) & ~stripped.isin(known)
        stripped = stripped.where(~keep_period, with_period)
    out = pd.DataFrame({"row": found["row"], "name": stripped})
    return out[out["name"].str.len() > 0].reset_index(drop=True)


_NATIONALITY_RE = (
    r"(?:^|;)\s*(?:alt\.\s+)?(?:nationality|citizen)\s+(?P<country>[^;]+?)\.?\s*(?=;|$)"
)


def extract_nationalities(remarks: pd.Series) -> pd.DataFrame:
    """``nationality Russia`` / ``citizen Mexico`` in remarks: long frame ``row, country``."""
    found = _extract_all(remarks, _NATIONALITY_RE)
    out = pd.DataFrame({"row": found["row"], "country": country_codes(found["country"])})
    return out.dropna().reset_index(drop=True)


def _extract_all(texts: pd.Series, pattern: str) -> pd.DataFrame:
    """``str.extractall`` with ``row`` = position in ``texts`` (the index is ignored)."""
    texts = pd.Series(texts.to_numpy(), dtype="str")
    found = texts.str.extractall(pattern)
    rows = found.index.get_level_values(0).to_numpy(dtype=np.int64)
    return found.reset_index(drop=True).assign(row=rows)


# --------------------------------------------------------------------------- Arrow assembly


def arrow_strings(values: pd.Series) -> pa.Array:
    """A pandas string column as an Arrow string array (NaN -> null)."""
    array = pa.array(values, type=pa.string(), from_pandas=True)
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def group_into_lists(rows: np.ndarray | pd.Series, values: pa.Array, n_rows: int) -> pa.ListArray:
    """A list column of ``n_rows`` lists: ``values[i]`` goes into list ``rows[i]``.

    Order within a list follows ``values``; rows with nothing get an empty list, not null.
    """
    rows = np.asarray(rows, dtype=np.int64)
    order = np.argsort(rows, kind="stable")
    counts = np.bincount(rows, minlength=n_rows) if len(rows) else np.zeros(n_rows, np.int64)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(offsets), values.take(pa.array(order)))


def string_lists(long: pd.DataFrame, column: str, n_rows: int) -> pa.ListArray:
    """List<string> column from a long frame ``row, <column>``, duplicates dropped."""
    long = long.dropna(subset=[column]).drop_duplicates(["row", column])
    values = arrow_strings(long[column])
    return group_into_lists(long["row"].to_numpy(), values, n_rows)


def identifier_lists(long: pd.DataFrame, n_rows: int) -> pa.ListArray:
    """List<{scheme, value}> column from a long frame ``row, scheme, value``."""
    long = long.dropna(subset=["scheme", "value"]).drop_duplicates(["row", "scheme", "value"])
    values = pa.StructArray.from_arrays(
        [
            arrow_strings(long["scheme"]),
            arrow_strings(long["value"]),
        ],
        fields=list(IDENTIFIER_TYPE),
    )
    return group_into_lists(long["row"].to_numpy(), values, n_rows)


def split_joined(texts: pd.Series, separator: str) -> pd.DataFrame:
    """Split ``A; B`` cells into a long frame ``row, value`` (stripped, blanks dropped)."""
    parts = pd.Series(texts.to_numpy(), dtype="str").str.split(separator, regex=False)
    long = parts.explode().astype("str").str.strip()
    out = pd.DataFrame({"row": long.index.to_numpy(dtype=np.int64), "value": long.to_numpy()})
    return out[out["value"].str.len().fillna(0) > 0].reset_index(drop=True)


NAME_KIND_ORDER = {"primary": 0, "alias": 1, "former": 2, "weak_alias": 3}


def entries_table(parties: pa.Table, names: pd.DataFrame) -> pa.Table:
    """Canonical list table: one row per name, the party's fields repeated on each.

    ``parties`` holds every LIST_ENTRY_SCHEMA column except ``name``/``name_kind``;
    ``names`` is a long frame ``row, name, name_kind`` (row = party position). Names are
    stripped, blanks and repeats of the same (name, kind) within a party dropped, and the
    rows ordered party by party, primary name first.
    """
    names = names.assign(name=names["name"].astype("str").str.strip())
    names = names[names["name"].str.len().fillna(0) > 0]
    names = names.drop_duplicates(["row", "name", "name_kind"])
    rank = names["name_kind"].map(NAME_KIND_ORDER)
    names = names.assign(_rank=rank).sort_values(["row", "_rank"], kind="stable")
    table = parties.take(pa.array(names["row"].to_numpy(dtype=np.int64)))
    table = table.append_column("name", arrow_strings(names["name"]))
    table = table.append_column("name_kind", arrow_strings(names["name_kind"]))
    return table.select(LIST_ENTRY_SCHEMA.names).cast(LIST_ENTRY_SCHEMA)
