"""Find the header row of a trade file and decide which column feeds which canonical field.

The knowledge of vendor layouts is data (``screening/data/trade_mappings.yml``); this module only
applies it: normalise headers, scan the first rows for a header, walk each field's ordered
candidate list, and let an analyst's explicit mapping override the result. Keeping the rules in
YAML means a new vendor layout is a reviewed one-line change, not new code.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pycountry

from screening import yaml_files
from screening.errors import TradeLayoutError
from screening.paths import PACKAGE_DATA_DIR
from screening.schema import TRADE_FIELDS

TRADE_MAPPINGS_FILE = PACKAGE_DATA_DIR / "trade_mappings.yml"

CANONICAL_DATA_FIELDS: tuple[str, ...] = tuple(f for f in TRADE_FIELDS if f != "record_id")
"""Canonical fields a column can feed (``record_id`` is always derived)."""
HELPER_FIELDS: tuple[str, ...] = ("flow", "reporter_country", "partner_country")
"""Columns that are not canonical fields but decide origin/destination row by row."""
MAPPABLE_FIELDS: tuple[str, ...] = CANONICAL_DATA_FIELDS + HELPER_FIELDS
SCREENING_FIELDS: tuple[str, ...] = ("exporter", "importer", "hs_code", "description")
"""A layout is usable only if at least one of these is mapped; a row only if one is filled."""
FLOWS: tuple[str, ...] = ("export", "import")

_NOT_WORD = re.compile(r"[\W_]+")


def normalise_header(header: str) -> str:
    """Upper-case and collapse every run of non-alphanumerics to ``_`` ("HS CODE" == "hs_code")."""
    return _NOT_WORD.sub("_", str(header).upper()).strip("_")


@dataclass(frozen=True)
class HeaderCandidate:
    """One entry of a field's candidate list in the YAML."""

    header: str | None = None
    regex: re.Pattern[str] | None = None
    flow: str | None = None
    """Only applies when the file's flow is known to be this one."""

    def matches(self, normalised: str) -> bool:
        if self.header is not None:
            return normalised == self.header
        return self.regex is not None and self.regex.fullmatch(normalised) is not None

    def applies_to(self, flow: str | None) -> bool:
        return self.flow is None or self.flow == flow


@dataclass(frozen=True)
class LayoutMarker:
    """Names a family of layouts by headers it always has (descriptive only)."""

    name: str
    all_of: frozenset[str] = frozenset()
    any_of: frozenset[str] = frozenset()

    def fits(self, normalised_headers: set[str]) -> bool:
        if self.all_of and not self.all_of <= normalised_headers:
            return False
        return not self.any_of or bool(self.any_of & normalised_headers)


@dataclass(frozen=True)
class TradeMappings:
    """The parsed ``trade_mappings.yml``."""

    candidates: Mapping[str, tuple[HeaderCandidate, ...]]
    null_markers: frozenset[str]
    flow_values: Mapping[str, str]
    file_name_pattern: re.Pattern[str]
    reporter_aliases: Mapping[str, str]
    layouts: tuple[LayoutMarker, ...] = ()
    scan_rows: int = 30
    min_matches: int = 2
    source: str = field(default="", compare=False)

    def is_known_header(self, header: str | None) -> bool:
        """True if ``header`` is a candidate of any field (whatever the flow)."""
        if header is None:
            return False
        norm = normalise_header(header)
        exact, patterns = self._known_headers
        return bool(norm) and (norm in exact or any(p.fullmatch(norm) for p in patterns))

    @functools.cached_property
    def _known_headers(self) -> tuple[frozenset[str], tuple[re.Pattern[str], ...]]:
        every = [c for cands in self.candidates.values() for c in cands]
        exact = frozenset(c.header for c in every if c.header is not None)
        return exact, tuple(c.regex for c in every if c.regex is not None)

    def flow_of(self, value: str | None) -> str | None:
        """``export`` / ``import`` for a flow cell or argument, None when not recognised."""
        if value is None:
            return None
        return self.flow_values.get(normalise_header(value))

    def layout_name(self, headers: Iterable[str]) -> str:
        normalised = {normalise_header(h) for h in headers}
        return next((m.name for m in self.layouts if m.fits(normalised)), "generic")


