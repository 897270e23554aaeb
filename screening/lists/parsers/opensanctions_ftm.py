"""OpenSanctions FollowTheMoney entities (JSON lines, ``entities.ftm.json``) -> canonical table.

Each line is one entity ``{"id", "schema", "properties": {prop: [values]}, "caption",
"datasets", "target", …}``. Parties are the entities of PARTY_SCHEMAS (Company, Person,
Organization, LegalEntity, …). The other entities only describe them and are folded in:

- ``Sanction`` (``entity`` -> party): programmes (``programId``, else ``program``) and the
  earliest listing date;
- ``Address`` (``addressEntity`` of a party): its full text and country;
- ``Passport`` / ``Identification`` (``holder``): document numbers;
- relationships (Ownership, Directorship, Family, UnknownLink, …; RELATION_ENDS): the name of
  the party at the other end goes into ``related`` of each end. They are never parties.

Countries come from the party's own country properties, not from a Sanction's ``country``
(that is the sanctioning authority's). Related entities that are not sanction targets
(``"target": false``, e.g. a subsidiary found in a company register) are kept, as the data
lists them, and say so in ``remarks``. ``list_source`` is ``opensanctions_<dataset>``, the
dataset named by the file (``zala_entities.ftm.json`` -> ``opensanctions_zala``) or its
folder (``sanctions/entities.ftm.json`` -> ``opensanctions_sanctions``).

Licence: OpenSanctions data is CC BY-NC 4.0; read it, do not bundle it.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from screening.errors import ListParseError
from screening.lists.parsers.identifiers import extract_labelled_numbers, is_country_code
from screening.lists.parsers.tables import (
    arrow_strings,
    entries_table,
    identifier_lists,
    parties_table,
    string_lists,
)

PARTY_SCHEMAS: dict[str, str | None] = {
    "Person": "individual",
    "Company": "entity",
    "Organization": "entity",
    "LegalEntity": "entity",
    "PublicBody": "entity",
    "Vessel": "vessel",
    "Airplane": "aircraft",
}
RELATION_ENDS: dict[str, tuple[str, str]] = {
    "Ownership": ("owner", "asset"),
    "Directorship": ("director", "organization"),
    "Family": ("person", "relative"),
    "Associate": ("person", "associate"),
    "UnknownLink": ("subject", "object"),
    "Employment": ("employee", "employer"),
    "Membership": ("member", "organization"),
    "Representation": ("agent", "client"),
    "Succession": ("predecessor", "successor"),
}
NAME_KINDS: dict[str, str] = {
    "name": "alias",  # all but the caption; see _names
    "alias": "alias",
    "abbreviation": "alias",
    "weakAlias": "weak_alias",
    "previousName": "former",
}
COUNTRY_PROPERTIES = ("country", "nationality", "citizenship", "jurisdiction", "mainCountry")
IDENTIFIER_PROPERTIES: dict[str, str] = {
    "innCode": "INN",
    "ogrnCode": "OGRN",
    "kppCode": "KPP",
    "okpoCode": "OKPO",
    "imoNumber": "IMO",
    "mmsi": "MMSI",
    "leiCode": "LEI",
    "swiftBic": "SWIFT_BIC",
    "bikCode": "BIK",
    "dunsCode": "DUNS",
    "uniqueEntityId": "SAM_UEI",
    "permId": "PERM_ID",
    "vatCode": "VAT",
    "callSign": "CALL_SIGN",
    "icaoCode": "ICAO",
    "registrationNumber": "REGISTRATION",
    "taxNumber": "TAX_ID",
    "idNumber": "ID_NUMBER",
    "passportNumber": "PASSPORT",
}
DOCUMENT_SCHEMAS = {"Passport": "PASSPORT", "Identification": "ID_NUMBER"}
GENERIC_SCHEMES = frozenset({"REGISTRATION", "TAX_ID", "ID_NUMBER", "PASSPORT", "VAT"})
"""Schemes that take the party's country (``REGISTRATION:BY``); SAM UEI, PermID etc. are global."""
_SNIFF_BYTES = 64_000
_SHORT_PROGRAMME = 80


