"""Country values from trade files and lists -> ISO 3166-1 alpha-2, with an honest status.

Trade feeds write countries as codes, English names in three or four styles, Russian or
Mongolian names, or placeholders such as "OTHER COUNTRY". A screening decision hangs on the
destination, so a value is resolved only on an exact (normalised) match and is never guessed: a
placeholder comes out ``unknown``, not as some country. Sources, in order of precedence:

1. ``screening/data/country_aliases.csv``: curated spellings pycountry lacks;
2. a bare 2-letter value is an ISO alpha-2 code and nothing else ("IN" is India, never the
   word "in"); a bare 3-letter value is tried as an ISO alpha-3 code first;
3. pycountry's English short, official and common names, also with "Name, Qualifier" inverted;
4. pycountry's translations into the languages of the trade data (Russian, Ukrainian, Kazakh,
   Mongolian, Turkish, ...), where a spelling claimed by two countries is dropped;
5. OFAC's "Region: Russia" is read as "Russia" ("Region: Crimea" stays unknown);
6. the vendor form "IN, INDIA": code and name must agree.

Matching ignores case, accents, punctuation and spaces; Latin look-alike letters inside a
Cyrillic word (the vendor's "АHУ" with a Latin H) are read as Cyrillic.
"""

from __future__ import annotations

import csv
import functools
import gettext
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pycountry

from screening.errors import ReferenceDataError
from screening.paths import PACKAGE_DATA_DIR

COUNTRY_ALIASES_FILE = PACKAGE_DATA_DIR / "country_aliases.csv"

KNOWN, UNKNOWN, MISSING = "known", "unknown", "missing"

EXTRA_CODES: dict[str, str] = {"EU": "European Union", "XK": "Kosovo"}
"""Codes outside ISO 3166-1 proper that lists and customs data use as if they were countries."""

TRANSLATION_LOCALES: tuple[str, ...] = (
    "ru", "uk", "be", "kk", "ky", "uz", "tg", "tk", "mn", "hy", "ka", "az", "tr",
    "de", "fr", "es", "it", "pl", "ro", "zh_CN",
)  # fmt: skip
"""pycountry locales whose country names are accepted: the languages of the trade data."""

_ABBREVIATIONS = {
    "rep": "republic",
    "dem": "democratic",
    "fed": "federation",
    "isds": "islands",
    "st": "saint",
}
"""Word abbreviations of UN Comtrade and vendor names ("Rep. of Moldova", "St. Lucia")."""

_LATIN_TO_CYRILLIC = str.maketrans("abcehikmoptxy", "авсенікмортху")
_CYRILLIC_TO_LATIN = str.maketrans("авсенікмортху", "abcehikmoptxy")
_CODE_AND_NAME = re.compile(r"^\s*([A-Za-z]{2})\s*[,;:]\s*(\S.*)$")
_REGION_LABEL = re.compile(r"^\s*region\s*:\s*(\S.*)$", re.IGNORECASE)


@dataclass(frozen=True)
class _Lookup:
    aliases: dict[str, str]
    alpha2: frozenset[str]
    alpha3: dict[str, str]
    names: dict[str, str]
    translations: dict[str, str]


def _fold_script(text: str) -> str:
    """Read Latin look-alikes as the script the word is mostly written in."""
    cyrillic = sum(1 for ch in text if "\u0400" <= ch <= "\u04ff")
    if not cyrillic:
        return text
    latin = sum(1 for ch in text if "a" <= ch <= "z")
    if cyrillic >= latin:
        return text.translate(_LATIN_TO_CYRILLIC)
    return text.translate(_CYRILLIC_TO_LATIN)


def _words(text: str) -> list[str]:
    """Casefolded, accent-free words; abbreviations expanded; leading/trailing "the" dropped."""
    folded = unicodedata.normalize("NFKD", text.replace("&", " and ").casefold())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    words = [_ABBREVIATIONS.get(w, w) for w in re.split(r"[\W_]+", _fold_script(folded)) if w]
    while words and words[0] == "the":
        words.pop(0)
    while words and words[-1] == "the":
        words.pop()
    return words


def _country_key(text: str) -> str:
    """The comparison key: what is left of a country name once case, accents, spaces and
    punctuation are gone ("Côte d'Ivoire" == "COTE D`IVOIRE")."""
    return "".join(_words(text))


def _keys(text: str) -> list[str]:
    """The direct key and, for "Name, Qualifier" / "Name (Qualifier)", the inverted one."""
    keys = [_country_key(text)]
    head, sep, tail = text.partition(",")
    if not sep and text.rstrip().endswith(")") and "(" in text:
        head, sep, tail = text.rstrip()[:-1].partition("(")
    if sep and head.strip() and tail.strip():
        keys.append("".join(_words(f"{tail} {head}")))
    return [k for k in keys if k]


def _unambiguous(pairs: Iterable[tuple[str, str]]) -> dict[str, str]:
    """key -> code, leaving out any key that two different codes claim."""
    seen: dict[str, str] = {}
    clashing: set[str] = set()
    for key, code in pairs:
        if seen.setdefault(key, code) != code:
            clashing.add(key)
    return {k: v for k, v in seen.items() if k not in clashing}


def _english_names(country: object) -> list[str]:
    return [
        n
        for n in (getattr(country, a, None) for a in ("name", "official_name", "common_name"))
        if n
    ]


