"""End-to-end screening: `dualuse run` timed as a user runs it, with peak memory, on Dask too.

    python benchmarks/bench_pipeline.py                       # 1M rows -> results/pipeline.json
    python benchmarks/bench_pipeline.py --rows 10000000 --files 10 --no-baseline
    python benchmarks/bench_pipeline.py --quick --out /tmp/pipeline.json   # the smoke test
    python benchmarks/bench_pipeline.py --no-baseline --dask-repeats 3     # Dask 1 vs 2 workers

Input: ``dualuse_kit.sample`` records (seeded) with about ``--distinct-share`` (20 %) as many
distinct party names as rows, as in real customs data: the sample's own names (clean companies
and customs-style variants of listed names) plus clean names given a distinguishing word. They
are written once into ``--data-dir`` (default /tmp, never the repository) and reused.

Each measurement starts ``python -m screening run FILES --out OUT`` in a fresh process (the
same as ``dualuse run``) and samples the resident memory of its whole process tree (Dask
workers included) from /proc every 0.1 s, with a data folder of the benchmark's own (empty at
the start) and a fresh review store each time. Variants: the first run in process (lists parsed,
name index built and cached: what a new user's first run does), then in process with both read
from the cache (every later run while the lists are unchanged); ``--dask-workers 1`` and
``--dask-workers 2``; the flagged records of all variants must be identical (sha256 of
flagged.csv from each manifest). Peer in the same run: a naive pandas + rapidfuzz
``extractOne`` screen of the same file (its name loop timed on a subsample and scaled).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import click
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
from rapidfuzz import fuzz, process, utils

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_names import BASELINE_CUTOFF, entity_names, list_summary, result_header

from dualuse_kit.sample import TRADE_COLUMNS, generate_trade_records, load_sample_vocabulary
from screening.hs.chpl import CHPL_FILE
from screening.io import write_json_atomic
from screening.lists import load_bundled_lists
from screening.paths import data_dir as user_data_dir

RESULTS_DIR = Path(__file__).resolve().parent / "results"
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ROWS = (1_000_000,)
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


def _round(value: float, digits: int = 3) -> float:
    return round(float(value), digits)


# --------------------------------------------------------------------------------------------
# input: sample records with a realistic share of distinct party names


def _tags(seed: int) -> list[str]:
    """Two-word distinguishing prefixes ("ASTRA HUAXIN") from the sample's own word pools."""
    pools = load_sample_vocabulary()["word_pools"]
    first = [w for w in pools["en_word"] + pools["ru_stem"] if " " not in w]
    second = [a + b for a in pools["cn_syl"] for b in pools["cn_syl"] if a != b]
    rng = np.random.default_rng(seed)
    tags = [f"{a} {b}" for a in first for b in second]
    rng.shuffle(tags)
    return tags


def diversify_names(table: pa.Table, distinct_share: float, seed: int) -> pa.Table:
    """Give clean (non-listed) party slots a distinguishing word until about
    ``distinct_share * rows`` distinct names remain; listed-name variants stay as generated."""
    rows = table.num_rows
    names = pa.concat_arrays(
        [table["EXPORTER_NAME"].combine_chunks(), table["IMPORTER_NAME"].combine_chunks()]
    )
    base = len(pc.unique(names))
    wanted = max(0, int(distinct_share * rows) - base)
    if wanted == 0:
        return table
    listed = np.concatenate(
        [
            table[f"truth_{role}_list_source"].is_valid().to_numpy(zero_copy_only=False)
            for role in ("exporter", "importer")
        ]
    )
    rng = np.random.default_rng(seed)
    candidates = np.flatnonzero(~listed)
    chosen = rng.choice(candidates, size=min(wanted, candidates.size), replace=False)
    tags = _tags(seed)
    tag = pa.array([tags[i % len(tags)] for i in rng.integers(0, 10**9, chosen.size)])
    renamed = pc.binary_join_element_wise(tag, names.take(pa.array(chosen)), " ")
    values = np.asarray(names.to_pylist(), dtype=object)
    values[chosen] = renamed.to_pylist()
    out = table.set_column(
        table.schema.get_field_index("EXPORTER_NAME"),
        "EXPORTER_NAME",
        pa.array(values[:rows].tolist(), pa.string()),
    )
    return out.set_column(
        out.schema.get_field_index("IMPORTER_NAME"),
        "IMPORTER_NAME",
        pa.array(values[rows:].tolist(), pa.string()),
    )


