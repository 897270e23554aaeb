"""``dualuse hs``: classify HS codes given on the command line or in a column of a file.

    dualuse hs 8542.31 854890 8525800000
    dualuse hs FILE --column HS_CODE --out OUT.csv [--vintage 2017|2022] [--categories F.csv]

Thin over :func:`screening.hs.classify_hs_codes`, the function the pipeline calls, so both
classify a code the same way. The file's column is read as text by the trade loader's readers
(never through float, which would turn 0304.90 into 30490), one output row per data row.
"""

from __future__ import annotations

from pathlib import Path

import click
import pyarrow as pa
import pyarrow.compute as pc

from screening.errors import TradeReadError
from screening.hs.classify import STATUSES
from screening.hs.codes import INVALID

OUTPUT_COLUMNS = (
    "input",
    "code",
    "hs6",
    "category",
    "tier",
    "description",
    "status",
    "candidates",
    "hs_issue",
)
"""CSV columns: the issue's seven, then the candidates of a possible match and the repairs."""
_DESCRIPTION_WIDTH = 60


def _find_column(headers: list[str], column: str, path: Path) -> int:
    """Index of ``column`` (exact, else same normalised header); error lists what was seen."""
    from screening.io import normalise_header

    if column in headers:
        return headers.index(column)
    wanted = normalise_header(column)
    for index, header in enumerate(headers):
        if normalise_header(header) == wanted:
            return index
    raise TradeReadError(f"no column {column!r}; columns: {headers}", file=path, column=column)


def _read_parquet_columns(path: Path, columns: list[str]) -> list[pa.Array]:
    """Parquet columns as text, every row kept (integral floats lose their ``.0``)."""
    import pyarrow.parquet as pq

    from screening.io.trade import _as_text

    try:
        headers = pq.read_schema(path).names
    except (pa.ArrowException, OSError) as exc:
        raise TradeReadError(f"cannot read as Parquet: {exc}", file=path) from exc
    names = [headers[_find_column(headers, c, path)] for c in columns]
    try:
        table = pq.read_table(path, columns=names)
    except (pa.ArrowException, OSError) as exc:
        raise TradeReadError(f"cannot read as Parquet: {exc}", file=path) from exc
    text = [_as_text(table[name].combine_chunks()) for name in names]
    return [pc.if_else(pc.equal(c, ""), None, c) for c in text]


def read_text_columns(
    path: str | Path, columns: list[str]
) -> tuple[list[pa.Array], pa.Array | None]:
    """The named columns of a CSV/XLSX/Parquet file as text, and why a row could not be read.

    Rows the CSV parser cannot split (wrong number of fields) come back at their place with
    null cells and the reason in the second result (null elsewhere), so the output still has
    one row per data row. All-empty rows of a CSV or sheet are skipped; every Parquet row is
    kept.
    """
    from screening.io import load_trade_mappings
    from screening.io.trade import (
        CSV_SUFFIXES,
        PARQUET_SUFFIXES,
        XLSX_SUFFIXES,
        _read_csv,
        _read_xlsx,
    )

    path = Path(path)
    if not path.is_file():
        raise TradeReadError("file not found", file=path)
    mappings = load_trade_mappings()
    suffix = path.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        return _read_parquet_columns(path, columns), None
    if suffix in XLSX_SUFFIXES:
        raw = _read_xlsx(path, mappings, header_row=None, sheet=None, extra=columns)
    elif suffix in CSV_SUFFIXES:
        raw = _read_csv(path, mappings, header_row=None, extra=columns)
    else:
        raise TradeReadError(
            f"unsupported file type {suffix or '(none)'}: use CSV, XLSX or Parquet", file=path
        )
    selected = [raw.columns[_find_column(raw.headers, c, path)] for c in columns]
    problems = None
    if raw.rejects:
        rows = pa.concat_arrays(
            [raw.source_rows, pa.array([r["row"] for r in raw.rejects], pa.int64())]
        )
        order = pc.sort_indices(rows)
        nulls = pa.nulls(len(raw.rejects), pa.string())
        selected = [pa.concat_arrays([c, nulls]).take(order) for c in selected]
        reasons = pa.array(
            [f"row {r['row']} could not be read: {r['reason']}" for r in raw.rejects], pa.string()
        )
        problems = pa.concat_arrays([pa.nulls(raw.num_rows, pa.string()), reasons]).take(order)
    return selected, problems


