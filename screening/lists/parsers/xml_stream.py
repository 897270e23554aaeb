"""Streaming, defused reading of XML list files, shared by the XML list parsers.

Official XML lists run to ~100 MB (OFAC's SDN_ENHANCED.XML), so they are read with
``iterparse`` and each record is handed over and then cleared, never building the whole DOM.
Every read goes through defusedxml: a file that declares entities (the "billion laughs"
expansion bomb, or an external entity reading local files) is refused, and so is an external
DTD. Malformed or truncated XML becomes a ListParseError naming the file, line and column, and
the last record read before the break.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from screening.errors import ListParseError

SNIFF_BYTES = 4096


def local_name(tag: str) -> str:
    """``{namespace}entity`` -> ``entity``."""
    return tag.rpartition("}")[2]


def iter_records(
    path: str | Path,
    tags: Collection[str],
    *,
    root_attributes: dict[str, str] | None = None,
    name_record: Callable[[Element], str] | None = None,
) -> Iterator[Element]:
    """Yield each complete element whose local name is in ``tags``, then clear it.

    Tags are stripped of their namespace throughout, so callers use plain paths
    (``record.find("names/name")``). ``tags`` must not nest inside one another: an inner one
    would be cleared before its outer one is yielded. When given, ``root_attributes`` is filled
    with the root element's attributes (e.g. UN's ``dateGenerated``) before the first record.
    ``name_record`` says how an error message names the last record read (default: its tag
    and first attributes, ``<entity id="18268">``).
    """
    path = Path(path)
    last = "the start of the file"
    try:
        if root_attributes is not None:
            root_attributes.update(_root_attributes(path))
        for _, elem in iterparse(str(path)):
            if "}" in elem.tag:
                elem.tag = local_name(elem.tag)
            if elem.tag in tags:
                yield elem
                last = (name_record or describe)(elem)
                elem.clear()
    except ParseError as exc:
        line, column = exc.position
        reason = re.sub(r":\s*line \d+, column \d+$", "", str(exc))
        raise ListParseError(
            f"malformed XML at line {line}, column {column} ({reason}), after {last}",
            file=path,
            row=line,
        ) from exc
    except DefusedXmlException as exc:
        raise ListParseError(
            f"refused: the XML declares entities or external references ({exc!r}); official "
            "lists never do, and an entity-expansion ('billion laughs') bomb or an external "
            "entity would make the parser read unbounded or local data",
            file=path,
        ) from exc
    except OSError as exc:
        raise ListParseError(f"cannot read the file: {exc}", file=path) from exc


def _root_attributes(path: Path) -> dict[str, str]:
    """Attributes of the root element: the first start event, read from the first chunk."""
    events = iterparse(str(path), events=("start",))
    try:
        return dict(next(events)[1].attrib)
    except StopIteration:
        return {}
    finally:
        close = getattr(events, "close", None)
        if close is not None:
            close()


def describe(elem: Element) -> str:
    """``<entity id="18268">``: how an error message points at a record."""
    attributes = "".join(f' {k}="{v}"' for k, v in list(elem.attrib.items())[:2])
    return f"<{elem.tag}{attributes}>"


def text_of(elem: Element | None, path: str | None = None) -> str | None:
    """Text of ``elem`` (or of its child at ``path``), whitespace runs made one space.

    None when absent or blank. Lists wrap long values over lines inside an element
    ("National Identification\n      Number"); the line breaks are layout, not content.
    """
    if elem is not None and path is not None:
        elem = elem.find(path)
    if elem is None or elem.text is None:
        return None
    return " ".join(elem.text.split()) or None


_FIRST_TAG = re.compile(
    # prolog, comments and a DOCTYPE (with its internal subset) before the root's start tag
    rb"(?:\s|<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^\[>]*(?:\[.*?\])?\s*>)*"
    rb"<(?:[A-Za-z_][\w.\-]*:)?([A-Za-z_][\w.\-]*)[\s/>]",
    re.S,
)


def sniff_root(path: str | Path) -> tuple[str | None, str]:
    """Local name of the root element and the first KBs of ``path`` as text (cheap detection).

    Returns ``(None, "")`` for a folder or an unreadable file; the prolog, comments and DOCTYPE
    are skipped.
    """
    path = Path(path)
    if not path.is_file():
        return None, ""
    try:
        with open(path, "rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except OSError:
        return None, ""
    found = _FIRST_TAG.match(head.removeprefix(b"\xef\xbb\xbf"))
    text = head.decode("utf-8", errors="replace")
    return (found.group(1).decode("ascii") if found else None), text


@dataclass
class CollectedParties:
    """What an XML parser gathers record by record, for remarks.parties_table/entries_table.

    ``party`` holds one value per party and column; the long findings are ``(row, …)`` tuples,
    ``row`` being the party's position. Parsers subclass it to add their own findings.
    """

    party: dict[str, list] = field(
        default_factory=lambda: {
            k: [] for k in ("source_id", "entity_type", "remarks", "listed_on")
        }
    )
    names: list[tuple[int, str, str]] = field(default_factory=list)
    programs: list[tuple[int, str]] = field(default_factory=list)
