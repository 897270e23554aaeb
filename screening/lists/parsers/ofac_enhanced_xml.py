"""OFAC's enhanced XML (SDN_ENHANCED.XML, CONS_ENHANCED.XML) -> canonical list table.

The enhanced schema states what the legacy CSV hides in remarks: every name with its alias
type and a low-quality flag, the same name in other scripts (Cyrillic, Chinese), identity
documents with their issuing country, typed features (SWIFT/BIC, IMO, nationality) and
relationships. ``referenceValues`` (country ISO codes) and ``featureTypes`` (which feature is a
country, a date, free text) come before the entities, so the file is streamed in one pass.

``list_source``: an entity on the "SDN List" is ``us_ofac_sdn`` when the publication covers the
SDN list (SDN_ENHANCED.XML, or an unfiltered export); every other entity, and every entity of
the consolidated (non-SDN) publication, is ``us_ofac_non_sdn``, as in the legacy
cons_prim.csv. The consolidated file repeats 77 SDN entries; calling them ``us_ofac_sdn``
would make a 443-entity file the "newest SDN list" and drop the real one when versions merge.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from xml.etree.ElementTree import Element

import pandas as pd
import pyarrow as pa
from stdnum.ru import inn, ogrn

from screening.errors import ListParseError
from screening.geo.countries import country_to_iso2
from screening.lists.parsers.identifiers import IDENTIFIER_LABELS, normalise_identifiers
from screening.lists.parsers.tables import (
    entries_table,
    identifier_lists,
    parties_table,
    string_lists,
)
from screening.lists.parsers.xml_stream import describe, iter_records, sniff_root, text_of
from screening.schema import ENTITY_TYPES

ROOT_TAG = "sanctionsData"
NAMESPACE_MARK = "ENHANCED_XML"
SDN_LIST = "SDN List"
UMBRELLA_LIST = "Consolidated List"
ALIAS_KINDS = {"A.K.A.": "alias", "F.K.A.": "former", "N.K.A.": "alias"}
CALL_SIGN_FEATURES = frozenset({"Vessel Call Sign", "Other Vessel Call Sign"})
COUNTRY_FEATURES = frozenset(
    {
        "Nationality Country",
        "Citizenship Country",
        "Nationality of Registration",
        "Vessel Flag",
        "Other Vessel Flag",
    }
)
"""Features that name a country, besides any whose featureType says its detail is COUNTRY."""
_TRAILING_PUNCTUATION = re.compile(r"[\s:-]+$")
_RECORD_TAGS = frozenset({"publicationInfo", "referenceValue", "featureType", "entity"})


def looks_like_ofac_enhanced_xml(path: str | Path) -> bool:
    """Detector for the registry: root ``<sanctionsData>`` in OFAC's ENHANCED_XML namespace."""
    root, head = sniff_root(path)
    return root == ROOT_TAG and NAMESPACE_MARK in head


@dataclass
class _Publication:
    """What the file says before its entities: version, scope, code tables."""

    data_as_of: str | None = None
    covers_sdn: bool = True
    country_codes: dict[str, str] = field(default_factory=dict)  # COUNTRY refId -> ISO-2
    country_features: set[str] = field(default_factory=set)  # featureTypeIds of detail COUNTRY


@dataclass
class _Long:
    """Long frames under construction: one tuple per finding, ``row`` = entity position."""

    names: list[tuple[int, str, str]] = field(default_factory=list)
    programs: list[tuple[int, str]] = field(default_factory=list)
    countries: list[tuple[int, str | None]] = field(default_factory=list)
    addresses: list[tuple[int, str]] = field(default_factory=list)
    documents: list[tuple[int, str, str, str | None]] = field(default_factory=list)
    related: list[tuple[int, str]] = field(default_factory=list)


def parse_ofac_enhanced_xml(path: str | Path, *, list_version: str | None = None) -> pa.Table:
    """Parse an OFAC enhanced XML file into LIST_ENTRY_SCHEMA rows (one per name).

    ``source_id`` is the entity id (the legacy files' ent_num). Names: the primary one, A.K.A.
    and N.K.A. -> alias, F.K.A. -> former, low-quality ones -> weak_alias, and each name's
    other-script translations as extra rows in their own script (the primary name's become
    aliases). ``list_version`` defaults to ``dataAsOf``; ``listed_on`` is the earliest
    publication date of the entity on a list other than the umbrella "Consolidated List".
    """
    path = Path(path)
    publication = _Publication()
    long = _Long()
    party: dict[str, list] = {
        k: [] for k in ("source_id", "entity_type", "list_source", "remarks", "listed_on")
    }
    for record in iter_records(path, _RECORD_TAGS):
        if record.tag == "entity":
            _read_entity(path, record, len(party["source_id"]), publication, party, long)
        elif record.tag == "referenceValue":
            _read_reference_value(record, publication)
        elif record.tag == "featureType":
            if text_of(record, "detailType") == "COUNTRY":
                publication.country_features.add(record.get("featureTypeId", ""))
        else:
            _read_publication_info(record, publication)
    n = len(party["source_id"])
    version = list_version if list_version is not None else publication.data_as_of
    names = pd.DataFrame(long.names, columns=["row", "name", "name_kind"])
    countries = _frame(long.countries, "country")
    documents = pd.DataFrame(long.documents, columns=["row", "label", "value", "country"])
    documents = infer_document_countries(documents, countries)
    parties = parties_table(
        n,
        {
            **party,
            "programs": string_lists(_frame(long.programs, "program"), "program", n),
            "countries": string_lists(countries, "country", n),
            "addresses": string_lists(_frame(long.addresses, "address"), "address", n),
            "identifiers": identifier_lists(identifiers_from_documents(documents), n),
            "related": string_lists(_frame(long.related, "name"), "name", n),
            "list_version": version,
        },
    )
    return entries_table(parties, names)


