"""Arrow schemas shared by every stage: one definition, so parsers, matchers and writers agree.

LIST_ENTRY_SCHEMA
    One row per *name* of a listed party (a party with three aliases gives four rows).
    ``source_id`` groups the rows of one party within ``list_source``.

    list_source   which list the row comes from, e.g. ``us_ofac_sdn``, ``us_bis_entity_list``
    source_id     the list's own id (OFAC ent_num; CSL entity_number, else its ``_id``)
    entity_type   entity / individual / vessel / aircraft (null when the list does not say)
    name          the name exactly as listed (original script kept)
    name_kind     primary / alias / weak_alias / former
    programs      sanctions programmes or legal bases, as the list writes them
    countries     ISO-3166 alpha-2 codes of the party's addresses / nationality
    addresses     free-text addresses
    identifiers   {scheme, value}: INN, OGRN, KPP, IMO, REGISTRATION, TAX_ID, ...
    related       names of linked parties (OFAC ``Linked To:``)
    remarks       the list's remarks, unparsed, for the analyst
    listed_on     date of listing when the list gives one
    list_version  publication date or version of the list file

TRADE_FIELDS
    Canonical trade-record columns produced by :mod:`screening.io.trade`. Every other input column
    is kept beside them under ``src_<original header>``; ``source_file`` and ``source_row``
    (1-based row number in the file as a spreadsheet shows it) say where each record came from.

REJECT_SCHEMA
    Rows that could not be read: file, row, column (when one column is to blame) and reason.

STAGE_OUTPUTS
    The columns each screening stage adds to the trade table, in order, with their Arrow types.
    Later stages and the risk score read these columns by name; :func:`check_stage_output` runs
    when a stage finishes and :func:`require_columns` when a reader starts, so a renamed or
    retyped column stops the run with its name instead of silently scoring nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa

from screening.errors import StageOutputError

ENTITY_TYPES = ("entity", "individual", "vessel", "aircraft")
NAME_KINDS = ("primary", "alias", "weak_alias", "former")

IDENTIFIER_TYPE = pa.struct([("scheme", pa.string()), ("value", pa.string())])

LIST_ENTRY_SCHEMA = pa.schema(
    [
        pa.field("list_source", pa.string(), nullable=False),
        pa.field("source_id", pa.string(), nullable=False),
        pa.field("entity_type", pa.string()),
        pa.field("name", pa.string(), nullable=False),
        pa.field("name_kind", pa.string(), nullable=False),
        pa.field("programs", pa.list_(pa.string())),
        pa.field("countries", pa.list_(pa.string())),
        pa.field("addresses", pa.list_(pa.string())),
        pa.field("identifiers", pa.list_(IDENTIFIER_TYPE)),
        pa.field("related", pa.list_(pa.string())),
        pa.field("remarks", pa.string()),
        pa.field("listed_on", pa.date32()),
        pa.field("list_version", pa.string()),
    ]
)

TRADE_FIELDS = (
    "record_id",
    "date",
    "exporter",
    "importer",
    "origin_country",
    "destination_country",
    "hs_code",
    "description",
    "value",
    "quantity",
)
"""Canonical fields a trade file is mapped onto. ``value`` and ``quantity`` are float64, the rest
strings (``date`` as ISO ``YYYY-MM-DD`` or ``YYYY-MM`` where it parses, else as written)."""

TRADE_SCHEMA = pa.schema(
    [
        pa.field("record_id", pa.string(), nullable=False),
        pa.field("date", pa.string()),
        pa.field("exporter", pa.string()),
        pa.field("importer", pa.string()),
        pa.field("origin_country", pa.string()),
        pa.field("destination_country", pa.string()),
        pa.field("hs_code", pa.string()),
        pa.field("description", pa.string()),
        pa.field("value", pa.float64()),
        pa.field("quantity", pa.float64()),
        pa.field("source_file", pa.string(), nullable=False),
        pa.field("source_row", pa.int64(), nullable=False),
        pa.field("date_issue", pa.string()),
        pa.field("value_issue", pa.string()),
    ]
)
"""The leading columns of every loaded trade table; ``src_*`` columns follow. ``date_issue`` and
``value_issue`` say why a date, value or quantity cell could not be read (null when it could):
the record is screened all the same."""

EXTRA_COLUMN_PREFIX = "src_"

REJECT_SCHEMA = pa.schema(
    [
        pa.field("file", pa.string(), nullable=False),
        pa.field("row", pa.int64()),
        pa.field("column", pa.string()),
        pa.field("reason", pa.string(), nullable=False),
        pa.field("raw", pa.string()),
    ]
)

NAME_MATCH_SCHEMA = pa.schema(
    [
        pa.field("query", pa.string(), nullable=False),
        pa.field("rank", pa.int32(), nullable=False),
        pa.field("score", pa.float64(), nullable=False),
        pa.field("list_source", pa.string(), nullable=False),
        pa.field("source_id", pa.string(), nullable=False),
        pa.field("matched_name", pa.string(), nullable=False),
        pa.field("explanation", pa.string()),
        pa.field("query_country", pa.string()),
    ]
)
"""One row per (query name, listed name) pair at or above the threshold, best first.
``query_country`` is the ISO-2 country given with the query (null when none was given)."""


def empty_table(schema: pa.Schema) -> pa.Table:
    """An empty table of ``schema``: stages return this rather than None so callers never branch."""
    return schema.empty_table()


# --------------------------------------------------------------------------------------------
# Stage outputs: the screened table's columns, declared once


def _string_fields(*names: str) -> list[pa.Field]:
    return [pa.field(name, pa.string()) for name in names]


PARTY_ROLES = ("exporter", "importer")


def _match_fields(role: str) -> list[pa.Field]:
    return [
        pa.field(f"{role}_match_score", pa.float64()),
        pa.field(f"{role}_match_name", pa.string()),
        pa.field(f"{role}_match_list_source", pa.string()),
        pa.field(f"{role}_match_source_id", pa.string()),
        pa.field(f"{role}_match_explanation", pa.string()),
        pa.field(f"{role}_match_count", pa.int32(), nullable=False),
    ]


STAGE_OUTPUTS: dict[str, pa.Schema] = {
    "load_trades": TRADE_SCHEMA,
    "classify_goods": pa.schema(
        [
            *_string_fields("hs_code_normalised", "hs6", "hs_status", "hs_issue"),
            *_string_fields("goods_category", "goods_tier", "goods_description", "goods_status"),
            pa.field("goods_candidates", pa.list_(pa.string())),
            *_string_fields("chpl_tier", "chpl_description", "chpl_possible_tier"),
        ]
    ),
    "describe_goods": pa.schema(
        _string_fields(
            "description_rule",
            "description_phrase",
            "description_tier",
            "description_hs",
            "description_signal",
            "description_reason",
        )
    ),
    "classify_destinations": pa.schema(
        _string_fields(
            "origin_iso2",
            "origin_status",
            "destination_iso2",
            "destination_status",
            "route",
            "route_reason",
        )
    ),
    "match_parties": pa.schema([f for role in PARTY_ROLES for f in _match_fields(role)]),
    "flag_forwarders": pa.schema(
        [
            pa.field("importer_forwarder", pa.bool_(), nullable=False),
            *_string_fields("importer_forwarder_term", "importer_forwarder_reason"),
        ]
    ),
    "link_records": pa.schema(
        [
            *_string_fields("route_chain_role", "route_chain_partner"),
            pa.field("route_chain_count", pa.int32(), nullable=False),
            *_string_fields("route_chain_reason", "red_flag", "red_flag_reason"),
        ]
    ),
    "score_risk": pa.schema(
        [
            pa.field("risk_points", pa.float64(), nullable=False),
            pa.field("risk_level", pa.string(), nullable=False),
            pa.field("risk_reasons", pa.string()),
        ]
    ),
}
"""stage -> the columns it adds, in the order the stages run (``load_trades`` gives the trade
columns every stage starts from; its ``src_*`` columns are not declared). The Arrow nullability
says which columns are never null."""

SCREENED_FIELDS: dict[str, tuple[str, pa.Field]] = {
    field.name: (stage, field) for stage, schema in STAGE_OUTPUTS.items() for field in schema
}
"""column -> (the stage that adds it, its field): who to blame when a column is missing."""

SCREENING_STAGES = tuple(STAGE_OUTPUTS)


def _same_type(actual: pa.DataType, declared: pa.DataType) -> bool:
    """Equal types; list element names (``item`` / ``element`` after Parquet) do not matter."""
    if pa.types.is_list(declared) or pa.types.is_large_list(declared):
        return (pa.types.is_list(actual) or pa.types.is_large_list(actual)) and _same_type(
            actual.value_type, declared.value_type
        )
    if pa.types.is_string(declared):
        return pa.types.is_string(actual) or pa.types.is_large_string(actual)
    return actual.equals(declared)


def _problems(table: pa.Table | pa.Schema, fields: Iterable[pa.Field]) -> list[str]:
    schema = table if isinstance(table, pa.Schema) else table.schema
    problems = []
    for field in fields:
        index = schema.get_field_index(field.name)
        if index < 0 and field.name in schema.names:
            problems.append(f"column '{field.name}' appears {schema.names.count(field.name)} times")
        elif index < 0:
            problems.append(f"missing column '{field.name}'")
        elif not _same_type(schema.field(index).type, field.type):
            problems.append(
                f"column '{field.name}' is {schema.field(index).type}, declared {field.type}"
            )
    return problems


def check_stage_output(stage: str, table: pa.Table) -> pa.Table:
    """Raise StageOutputError unless ``table`` has every column ``stage`` declares, with its
    declared type; returns ``table`` so a stage can end with ``return check_stage_output(...)``."""
    if stage not in STAGE_OUTPUTS:
        raise KeyError(f"no declared output for stage {stage!r}; stages: {SCREENING_STAGES}")
    problems = _problems(table, STAGE_OUTPUTS[stage])
    if problems:
        raise StageOutputError(f"stage {stage} finished with {'; '.join(problems)}")
    return table


def require_columns(table: pa.Table | pa.Schema, columns: Iterable[str], *, reader: str) -> None:
    """Raise StageOutputError unless ``table`` has ``columns`` with their declared types, naming
    each missing column and the stage that should have added it."""
    wanted = list(dict.fromkeys(columns))
    undeclared = [c for c in wanted if c not in SCREENED_FIELDS]
    if undeclared:
        raise KeyError(f"{reader} reads undeclared column(s): {', '.join(undeclared)}")
    problems = _problems(table, [SCREENED_FIELDS[c][1] for c in wanted])
    if problems:
        schema = table if isinstance(table, pa.Schema) else table.schema
        stages = sorted(
            {SCREENED_FIELDS[c][0] for c in wanted if c not in schema.names},
            key=SCREENING_STAGES.index,
        )
        hint = f" (added by stage {', '.join(stages)}: did it run?)" if stages else ""
        raise StageOutputError(f"{reader} needs {'; '.join(problems)}{hint}")
