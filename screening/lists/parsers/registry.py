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

from screening.errors import ListParseError
from screening.lists.parsers.bis_dpl import looks_like_bis_dpl, parse_bis_dpl
from screening.lists.parsers.ca_sema_xml import looks_like_ca_sema_xml, parse_ca_sema_xml
from screening.lists.parsers.eu_fsf_csv import looks_like_eu_fsf_csv, parse_eu_fsf_csv
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
    """Name of the format of ``path`` (a key of FORMATS), or ListParseError saying what was seen."""
    path = Path(path)
    if not path.exists():
        raise ListParseError("list file not found", file=path)
    for name, list_format in FORMATS.items():
        if list_format.detect(path):
            return name
    raise ListParseError(
        f"unsupported list file; saw {_describe(path)}. Supported formats: {', '.join(FORMATS)}",
        file=path,
    )


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


def _describe(path: Path) -> str:
    if path.is_dir():
        names = sorted(p.name for p in path.iterdir())[:10]
        return f"a folder holding {names or 'nothing'}"
    with open(path, "rb") as fh:
        head = fh.read(200)
    first_line = head.splitlines()[0] if head else b""
    return f"first line {first_line.decode('utf-8', errors='replace')!r}"