def identifiers_from_documents(found: pd.DataFrame) -> pd.DataFrame:
    """``row, label, value, country`` (ISO-2 or null) -> ``row, scheme, value``.

    Labels known to :data:`IDENTIFIER_LABELS` get the shared normalisation (Russian tax and
    registration numbers -> ``INN`` / ``OGRN``, ``IMO 1234567`` -> ``IMO``); any other
    document type keeps its label as an upper-case scheme (``DRIVER_S_LICENSE_NO:US``), so no
    listed number is dropped.
    """
    if found.empty:
        return pd.DataFrame({"row": [], "scheme": [], "value": []})
    found = found.assign(
        value=found["value"].astype("str").str.strip(),
        country=found["country"].astype("str"),
    )
    found = found[found["value"].str.len().fillna(0) > 0]
    known = found["label"].isin(list(IDENTIFIER_LABELS))
    normalised = normalise_identifiers(found[known].reset_index(drop=True))
    other = found[~known]
    scheme = other["label"].astype("str").str.upper().str.replace(r"[^A-Z0-9]+", "_", regex=True)
    scheme = scheme.str.strip("_")
    scheme = scheme.where(other["country"].isna(), scheme + ":" + other["country"])
    other = pd.DataFrame({"row": other["row"], "scheme": scheme, "value": other["value"]})
    return pd.concat([normalised, other], ignore_index=True)


def infer_document_countries(documents: pd.DataFrame, countries: pd.DataFrame) -> pd.DataFrame:
    """Fill the issuing country of documents that do not state one, where the file shows it.

    Some entries write it into the number (``1026303117642 (Russia)``). Others give none, as
    LUKOIL's ``Tax ID No. 7708004767`` in the 2025-01 file, whose legacy remark says
    "(Russia)": a number of a party whose addresses are all in Russia is taken as Russian when
    it is a valid INN (tax ID) or OGRN (registration number) by its check digit, or an
    8/10-digit Government Gazette (OKPO) number.
    """
    documents = documents.copy()
    value = documents["value"].astype("str")
    country = documents["country"].astype("str")
    written = value.str.extract(r"^(?P<number>.*?\S)\s*\((?P<country>[^()]+)\)$")
    lookup = {name: country_to_iso2(name) for name in written["country"].dropna().unique()}
    written_code = written["country"].map(lookup).astype("str")
    use_written = country.isna() & written_code.notna()
    value = value.where(~use_written, written["number"])
    country = country.where(~use_written, written_code)

    located = countries.dropna().groupby("row")["country"].agg(frozenset)
    only_russia = documents["row"].map(located).eq(frozenset({"RU"}))
    base = documents["label"].map(IDENTIFIER_LABELS)
    russian = (
        (base.eq("TAX_ID") & value.map(inn.is_valid).astype(bool))
        | (base.eq("REGISTRATION") & value.map(ogrn.is_valid).astype(bool))
        | (base.eq("GOVERNMENT_GAZETTE") & value.str.fullmatch(r"\d{8}|\d{10}").astype(bool))
    )
    country = country.where(~(country.isna() & only_russia & russian), "RU")
    return documents.assign(value=value, country=country)


def _frame(rows: list[tuple], column: str) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["row", column])


def _read_publication_info(record: Element, publication: _Publication) -> None:
    as_of = text_of(record, "dataAsOf")
    publication.data_as_of = as_of[:10] if as_of else None
    filtered = [text_of(e) for e in record.iterfind("filters/sanctionsLists/sanctionsList")]
    publication.covers_sdn = not filtered or SDN_LIST in filtered


def _read_reference_value(record: Element, publication: _Publication) -> None:
    iso = text_of(record, "isoCode")
    if text_of(record, "type") == "COUNTRY" and iso:
        publication.country_codes[record.get("refId", "")] = iso


def _country(elem: Element | None, publication: _Publication) -> str | None:
    """ISO-2 of a country element via its refId, else by resolving its text."""
    if elem is None:
        return None
    return publication.country_codes.get(elem.get("refId", "")) or country_to_iso2(text_of(elem))


