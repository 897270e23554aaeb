"""``dualuse hs``: classify HS codes given on the command line or in a column of a file.

    dualuse hs 8542.31 854890 8525800000
    dualuse hs FILE --column HS_CODE --out OUT.csv [--vintage 2017|2022] [--categories F.csv]

Thin over :func:`screening.hs.classify_hs_codes`, the function the pipeline calls, so both
classify a code the same way. The file's column is read as text by
:func:`screening.io.read_text_columns` (never through float, which would turn 0304.90 into
30490), one output row per data row.
"""

from __future__ import annotations

from pathlib import Path

import click
import pyarrow as pa
import pyarrow.compute as pc

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
    from screening.io import read_text_columns
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