def _candidate(entry: Any, where: str) -> HeaderCandidate:
    if isinstance(entry, str):
        return HeaderCandidate(header=normalise_header(entry))
    if isinstance(entry, dict):
        unknown = set(entry) - {"header", "regex", "flow"}
        flow = entry.get("flow")
        if unknown or ("header" in entry) == ("regex" in entry) or flow not in (None, *FLOWS):
            raise ValueError(f"{where}: bad candidate {entry!r} (header|regex, optional flow)")
        if "regex" in entry:
            return HeaderCandidate(regex=re.compile(str(entry["regex"])), flow=flow)
        return HeaderCandidate(header=normalise_header(entry["header"]), flow=flow)
    raise ValueError(f"{where}: bad candidate {entry!r}")


@functools.cache
def load_trade_mappings(path: str | Path = TRADE_MAPPINGS_FILE) -> TradeMappings:
    """Parse a mappings YAML (the shipped one by default); cached because it never changes."""
    with open(path, encoding="utf-8") as fh:
        data = yaml_files.safe_load(fh)
    fields = data.get("fields") or {}
    unknown = sorted(set(fields) - set(MAPPABLE_FIELDS))
    if unknown:
        raise ValueError(f"{path}: unknown field(s) {unknown}; known: {list(MAPPABLE_FIELDS)}")
    candidates = {
        name: tuple(_candidate(e, f"{path}: {name}") for e in fields.get(name) or ())
        for name in MAPPABLE_FIELDS
    }
    flow_values = {
        normalise_header(v): flow
        for flow, values in (data.get("flow_values") or {}).items()
        for v in values
    }
    layouts = tuple(
        LayoutMarker(
            name=str(m["name"]),
            all_of=frozenset(normalise_header(h) for h in m.get("all_of", ())),
            any_of=frozenset(normalise_header(h) for h in m.get("any_of", ())),
        )
        for m in data.get("layouts") or ()
    )
    detection = data.get("header_detection") or {}
    return TradeMappings(
        candidates=candidates,
        null_markers=frozenset(str(m).upper() for m in data.get("null_markers") or ()),
        flow_values=flow_values,
        file_name_pattern=re.compile(data["file_name"]["pattern"], re.IGNORECASE),
        reporter_aliases={
            normalise_header(k): str(v).upper()
            for k, v in (data.get("reporter_country_aliases") or {}).items()
        },
        layouts=layouts,
        scan_rows=int(detection.get("scan_rows", 30)),
        min_matches=int(detection.get("min_matches", 2)),
        source=str(path),
    )


def detect_header_row(
    rows: Sequence[Sequence[str | None]],
    mappings: TradeMappings,
    *,
    extra_known: Iterable[str] = (),
) -> int | None:
    """0-based index of the first row (within ``scan_rows``) that looks like a header, else None.

    A header row has at least ``min_matches`` cells that are known header names, or holds every
    column the caller mapped explicitly, so a vendor banner above it ("DATA", a logo row) is
    skipped.
    """
    extra = {normalise_header(h) for h in extra_known if h}
    for index, row in enumerate(rows[: mappings.scan_rows]):
        cells = [c for c in row if c is not None]
        if extra and extra <= {normalise_header(c) for c in cells}:
            return index
        if sum(1 for c in cells if mappings.is_known_header(c)) >= mappings.min_matches:
            return index
    return None


def infer_file_context(file_name: str, mappings: TradeMappings) -> tuple[str | None, str | None]:
    """(reporter ISO code, flow) from a vendor file name like ``Russia_Import_Short.xlsx``."""
    match = mappings.file_name_pattern.match(Path(file_name).name)
    if not match:
        return None, None
    country = resolve_reporter_country(match.group("country"), mappings)
    return country, match.group("flow").lower()


def resolve_reporter_country(value: str, mappings: TradeMappings) -> str | None:
    """ISO alpha-2 for a reporter given as a code or a country name; None when unknown."""
    text = value.strip()
    alias = mappings.reporter_aliases.get(normalise_header(text))
    if alias:
        return alias
    try:
        return str(pycountry.countries.lookup(text.replace("_", " ")).alpha_2)
    except LookupError:
        return None


def normalise_flow_argument(flow: str, mappings: TradeMappings) -> str:
    """Validate a ``flow=`` argument ("import", "Export", "X", ...) to ``import``/``export``."""
    resolved = mappings.flow_of(flow)
    if resolved is None:
        raise ValueError(f"flow must be 'import' or 'export', got {flow!r}")
    return resolved