def make_input(
    rows: int, *, files: int, fmt: str, distinct_share: float, seed: int, data_dir: Path
) -> tuple[Path, dict[str, Any]]:
    """A folder of ``files`` trade files holding ``rows`` records in all (reused when present)."""
    folder = data_dir / f"trade_{rows}_{files}f_{fmt}_d{int(distinct_share * 100)}_s{seed}"
    described = folder / "input.json"
    if described.exists():
        return folder, json.loads(described.read_text())
    folder.mkdir(parents=True, exist_ok=True)
    list_table = load_bundled_lists()
    per_file = -(-rows // files)
    distinct: set[str] = set()
    listed_slots = 0
    start = time.perf_counter()
    for number in range(files):
        n = min(per_file, rows - number * per_file)
        table = generate_trade_records(
            n, seed=seed + number, list_table=list_table, include_truth=True
        )
        table = diversify_names(table, distinct_share, seed + number)
        for role in ("EXPORTER_NAME", "IMPORTER_NAME"):
            distinct.update(pc.unique(table[role]).to_pylist())
        listed_slots += sum(
            int(pc.sum(table[f"truth_{r}_list_source"].is_valid()).as_py())
            for r in ("exporter", "importer")
        )
        trade = table.select(list(TRADE_COLUMNS))
        path = folder / f"trade_{number:02d}.{fmt}"
        if fmt == "csv":
            pa_csv.write_csv(trade, path, pa_csv.WriteOptions(quoting_style="needed"))
        else:
            pq.write_table(trade, path, row_group_size=250_000)
    info = {
        "rows": rows,
        "files": files,
        "format": fmt,
        "distinct_party_names": len(distinct),
        "distinct_share": _round(len(distinct) / rows),
        "listed_party_slots": listed_slots,
        "seed": seed,
        "generate_seconds": _round(time.perf_counter() - start, 1),
        "megabytes": _round(sum(p.stat().st_size for p in folder.iterdir()) / 2**20, 1),
    }
    described.write_text(json.dumps(info, indent=2))
    return folder, info


# --------------------------------------------------------------------------------------------
# ours: `dualuse run` in a fresh process, memory of its process tree sampled from /proc


SLOW_EVERY = 10
"""Samples (0.1 s apart) between two readings of the process tree and of its PSS. Read for
every sample, they cost the benchmark 10 CPU s of a 53 s 2-worker Dask run, a fifth of a core
taken from the run it timed: smaps_rollup walks a process's page tables, and the tree is found
through every thread's children. Each sample reads only the RSS count in statm."""


def _tree_pids(pid: int) -> list[int]:
    """``pid`` and all its descendants (Linux /proc), parents first."""
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children", encoding="ascii") as fh:
                    stack.extend(int(c) for c in fh.read().split())
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return found


def _tree_memory_kb(pids: list[int], with_pss: bool) -> tuple[int, int]:
    """Resident memory of ``pids`` (a process tree), in kB: the summed RSS, and (``with_pss``,
    else 0) the summed PSS (proportional set size), which counts a page shared by forked
    processes (the name-matching workers are forks) once in all instead of once per process."""
    rss, pss = 0, 0
    for current in pids:
        try:
            with open(f"/proc/{current}/statm", encoding="ascii") as fh:
                rss += int(fh.read().split()[1]) * PAGE_KB
            if with_pss:
                with open(f"/proc/{current}/smaps_rollup", encoding="ascii") as fh:
                    for line in fh:
                        if line.startswith("Pss:"):
                            pss += int(line.split()[1])
                            break
        except (FileNotFoundError, ProcessLookupError, PermissionError, IndexError):
            continue
    return rss, pss


def _own_cpu_seconds(pid: int) -> float | None:
    """CPU seconds (user + system) ``pid`` itself has used so far, its children not counted."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure_run(inputs: Path, *extra: str, home: Path) -> dict[str, Any]:
    """Wall time, peak RSS of the process tree and the manifest of one ``dualuse run``, with
    ``home`` as its data folder (the lists' and name index's cache) and a review store of its
    own (a store grown by earlier runs would make later runs record into a bigger database)."""
    with tempfile.TemporaryDirectory(prefix="bench_run_") as tmp:
        out = Path(tmp) / "out"
        command = [sys.executable, "-m", "screening", "run", str(inputs), "--out", str(out)]
        command += list(extra)
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO_ROOT),
            "DUALUSE_DATA_DIR": str(home),
            "DUALUSE_DB": str(Path(tmp) / "review.sqlite"),
        }
        start = time.perf_counter()
        load_before = os.getloadavg()[0]
        cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        log = Path(tmp) / "log.txt"
        with open(log, "w", encoding="utf-8") as sink:
            proc = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=env)
            peak, peak_pss, driver_cpu, samples, pids = 0, 0, 0.0, 0, [proc.pid]
            while proc.poll() is None:
                slow_sample = samples % SLOW_EVERY == 0
                if slow_sample:  # processes start seldom: looked for once a second
                    pids = _tree_pids(proc.pid)
                rss, pss = _tree_memory_kb(pids, slow_sample)
                peak, peak_pss = max(peak, rss), max(peak_pss, pss)
                driver_cpu = _own_cpu_seconds(proc.pid) or driver_cpu
                samples += 1
                time.sleep(0.1)
        wall = time.perf_counter() - start
        # the run and every process it waited for (its matching workers): CPU seconds compare
        # runs on a loaded machine better than wall time does
        cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (
            cpu_after.ru_stime - cpu_before.ru_stime
        )
        if proc.returncode != 0:
            raise RuntimeError(
                f"{' '.join(command)} failed ({proc.returncode}):\n{log.read_text()[-4000:]}"
            )
        manifest = json.loads((out / "manifest.json").read_text())
    counts = manifest["counts"]
    stages = manifest["timings_seconds"]
    return {
        "command": "dualuse run " + " ".join(["INPUT", "--out", "OUT", *extra]),
        "rows": counts["rows_screened"],
        "rejects": counts["rows_rejected"],
        "wall_seconds": _round(wall, 1),
        "total_seconds": _round(wall, 1),
        "cpu_seconds": _round(cpu, 1),
        # the run's own process (reading, the scheduler of a LocalCluster, writing) apart from
        # its workers: what does not spread over more workers (last sample, <= 0.1 s early)
        "driver_cpu_seconds": _round(driver_cpu, 1),
        "load_average_1m": {
            "before": _round(load_before, 2),
            "after": _round(os.getloadavg()[0], 2),
        },
        "peak_rss_mb": round(peak / 1024),
        "peak_pss_mb": round(peak_pss / 1024),
        "records_per_second": round(counts["rows_in"] / wall),
        "stages": stages,
        "load_seconds": stages.get("load_trades", 0.0),
        "reference_seconds": stages.get("load_reference", 0.0),
        "risk_levels": counts["by_risk_level"],
        "rows_flagged": counts["rows_flagged"],
        "flagged_sha256": manifest["outputs"]["flagged"]["sha256"],
        "executor": manifest["execution"]["executor"],
    }


# --------------------------------------------------------------------------------------------
# naive baseline


def naive_baseline(path: Path, list_names: list[str], *, sample: int, seed: int) -> dict[str, Any]:
    """pandas + isin + extractOne per distinct name (scaled from a subsample)."""
    start = time.perf_counter()
    files = sorted(p for p in Path(path).iterdir() if p.suffix in (".csv", ".parquet"))
    frame = pd.concat(
        [
            pd.read_parquet(p) if p.suffix == ".parquet" else pd.read_csv(p, dtype=str)
            for p in files
        ],
        ignore_index=True,
    )
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


def cpu_bound(one: dict[str, Any], two: dict[str, Any], cores: int) -> dict[str, Any]:
    """How much faster 2 workers could be than 1 on this machine, from the CPU they used.

    The 2-worker run can take no less wall time than its CPU seconds (workers and driver)
    spread over every core with none idle; the 1-worker run's driver works on a core its one
    worker leaves free, so its share costs that run no wall time. The ratio of the measured
    1-worker wall time to that floor is the most a better packing of the same work could
    reach; only less CPU in the 2-worker run (or more cores) raises it. The runs' own wall,
    CPU and driver CPU seconds are beside it, under ``dask``."""
    floor = two["cpu_seconds"] / cores
    return {
        "cores": cores,
        "two_workers_floor_seconds": _round(floor, 1),
        "most_speedup_here": _round(one["wall_seconds"] / floor, 2),
    }


def markdown(result: dict[str, Any]) -> str:
    lines = [
        "### End-to-end screening (`dualuse run`)",
        "",
        "| Rows (files) | distinct names | variant | wall (s) | of which party matching (s) | "
        "records/s | peak RSS (MB) | peak PSS (MB) | same flags |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for run in result["runs"]:
        data = run["input"]
        variants = [("in process", run["ours"]), *run.get("dask", {}).items()]
        if "ours_first_run" in run:
            variants.insert(0, ("in process, first run (index built)", run["ours_first_run"]))
        for label, measured in variants:
            same = measured["flagged_sha256"] == run["ours"]["flagged_sha256"]
            lines.append(
                f"| {run['rows']:,} ({data['files']} {data['format']}) | "
                f"{data['distinct_party_names']:,} | {label} | {measured['wall_seconds']:g} | "
                f"{measured['stages'].get('match_parties', 0):g} | "
                f"{measured['records_per_second']:,} | {measured['peak_rss_mb']:,} | "
                f"{measured.get('peak_pss_mb', 0):,} | {'yes' if same else 'NO'} |"
            )
        if run.get("dask_speedup_2_over_1"):
            lines.append(
                f"| | | Dask 2 workers vs 1 | {run['dask_speedup_2_over_1']:g}× faster | | | | | |"
            )
        bound = run.get("dask_cpu_bound")
        if bound:
            two = run["dask"]["Dask 2 worker(s)"]
            lines.append(
                f"| | | … at most on {bound['cores']} cores (2 workers' "
                f"{two['cpu_seconds']:g} CPU s / {bound['cores']}) | "
                f"{bound['most_speedup_here']:g}× | | | | | |"
            )
        base = run.get("baseline")
        if base:
            est = " (est.)" if base["extrapolated"] else ""
            lines.append(
                f"| | | naive pandas + extractOne{est} | {base['total_seconds']:g} "
                f"({run['ratio_baseline_over_ours']:g}× ours) | {base['name_seconds']:g} | "
                f"{base['records_per_second'] or 0:,} | | | |"
            )
    return "\n".join(lines)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--rows", type=int, multiple=True, help="Row counts to run (default 1M).")
@click.option("--files", type=int, default=1, show_default=True, help="Input files per size.")
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv", show_default=True
)
@click.option("--distinct-share", type=float, default=0.2, show_default=True)
@click.option("--quick", is_flag=True, help="Tiny size for the smoke test.")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=RESULTS_DIR / "pipeline.json",
    show_default=True,
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(tempfile.gettempdir()) / "dualuse-bench",
    show_default=True,
    help="Where generated inputs are kept between runs (not the repository).",
)
@click.option(
    "--baseline-sample",
    type=int,
    default=300,
    show_default=True,
    help="Distinct names the extractOne baseline is timed on (then scaled).",
)
@click.option("--baseline/--no-baseline", default=True, help="Run the naive peer too.")
@click.option(
    "--dask/--no-dask", default=True, help="Also time --dask-workers 1 and --dask-workers 2."
)
@click.option(
    "--dask-repeats",
    type=int,
    default=1,
    show_default=True,
    help="Time 1 and 2 workers this many times each, interleaved (1, 2, 1, 2, ...): the "
    "speed-up is taken from each variant's median wall time (the lower middle one of an "
    "even count).",
)
@click.option(
    "--first-run/--no-first-run",
    default=True,
    help="Also time the first run in an empty data folder (lists parsed, name index built and "
    "cached), before the runs that read them from its cache.",
)
@click.option("--seed", type=int, default=7, show_default=True)
def main(
    rows: tuple[int, ...],
    files: int,
    fmt: str,
    distinct_share: float,
    quick: bool,
    out: Path,
    data_dir: Path,
    baseline_sample: int,
    baseline: bool,
    dask: bool,
    dask_repeats: int,
    first_run: bool,
    seed: int,
) -> None:
    """Time `dualuse run` on generated trade files; print markdown and write JSON."""
    began = time.perf_counter()
    if quick:
        rows, baseline_sample, dask = (2_000,), 5, False
        data_dir = Path(tempfile.mkdtemp(prefix="bench_pipeline_"))
    rows = rows or DEFAULT_ROWS
    list_table = load_bundled_lists()
    list_names = sorted(entity_names(list_table)["name"].unique())
    result = result_header("pipeline", quick, -1)
    result["lists"] = list_summary(list_table) | {"baseline_list_names": len(list_names)}
    result["runs"] = []
    # an empty data folder of the benchmark's own; the smoke test: the caller's, as it is
    home = user_data_dir() if quick else Path(tempfile.mkdtemp(prefix="bench_pipeline_home_"))
    first_run = first_run and not quick
    if not first_run and not quick:  # the lists and the name index cached before any run is timed
        warm = make_input(2_000, files=1, fmt=fmt, distinct_share=0.2, seed=seed, data_dir=data_dir)
        measure_run(warm[0], home=home)
    for n in rows:
        click.echo(f"{n} rows: input ...", err=True)
        folder, info = make_input(
            n, files=files, fmt=fmt, distinct_share=distinct_share, seed=seed, data_dir=data_dir
        )
        run: dict[str, Any] = {"rows": n, "input": info}
        if first_run and n == rows[0]:
            click.echo(f"{n} rows: dualuse run, first run ...", err=True)
            run["ours_first_run"] = measure_run(folder, home=home)
        click.echo(f"{n} rows: dualuse run ...", err=True)
        ours = run["ours"] = measure_run(folder, home=home)
        if dask:
            timed: dict[int, list[dict[str, Any]]] = {1: [], 2: []}
            for _ in range(max(1, dask_repeats)):
                for workers in (1, 2):
                    click.echo(f"{n} rows: dualuse run --dask-workers {workers} ...", err=True)
                    timed[workers].append(
                        measure_run(folder, "--dask-workers", str(workers), home=home)
                    )
            run["dask"] = {}
            for workers, measures in timed.items():
                ordered = sorted(measures, key=lambda m: m["wall_seconds"])
                median = dict(ordered[(len(ordered) - 1) // 2])
                if len(measures) > 1:
                    median["wall_seconds_each"] = [m["wall_seconds"] for m in measures]
                run["dask"][f"Dask {workers} worker(s)"] = median
            one, two = run["dask"]["Dask 1 worker(s)"], run["dask"]["Dask 2 worker(s)"]
            run["dask_speedup_2_over_1"] = _round(one["wall_seconds"] / two["wall_seconds"], 2)
            run["dask_cpu_bound"] = cpu_bound(one, two, os.cpu_count() or 1)
            every = [ours, *timed[1], *timed[2]]
            run["same_flags"] = len({m["flagged_sha256"] for m in every}) == 1
        if "ours_first_run" in run:
            run["same_flags_first_run"] = (
                run["ours_first_run"]["flagged_sha256"] == ours["flagged_sha256"]
            )
        if baseline:
            click.echo(f"{n} rows: naive baseline ...", err=True)
            base = naive_baseline(folder, list_names, sample=baseline_sample, seed=seed)
            run["baseline"] = base
            run["ratio_baseline_over_ours"] = _round(
                base["total_seconds"] / ours["wall_seconds"], 1
            )
        result["runs"].append(run)
    if not quick:
        shutil.rmtree(home, ignore_errors=True)
    result["total_seconds"] = _round(time.perf_counter() - began, 1)
    write_json_atomic(result, out)
    click.echo(markdown(result))
    click.echo(f"\nwrote {out} in {result['total_seconds']} s", err=True)


if __name__ == "__main__":
    main()