def looks_like_opensanctions_ftm(path: str | Path) -> bool:
    """Detector for the registry: JSON lines whose first object has id, schema, properties."""
    path = Path(path)
    if not path.is_file() or not path.name.lower().endswith((".json", ".jsonl", ".ndjson")):
        return False
    with open(path, "rb") as fh:
        first = fh.readline(_SNIFF_BYTES)
    try:
        entity = json.loads(first)
    except ValueError:
        return False
    return isinstance(entity, dict) and {"id", "schema", "properties"} <= set(entity)


def parse_opensanctions_ftm(
    path: str | Path, *, list_version: str | None = None, list_source: str | None = None
) -> pa.Table:
    """Parse an FtM JSON-lines export into LIST_ENTRY_SCHEMA rows (one per name).

    ``source_id`` is the entity id; ``list_version`` defaults to the newest ``last_change``
    (date) in the file.
    """
    path = Path(path)
    entities = _read(path)
    by_id = {e["id"]: e for e in entities}
    parties = [e for e in entities if e["schema"] in PARTY_SCHEMAS]
    position = {e["id"]: i for i, e in enumerate(parties)}
    n = len(parties)
    if list_version is None:
        changes = [str(e.get("last_change") or "")[:10] for e in entities]
        list_version = max((c for c in changes if c), default=None)

    sanctions: dict[str, list[dict[str, list[str]]]] = defaultdict(list)
    documents: list[tuple[int, str, str]] = []
    related: list[tuple[int, str]] = []
    relations: dict[int, list[str]] = defaultdict(list)
    for entity in entities:
        props, schema = entity["properties"], entity["schema"]
        if schema == "Sanction":
            for party_id in props.get("entity", []):
                sanctions[party_id].append(props)
        elif schema in DOCUMENT_SCHEMAS:
            for holder in props.get("holder", []):
                if holder in position:
                    for number in props.get("number", []):
                        documents.append((position[holder], DOCUMENT_SCHEMAS[schema], number))
        elif schema in RELATION_ENDS:
            ends = [props.get(end, []) for end in RELATION_ENDS[schema]]
            for this, other in ((ends[0], ends[1]), (ends[1], ends[0])):
                for party_id in this:
                    if party_id not in position:
                        continue
                    for other_id in other:
                        other_name = _caption(by_id.get(other_id)) or other_id
                        related.append((position[party_id], other_name))
                        role = ", ".join(props.get("role", []) + props.get("relationship", []))
                        relations[position[party_id]].append(
                            f"{schema}: {other_name}" + (f" ({role})" if role else "")
                        )

    names: list[tuple[int, str, str]] = []
    countries: list[tuple[int, str]] = []
    addresses: list[tuple[int, str]] = []
    identifiers: list[tuple[int, str, str]] = list(documents)
    programs: list[tuple[int, str]] = []
    listed_on: list[date | None] = []
    remarks: list[str | None] = []
    for row, party in enumerate(parties):
        props = party["properties"]
        names += _names(row, party)
        countries += [(row, c.upper()) for p in COUNTRY_PROPERTIES for c in props.get(p, [])]
        addresses += [(row, a) for a in props.get("address", [])]
        for address_id in props.get("addressEntity", []):
            address = by_id.get(address_id, {}).get("properties", {})
            addresses += [(row, a) for a in address.get("full", [])[:1]]
            countries += [(row, c.upper()) for c in address.get("country", [])]
        identifiers += [
            (row, scheme, value)
            for prop, scheme in IDENTIFIER_PROPERTIES.items()
            for value in props.get(prop, [])
        ]
        party_sanctions = sanctions.get(party["id"], [])
        programs += [(row, p) for p in props.get("programId", [])]
        programs += [(row, p) for s in party_sanctions for p in _programmes(s)]
        listed_on.append(_earliest(party_sanctions))
        remarks.append(_remarks(party, relations.get(row, [])))

    country_frame = pd.DataFrame(countries, columns=["row", "country"])
    country_frame = country_frame[country_frame["country"].map(is_country_code).astype(bool)]
    table = parties_table(
        n,
        {
            "list_source": list_source or _list_source(path),
            "source_id": pa.array([p["id"] for p in parties], pa.string()),
            "entity_type": pa.array([PARTY_SCHEMAS[p["schema"]] for p in parties], pa.string()),
            "programs": string_lists(pd.DataFrame(programs, columns=["row", "p"]), "p", n),
            "countries": string_lists(country_frame, "country", n),
            "addresses": string_lists(pd.DataFrame(addresses, columns=["row", "a"]), "a", n),
            "identifiers": identifier_lists(_identifiers(identifiers, country_frame, n), n),
            "related": string_lists(pd.DataFrame(related, columns=["row", "r"]), "r", n),
            "remarks": arrow_strings(pd.Series(remarks, dtype="str")),
            "listed_on": pa.array(listed_on, pa.date32()),
            "list_version": list_version,
        },
    )
    return entries_table(table, pd.DataFrame(names, columns=["row", "name", "name_kind"]))


