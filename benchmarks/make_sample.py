"""Write a seeded synthetic trade file (CSV or Parquet) for the demo and the benchmarks.

    python benchmarks/make_sample.py --rows 5000 --seed 7 --out screening/data/sample_trades.csv
    python benchmarks/make_sample.py --rows 1000000 --out trade.parquet --truth truth.parquet

The trade file has only what a customs export has; ``--truth FILE`` writes the answers
(RECORD_ID plus the truth_* columns of dualuse_kit.sample) to a separate file, so a screening run
never sees them. Listed parties come from the bundled lists unless ``--lists`` names list files.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import click
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dualuse_kit.sample import TRADE_COLUMNS, TRUTH_COLUMNS, generate_trade_records

SUFFIXES = (".csv", ".parquet")


def load_list_table(list_files: tuple[Path, ...]) -> pa.Table:
    """The given list files, or the bundled lists (each parsed by the project's own parsers)."""
    if list_files:
        from screening.lists import parse_list_files

        return parse_list_files(list_files)
    from screening.lists import load_bundled_lists

    return load_bundled_lists()


def write_table(table: pa.Table, path: Path) -> None:
    """Write CSV (UTF-8, quoted only where needed) or Parquet by suffix, atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    if path.suffix == ".csv":
        pa_csv.write_csv(table, partial, pa_csv.WriteOptions(quoting_style="needed"))
    else:
        pq.write_table(table, partial)
    os.replace(partial, path)


def _check_suffix(_ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    if value is not None and value.suffix not in SUFFIXES:
        raise click.BadParameter(f"{value}: use a .csv or .parquet file name", param=param)
    return value


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--rows", type=click.IntRange(min=0), required=True, help="Number of records.")
@click.option("--seed", type=int, default=7, show_default=True, help="Random seed.")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    required=True,
    callback=_check_suffix,
    help="Trade file to write (.csv or .parquet).",
)
@click.option(
    "--truth",
    type=click.Path(path_type=Path),
    default=None,
    callback=_check_suffix,
    help="Also write RECORD_ID + ground-truth columns to this file (.csv or .parquet).",
)
@click.option(
    "--lists",
    "list_files",
    type=click.Path(exists=True, path_type=Path),
    multiple=True,
    help="List file(s) to draw listed parties from (default: the bundled lists).",
)
@click.option("--listed-share", type=click.FloatRange(0, 1), default=0.03, show_default=True)
@click.option("--chpl-share", type=click.FloatRange(0, 1), default=0.08, show_default=True)
@click.option("--start", default="2022-01-01", show_default=True, help="First date (ISO).")
@click.option("--end", default="2025-06-30", show_default=True, help="Last date (ISO).")
def main(
    rows: int,
    seed: int,
    out: Path,
    truth: Path | None,
    list_files: tuple[Path, ...],
    listed_share: float,
    chpl_share: float,
    start: str,
    end: str,
) -> None:
    """Generate ROWS synthetic customs records and write them to OUT."""
    began = time.perf_counter()
    table = generate_trade_records(
        rows,
        seed=seed,
        list_table=load_list_table(list_files),
        listed_share=listed_share,
        chpl_share=chpl_share,
        start=start,
        end=end,
        include_truth=truth is not None,
    )
    write_table(table.select(list(TRADE_COLUMNS)), out)
    if truth is not None:
        write_table(table.select(["RECORD_ID", *TRUTH_COLUMNS]), truth)
    click.echo(
        f"wrote {table.num_rows} rows to {out}"
        + (f" and truth to {truth}" if truth is not None else "")
        + f" in {time.perf_counter() - began:.1f} s"
    )


if __name__ == "__main__":
    main()