def _read_entity(
    path: Path,
    entity: Element,
    row: int,
    publication: _Publication,
    party: dict[str, list],
    long: _Long,
) -> None:
    source_id = entity.get("id")
    if not source_id:
        raise ListParseError(f"{describe(entity)} #{row + 1} has no id attribute", file=path)
    where = f'<entity id="{source_id}">'
    kind = (text_of(entity, "generalInfo/entityType") or "").lower()
    if kind not in ENTITY_TYPES:
        raise ListParseError(
            f"{where}: entityType {kind!r} is none of {', '.join(ENTITY_TYPES)}", file=path
        )

    lists = [
        (text_of(e) or "", e.get("datePublished")) for e in entity.iterfind("sanctionsLists/*")
    ]
    on_sdn = any(name == SDN_LIST for name, _ in lists)
    dates = [_date(path, where, d) for name, d in lists if d and name != UMBRELLA_LIST]
    dates = dates or [_date(path, where, d) for _, d in lists if d]
    party["source_id"].append(source_id)
    party["entity_type"].append(kind)
    party["list_source"].append(
        "us_ofac_sdn" if on_sdn and publication.covers_sdn else "us_ofac_non_sdn"
    )
    party["listed_on"].append(min(dates) if dates else None)
    for program in entity.iterfind("sanctionsPrograms/sanctionsProgram"):
        long.programs.append((row, text_of(program) or ""))
    for name, _ in lists:
        if name != UMBRELLA_LIST:
            long.programs.append((row, name))

    _read_names(path, where, entity, row, long)
    _read_addresses(entity, row, publication, long)
    remarks = [text_of(entity, "generalInfo/remarks")]
    remarks += _read_features(entity, row, publication, long)
    party["remarks"].append("; ".join(r for r in remarks if r) or None)
    for document in entity.iterfind("identityDocuments/identityDocument"):
        long.documents.append(
            (
                row,
                text_of(document, "type") or "",
                text_of(document, "documentNumber") or "",
                _country(document.find("issuingCountry"), publication),
            )
        )
    for related in entity.iterfind("relationships/relationship/relatedEntity"):
        if text := text_of(related):
            long.related.append((row, text))


def _read_names(path: Path, where: str, entity: Element, row: int, long: _Long) -> None:
    for name in entity.iterfind("names/name"):
        if text_of(name, "isPrimary") == "true":
            kind = "primary"
        else:
            alias_type = text_of(name, "aliasType")
            if alias_type not in ALIAS_KINDS:
                raise ListParseError(
                    f"{where}: name {name.get('id')} has aliasType {alias_type!r}; "
                    f"expected one of {', '.join(ALIAS_KINDS)}",
                    file=path,
                )
            kind = ALIAS_KINDS[alias_type]
            if text_of(name, "isLowQuality") == "true":
                kind = "weak_alias"
        for translation in name.iterfind("translations/translation"):
            full = text_of(translation, "formattedFullName") or " ".join(
                text_of(part, "value") or "" for part in translation.iterfind("nameParts/namePart")
            )
            if not full.strip():
                raise ListParseError(
                    f"{where}: name {name.get('id')} translation {translation.get('id')} has "
                    "neither formattedFullName nor name parts",
                    file=path,
                )
            is_main = text_of(translation, "isPrimary") == "true"
            long.names.append((row, full, kind if is_main or kind != "primary" else "alias"))


def _read_addresses(entity: Element, row: int, publication: _Publication, long: _Long) -> None:
    for address in entity.iterfind("addresses/address"):
        country_elem = address.find("country")
        country_name = text_of(country_elem)
        long.countries.append((row, _country(country_elem, publication)))
        texts = []
        for translation in address.iterfind("translations/translation"):
            parts = [text_of(p, "value") for p in translation.iterfind("addressParts/addressPart")]
            texts.append(", ".join(p for p in [*parts, country_name] if p))
        for text in texts or [country_name]:
            if text:
                long.addresses.append((row, text))


def _read_features(entity: Element, row: int, publication: _Publication, long: _Long) -> list[str]:
    """Identifiers and countries from features; the rest come back as remark phrases."""
    remarks = []
    for feature in entity.iterfind("features/feature"):
        type_elem = feature.find("type")
        label = text_of(type_elem) or ""
        value = text_of(feature, "value")
        if value is None:
            continue
        type_id = type_elem.get("featureTypeId") if type_elem is not None else None
        if label in COUNTRY_FEATURES or type_id in publication.country_features:
            ref = text_of(feature, "valueRefId")
            code = publication.country_codes.get(ref or "") or country_to_iso2(value)
            long.countries.append((row, code))
            remarks.append(f"{label}: {value}")
        elif label in IDENTIFIER_LABELS:
            long.documents.append((row, label, value, None))
        elif label in CALL_SIGN_FEATURES:
            long.documents.append((row, "CALL_SIGN", value, None))
        else:
            remarks.append(f"{_TRAILING_PUNCTUATION.sub('', label)}: {value}")
    return remarks


def _date(path: Path, where: str, text: str) -> date:
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise ListParseError(
            f"{where}: datePublished {text!r} is not a YYYY-MM-DD date", file=path
        ) from None
