"""Reading trade files: python-calamine against the openpyxl reader it replaced, and the time to
refuse an XLSX bomb.

    python benchmarks/bench_trade_io.py --out benchmarks/results/trade_io.json

Three measurements, each on one machine in one run:
1. the 36 vendor .xlsx files in ../shared/data/trade/vendor_samples_xlsx, loaded whole by
   ``load_trade_file`` (calamine) and by the previous loader (openpyxl, ``screening/io/trade.py``
   at commit 5feb22f, run from ``git show``), best of three;
2. a 280,000-row generated workbook (5 columns), each loader in a fresh process for its peak RSS;
3. a workbook whose sheet unpacks to about 1 GB (2.77M rows, past Excel's row limit): the time
   until ``load_trade_file`` refuses it;
4. a generated 1,000,000-row CSV (8 columns, ~150,000 distinct importers) read by
   ``iter_trade_batches`` into canonical batches of 250,000 rows, in a fresh process for its
   peak RSS (``--only csv`` runs this one alone).
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

import click
import pyarrow as pa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from screening.io import load_trade_file, write_json_atomic  # noqa: E402
from screening.schema import TRADE_SCHEMA  # noqa: E402
from tests.io.xlsx_kit import TRADE_HEADER, row_xml, trade_rows, write_xlsx  # noqa: E402

OLD_COMMIT = "5feb22f"
SHARED = Path(os.environ.get("DUALUSE_SHARED_DATA", ROOT.parent / "shared" / "data"))
VENDOR = SHARED / "trade" / "vendor_samples_xlsx"


def old_loader() -> Any:
    """The openpyxl-based trade.py of OLD_COMMIT, importable beside the current package."""
    source = subprocess.run(
        ["git", "-C", str(ROOT), "show", f"{OLD_COMMIT}:screening/io/trade.py"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    path = Path(tempfile.mkdtemp()) / "old_trade.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("old_trade", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["old_trade"] = module  # dataclasses look their module up while building
    spec.loader.exec_module(module)
    module.TRADE_SCHEMA = pa.schema(list(TRADE_SCHEMA)[:12])  # before date_issue/value_issue
    return module


def best_of(runs: int, func: Any) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        func()
        times.append(time.perf_counter() - started)
    return min(times)


def vendor_files(old: Any) -> dict[str, Any]:
    files = sorted(VENDOR.glob("*.xlsx"))
    new_s = best_of(3, lambda: [load_trade_file(f) for f in files])
    old_s = best_of(3, lambda: [old.load_trade_file(f) for f in files])
    return {
        "data": f"{len(files)} vendor .xlsx files in ../shared/data/trade/vendor_samples_xlsx",
        "calamine_s": round(new_s, 3),
        "openpyxl_s": round(old_s, 3),
        "speedup": round(old_s / new_s, 1),
    }


CSV_CHILD = """
import resource, sys, time
sys.path.insert(0, {root!r})
from screening.io import iter_trade_batches
started = time.perf_counter()
rows = sum(b.rows_in for b in iter_trade_batches([sys.argv[1]], batch_rows=250_000))
print(rows, time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def csv_stream(folder: Path, rows: int) -> dict[str, Any]:
    rng = random.Random(1)
    path = folder / "generated.csv"
    with path.open("w", encoding="utf-8") as handle:
        handle.write(
            "EXPORTER_NAME,IMPORTER_NAME,HS_CODE,DESTINATION_COUNTRY,DATE,TOTAL_VALUE_USD,"
            "QUANTITY,DESCRIPTION\n"
        )
        for _ in range(rows):
            handle.write(
                f"EXPORTER {rng.randrange(50_000)} LLC,IMPORTER {rng.randrange(150_000)} OOO,"
                f"{rng.choice(['8542310000', '854231', '847130'])},RU,"
                f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d},"
                f"{rng.random() * 1e5:.2f},{rng.randint(1, 500)},ELECTRONIC INTEGRATED CIRCUITS\n"
            )
    out = subprocess.run(
        [sys.executable, "-c", CSV_CHILD.format(root=str(ROOT)), str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return {
        "data": f"generated CSV, {rows:,} rows x 8 columns, {path.stat().st_size / 1e6:.0f} MB",
        "rows": int(out[0]),
        "seconds": round(float(out[1]), 2),
        "peak_rss_mb": int(out[2]) // 1024,
    }


CHILD = """
import resource, sys, time
sys.path.insert(0, {root!r}); sys.path.insert(0, {bench!r})
which, path = sys.argv[1], sys.argv[2]
started = time.perf_counter()
if which == "new":
    from screening.io import load_trade_file
else:
    from bench_trade_io import old_loader
    load_trade_file = old_loader().load_trade_file
rows = load_trade_file(path).rows_in
print(rows, time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def in_child(which: str, path: Path) -> dict[str, Any]:
    code = CHILD.format(root=str(ROOT), bench=str(ROOT / "benchmarks"))
    out = subprocess.run(
        [sys.executable, "-c", code, which, str(path)], check=True, capture_output=True, text=True
    ).stdout.split()
    return {
        "rows": int(out[0]),
        "seconds": round(float(out[1]), 2),
        "peak_rss_mb": int(out[2]) // 1024,
    }


def big_workbook(folder: Path, rows: int) -> dict[str, Any]:
    path = write_xlsx(folder / f"generated_{rows}.xlsx", trade_rows(rows))
    return {
        "data": f"generated workbook, {rows:,} rows x 5 columns, "
        f"{path.stat().st_size / 1e6:.1f} MB",
        "calamine": in_child("new", path),
        "openpyxl": in_child("old", path),
    }


def bomb(folder: Path, rows: int) -> dict[str, Any]:
    """A trade header, then ``rows`` identical rows without cell references (which Excel allows):
    deflate packs them a few hundred to one."""
    path = folder / "bomb.xlsx"
    same = "".join(
        f'<c t="inlineStr"><is><t>{v}</t></is></c>'
        for v in ("SAME EXPORTER LLC", "SAME IMPORTER OOO", "8542310000", "RU", "1" * 200)
    )
    write_xlsx(
        path,
        itertools.chain([row_xml(1, TRADE_HEADER)], itertools.repeat(f"<row>{same}</row>", rows)),
        compresslevel=9,
    )
    unpacked = sum(i.file_size for i in zipfile.ZipFile(path).infolist())
    started = time.perf_counter()
    try:
        load_trade_file(path)
        message = "NOT REFUSED"
    except Exception as exc:  # the refusal is what is measured
        message = str(exc)
    return {
        "data": f"generated bomb: {path.stat().st_size / 1e6:.1f} MB xlsx, sheet unpacks to "
        f"{unpacked / 1e9:.2f} GB, {rows:,} rows",
        "refused_in_s": round(time.perf_counter() - started, 3),
        "message": message,
    }


@click.command()
@click.option("--out", type=click.Path(dir_okay=False), default=None)
@click.option("--rows", type=int, default=280_000, show_default=True)
@click.option("--bomb-rows", type=int, default=2_770_000, show_default=True)
@click.option("--csv-rows", type=int, default=1_000_000, show_default=True)
@click.option("--only", type=click.Choice(["all", "csv"]), default="all", show_default=True)
def main(out: str | None, rows: int, bomb_rows: int, csv_rows: int, only: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        result: dict[str, Any] = {}
        if only == "all":
            old = old_loader()
            result["vendor_xlsx"] = (
                vendor_files(old) if VENDOR.is_dir() else "skipped: no ../shared"
            )
            result["big_workbook"] = big_workbook(folder, rows)
            result["bomb"] = bomb(folder, bomb_rows)
        result["csv_stream"] = csv_stream(folder, csv_rows)
    click.echo(json.dumps(result, indent=2))
    if out:
        previous = json.loads(Path(out).read_text()) if Path(out).is_file() else {}
        write_json_atomic(previous | result, out)


if __name__ == "__main__":
    main()