@dataclass(frozen=True)
class ResolvedLayout:
    """Which column index feeds each field, and the layout's descriptive name."""

    columns: Mapping[str, int]
    layout: str
    explicit_fields: frozenset[str] = frozenset()

    def named(self, headers: Sequence[str]) -> dict[str, str]:
        return {f: headers[i] for f, i in self.columns.items()}


def _explicit_column(headers: Sequence[str], column: str) -> int | None:
    if column in headers:
        return list(headers).index(column)
    wanted = normalise_header(column)
    hits = [i for i, h in enumerate(headers) if normalise_header(h) == wanted]
    return hits[0] if len(hits) == 1 else None


def validate_explicit_mapping(mapping: Mapping[str, str | None]) -> dict[str, str | None]:
    """Check the keys of an explicit mapping; an empty value means "leave this field unmapped"."""
    unknown = sorted(set(mapping) - set(MAPPABLE_FIELDS))
    if unknown:
        raise ValueError(f"unknown mapping field(s) {unknown}; known: {', '.join(MAPPABLE_FIELDS)}")
    return {k: (str(v) if v not in (None, "") else None) for k, v in mapping.items()}


def resolve_mapping(
    headers: Sequence[str],
    mappings: TradeMappings,
    *,
    file: str | Path,
    flow: str | None = None,
    explicit: Mapping[str, str | None] | None = None,
    header_row: int | None = None,
) -> ResolvedLayout:
    """Map fields to columns: explicit entries first, then each field's YAML candidates in order.

    Raises TradeLayoutError when an explicit column is absent, or when none of exporter,
    importer, hs_code and description can be mapped (nothing to screen).
    """
    explicit = validate_explicit_mapping(explicit or {})
    columns: dict[str, int] = {}
    not_found = []
    for name, column in explicit.items():
        if column is None:
            continue
        index = _explicit_column(headers, column)
        if index is None:
            not_found.append(f"{name} (column {column!r} not found)")
        else:
            columns[name] = index
    if not_found:
        raise TradeLayoutError(file=file, missing=not_found, seen=headers, header_row=header_row)

    used = set(columns.values())
    normalised = [normalise_header(h) for h in headers]
    for name in MAPPABLE_FIELDS:
        if name in explicit:
            continue
        for candidate in mappings.candidates.get(name, ()):
            if not candidate.applies_to(flow):
                continue
            index = next(
                (i for i, h in enumerate(normalised) if i not in used and candidate.matches(h)),
                None,
            )
            if index is not None:
                columns[name] = index
                used.add(index)
                break

    if not any(f in columns for f in SCREENING_FIELDS):
        missing = [f for f in CANONICAL_DATA_FIELDS if f not in columns]
        raise TradeLayoutError(file=file, missing=missing, seen=headers, header_row=header_row)

    layout = mappings.layout_name(headers)
    explicit_used = frozenset(k for k, v in explicit.items() if v is not None)
    if explicit:
        layout = f"{layout}+explicit"
    ordered = {f: columns[f] for f in MAPPABLE_FIELDS if f in columns}
    return ResolvedLayout(columns=ordered, layout=layout, explicit_fields=explicit_used)


def parse_map_options(options: Iterable[str]) -> dict[str, str]:
    """Parse CLI ``--map FIELD=COLUMN`` flags (``FIELD=`` leaves the field unmapped)."""
    result: dict[str, str] = {}
    for option in options:
        name, sep, column = option.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"--map expects FIELD=COLUMN, got {option!r}")
        result[name.strip()] = column.strip()
    validate_explicit_mapping(result)
    return result


_MAPPING_FILE_OPTIONS = ("header_row", "reporter_country", "flow", "sheet")


def read_mapping_file(path: str | Path) -> dict[str, Any]:
    """Read a ``--mapping FILE.yml``: FIELD: COLUMN keys, plus optional header_row, sheet,
    reporter_country and flow.

    Returns keyword arguments for :func:`screening.io.trade.load_trade_file`.
    """
    with open(path, encoding="utf-8") as fh:
        data = yaml_files.safe_load(fh) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping of FIELD: COLUMN at the top level")
    options = {k: data.pop(k) for k in _MAPPING_FILE_OPTIONS if k in data}
    if "header_row" in options and options["header_row"] is not None:
        options["header_row"] = int(options["header_row"])
    try:
        mapping = validate_explicit_mapping({str(k): v for k, v in data.items()})
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from exc
    return {"mapping": mapping, **options}
