"""Identifiers, countries and nationalities in list free text (remarks, ID cells, addresses).

US lists hide company identifiers in remarks (``Tax ID No. 7718852163 (Russia)``); EU, UK and
other lists write them in labelled cells (``INN: 7703270067; KPP: 770301001``). Everything here
works on whole pandas columns and returns *long* frames (one row per finding, ``row`` =
position of the source record), which :mod:`screening.lists.parsers.tables` turns into list
columns aligned with the records.

Identifier schemes are upper-case. Schemes that are national by definition (``INN``, ``OGRN``,
``KPP``, ``OKPO``, ``USCC``, ...) or global (``IMO``, ``LEI``, ``SWIFT_BIC``, ...) are bare;
generic ones carry the issuing country as an ISO-2 suffix when the list gives it
(``TAX_ID:UA``, ``REGISTRATION:CY``), so the ``value`` stays the bare number for matching.
"""

from __future__ import annotations

import re
from functools import cache

import pandas as pd
import pycountry
from stdnum.ru import inn, ogrn

from screening.geo.countries import country_to_iso2
from screening.lists.parsers.tables import extract_all

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
    found = extract_all(remarks, _IDENTIFIER_RE)
    if found.empty:
        return pd.DataFrame({"row": [], "scheme": [], "value": []})
    found["country"] = country_codes(found["country"])
    return normalise_identifiers(found)


_NATIONALITY_RE = (
    r"(?:^|;)\s*(?:alt\.\s+)?(?:nationality|citizen)\s+(?P<country>[^;]+?)\.?\s*(?=;|$)"
)


def extract_nationalities(remarks: pd.Series) -> pd.DataFrame:
    """``nationality Russia`` / ``citizen Mexico`` in remarks: long frame ``row, country``."""
    found = extract_all(remarks, _NATIONALITY_RE)
    out = pd.DataFrame({"row": found["row"], "country": country_codes(found["country"])})
    return out.dropna().reset_index(drop=True)


# --------------------------------------------------------------------------- labelled numbers

IDENTIFIER_KEYWORDS: tuple[tuple[str, str], ...] = (
    # pattern in the lower-cased label -> base scheme. First hit wins: the Russian registers
    # come before the generic words ("Tax ID/INN" is an INN, "SRN/OGRN" an OGRN).
    (r"\binn\b|инн", "INN"),
    (r"\bogrn(?:ip)?\b|огрн|\bpsrn\b|state registration", "OGRN"),
    (r"\bkpp\b|кпп", "KPP"),
    (r"\bokpo\b|окпо", "OKPO"),
    (r"\buscc\b|unified social credit", "USCC"),
    (r"\bimo\b", "IMO"),
    (r"\blei\b|legal entity (?:identifier|number)", "LEI"),
    (r"swift|\bbic\b", "SWIFT_BIC"),
    (r"\bmmsi\b", "MMSI"),
    (r"passport|паспорт", "PASSPORT"),
    (r"\btin\b|\btrn\b|\bntn\b|\bvat\b|\bунп\b|\bunp\b|tax|fiscal|налог", "TAX_ID"),
    (
        r"regist|\breg\b|\bcrn?\b|\bbrn\b|\bcin\b|\bcr\.?\s*no|company n|commercial|business",
        "REGISTRATION",
    ),
    (r"\bid\b|identification|identity|national|personal", "ID_NUMBER"),
)
"""How the labels of ID cells ("7704730655 (Tax ID/INN)", "SRN/OGRN 1071651000035",
"(TIN) 9704211491", "Tax Identification Number: INN 7702070139") name their register."""

_DEMONYMS = {"russian": "RU", "belarusian": "BY", "belarussian": "BY", "ukrainian": "UA"}
_NEVER_PREFIX = frozenset({"NO", "NR", "N", "ID", "TIN", "INN", "IMO", "BIC", "LEI", "VAT"})
_RUSSIAN_SCHEMES = frozenset({"INN", "OGRN", "KPP"})
_GENERIC_NUMBER_SCHEMES = frozenset({"TAX_ID", "REGISTRATION", "ID_NUMBER"})
_LETTER = "A-Za-zА-Яа-яЁёІіЎў"
_VALUE_RE = (
    r"\d{4}[ \u00a0]\d{6}(?!\d)"  # Russian passport: series and number
    r"|\d{1,3}(?:[ \u00a0]\d{3})+(?![\d" + _LETTER + r"])"  # "1 402 015 986"
    r"|(?=[0-9" + _LETTER + r"\-]*\d)[0-9" + _LETTER + r"][0-9" + _LETTER + r"\-]*"
)
_LABELLED_RE = r"(?P<before>[^;\d]*?)(?P<value>" + _VALUE_RE + r")(?:\s*\((?P<after>[^()]*)\))?"
_NOISE_RE = (
    r"\b\d{1,2}[./]\d{1,2}[./]\d{2,4}\b"  # dates: "issued on 10.4.2015"
    r"|\b\d{4}-\d{2}-\d{2}\b"
    r"|\(\s*(?:\d{1,2}|[a-h])\s*\)"  # enumerators: "(1) 530308406 (2) 531246870"
)


