"""Japan's export-ban end-user lists (METI / MOFA notices), text extracted from the PDFs -> table.

Japan bans exports to listed organisations in Russia, Belarus and third countries (UAE, China,
Turkey, …) under three MOFA notices that METI publishes as PDFs. The text layout (as
OpenSanctions extracts it) is a title naming the notice, ``指定日`` (first designation) and
``最終更新日`` (last update), then numbered entries::

    12 国際量子光学・量子技術センター（別称、ロシア量子センター及び RQC）
    International Center for Quantum Optics …, a.k.a. the following two aliases:
    -Russian Quantum Center; and
    -RQC
    所在地：Business-center “Ural,” 100 Novaya Street, …, Russia; and 30 Bolshoy Blvd, …

Newer entries write aliases as ``別称：`` lines (Japanese, then English ``A; B``). PDF
extraction glues entries together (``…Russia.25 株式会社…``), so an entry starts where the
*next expected number* stands before a line holding Japanese text.

Each list keeps its own ``list_source`` (``jp_meti_russia``, ``jp_meti_belarus``,
``jp_meti_third_country``): they are separate legal designations, and the third-country list
is exactly the transshipment-hub intermediaries this product looks for. The English name is
the primary name; the Japanese name and every alias follow as aliases.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from screening.errors import ListParseError
from screening.lists.parsers.identifiers import address_countries
from screening.lists.parsers.tables import arrow_strings, entries_table, parties_table, string_lists

LISTS: tuple[tuple[str, str, str], ...] = (
    # phrase in the title -> (list_source, readable programme); first match wins, so the
    # third-country title ("…ロシア連邦及びベラルーシ共和国以外の国の団体") comes first
    ("以外の国の団体", "jp_meti_third_country", "JP export ban: third-country entities"),
    ("ベラルーシ共和国の団体", "jp_meti_belarus", "JP export ban: Belarus entities"),
    ("ロシア連邦の団体", "jp_meti_russia", "JP export ban: Russia entities"),
)
_CJK = "\u3000-\u30ff\u3400-\u9fff\uf900-\ufaff\uff66-\uff9f"
_HAS_CJK = re.compile(f"[{_CJK}]")
_NOTICE = re.compile(r"\((令和[^()]*?告示第[^()]*?号)\)")
_UPDATED = re.compile(r"最終更新日\s*:\s*(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_AKA = re.compile(
    r",?\s*(?:a\.k\.a\.?,?(?:[^:]*?alias(?:es)?\s*:)?|(?:the\s+)?follow\w*\s+\w+\s+alias(?:es)?\s*:)\s*",
    re.IGNORECASE,
)
_HAN = "\u3400-\u9fff\uf900-\ufaff"
_HAN_PARENTHESES = re.compile(  # Chinese names have no kana: (深圳市亿路发科技有限公司)
    rf"\(((?:[{_HAN}、\s]|\([{_HAN}]+\))+)\)$"
)
_LATIN_AFTER_CJK = re.compile(rf"(?<=[{_CJK})」』])\s*(?=[A-Za-z])")
_CONTINUES_JAPANESE = re.compile(rf"\(?[{_CJK}]")
_ALIAS_ITEM = re.compile(r"(?:^|\n|;)\s*(?:and\s*)?[-—–]\s*")
_JP_ALIAS = re.compile(r"\(\s*別[称名]\s*[、,]\s*(.*)\)\s*$", re.DOTALL)
_JP_SPLIT = re.compile(r"\s*(?:、|;|及び)\s*")
_DESCRIPTION = re.compile(r",\s+including\b.*$", re.DOTALL | re.IGNORECASE)
_SNIFF_CHARS = 2000


@dataclass
class _Entry:
    number: int
    line: int
    english: str = ""
    japanese: str = ""
    aliases: list[str] = field(default_factory=list)
    addresses: list[str] = field(default_factory=list)
    description: str | None = None


def looks_like_jp_meti(path: str | Path) -> bool:
    """Detector for the registry: a text file whose title names one of the three notices."""
    path = Path(path)
    if not path.is_file() or path.suffix.lower() not in (".txt", ".text"):
        return False
    with open(path, encoding="utf-8", errors="replace") as fh:
        head = _normalise(fh.read(_SNIFF_CHARS))
    return "最終更新日" in head and _list_of(head.replace("\n", "")) is not None


def parse_jp_meti(path: str | Path, *, list_version: str | None = None) -> pa.Table:
    """Parse one METI end-user list into LIST_ENTRY_SCHEMA rows (one per name).

    ``source_id`` is the entry number; ``list_version`` defaults to 最終更新日 (last update);
    ``listed_on`` stays null (the lists give no date per entry).
    """
    path = Path(path)
    try:
        text = _normalise(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise ListParseError(f"not UTF-8 text: {exc}", file=path) from exc
    starts = _entry_starts(text)
    if not starts:
        raise ListParseError('no numbered entries ("1 <Japanese name>") found', file=path)
    title = text[: starts[0][1]]
    found = _list_of(title.replace("\n", ""))
    if found is None:
        raise ListParseError(
            f"title names none of the known notices ({', '.join(p for p, _, _ in LISTS)}); "
            f"saw {title[:120]!r}",
            file=path,
            row=1,
        )
    list_source, programme = found
    notice = _NOTICE.search(title.replace("\n", ""))
    programs = [programme] + ([notice.group(1)] if notice else [])
    if list_version is None:
        updated = _UPDATED.search(title)
        if updated:
            year, month, day = (int(g) for g in updated.groups())
            list_version = f"{year:04d}-{month:02d}-{day:02d}"

    entries = [
        _parse_entry(path, text, number, start, end)
        for (number, start), end in zip(
            starts, [s for _, s in starts[1:]] + [len(text)], strict=True
        )
    ]
    return _table(entries, list_source, programs, list_version)


def _normalise(text: str) -> str:
    """NFKC (full-width digits, colons, parentheses -> ASCII), labels without PDF spacing."""
    text = unicodedata.normalize("NFKC", text).replace("\r\n", "\n")
    text = re.sub(r"所\s*在\s*地\s*:", "所在地:", text)
    return re.sub(r"別\s*称\s*:", "別称:", text)


def _list_of(title: str) -> tuple[str, str] | None:
    for phrase, list_source, programme in LISTS:
        if phrase in title:
            return list_source, programme
    return None


def _entry_starts(text: str) -> list[tuple[int, int]]:
    """(number, offset) of each entry: the next expected number before a line with Japanese."""
    starts: list[tuple[int, int]] = []
    position, expected = 0, 1
    while True:
        pattern = re.compile(
            rf"(?:^|(?<=[\s.;A-Za-z)])){expected}(?!\d)[ \t]*(?=[^\n]*[{_CJK}])", re.MULTILINE
        )
        match = pattern.search(text, position)
        if match is None:
            return starts
        starts.append((expected, match.start()))
        position, expected = match.end(), expected + 1


def _parse_entry(path: Path, text: str, number: int, start: int, end: int) -> _Entry:
    line = text.count("\n", 0, start) + 1
    entry = _Entry(number=number, line=line)
    block = re.sub(rf"^{number}\s*", "", text[start:end].strip())
    head, _, address = block.partition("所在地:")
    names, _, alias_block = head.partition("別称:")
    japanese, english = _split_japanese(names)
    jp_aliases = _JP_ALIAS.search(japanese)
    if jp_aliases:
        for alias in _JP_SPLIT.split(jp_aliases.group(1)):
            alias, chinese = _han_names(alias.strip())
            entry.aliases += [alias, *chinese]
        japanese = japanese[: jp_aliases.start()]
    japanese, chinese = _han_names(japanese.split("。")[0].strip())  # "国防省(…)。右には、…"
    entry.japanese = japanese
    entry.aliases += chinese
    aka = _AKA.search(english)
    if aka:
        entry.aliases += _alias_items(english[aka.end() :])
        english = english[: aka.start()]
    english, chinese = _han_names(" ".join(english.split()).strip(" ,;"))
    entry.aliases += chinese
    description = _DESCRIPTION.search(english)
    if description:  # "Ministry of Defence of …, including the Armed Forces of …"
        entry.description = english
        english = english[: description.start()].strip(" ,")
    entry.english = english
    if alias_block:
        jp_lines = [s for s in alias_block.split("\n") if _HAS_CJK.search(s)]
        en_lines = [s for s in alias_block.split("\n") if s.strip() and not _HAS_CJK.search(s)]
        entry.aliases += [a for a in _JP_SPLIT.split("".join(jp_lines)) if a.strip()]
        entry.aliases += [a for a in " ".join(en_lines).split(";") if a.strip()]
    entry.aliases = [" ".join(a.split()).strip(" ,;") for a in entry.aliases]
    entry.addresses = [
        re.sub(r"^and\s+", "", " ".join(a.split())).strip(" ,")
        for a in re.split(r";", address)
        if a.strip(" ,.\n")
    ]
    if not entry.english and not entry.japanese:
        raise ListParseError(f"entry {number} has no name", file=path, row=line)
    return entry


def _split_japanese(names: str) -> tuple[str, str]:
    """(Japanese name, English text) of an entry's head.

    The Japanese name is the first line plus the lines that continue it (they start with a
    Japanese character, or an open parenthesis is not closed yet). Where the English name
    follows on the same line (``「プログレス」JSC Rocket and Space Centre – Progress``) it is
    cut off there: after the last Japanese character and the parentheses it opened, three
    words or more are English (``レーザーチップス FZCO`` keeps its FZCO).
    """
    lines = names.strip("\n").split("\n")
    japanese: list[str] = []
    depth = 0
    for i, line in enumerate(lines):
        if i > 0 and depth <= 0 and not _CONTINUES_JAPANESE.match(line.strip()):
            return "".join(japanese), "\n".join(lines[i:])
        head, tail = _english_tail(line, depth)
        japanese.append(head.strip())
        depth += head.count("(") - head.count(")")
        if tail:
            return "".join(japanese), "\n".join([tail, *lines[i + 1 :]])
    return "".join(japanese), ""


def _english_tail(line: str, depth: int) -> tuple[str, str]:
    """Split a line where, outside parentheses, Japanese text is followed by 3+ Latin words
    running to the end of the line (or to a Chinese name in parentheses)."""
    for match in _LATIN_AFTER_CJK.finditer(line):
        cut = match.start()
        open_parentheses = depth + line[:cut].count("(") - line[:cut].count(")")
        latin = re.match(rf"[^{_CJK}(]*", line[match.end() :])
        words = latin.group() if latin else ""
        after = line[match.end() + len(words) :]  # "… A.I. レイプンスキー" is still Japanese
        english = len(words.split()) >= 3 or "a.k.a" in words
        if open_parentheses <= 0 and english and (not after or after.startswith("(")):
            return line[:cut], line[match.end() :]
    return line, ""


def _han_names(name: str) -> tuple[str, list[str]]:
    """``Afox Corporation(元富科技集團股份有限公司)`` -> the name and its Chinese name(s)."""
    match = _HAN_PARENTHESES.search(name)
    if match is None:
        return name, []
    return name[: match.start()].strip(), [n for n in _JP_SPLIT.split(match.group(1)) if n.strip()]


def _alias_items(text: str) -> list[str]:
    """``-A;\\n-B; and\\n-C.`` -> [A, B, C] (items wrap over lines; hyphens inside stay)."""
    items = _ALIAS_ITEM.split("\n" + text.strip())
    cleaned = [re.sub(r"(?:;|\band)\s*$", "", " ".join(i.split())).strip(" ,;") for i in items]
    if cleaned and cleaned[-1].endswith("."):
        cleaned[-1] = cleaned[-1][:-1]
    return [c for c in cleaned if c]


def _table(
    entries: list[_Entry], list_source: str, programs: list[str], list_version: str | None
) -> pa.Table:
    n = len(entries)
    rows = np.arange(n)
    names = pd.concat(
        [
            pd.DataFrame(
                {
                    "row": rows,
                    "name": [e.english or e.japanese for e in entries],
                    "name_kind": "primary",
                }
            ),
            pd.DataFrame(
                {
                    "row": rows,
                    "name": [e.japanese if e.english else None for e in entries],
                    "name_kind": "alias",
                }
            ).dropna(),
            pd.DataFrame(
                [(i, a, "alias") for i, e in enumerate(entries) for a in e.aliases],
                columns=["row", "name", "name_kind"],
            ),
        ],
        ignore_index=True,
    )
    addresses = pd.DataFrame(
        [(i, a) for i, e in enumerate(entries) for a in e.addresses], columns=["row", "address"]
    )
    countries = pd.DataFrame(
        {"row": addresses["row"], "country": address_countries(addresses["address"])}
    ).dropna()
    remarks = pd.Series([e.description for e in entries], dtype="str")
    parties = parties_table(
        n,
        {
            "list_source": list_source,
            "source_id": pa.array([str(e.number) for e in entries], pa.string()),
            "entity_type": "entity",
            "programs": pa.array([programs] * n, pa.list_(pa.string())),
            "countries": string_lists(countries, "country", n),
            "addresses": string_lists(addresses, "address", n),
            "remarks": arrow_strings(remarks),
            "list_version": list_version,
        },
    )
    return entries_table(parties, names)
