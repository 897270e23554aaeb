"""UN Security Council consolidated list (official XML) -> canonical list table.

Layout (https://scsanctions.un.org/resources/xml/en/consolidated.xml, schema sc-sanctions.xsd):
``CONSOLIDATED_LIST[@dateGenerated]`` holds ``INDIVIDUALS/INDIVIDUAL`` and
``ENTITIES/ENTITY``. A party's name is ``FIRST_NAME`` to ``FOURTH_NAME`` (an entity's whole
name is in ``FIRST_NAME``), ``NAME_ORIGINAL_SCRIPT`` the same name in Arabic or another script.
Aliases carry a ``QUALITY``: individuals' are "Good" or "Low" (the UN's own weak aliases),
entities' are "a.k.a." or "f.k.a.". The regime is ``UN_LIST_TYPE`` (DPRK, Al-Qaida, ...) and
``REFERENCE_NUMBER`` the UN's permanent reference (``KPe.001``). Countries are written as
names ("Iran (Islamic Republic of)"); empty elements (``<ALIAS_NAME/>``) are common.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from xml.etree.ElementTree import Element

import pandas as pd
import pyarrow as pa

from screening.errors import ListParseError
from screening.lists.parsers.identifiers import country_codes, extract_identifiers
from screening.lists.parsers.ofac_enhanced_xml import identifiers_from_documents
from screening.lists.parsers.tables import (
    entries_table,
    identifier_lists,
    parties_table,
    string_lists,
)
from screening.lists.parsers.xml_stream import CollectedParties, iter_records, sniff_root, text_of

ROOT_TAG = "CONSOLIDATED_LIST"
LIST_SOURCE = "un_sc"
NAME_PARTS = ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")
ALIAS_KINDS = {"good": "alias", "a.k.a.": "alias", "low": "weak_alias", "f.k.a.": "former"}
ADDRESS_PARTS = ("STREET", "CITY", "STATE_PROVINCE", "ZIP_CODE", "COUNTRY")
DOCUMENT_LABELS = {
    # UN TYPE_OF_DOCUMENT (lower-case) -> label of parsers.identifiers.IDENTIFIER_LABELS
    "passport": "Passport",
    "número de pasaporte": "Passport",
    "numéro de passeport": "Passport",
    "national identification number": "National ID No.",
    "national identification": "National ID No.",
}
_IMO_IN_REMARKS = re.compile(r"\bIMO\)?\s*(?:number|no\.?)?\s*:?\s*(?:IMO\s*)?(\d{7})\b", re.I)
_PLACEHOLDER = re.compile(r"(?i)^(?:n/?a|none|unknown|-+)$")


def looks_like_un_xml(path: str | Path) -> bool:
    """Detector for the registry: root element ``<CONSOLIDATED_LIST>``."""
    return sniff_root(path)[0] == ROOT_TAG


@dataclass
class _Collected(CollectedParties):
    countries: list[tuple[int, str]] = field(default_factory=list)
    addresses: list[tuple[int, str]] = field(default_factory=list)
    documents: list[tuple[int, str, str, str | None]] = field(default_factory=list)


def parse_un_xml(path: str | Path, *, list_version: str | None = None) -> pa.Table:
    """Parse the UN consolidated XML into LIST_ENTRY_SCHEMA rows (one per name).

    ``source_id`` is ``DATAID``; ``programs`` holds the regime and the UN reference number;
    ``countries`` come from nationalities and addresses; passports and national IDs become
    identifiers (``PASSPORT:KP``), and IMO numbers written in an entity's comments become
    ``IMO_COMPANY``. ``list_version`` defaults to the date of ``dateGenerated``.
    """
    path = Path(path)
    root: dict[str, str] = {}
    got = _Collected()
    records = iter_records(
        path, {"INDIVIDUAL", "ENTITY"}, root_attributes=root, name_record=_name_record
    )
    for record in records:
        _read_party(path, record, got)
    n = len(got.party["source_id"])
    generated = root.get("dateGenerated")
    version = list_version if list_version is not None else (generated[:10] if generated else None)

    countries = pd.DataFrame(got.countries, columns=["row", "name"])
    countries["country"] = country_codes(countries["name"])
    remarks = pd.Series(got.party["remarks"], dtype="str")
    documents = pd.DataFrame(got.documents, columns=["row", "label", "value", "country_name"])
    documents["country"] = country_codes(documents["country_name"])
    imo = remarks.str.extractall(_IMO_IN_REMARKS)
    identifiers = pd.concat(
        [
            identifiers_from_documents(documents.drop(columns="country_name")),
            extract_identifiers(remarks),
            pd.DataFrame(
                {
                    "row": imo.index.get_level_values(0).to_numpy(),
                    "scheme": "IMO_COMPANY",
                    "value": imo[0].to_numpy(),
                }
            ),
        ],
        ignore_index=True,
    )
    parties = parties_table(
        n,
        {
            **got.party,
            "list_source": LIST_SOURCE,
            "programs": string_lists(_frame(got.programs, "program"), "program", n),
            "countries": string_lists(countries, "country", n),
            "addresses": string_lists(_frame(got.addresses, "address"), "address", n),
            "identifiers": identifier_lists(identifiers, n),
            "list_version": version,
        },
    )
    return entries_table(parties, pd.DataFrame(got.names, columns=["row", "name", "name_kind"]))


def _name_record(record: Element) -> str:
    return f"<{record.tag}> DATAID {text_of(record, 'DATAID')}"


def _frame(rows: list[tuple], column: str) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["row", column])


def _real(text: str | None) -> str | None:
    """None for the placeholders the UN writes where it knows nothing ("na")."""
    return None if text is None or _PLACEHOLDER.match(text) else text


def _read_party(path: Path, record: Element, got: _Collected) -> None:
    row = len(got.party["source_id"])
    kind = "individual" if record.tag == "INDIVIDUAL" else "entity"
    source_id = text_of(record, "DATAID")
    if source_id is None:
        raise ListParseError(
            f"<{record.tag}> #{row + 1} (individuals and entities counted together) has no DATAID",
            file=path,
            column="DATAID",
        )
    where = f"{record.tag} DATAID {source_id}"
    name = " ".join(p for p in (_real(text_of(record, part)) for part in NAME_PARTS) if p)
    if not name:
        raise ListParseError(f"{where} has no name (FIRST_NAME is empty)", file=path)
    got.names.append((row, name, "primary"))
    if original := text_of(record, "NAME_ORIGINAL_SCRIPT"):
        got.names.append((row, original, "alias"))
    for alias in record.iterfind(f"{record.tag}_ALIAS"):
        alias_name = _real(text_of(alias, "ALIAS_NAME"))
        if alias_name is None:
            continue
        quality = (text_of(alias, "QUALITY") or "").lower()
        if quality and quality not in ALIAS_KINDS:
            raise ListParseError(
                f"{where}: alias {alias_name!r} has QUALITY {quality!r}; expected one of "
                f"{', '.join(ALIAS_KINDS)}",
                file=path,
                column="QUALITY",
            )
        got.names.append((row, alias_name, ALIAS_KINDS.get(quality, "alias")))

    for part in ("UN_LIST_TYPE", "REFERENCE_NUMBER"):
        if value := text_of(record, part):
            got.programs.append((row, value))
    for nationality in record.iterfind("NATIONALITY/VALUE"):
        if value := _real(text_of(nationality)):
            got.countries.append((row, value))
    for address in record.iterfind(f"{record.tag}_ADDRESS"):
        parts = [_real(text_of(address, part)) for part in ADDRESS_PARTS]
        if text := ", ".join(p for p in parts if p):
            got.addresses.append((row, text))
        if country := _real(text_of(address, "COUNTRY")):
            got.countries.append((row, country))
    for document in record.iterfind(f"{record.tag}_DOCUMENT"):
        number = text_of(document, "NUMBER")
        if number is None:
            continue
        label = text_of(document, "TYPE_OF_DOCUMENT") or text_of(document, "TYPE_OF_DOCUMENT2")
        label = label or "Document"
        country = _real(text_of(document, "ISSUING_COUNTRY")) or _real(
            text_of(document, "COUNTRY_OF_ISSUE")
        )
        got.documents.append((row, DOCUMENT_LABELS.get(label.lower(), label), number, country))

    listed = text_of(record, "LISTED_ON")
    got.party["source_id"].append(source_id)
    got.party["entity_type"].append(kind)
    got.party["remarks"].append(_remarks(record))
    got.party["listed_on"].append(_date(path, where, listed) if listed else None)


def _remarks(record: Element) -> str | None:
    """COMMENTS1, then title, designation and dates of birth: what tells namesakes apart."""
    parts = [text_of(record, "COMMENTS1")]
    for label, tag in (("Title", "TITLE"), ("Designation", "DESIGNATION")):
        values = [v for v in (text_of(e) for e in record.iterfind(f"{tag}/VALUE")) if v]
        if values:
            parts.append(f"{label}: {', '.join(values)}")
    births = []
    for birth in record.iterfind("INDIVIDUAL_DATE_OF_BIRTH"):
        years = "-".join(y for y in (text_of(birth, "FROM_YEAR"), text_of(birth, "TO_YEAR")) if y)
        if value := text_of(birth, "DATE") or text_of(birth, "YEAR") or years:
            births.append(value)
    if births:
        parts.append(f"DOB: {', '.join(births)}")
    return "; ".join(p for p in parts if p) or None


def _date(path: Path, where: str, text: str) -> date:
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise ListParseError(
            f"{where}: LISTED_ON {text!r} is not a YYYY-MM-DD date", file=path, column="LISTED_ON"
        ) from None