@cache
def label_scheme(label: str) -> str | None:
    """Base scheme a label names ("Tax ID/INN" -> INN), or None when it names none."""
    folded = label.lower()
    for pattern, scheme in IDENTIFIER_KEYWORDS:
        if re.search(pattern, folded):
            return scheme
    return None


@cache
def label_country(label: str) -> str | None:
    """ISO-2 of the country a label names, else None.

    "(Russia)", "(Russian)" and "China Company Registration Number" name one; "ID" is a
    register, not Indonesia.
    """
    text = label.strip(" .,:;/-")
    words = re.findall(r"\w+", text)
    if label_scheme(text) is None:
        candidates = [text] if len(text) > 3 else []
    else:  # "China Company Registration Number", "Russia OGRN"
        candidates = [" ".join(words[:k]) for k in (2, 1) if len(words) > k]
    for candidate in candidates:
        code = country_to_iso2(candidate) if len(candidate) > 3 else None
        if code is not None:
            return code
    return next((_DEMONYMS[w] for w in map(str.lower, words) if w in _DEMONYMS), None)


def extract_labelled_numbers(
    texts: pd.Series, default_scheme: str | pd.Series, countries: pd.Series | None = None
) -> pd.DataFrame:
    """Numbers in ID cells with their labels -> long frame ``row, scheme, value``.

    Each number takes its scheme from the label in the parentheses after it or the words
    before it (IDENTIFIER_KEYWORDS), else ``default_scheme`` (the column's meaning, one per
    row or one for all); its country from a country label, else ``countries`` (the party's
    country, one per row, null when unknown or ambiguous). Dates and ``(1)`` enumerators are
    skipped; a 1-3 letter prefix is kept with its number (``MP 3413113`` -> ``MP3413113``).
    Russian numbers then get their register by length (see resolve_number_schemes).
    """
    n = len(texts)
    defaults = (
        pd.Series([default_scheme] * n, dtype="str")
        if isinstance(default_scheme, str)
        else pd.Series(default_scheme.to_numpy(), dtype="str")
    )
    party_country = (
        pd.Series([None] * n, dtype="str")
        if countries is None
        else pd.Series(countries.to_numpy(), dtype="str")
    )
    cleaned = pd.Series(texts.to_numpy(), dtype="str").str.replace(_NOISE_RE, " ", regex=True)
    found = extract_all(cleaned, _LABELLED_RE)
    if found.empty:
        return pd.DataFrame({"row": [], "scheme": [], "value": []})
    before = found["before"].fillna("").astype("str")
    after = found["after"].fillna("").astype("str")
    value = found["value"].astype("str")
    grouped_digits = value.str.fullmatch(r"[\d \u00a0]+").astype(bool)
    value = value.where(~grouped_digits, value.str.replace(r"\s", "", regex=True))
    last_word = before.str.extract(r"(?:^|\s)([A-ZА-ЯЁ]{1,3})\s$", expand=False)
    prefix = last_word.notna() & ~last_word.isin(list(_NEVER_PREFIX))
    prefix &= last_word.map(label_scheme, na_action="ignore").isna()  # "KPP 773001001"
    value = value.where(~prefix, last_word + value)
    before = before.where(~prefix, before.str.slice(stop=-1).str.replace(r"\S+$", "", regex=True))

    schemes_after = after.map(label_scheme)
    schemes_before = before.map(label_scheme)
    scheme = schemes_after.fillna(schemes_before).astype("str")
    scheme = scheme.fillna(defaults.iloc[found["row"]].reset_index(drop=True))
    country = after.map(label_country).fillna(before.map(label_country)).astype("str")
    country = country.fillna(party_country.iloc[found["row"]].reset_index(drop=True))
    # "7704734000/770301001": INN/KPP written as a pair
    previous = value.shift(1).where(found["row"].shift(1).eq(found["row"]))
    kpp_pair = (
        before.str.strip().eq("/")
        & value.str.fullmatch(r"\d{9}").astype(bool)
        & previous.str.fullmatch(r"\d{10}").fillna(False).astype(bool)
    )
    pair_head = kpp_pair.shift(-1, fill_value=False).astype(bool)  # the INN of the pair
    scheme = scheme.where(~kpp_pair, "KPP").where(~pair_head, "INN")
    frame = pd.DataFrame(
        {"row": found["row"], "scheme": scheme, "value": value, "country": country}
    )
    return resolve_number_schemes(frame)