def _mark_unreadable(table: pa.Table, problems: pa.Array) -> pa.Table:
    """Rows the reader could not split are invalid, with the reader's reason as hs_issue."""
    unreadable = pc.is_valid(problems)
    status = pc.if_else(unreadable, pa.scalar(INVALID), table["status"])
    issue = pc.if_else(unreadable, problems, table["hs_issue"])
    return table.set_column(table.schema.get_field_index("status"), "status", status).set_column(
        table.schema.get_field_index("hs_issue"), "hs_issue", issue
    )


def _cell(value: object, width: int | None = None) -> str:
    if value is None:
        return ""
    text = ", ".join(value) if isinstance(value, list) else str(value)
    if width and len(text) > width:
        return text[: width - 1] + "…"
    return text


def format_table(table: pa.Table) -> str:
    """A plain aligned text table of the classification, for the terminal."""
    shown = ("input", "code", "status", "category", "tier", "candidates", "description")
    rows = [
        [_cell(r[c], _DESCRIPTION_WIDTH if c == "description" else None) for c in shown]
        for r in table.select(list(shown)).to_pylist()
    ]
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(shown)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(shown, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines.extend(
        "  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in rows
    )
    issues = [
        f"{r['input']}: {r['hs_issue']}" for r in table.to_pylist() if r["hs_issue"] is not None
    ]
    if issues:
        lines.append("")
        lines.extend(dict.fromkeys(issues))
    return "\n".join(lines)


@click.command("hs")
@click.argument("values", nargs=-1, required=True, metavar="CODE… | FILE")
@click.option("--column", help="Column of FILE holding the HS codes (file mode).")
@click.option("--out", type=click.Path(dir_okay=False), help="CSV to write (file mode).")
@click.option("--date-column", help="Column of FILE with the record date (for dated entries).")
@click.option(
    "--vintage",
    type=click.Choice(["2017", "2022"]),
    default=None,
    help="HS edition of every code (default: HS 2022, or HS 2017 for codes only it has).",
)
@click.option(
    "--categories",
    "category_files",
    multiple=True,
    type=click.Path(exists=True),
    help="Category CSV or folder of them (repeatable; default: the bundled CHPL).",
)
def hs_command(
    values: tuple[str, ...],
    column: str | None,
    out: str | None,
    date_column: str | None,
    vintage: str | None,
    category_files: tuple[str, ...],
) -> None:
    """Classify HS codes against the goods categories (CHPL by default).

    With codes as arguments, print a table. With a FILE, --column and --out, write one CSV row
    per data row, in file order: input, code, hs6, category, tier, description, status,
    candidates, hs_issue.
    """
    from screening.hs import classify_hs_codes, load_categories
    from screening.io.writers import write_csv_atomic

    categories = load_categories(list(category_files)) if category_files else load_categories()
    file_mode = column is not None or out is not None or date_column is not None
    if not file_mode:
        if len(values) == 1 and Path(values[0]).is_file():
            raise click.UsageError("a file was given: add --column COLUMN and --out OUT.csv")
        table = classify_hs_codes(list(values), categories, vintage=vintage)
        click.echo(format_table(table))
        return
    if len(values) != 1 or column is None or out is None:
        raise click.UsageError("file mode takes one FILE with --column COLUMN and --out OUT.csv")
    wanted = [column] + ([date_column] if date_column else [])
    read, problems = read_text_columns(values[0], wanted)
    dates = read[1] if date_column else None
    table = classify_hs_codes(read[0], categories, vintage=vintage, dates=dates)
    if problems is not None:
        table = _mark_unreadable(table, problems)
    write_csv_atomic(table.select(list(OUTPUT_COLUMNS)), out)
    counts = {c["values"]: c["counts"] for c in pc.value_counts(table["status"]).to_pylist()}
    summary = ", ".join(f"{s} {counts[s]}" for s in STATUSES if s in counts)
    click.echo(f"{table.num_rows} rows ({summary}) -> {out}")
