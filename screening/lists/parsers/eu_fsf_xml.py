"""EU Financial Sanctions Files (FSF), the XML "sanctions list global file" 1.1 -> canonical table.

The EU's main publication of its consolidated list. One ``<sanctionEntity>`` per sanctioned
subject (``logicalId``, ``euReferenceNumber``, ``designationDate``), holding its
``<regulation>`` s (programme, number and title, publication date), ``<subjectType>``
(``person`` / ``enterprise``), ``<nameAlias>`` es (``wholeName``, ``strong``, ``function``),
``<address>`` es, ``<birthdate>`` s, ``<identification>`` s (``number``,
``identificationTypeCode``) and ``<citizenship>`` s, all as attributes, with ``<remark>``
children. The root ``<export generationDate=...>`` dates the file.

The FSF CSV is this same content flattened, one row per part. So each entity is read as a
stream (defused, never the whole DOM) and flattened into the CSV's columns, and the CSV
parser's assembly (:func:`screening.lists.parsers.eu_fsf_csv.fsf_table`) builds the table: the
XML and the CSV of one publication give the same entities, names, identifiers and programmes.
"""

from __future__ import annotations

from pathlib import Path
from xml.etree.ElementTree import Element

import pandas as pd
import pyarrow as pa

from screening.errors import ListParseError
from screening.lists.parsers.eu_fsf_csv import FSF_COLUMNS, fsf_table
from screening.lists.parsers.xml_stream import iter_records, sniff_root

ROOT_TAG = "export"
NAMESPACE = "http://eu.europa.ec/fpi/fsd/export"
RECORD_TAG = "sanctionEntity"

PARTS: dict[str, str] = {
    # child element -> its columns' prefix in the CSV
    "nameAlias": "NameAlias",
    "address": "Address",
    "birthdate": "BirthDate",
    "identification": "Identification",
    "citizenship": "Citizenship",
}
ATTRIBUTE_OF: dict[str, str] = {
    # CSV column -> XML attribute, where the name is not simply camelCase of the column's field
    "Entity_EU_ReferenceNumber": "euReferenceNumber",
    "BirthDate_BirthDate": "birthdate",
    "BirthDate_Day": "dayOfMonth",
    "BirthDate_Month": "monthOfYear",
    "Identification_TypeCode": "identificationTypeCode",
    "Identification_TypeDescription": "identificationTypeDescription",
}
_REGULATION_ATTRIBUTES = {
    "Type": "regulationType",
    "OrganisationType": "organisationType",
    "PublicationDate": "publicationDate",
    "EntryIntoForceDate": "entryIntoForceDate",
    "NumberTitle": "numberTitle",
    "Programme": "programme",
}


def looks_like_eu_fsf_xml(path: str | Path) -> bool:
    """Detector for the registry: root ``<export>`` in the FSF namespace, or with entities."""
    root, head = sniff_root(path)
    return root == ROOT_TAG and (NAMESPACE in head or f"<{RECORD_TAG}" in head)


def parse_eu_fsf_xml(path: str | Path, *, list_version: str | None = None) -> pa.Table:
    """Parse an FSF XML file into LIST_ENTRY_SCHEMA rows (one per name), as parse_eu_fsf_csv
    does its CSV: ``source_id`` is the entity's ``logicalId``, ``list_version`` defaults to the
    root's ``generationDate``."""
    path = Path(path)
    root: dict[str, str] = {}
    rows: list[dict[str, str | None]] = []
    for entity in iter_records(path, {RECORD_TAG}, root_attributes=root):
        rows.extend(_flatten(entity))
    if not rows:
        raise ListParseError(f"no <{RECORD_TAG}> in the FSF XML file", file=path)
    frame = pd.DataFrame(rows, columns=list(FSF_COLUMNS), dtype="str")
    frame = frame.apply(lambda column: column.str.strip()).replace("", None)
    generated = (root.get("generationDate") or "").strip()[:10] or None
    frame["fileGenerationDate"] = generated
    missing = frame["Entity_LogicalId"].isna()
    if missing.any():
        raise ListParseError(
            f"a <{RECORD_TAG}> without logicalId (entity {int(missing.idxmax()) + 1} of the file)",
            file=path,
            column="logicalId",
        )
    return fsf_table(path, frame, None, list_version=list_version)


def _flatten(entity: Element) -> list[dict[str, str | None]]:
    """The entity as the CSV's rows: its own fields on every row, one row per part."""
    own = _fields(entity, "Entity")
    subject = entity.find("subjectType")
    if subject is not None:
        own["Entity_SubjectType"] = subject.get("code")
        own["Entity_SubjectType_ClassificationCode"] = subject.get("classificationCode")
    rows = [own | _regulation(regulation) for regulation in entity.findall("regulation")]
    for child in entity:
        prefix = PARTS.get(child.tag)
        if prefix is not None:
            rows.append(own | _fields(child, prefix))
    return rows or [own]


def _fields(elem: Element, prefix: str) -> dict[str, str | None]:
    """``<prefix>_<Field>`` columns of ``elem``: attributes, and its ``<remark>`` texts."""
    values: dict[str, str | None] = {}
    for column in FSF_COLUMNS:
        if not column.startswith(prefix + "_") or "_Regulation_" in column:
            continue
        field = column[len(prefix) + 1 :]
        if field == "Remark":
            remarks = [" ".join((r.text or "").split()) for r in elem.findall("remark")]
            values[column] = "; ".join(r for r in remarks if r) or None
        else:
            attribute = ATTRIBUTE_OF.get(column) or field[0].lower() + field[1:]
            values[column] = elem.get(attribute)
    return values


def _regulation(regulation: Element) -> dict[str, str | None]:
    values: dict[str, str | None] = {
        f"Entity_Regulation_{field}": regulation.get(attribute)
        for field, attribute in _REGULATION_ATTRIBUTES.items()
    }
    url = regulation.find("publicationUrl")
    values["Entity_Regulation_PublicationUrl"] = None if url is None else (url.text or None)
    return values
