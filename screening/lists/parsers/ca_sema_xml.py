"""Canada's consolidated autonomous sanctions list (sema-lmes.xml) -> canonical list table.

A flat ``<data-set>`` of ``<record>``s. ``Country`` names the sanctions *regime* ("Russia /
Russie", or the JVCFOR regulations), not the party's nationality, so it goes to ``programs``
with the schedule, and ``countries`` stays empty. There is no record id: (regime, schedule,
item) is unique and becomes ``source_id``. Tag names vary by vintage and are all read: 2020
(``Entity``, ``Title``, ``DateOfBirth``), 2022+ (``EntityOrShip``, ``TitleOrShip``,
``ShipIMONumber``, ``DateOfBirthOrShipBuildDate``, ``DateOfListing``) and the bilingual form
(``EntityOrShip-EntiteOuNavire``: the part before the hyphen is used). Bilingual entity
names ("Iranian Army/Armée iranienne") keep the English name as primary, the French as alias.

``Aliases`` is one comma-separated text. For people an alias is often a spelling of one name
part only (GivenName "Andrey Vladimirovich", alias "Andrei"; LastName "YERYGIN", alias
"ERYGIN"); such a variant is completed with the rest of the name, and any other one-word
alias (a nickname, "Motorola") is kept as a weak alias.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from xml.etree.ElementTree import Element

import pandas as pd
import pyarrow as pa
from anyascii import anyascii
from rapidfuzz import fuzz

from screening.errors import ListParseError
from screening.lists.parsers.tables import (
    entries_table,
    identifier_lists,
    parties_table,
    string_lists,
)
from screening.lists.parsers.xml_stream import CollectedParties, iter_records, sniff_root, text_of

ROOT_TAG = "data-set"
LIST_SOURCE = "ca_sema"
FIELD_ALIASES = {
    # tag (part before "-") -> field, across the file's vintages
    "Entity": "EntityOrShip",
    "Title": "TitleOrShip",
    "TitleOrShipType": "TitleOrShip",
    "DateOfBirth": "DateOfBirthOrShipBuildDate",
}
NO_SCHEDULE = frozenset({"", "N/A", "NA"})
GIVEN_NAME_SIMILARITY = 60
"""rapidfuzz ratio between an alias's first word and the given name's (Andrei/Andrey 83,
Aleksandr/Alexander 78, Andrii/Andrey 67; nicknames Batya/Pavel 20)."""

_SNIFF = re.compile(r"<record>\s*<Country[\s>-]")
_LEGAL_FORM_TAIL = re.compile(
    r"(?i)^(?:ltd|limited|llc|l\.l\.c|inc|corp|co|jsc|ojsc|pjsc|cjsc|plc|gmbh|s\.?a|pte)\b\.?"
)
_TOP_LEVEL_SLASH = re.compile(r"/(?![^()]*\))")
_FILE_DATE = re.compile(r"(\d{4}-\d{2}(?:-\d{2})?)")
_IMO = re.compile(r"^(?:IMO\s*)?(\d{7})$", re.I)


def looks_like_ca_sema_xml(path: str | Path) -> bool:
    """Detector for the registry: root ``<data-set>`` whose first record starts with Country."""
    root, head = sniff_root(path)
    return root == ROOT_TAG and bool(_SNIFF.search(head))


@dataclass
class _Collected(CollectedParties):
    identifiers: list[tuple[int, str, str]] = field(default_factory=list)


def parse_ca_sema_xml(path: str | Path, *, list_version: str | None = None) -> pa.Table:
    """Parse sema-lmes.xml into LIST_ENTRY_SCHEMA rows (one per name).

    ``entity_type`` is vessel when a ship IMO number is given, entity for ``EntityOrShip``,
    else individual. ``list_version`` defaults to a date in the file name
    (``sema-lmes_2020-04.xml``), else the newest ``DateOfListing``.
    """
    path = Path(path)
    got = _Collected()
    records = iter_records(path, {"record"}, name_record=_name_record)
    for number, record in enumerate(records, start=1):
        _read_record(path, number, record, got)
    n = len(got.party["source_id"])
    seen = pd.Series(got.party["source_id"], dtype="str")
    repeated = seen.duplicated()
    if repeated.any():
        first = int(repeated.to_numpy().nonzero()[0][0])
        raise ListParseError(
            f"record #{first + 1}: regime/schedule/item {seen.iloc[first]!r} appears twice",
            file=path,
            row=first + 1,
        )
    if list_version is None:
        in_name = _FILE_DATE.search(path.stem)
        dated = [d for d in got.party["listed_on"] if d is not None]
        list_version = in_name.group(1) if in_name else (max(dated).isoformat() if dated else None)
    parties = parties_table(
        n,
        {
            **got.party,
            "list_source": LIST_SOURCE,
            "programs": string_lists(
                pd.DataFrame(got.programs, columns=["row", "program"]), "program", n
            ),
            "identifiers": identifier_lists(
                pd.DataFrame(got.identifiers, columns=["row", "scheme", "value"]), n
            ),
            "list_version": list_version,
        },
    )
    return entries_table(parties, pd.DataFrame(got.names, columns=["row", "name", "name_kind"]))


def _name_record(record: Element) -> str:
    f = _fields(record)
    return f"<record> {f.get('Country', '?')!r} item {f.get('Item', '?')}"


def _fields(record: Element) -> dict[str, str]:
    out = {}
    for child in record:
        tag = child.tag.split("-", 1)[0]
        value = text_of(child)
        if value is not None:
            out[FIELD_ALIASES.get(tag, tag)] = value
    return out


def _read_record(path: Path, number: int, record: Element, got: _Collected) -> None:
    row = len(got.party["source_id"])
    f = _fields(record)
    regime = re.split(r"\s+/\s+", f.get("Country", ""), maxsplit=1)[0].strip()
    item = f.get("Item")
    if not regime or not item:
        raise ListParseError(
            f"record #{number} has no {'Country' if not regime else 'Item'}",
            file=path,
            row=number,
            column="Country" if not regime else "Item",
        )
    schedule = f.get("Schedule", "")
    imo = f.get("ShipIMONumber")
    entity_name = f.get("EntityOrShip")
    given, last = f.get("GivenName", ""), f.get("LastName", "")
    if imo:
        kind = "vessel"
    elif entity_name:
        kind = "entity"
    else:
        kind = "individual"
    name = entity_name or " ".join(p for p in (given, last) if p)
    if not name:
        raise ListParseError(
            f"record #{number} ({regime}, item {item}) has no name", file=path, row=number
        )
    if entity_name:  # "Iranian Army/Armée iranienne": the French name is an alias
        name, *translations = split_languages(entity_name)
        got.names.extend((row, translation, "alias") for translation in translations)
    got.names.append((row, name, "primary"))
    for alias in split_aliases(f.get("Aliases", "")):
        if kind == "individual":
            got.names.append((row, *complete_person_alias(alias, given, last)))
        else:
            got.names.append((row, alias, "alias"))

    has_schedule = schedule.upper() not in NO_SCHEDULE
    got.programs.append((row, f"{regime}, Schedule {schedule}" if has_schedule else regime))
    if imo:
        found = _IMO.match(imo.replace(" ", ""))
        if found is None:
            raise ListParseError(
                f"record #{number}: ShipIMONumber {imo!r} is not a 7-digit IMO number",
                file=path,
                row=number,
                column="ShipIMONumber",
            )
        got.identifiers.append((row, "IMO", found.group(1)))
    listed = f.get("DateOfListing")
    got.party["source_id"].append(f"{regime}/{schedule or '-'}/{item}")
    got.party["entity_type"].append(kind)
    got.party["remarks"].append(_remarks(f, kind))
    got.party["listed_on"].append(_date(path, number, listed) if listed else None)


def split_aliases(text: str) -> list[str]:
    """``"A Ltd., B, C/D"`` -> ``["A Ltd.", "B", "C", "D"]``.

    Commas and semicolons separate aliases except before a legal form ("Foo, LLC"); a slash
    separates an English from a French name (:func:`split_languages`); enclosing parentheses
    are dropped.
    """
    pieces: list[str] = []
    for piece in re.split(r"\s*[,;]\s*", text.strip()):
        if pieces and _LEGAL_FORM_TAIL.match(piece):
            pieces[-1] = f"{pieces[-1]}, {piece}"
        elif piece:
            pieces.append(piece)
    out = []
    for piece in pieces:
        for part in split_languages(piece):
            part = re.sub(r"^\((.*)\)$", r"\1", part).strip()
            if part:
                out.append(part)
    return out


def split_languages(name: str) -> list[str]:
    """``"Iranian Army/Armée iranienne"`` -> both names; English first, as the list writes it.

    Only a slash outside parentheses with three characters or more on each side splits:
    "MEC Steel Mills (Hmaw Bi/Pyi/Ywama)" and "A/S" stay whole.
    """
    halves = [h.strip() for h in _TOP_LEVEL_SLASH.split(name)]
    return halves if len(halves) > 1 and all(len(h) >= 3 for h in halves) else [name]


def complete_person_alias(alias: str, given: str, last: str) -> tuple[str, str]:
    """(name, name_kind) of one alias of a person whose name is ``given`` + ``last``.

    An all-capitals alias spells the last name ("ERYGIN" -> "Vladimir Vladimirovich ERYGIN");
    a lower-case alias whose first word resembles the first given name, and which is closer
    to the given names than to the whole name, spells the given names ("Andrei" ->
    "Andrei Vladimirovich CHEREZOV"); other one-word aliases are
    nicknames (weak); the rest are full names as written.
    """
    words = alias.split()
    given_words = given.split()
    letters = re.sub(r"[^\w]|\d", "", alias)
    if letters and letters == letters.upper() and last:
        return " ".join(p for p in (given, alias) if p), "alias"
    title_case = not any(len(w) > 1 and w == w.upper() for w in words)
    folded = _fold(alias)
    if (
        title_case
        and given_words
        and len(words) <= len(given_words)
        and fuzz.ratio(_fold(words[0]), _fold(given_words[0])) >= GIVEN_NAME_SIMILARITY
        # "Amir Ali Hajizadeh" is closer to the whole "Amir Ali Haji Zadeh": a full name
        and fuzz.ratio(folded, _fold(given)) >= fuzz.ratio(folded, _fold(f"{given} {last}"))
    ):
        return " ".join([*words, *given_words[len(words) :], last]).strip(), "alias"
    if len(words) == 1:
        return alias, "weak_alias"
    return alias, "alias"


def _fold(word: str) -> str:
    return anyascii(word).casefold()


def _remarks(f: dict[str, str], kind: str) -> str | None:
    parts = []
    if title := f.get("TitleOrShip"):
        parts.append(f"{'Ship type' if kind == 'vessel' else 'Title'}: {title}")
    if born := f.get("DateOfBirthOrShipBuildDate"):
        parts.append(f"{'Built' if kind == 'vessel' else 'DOB'}: {born}")
    return "; ".join(parts) or None


def _date(path: Path, number: int, text: str) -> date:
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise ListParseError(
            f"record #{number}: DateOfListing {text!r} is not a YYYY-MM-DD date",
            file=path,
            row=number,
            column="DateOfListing",
        ) from None