def _read(path: Path) -> list[dict[str, Any]]:
    entities: list[dict[str, Any]] = []
    with open(path, encoding="utf-8") as fh:
        for line_number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                entity = json.loads(line)
            except ValueError as exc:
                raise ListParseError(
                    f"not a JSON object: {exc}", file=path, row=line_number
                ) from exc
            if not isinstance(entity, dict):
                raise ListParseError("expected a JSON object", file=path, row=line_number)
            for key in ("id", "schema", "properties"):
                if key not in entity:
                    raise ListParseError(
                        f"entity without {key!r}", file=path, row=line_number, column=key
                    )
            if not isinstance(entity["properties"], dict):
                raise ListParseError(
                    "properties must be an object", file=path, row=line_number, column="properties"
                )
            entities.append(entity)
    return entities


def _caption(entity: dict[str, Any] | None) -> str | None:
    if entity is None:
        return None
    names = entity["properties"].get("name", [])
    return entity.get("caption") or (names[0] if names else None)


def _names(row: int, party: dict[str, Any]) -> list[tuple[int, str, str]]:
    """The caption (or first name) is primary; other names and aliases follow by kind."""
    props = party["properties"]
    primary = _caption(party)
    found = [] if primary is None else [(row, primary, "primary")]
    for prop, kind in NAME_KINDS.items():
        found += [(row, name, kind) for name in props.get(prop, []) if name != primary]
    return found


def _programmes(sanction: dict[str, list[str]]) -> list[str]:
    """``programId`` (GB-RUS, EU-UKR) where given, else a short programme name, else the
    authority (a programme written as a paragraph says less than who imposed it)."""
    if sanction.get("programId"):
        return sanction["programId"]
    short = [p for p in sanction.get("program", []) if len(p) <= _SHORT_PROGRAMME]
    return short or sanction.get("authority", [])


def _earliest(sanctions: list[dict[str, list[str]]]) -> date | None:
    days = [
        value[:10]
        for sanction in sanctions
        for prop in ("startDate", "listingDate")
        for value in sanction.get(prop, [])
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value[:10])
    ]
    return date.fromisoformat(min(days)) if days else None


def _remarks(party: dict[str, Any], relations: list[str]) -> str | None:
    props = party["properties"]
    parts = [*props.get("notes", [])]
    if party.get("target") is False:
        parts.append("Not itself a sanctions target: listed by OpenSanctions as a related entity")
    if props.get("topics"):
        parts.append("Topics: " + ", ".join(props["topics"]))
    if party.get("datasets"):
        parts.append("Sources: " + ", ".join(party["datasets"]))
    if relations:
        parts.append("Related: " + "; ".join(sorted(set(relations))))
    return "; ".join(parts) or None


def _identifiers(
    found: list[tuple[int, str, str]], countries: pd.DataFrame, n: int
) -> pd.DataFrame:
    """Identifier values read as ID cells (``TIN: 183111242572`` is an INN of a Russian
    party), generic schemes with the party's sole country."""
    frame = pd.DataFrame(found, columns=["row", "scheme", "value"])
    per_party = countries.drop_duplicates().groupby("row")["country"]
    sole = per_party.first().where(per_party.nunique().eq(1))
    generic = frame["scheme"].isin(list(GENERIC_SCHEMES))
    country = frame["row"].map(sole).where(generic).astype("str")
    long = extract_labelled_numbers(frame["value"], frame["scheme"], country)
    return long.assign(row=frame["row"].to_numpy()[long["row"].to_numpy(dtype=int)])


def _list_source(path: Path) -> str:
    stem = re.sub(r"\.(?:ftm\.)?(?:json|jsonl|ndjson)$", "", path.name.lower())
    dataset = re.sub(r"[_-]?entities$", "", stem) or path.parent.name.lower()
    slug = re.sub(r"[^a-z0-9]+", "_", dataset).strip("_") or "unknown"
    return f"opensanctions_{slug}"
