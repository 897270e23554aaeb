"""Which parser reads which list file: detection and dispatch in one table.

A new source format is one module with a ``looks_like_...(path) -> bool`` detector and a
``parse_...(path, *, list_version=None) -> pa.Table`` parser, plus one line in ``FORMATS``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import NamedTuple

import pyarrow as pa
import pyarrow.compute as pc

from screening import collector
from screening.errors import ListParseError
from screening.lists.parsers.archives import is_list_archive, unpacked
from screening.lists.parsers.bis_dpl import looks_like_bis_dpl, parse_bis_dpl
from screening.lists.parsers.ca_sema_xml import looks_like_ca_sema_xml, parse_ca_sema_xml
from screening.lists.parsers.eu_fsf_csv import looks_like_eu_fsf_csv, parse_eu_fsf_csv
from screening.lists.parsers.eu_fsf_xml import looks_like_eu_fsf_xml, parse_eu_fsf_xml
from screening.lists.parsers.eu_transcriptions import (
    looks_like_eu_transcription_csv,
    parse_eu_transcription_csv,
)
from screening.lists.parsers.jp_meti import looks_like_jp_meti, parse_jp_meti
from screening.lists.parsers.ofac_enhanced_xml import (
    looks_like_ofac_enhanced_xml,
    parse_ofac_enhanced_xml,
)
from screening.lists.parsers.ofac_sdn_csv import (
    looks_like_ofac_sdn_csv,
    parse_ofac_sdn_csv,
    resolve_file_set,
)
from screening.lists.parsers.opensanctions_ftm import (
    looks_like_opensanctions_ftm,
    parse_opensanctions_ftm,
)
from screening.lists.parsers.trade_csl import looks_like_trade_csl_csv, parse_trade_csl_csv
from screening.lists.parsers.uk_csv import (
    looks_like_ofsi_conlist_csv,
    looks_like_uk_sanctions_list_csv,
    parse_ofsi_conlist_csv,
    parse_uk_sanctions_list_csv,
)
from screening.lists.parsers.uk_fcdo_ods import looks_like_uk_fcdo_ods, parse_uk_fcdo_ods
from screening.lists.parsers.un_xml import looks_like_un_xml, parse_un_xml
from screening.schema import LIST_ENTRY_SCHEMA, empty_table


class ListFormat(NamedTuple):
    """How to recognise and read one list format."""

    detect: Callable[[Path], bool]
    parse: Callable[..., pa.Table]
    input_key: Callable[[Path], Path] = Path.resolve
    """Files that are parsed together (OFAC's sdn/alt/add/comments) share one key."""


FORMATS: dict[str, ListFormat] = {
    "us_ofac_sdn_csv": ListFormat(
        looks_like_ofac_sdn_csv,
        parse_ofac_sdn_csv,
        lambda path: resolve_file_set(path).primary.resolve(),
    ),
    "us_trade_csl_csv": ListFormat(looks_like_trade_csl_csv, parse_trade_csl_csv),
    "us_ofac_enhanced_xml": ListFormat(looks_like_ofac_enhanced_xml, parse_ofac_enhanced_xml),
    "un_sc_xml": ListFormat(looks_like_un_xml, parse_un_xml),
    "ca_sema_xml": ListFormat(looks_like_ca_sema_xml, parse_ca_sema_xml),
    "eu_transcription_csv": ListFormat(looks_like_eu_transcription_csv, parse_eu_transcription_csv),
    "eu_fsf_csv": ListFormat(looks_like_eu_fsf_csv, parse_eu_fsf_csv),
    "eu_fsf_xml": ListFormat(looks_like_eu_fsf_xml, parse_eu_fsf_xml),
    "uk_fcdo_ods": ListFormat(looks_like_uk_fcdo_ods, parse_uk_fcdo_ods),
    "uk_ofsi_conlist_csv": ListFormat(looks_like_ofsi_conlist_csv, parse_ofsi_conlist_csv),
    "uk_sanctions_list_csv": ListFormat(
        looks_like_uk_sanctions_list_csv, parse_uk_sanctions_list_csv
    ),
    "us_bis_dpl_txt": ListFormat(looks_like_bis_dpl, parse_bis_dpl),
    "jp_meti_txt": ListFormat(looks_like_jp_meti, parse_jp_meti),
    "opensanctions_ftm_json": ListFormat(looks_like_opensanctions_ftm, parse_opensanctions_ftm),
}


def detect_list_format(path: str | Path) -> str:
    """Name of the format of ``path`` (a key of FORMATS), or ListParseError saying what was seen.

    For a ZIP archive, the format of the list file inside it.
    """
    path = Path(path)
    if not path.exists():
        raise ListParseError("list file not found", file=path)
    if is_list_archive(path):
        with unpacked(path) as members:
            found = [name for name in map(_detect, members) if name is not None]
        if not found:
            raise ListParseError(
                f"no supported list file in the ZIP archive; members: "
                f"{', '.join(m.name for m in members)}",
                file=path,
            )
        return found[0]
    name = _detect(path)
    if name is None:
        raise ListParseError(
            f"unsupported list file; saw {_describe(path)}. Supported formats: "
            f"{', '.join(FORMATS)}",
            file=path,
        )
    return name


def _detect(path: Path) -> str | None:
    return next((name for name, fmt in FORMATS.items() if fmt.detect(path)), None)


def parse_archive(
    path: Path,
    format: str | None = None,
    *,
    list_version: str | None = None,
    options: dict[str, object] | None = None,
) -> pa.Table:
    """Parse the list files inside the ZIP archive ``path`` (members of another kind, such as
    a readme, are skipped); ListParseError when none is a list file."""
    with unpacked(path) as members:
        tables, seen = [], set()
        for member in members:
            name = format if format is not None and FORMATS[format].detect(member) else None
            name = name or (None if format is not None else _detect(member))
            if name is None:
                continue
            key = (name, FORMATS[name].input_key(member))
            if key in seen:
                continue
            seen.add(key)
            parse = FORMATS[name].parse
            tables.append(parse(member, list_version=list_version, **(options or {})))
        if not tables:
            wanted = f"{format} file" if format else "supported list file"
            raise ListParseError(
                f"no {wanted} in the ZIP archive; members: {', '.join(m.name for m in members)}",
                file=path,
            )
    return pa.concat_tables(tables)


def parse_list_files(
    paths: Iterable[str | Path],
    *,
    format: str | None = None,
    list_version: str | None = None,
    newest_only: bool = True,
) -> pa.Table:
    """Parse list files into one LIST_ENTRY_SCHEMA table.

    Files of one set (sdn.csv with alt/add/comments) are parsed once, whichever of them is
    given. With ``newest_only`` a ``list_source`` found in several versions (the OFAC SDN file
    and the SDN rows of an older CSL) keeps only its newest version's rows.
    """
    if format is not None and format not in FORMATS:
        raise ListParseError(f"unknown list format {format!r}; known: {', '.join(FORMATS)}")
    tables: list[pa.Table] = []
    seen: set[tuple[str, Path]] = set()
    for path in map(Path, paths):
        if is_list_archive(path):
            tables.append(parse_archive(path, format, list_version=list_version))
            continue
        name = format or detect_list_format(path)
        list_format = FORMATS[name]
        key = (name, list_format.input_key(path))
        if key in seen:
            continue
        seen.add(key)
        tables.append(list_format.parse(path, list_version=list_version))
    if not tables:
        return empty_table(LIST_ENTRY_SCHEMA)
    table = pa.concat_tables(tables)
    collector.collect_parse_cycles()
    return keep_newest_versions(table) if newest_only else table


def keep_newest_versions(table: pa.Table) -> pa.Table:
    """Drop rows of a ``list_source`` whose ``list_version`` is older than its newest one.

    Versions are ISO dates of varying precision (``2022-04``, ``2023-12-28``) and compare as
    text. Rows without a version are kept: nothing says they are outdated.
    """
    versions = table.group_by("list_source").aggregate([("list_version", "max")])
    position = pc.index_in(table["list_source"], value_set=versions["list_source"])
    newest = versions["list_version_max"].take(position)
    keep = pc.or_kleene(pc.is_null(table["list_version"]), pc.equal(table["list_version"], newest))
    return table.filter(pc.fill_null(keep, True))


_BINARY_KINDS = (
    (b"PK\x03\x04", "a ZIP container (a spreadsheet or archive) with no list file in it"),
    (b"\x1f\x8b", "gzip-compressed data (gunzip it first)"),
    (b"%PDF", "a PDF document (lists must be machine-readable files)"),
    (b"\xd0\xcf\x11\xe0", "an old Office (OLE) document such as .xls"),
    (b"PAR1", "a Parquet file"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
)


def _describe(path: Path) -> str:
    if path.is_dir():
        names = sorted(p.name for p in path.iterdir())[:10]
        return f"a folder holding {names or 'nothing'}"
    with open(path, "rb") as fh:
        head = fh.read(512)
    if not head:
        return "an empty file"
    for magic, kind in _BINARY_KINDS:
        if head.startswith(magic):
            return kind
    controls = sum(1 for byte in head if byte < 9 or 13 < byte < 32)
    if (b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff"))) or controls > 8:
        return f"binary data, not text (first bytes {head[:8].hex(' ')})"
    first_line = head.splitlines()[0][:120]
    return f"first line {first_line.decode('utf-8', errors='replace')!r}"