def load_country_aliases(path: str | Path = COUNTRY_ALIASES_FILE) -> dict[str, str]:
    """Read the curated alias CSV (``#`` lines are comments) into key -> ISO alpha-2."""
    path = Path(path)
    if not path.exists():
        raise ReferenceDataError(f"{path}: country alias file is missing")
    valid = {c.alpha_2 for c in pycountry.countries} | set(EXTRA_CODES)
    aliases: dict[str, str] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader("\n" if line.lstrip().startswith("#") else line for line in fh)
        header: list[str] | None = None
        for row in reader:
            if not row or not any(cell.strip() for cell in row):
                continue
            if header is None:
                header = [h.strip() for h in row]
                if header[:2] != ["alias", "iso2"]:
                    raise ReferenceDataError(
                        f"{path}, row {reader.line_num}: header must start with alias,iso2; "
                        f"got {header}"
                    )
                continue
            alias, iso2 = row[0].strip(), (row[1].strip() if len(row) > 1 else "")
            if iso2 not in valid:
                raise ReferenceDataError(
                    f"{path}, row {reader.line_num}, column 'iso2': {iso2!r} (for alias "
                    f"{alias!r}) is not an ISO 3166-1 alpha-2 code"
                )
            key = _country_key(alias)
            if not key:
                raise ReferenceDataError(
                    f"{path}, row {reader.line_num}, column 'alias': empty alias"
                )
            if aliases.setdefault(key, iso2) != iso2:
                raise ReferenceDataError(
                    f"{path}, row {reader.line_num}, column 'alias': {alias!r} maps to {iso2} "
                    f"but an earlier row maps the same spelling to {aliases[key]}"
                )
    return aliases


@functools.cache
def _lookup() -> _Lookup:
    countries = list(pycountry.countries)
    english = _unambiguous(
        (key, c.alpha_2) for c in countries for name in _english_names(c) for key in _keys(name)
    )
    translated: list[tuple[str, str]] = []
    for locale in TRANSLATION_LOCALES:
        tr = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[locale])
        for c in countries:
            for name in _english_names(c):
                translated.extend((key, c.alpha_2) for key in _keys(tr.gettext(name)))
    return _Lookup(
        aliases=load_country_aliases(),
        alpha2=frozenset(c.alpha_2 for c in countries) | set(EXTRA_CODES),
        alpha3={c.alpha_3: c.alpha_2 for c in countries},
        names=english,
        translations={k: v for k, v in _unambiguous(translated).items() if k not in english},
    )


def _resolve_name(text: str, lookup: _Lookup) -> str | None:
    for key in _keys(text):
        for table in (lookup.aliases, lookup.names, lookup.translations):
            if key in table:
                return table[key]
    return None


@functools.lru_cache(maxsize=65536)
def _resolve(value: str | None) -> tuple[str | None, str]:
    """(iso2 or None, status) for one raw value."""
    if value is None or not value.strip():
        return None, MISSING
    text = value.strip()
    lookup = _lookup()
    alias = lookup.aliases.get(_country_key(text))
    if alias:
        return alias, KNOWN
    if re.fullmatch(r"[A-Za-z]{2}", text):
        code = text.upper()
        return (code, KNOWN) if code in lookup.alpha2 else (None, UNKNOWN)
    if re.fullmatch(r"[A-Za-z]{3}", text) and text.upper() in lookup.alpha3:
        return lookup.alpha3[text.upper()], KNOWN
    named = _resolve_name(text, lookup)
    if named:
        return named, KNOWN
    region = _REGION_LABEL.match(text)
    if region:  # OFAC: "Region: Russia" is Russia; "Region: Crimea" stays unknown
        return _resolve(region.group(1))
    pair = _CODE_AND_NAME.match(text)
    if pair:
        code, name = pair.group(1).upper(), _resolve_name(pair.group(2), lookup)
        if code in lookup.alpha2 and name == code:
            return code, KNOWN
    return None, UNKNOWN


def country_to_iso2(value: str | None) -> str | None:
    """One value -> ISO alpha-2, or None when missing or not recognised (for list parsers)."""
    return _resolve(value)[0]


def country_display_name(iso2: str) -> str:
    """A readable English name for a code, for reasons shown to analysts ("Kazakhstan")."""
    if iso2 in EXTRA_CODES:
        return EXTRA_CODES[iso2]
    country = pycountry.countries.get(alpha_2=iso2)
    if country is None:
        return iso2
    return getattr(country, "common_name", None) or country.name


def _as_strings(values: pa.Array | pa.ChunkedArray | Sequence[str | None]) -> pa.ChunkedArray:
    if not isinstance(values, pa.Array | pa.ChunkedArray):
        values = pa.array(values, type=pa.string(), from_pandas=True)
    if isinstance(values, pa.Array):
        values = pa.chunked_array([values])
    return values if values.type == pa.string() else values.cast(pa.string())


def normalise_countries(values: pa.Array | pa.ChunkedArray | Sequence[str | None]) -> pa.Table:
    """country_raw, country_iso2, country_status (known / unknown / missing) for each value.

    Each distinct value is resolved once and the results are taken back onto the rows, so a
    10M-row column with a few hundred spellings costs two hash passes.
    """
    raw = _as_strings(values)
    distinct = pc.unique(raw)
    resolved = [_resolve(v) for v in distinct.to_pylist()]
    positions = pc.index_in(raw, value_set=distinct)
    iso2 = pa.array([r[0] for r in resolved], type=pa.string())
    status = pa.array([r[1] for r in resolved], type=pa.string())
    return pa.table(
        {
            "country_raw": raw,
            "country_iso2": iso2.take(positions),
            "country_status": status.take(positions),
        }
    )
