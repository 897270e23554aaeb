"""End-to-end screening throughput (records/s, stage timings, peak RSS) against a naive baseline.

    python benchmarks/bench_pipeline.py                  # 100k and 1M rows -> results/pipeline.json
    python benchmarks/bench_pipeline.py --rows 250000    # other sizes
    python benchmarks/bench_pipeline.py --quick --out /tmp/pipeline.json   # the smoke test

For each size: generate rows with dualuse_kit.sample, write them to Parquet, then in a fresh
process (so peak RSS is the screening's own) time ``load_trade_files`` + ``screen_records``.
The baseline, in this run on the same file: pandas reads the Parquet, ``Series.isin`` checks
the CHPL on the first six digits, and each distinct party name goes through
``rapidfuzz.process.extractOne(name, list_names, scorer=WRatio, score_cutoff=85)``. That last
step is timed on a random subsample of distinct names and scaled linearly (each name costs the
same scan of every list name); the output says so.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import click
import numpy as np
import pandas as pd
import pyarrow.compute as pc
import pyarrow.parquet as pq
from rapidfuzz import fuzz, process, utils

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_names import BASELINE_CUTOFF, entity_names, list_summary, result_header

from dualuse_kit.sample import TRADE_COLUMNS, generate_trade_records
from screening.hs.chpl import CHPL_FILE
from screening.io import write_json_atomic
from screening.lists import load_bundled_lists

RESULTS_DIR = Path(__file__).resolve().parent / "results"
DEFAULT_ROWS = (100_000, 1_000_000)


def _round(value: float, digits: int = 3) -> float:
    return round(float(value), digits)


# --------------------------------------------------------------------------------------------
# ours, measured in a child process


def measure_ours(path: Path, workers: int) -> dict[str, Any]:
    """Load the reference data, then load and screen ``path``; timings and peak RSS."""
    from screening.config import ScreeningConfig
    from screening.io import load_trade_files
    from screening.pipeline import load_reference_data, screen_records

    config = ScreeningConfig(workers=workers)
    start = time.perf_counter()
    reference = load_reference_data(config)
    reference_seconds = time.perf_counter() - start
    start = time.perf_counter()
    loaded = load_trade_files([path])
    load_seconds = time.perf_counter() - start
    start = time.perf_counter()
    screened, stages = screen_records(loaded.table, reference, config)
    screen_seconds = time.perf_counter() - start
    levels = screened.group_by("risk_level").aggregate([("risk_level", "count")]).to_pylist()
    party_hits = sum(
        int(pc.sum(pc.is_valid(screened[f"{role}_match_score"])).as_py() or 0)
        for role in ("exporter", "importer")
    )
    chpl_rows = int(pc.sum(pc.is_valid(screened["chpl_tier"])).as_py() or 0)
    rows = screened.num_rows
    return {
        "rows": rows,
        "rejects": loaded.rejects.num_rows,
        "reference_seconds": _round(reference_seconds),
        "load_seconds": _round(load_seconds),
        "stages": {k: _round(v) for k, v in stages.items()},
        "screen_seconds": _round(screen_seconds),
        "total_seconds": _round(load_seconds + screen_seconds),
        "records_per_second": round(rows / (load_seconds + screen_seconds)),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "risk_levels": {r["risk_level"]: r["risk_level_count"] for r in levels},
        "party_slots_with_hit": party_hits,
        "chpl_rows": chpl_rows,
    }


def run_ours_in_child(path: Path, workers: int) -> dict[str, Any]:
    """A fresh interpreter per size, so peak RSS is not inflated by generation or other sizes."""
    done = subprocess.run(
        [sys.executable, __file__, "--measure", str(path), "--workers", str(workers)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"measuring {path} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------------------------
# naive baseline


def naive_baseline(path: Path, list_names: list[str], *, sample: int, seed: int) -> dict[str, Any]:
    """pandas + isin + extractOne per distinct name (scaled from a subsample)."""
    start = time.perf_counter()
    frame = pd.read_parquet(path)
    load_seconds = time.perf_counter() - start

    chpl = pd.read_csv(CHPL_FILE, dtype=str)["hs6"]
    start = time.perf_counter()
    hs6 = frame["HS_CODE"].str.replace(r"\D", "", regex=True).str[:6]
    chpl_rows = int(hs6.isin(chpl).sum())
    chpl_seconds = time.perf_counter() - start

    start = time.perf_counter()
    names = pd.concat([frame["EXPORTER_NAME"], frame["IMPORTER_NAME"]]).dropna().str.strip()
    distinct = names[names != ""].unique()
    dedupe_seconds = time.perf_counter() - start

    rng = np.random.default_rng(seed)
    k = min(sample, len(distinct))
    picked = distinct[rng.choice(len(distinct), k, replace=False)]
    processed = [utils.default_process(n) for n in list_names]
    start = time.perf_counter()
    hits = 0
    for name in picked:
        best = process.extractOne(
            utils.default_process(name),
            processed,
            scorer=fuzz.WRatio,
            score_cutoff=BASELINE_CUTOFF,
        )
        hits += best is not None
    measured = time.perf_counter() - start
    name_seconds = measured * len(distinct) / k if k else 0.0
    total = load_seconds + chpl_seconds + dedupe_seconds + name_seconds
    return {
        "load_seconds": _round(load_seconds),
        "chpl_isin_seconds": _round(chpl_seconds),
        "dedupe_seconds": _round(dedupe_seconds),
        "distinct_names": len(distinct),
        "names_measured": k,
        "name_seconds_measured": _round(measured),
        "ms_per_name": _round(1000 * measured / k, 2) if k else None,
        "name_seconds": _round(name_seconds, 1),
        "extrapolated": k < len(distinct),
        "note": (
            f"extractOne timed on a random {k} of {len(distinct)} distinct names and scaled "
            "linearly; single-threaded, as a per-name loop is"
        ),
        "total_seconds": _round(total, 1),
        "records_per_second": round(len(frame) / total) if total else None,
        "name_hit_share_on_sample": _round(hits / k) if k else None,
        "chpl_rows": chpl_rows,
    }


# --------------------------------------------------------------------------------------------
# report


def markdown(result: dict[str, Any]) -> str:
    lines = [
        "### End-to-end screening",
        "",
        "| Rows | distinct names | load (s) | screen (s) | of which party matching (s) | "
        "records/s | peak RSS (MB) | naive baseline (s) | × faster |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for run in result["runs"]:
        ours, base = run["ours"], run["baseline"]
        est = f"{base['total_seconds']:g}" + (
            f" (est. from {base['names_measured']} names)" if base["extrapolated"] else ""
        )
        lines.append(
            f"| {run['rows']:,} | {base['distinct_names']:,} | {ours['load_seconds']:g} | "
            f"{ours['screen_seconds']:g} | {ours['stages']['match_parties']:g} | "
            f"{ours['records_per_second']:,} | {ours['peak_rss_mb']:,} | {est} | "
            f"{run['ratio_baseline_over_ours']:g} |"
        )
    first = result["runs"][0]["ours"] if result["runs"] else None
    if first:
        lines += [
            "",
            f"Reference data (lists parsed, name index built, CHPL loaded) takes "
            f"{first['reference_seconds']:g} s once per run and is not in the columns above.",
        ]
    return "\n".join(lines)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--rows", type=int, multiple=True, help="Row counts to run (default 100k, 1M).")
@click.option("--quick", is_flag=True, help="Tiny size for the smoke test.")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=RESULTS_DIR / "pipeline.json",
    show_default=True,
)
@click.option(
    "--baseline-sample",
    type=int,
    default=300,
    show_default=True,
    help="Distinct names the extractOne baseline is timed on (then scaled).",
)
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("--workers", type=int, default=-1, show_default=True)
@click.option(
    "--measure",
    type=click.Path(exists=True, path_type=Path),
    hidden=True,
    help="Internal: screen this file and print the measurement as JSON.",
)
def main(
    rows: tuple[int, ...],
    quick: bool,
    out: Path,
    baseline_sample: int,
    seed: int,
    workers: int,
    measure: Path | None,
) -> None:
    """Time load + screen on generated Parquet files; print markdown and write JSON."""
    if measure is not None:
        click.echo(json.dumps(measure_ours(measure, workers)))
        return
    began = time.perf_counter()
    if quick:
        rows, baseline_sample = (2_000,), 5
    rows = rows or DEFAULT_ROWS
    list_table = load_bundled_lists()
    list_names = sorted(entity_names(list_table)["name"].unique())
    result = result_header("pipeline", quick, workers)
    result["lists"] = list_summary(list_table) | {"baseline_list_names": len(list_names)}
    result["runs"] = []
    with tempfile.TemporaryDirectory(prefix="bench_pipeline_") as tmp:
        for n in rows:
            click.echo(f"{n} rows: generating ...", err=True)
            start = time.perf_counter()
            table = generate_trade_records(n, seed=seed, list_table=list_table)
            path = Path(tmp) / f"trade_{n}.parquet"
            pq.write_table(table.select(list(TRADE_COLUMNS)), path)
            generate_seconds = time.perf_counter() - start
            del table
            click.echo(f"{n} rows: screening ...", err=True)
            ours = run_ours_in_child(path, workers)
            click.echo(f"{n} rows: naive baseline ...", err=True)
            base = naive_baseline(path, list_names, sample=baseline_sample, seed=seed)
            result["runs"].append(
                {
                    "rows": n,
                    "generate_seconds": _round(generate_seconds, 1),
                    "parquet_mb": _round(path.stat().st_size / 2**20, 1),
                    "ours": ours,
                    "baseline": base,
                    "ratio_baseline_over_ours": _round(
                        base["total_seconds"] / ours["total_seconds"], 1
                    ),
                }
            )
    result["total_seconds"] = _round(time.perf_counter() - began, 1)
    write_json_atomic(result, out)
    click.echo(markdown(result))
    click.echo(f"\nwrote {out} in {result['total_seconds']} s", err=True)


if __name__ == "__main__":
    main()
