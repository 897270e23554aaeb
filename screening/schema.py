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
"""

from __future__ import annotations

import pyarrow as pa

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