def resolve_number_schemes(found: pd.DataFrame) -> pd.DataFrame:
    """``row, scheme, value, country`` (base scheme, ISO-2 or null) -> ``row, scheme, value``.

    A Russian party's 10/12-digit tax, registration or ID number is its ``INN`` and a
    13/15-digit one its ``OGRN`` (OGRNIP) when the check digits agree (a 10-digit passport
    is not an INN); so is any 12-digit tax number whose two INN check digits agree (persons
    in occupied Crimea hold Russian INNs), unless it is Kazakh. A number labelled INN, OGRN
    or KPP keeps that scheme when its length fits the register and, for a party known to be
    elsewhere, its check digits agree (Russian INNs of firms in occupied Crimea do; a Kazakh
    "INN" does not), so ``INN`` always means the Russian INN whichever list wrote it.
    ``IMO`` keeps the seven digits. Generic schemes get ``:CC`` when the country is known;
    values without a digit or shorter than four characters are dropped.
    """
    scheme = found["scheme"].astype("str")
    value = found["value"].astype("str").str.strip(" .,:;-")
    country = found["country"].astype("str")
    digits = value.str.fullmatch(r"\d+").astype(bool)
    length = value.str.len()
    russian = country.eq("RU").fillna(False).astype(bool)
    foreign = country.notna() & ~russian
    generic = scheme.isin(list(_GENERIC_NUMBER_SCHEMES))
    inn_valid = value.map(inn_check_digits_agree, na_action="ignore").fillna(False).astype(bool)
    ogrn_valid = value.map(ogrn_check_digit_agrees, na_action="ignore").fillna(False).astype(bool)
    # 12 digits and two agreeing check digits: an INN (Kazakhstan's IIN/BIN is the other
    # 12-digit tax number of the region)
    personal_inn = scheme.eq("TAX_ID") & country.ne("KZ").fillna(True) & length.eq(12)
    scheme = scheme.mask((generic & russian | personal_inn) & inn_valid, "INN")
    scheme = scheme.mask(generic & russian & ogrn_valid, "OGRN")
    bad_inn = scheme.eq("INN") & (~digits | ~length.isin([10, 12]) | foreign & ~inn_valid)
    bad_ogrn = scheme.eq("OGRN") & (~digits | ~length.isin([13, 15]) | foreign & ~ogrn_valid)
    bad_kpp = scheme.eq("KPP") & (~digits | length.ne(9))
    scheme = scheme.mask(bad_inn, "TAX_ID").mask(bad_ogrn | bad_kpp, "REGISTRATION")
    imo = value.str.extract(r"^(?:IMO\s*)?(\d{7})$", expand=False)
    value = value.where(~(scheme.eq("IMO") & imo.notna()), imo)
    qualify = country.notna() & ~scheme.isin(list(COUNTRYLESS_SCHEMES | {"INN", "OGRN", "KPP"}))
    scheme = scheme.where(~qualify, scheme + ":" + country)
    plausible = value.str.contains(r"\d").astype(bool) & (length >= 4)
    out = pd.DataFrame({"row": found["row"], "scheme": scheme, "value": value})
    return out[plausible.to_numpy()].reset_index(drop=True)


def inn_check_digits_agree(value: str) -> bool:
    """True for a 10-digit (company) or 12-digit (person) Russian INN with valid check digits."""
    return inn.is_valid(value)


def ogrn_check_digit_agrees(value: str) -> bool:
    """True for a 13-digit OGRN or 15-digit OGRNIP whose check digit agrees."""
    return ogrn.is_valid(value)


def address_countries(addresses: pd.Series) -> pd.Series:
    """ISO-2 of the country a free-text address names at its end or start, else null.

    "…, Moscow 125315, Russia." and "Russian Federation, 123182, Moscow, …" both give RU.
    The last comma-separated part is read without digits and punctuation, then its last one
    to three words ("Moscow 127055RU" -> RU), then the first part. Each distinct ending is
    looked up once.
    """
    text = (
        pd.Series(addresses.to_numpy(), dtype="str")
        .str.replace(r"[\d()\[\].:#№\"“”]+", " ", regex=True)
        .str.replace(r"\s+", " ", regex=True)
        .str.replace(r"(?:\s*,)+\s*$", "", regex=True)
        .str.strip(" ;-")
    )
    tails = text.str.extract(r"([^,]*)$", expand=False).str.strip(" -–/")
    heads = text.str.extract(r"^([^,]*),", expand=False).str.strip(" -–/")
    lookup = {part: _country_of_tail(part) for part in pd.concat([tails, heads]).dropna().unique()}
    return tails.map(lookup).fillna(heads.map(lookup)).astype("str")


def _country_of_tail(tail: str) -> str | None:
    words = tail.split()
    for candidate in [tail, *(" ".join(words[-k:]) for k in (3, 2, 1) if k < len(words))]:
        if len(candidate) <= 3 and not candidate.isupper():
            continue  # codes are upper case: "per." is a lane, not Peru
        code = country_to_iso2(candidate)
        if code is not None:
            return code
    return None
