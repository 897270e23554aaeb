"""Single-name lookup speed: ``dualuse check NAME`` as a user runs it, a fresh process per name.

Usage::

    python benchmarks/bench_check.py                  # 20 names, 2 rounds -> results/check.json
    python benchmarks/bench_check.py --quick --out /tmp/check.json   # 3 names, 1 round

Names: real ones, half listed names drawn from the bundled lists (a random alias or primary
name of a party entry, with its country), half distinct party names of the vendor samples in
``../shared/data/trade/vendor_samples_csv`` (with the record's country), plus the issue's
example ``JSC NIKIMT ATOMSTROY`` (RU). The lists are the bundled active lists, ``check``'s
default. Every command runs in its own process under ``/usr/bin/time`` (wall seconds, peak
RSS), one after another, against a data directory of its own under ``out/benchmarks/check``:

- **cold**: the first ``check`` with an empty data directory (parses the lists, builds the
  index and caches it);
- **warm**: ``python -m screening check NAME [--country CC]`` and the installed ``dualuse``
  entry point, each name in each round;
- **peer**, the same lookup through ``match-names`` on a one-name CSV (name, country), with
  its own index cache warm: what answering one name cost before ``check`` existed.

The answers are compared too: ``check``'s entries at or above the flag threshold against the
rows ``match-names`` writes for the same name and country (list entry and score). Vendor names
are licensed: the JSON records only the listed names, and a count of the vendor ones.
"""

from __future__ import annotations

import csv
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

sys.path.insert(0, str(Path(__file__).resolve().parent))

import real_sets

RESULTS = Path(__file__).resolve().parent / "results"
WORK = real_sets.REPO_ROOT / "out" / "benchmarks" / "check"
TIME = "/usr/bin/time"
EXAMPLE = ("JSC NIKIMT ATOMSTROY", "RU")
SEED = 12
ENTRY = re.compile(
    r"^\d+\.\s+(?P<score>[\d.]+)\s+(?:MATCH|below threshold)\s+(?P<src>\S+) (?P<id>[^:]+):"
)


def listed_names(n: int, rng: random.Random) -> list[tuple[str, str | None]]:
    """``n`` names of party entries of the bundled lists, with the entry's first country."""
    from screening.lists import load_bundled_lists

    table = load_bundled_lists()
    rows = [
        (name, (countries or [None])[0])
        for name, kind, countries in zip(
            table["name"].to_pylist(),
            table["entity_type"].to_pylist(),
            table["countries"].to_pylist(),
            strict=True,
        )
        if name and kind in ("entity", None) and len(name) < 80
    ]
    return rng.sample(sorted(set(rows), key=lambda r: (r[0], r[1] or "")), n)


def vendor_names(n: int, rng: random.Random) -> list[tuple[str, str | None]]:
    """``n`` distinct party names of the vendor CSV samples, with the record's country."""
    folder = real_sets.SHARED_DATA / "trade" / "vendor_samples_csv"
    found: set[tuple[str, str | None]] = set()
    for path in sorted(folder.glob("*.csv")):
        with path.open(encoding="utf-8", errors="replace", newline="") as fh:
            reader = csv.DictReader(fh)
            columns = [
                c
                for c in reader.fieldnames or []
                if c.upper().endswith("NAME EN") or c.upper() in ("EXPORTER", "IMPORTER")
            ]
            for number, row in enumerate(reader):
                if number >= 200:
                    break
                country = (row.get("COUNTRY ISO CODE 2") or "").strip().upper() or None
                for column in columns:
                    name = (row.get(column) or "").strip()
                    if 4 <= len(name) < 80:
                        found.add((name, country if country and len(country) == 2 else None))
    return rng.sample(sorted(found, key=lambda r: (r[0], r[1] or "")), n)


CPU_SECONDS: list[tuple[str, float]] = []
"""(command kind, user + system CPU seconds) of every timed command: on a shared machine the
CPU time says what the command costs, the wall time what a user waits."""


def timed(command: list[str], env: dict[str, str], kind: str = "") -> tuple[float, float, str]:
    """(wall seconds, peak RSS MB, stdout) of one command in a fresh process."""
    started = time.perf_counter()
    done = subprocess.run(
        [TIME, "-f", "%M %U %S", *command], capture_output=True, text=True, env=env, check=False
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stderr[-2000:]}")
    peak_kb, user, system = done.stderr.strip().splitlines()[-1].split()
    CPU_SECONDS.append((kind, float(user) + float(system)))
    return wall, int(peak_kb) / 1024, done.stdout


def check_command(runner: list[str], name: str, country: str | None) -> list[str]:
    return [*runner, "check", name, *(["--country", country] if country else [])]


def check_hits(stdout: str, threshold: float) -> list[tuple[str, str, float]]:
    """(list_source, source_id, score) of the entries ``check`` printed at the threshold."""
    hits = []
    for line in stdout.splitlines():
        found = ENTRY.match(line)
        if found and float(found["score"]) >= threshold:
            hits.append((found["src"], found["id"], float(found["score"])))
    return hits


def match_names_hits(
    folder: Path, name: str, country: str | None, env: dict[str, str], kind: str = "match_names"
) -> tuple[float, float, list[tuple[str, str, float]]]:
    """``match-names`` on a one-name CSV: (wall, peak RSS MB, its hits)."""
    source, out = folder / "one_name.csv", folder / "one_name_hits.csv"
    with source.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["name", "country"])
        writer.writerow([name, country or ""])
    command = [
        sys.executable, "-m", "screening", "match-names", str(source), "--column", "name",
        "--country-column", "country", "--out", str(out),
    ]  # fmt: skip
    wall, peak, _ = timed(command, env, kind)
    with out.open(encoding="utf-8") as fh:
        hits = [(r["list_source"], r["source_id"], float(r["score"])) for r in csv.DictReader(fh)]
    return wall, peak, hits


def _commit() -> str:
    done = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False,
        cwd=real_sets.REPO_ROOT,
    )  # fmt: skip
    return done.stdout.strip()


def summary(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "n": len(values),
        "median": round(statistics.median(values), 3),
        "p95": round(p95, 3),
        "min": round(ordered[0], 3),
        "max": round(ordered[-1], 3),
    }


@click.command()
@click.option("--names", "n_names", type=int, default=20, show_default=True)
@click.option("--rounds", type=int, default=2, show_default=True, help="warm runs per name")
@click.option("--quick", is_flag=True, help="3 names, 1 round (the smoke test)")
@click.option("--out", type=click.Path(dir_okay=False), default=str(RESULTS / "check.json"))
@click.option(
    "--code",
    type=click.Path(exists=True, file_okay=False),
    default=str(real_sets.REPO_ROOT),
    show_default=True,
    help="checkout whose screening package the commands run (an earlier commit: before/after)",
)
@click.option(
    "--work",
    type=click.Path(file_okay=False),
    default=str(WORK),
    show_default=True,
    help="scratch folder (emptied first): the commands' data directory and files",
)
def main(n_names: int, rounds: int, quick: bool, out: str, code: str, work: str) -> None:
    if quick:
        n_names, rounds = 3, 1
    folder = Path(work)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    os.environ["DUALUSE_DATA_DIR"] = str(folder / "data")  # this process's list cache too
    env = {**os.environ, "PYTHONPATH": str(Path(code).resolve())}
    module = [sys.executable, "-m", "screening"]
    load_at_start = list(os.getloadavg())

    cold_wall, cold_peak, _ = timed(check_command(module, *EXAMPLE), env, "cold")
    print(f"cold check (lists parsed, index built and cached): {cold_wall:.2f} s")

    rng = random.Random(SEED)
    n_listed = max(1, (n_names - 1) // 2)
    names = [EXAMPLE, *listed_names(n_listed, rng), *vendor_names(n_names - 1 - n_listed, rng)]
    names = names[:n_names]
    kinds = ["example"] + ["listed"] * n_listed + ["vendor"] * (n_names - 1 - n_listed)
    entry = shutil.which("dualuse", path=str(Path(sys.executable).parent)) or shutil.which(
        "dualuse"
    )
    from screening.names.tunables import settings

    threshold = settings.flag_threshold

    _, _, first = match_names_hits(folder, *EXAMPLE, env, "warm-up")  # the peer's index cache

    walls: dict[str, list[float]] = {"module": [], "entry_point": [], "match_names": []}
    peaks: dict[str, list[float]] = {"module": [], "entry_point": [], "match_names": []}
    agree, compared = 0, 0
    for round_number in range(rounds):
        for name, country in names:
            wall, peak, stdout = timed(check_command(module, name, country), env, "module")
            walls["module"].append(wall)
            peaks["module"].append(peak)
            if entry:
                wall, peak, _ = timed(check_command([entry], name, country), env, "entry_point")
                walls["entry_point"].append(wall)
                peaks["entry_point"].append(peak)
            if round_number == 0:
                wall, peak, theirs = match_names_hits(folder, name, country, env)
                walls["match_names"].append(wall)
                peaks["match_names"].append(peak)
                ours = check_hits(stdout, threshold)[: len(theirs) or 3]
                compared += 1
                agree += ours == theirs
                if ours != theirs:
                    print(f"  differs: {name!r} ({country}): check {ours} / match-names {theirs}")

    result: dict[str, Any] = {
        "benchmark": "check",
        "mode": "quick" if quick else "full",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": _commit(),
        "environment": {
            "python": platform.python_version(),
            "machine": platform.machine(),
            "cpus": os.cpu_count(),
            "load_average_at_start": load_at_start,
            "load_average_at_end": list(os.getloadavg()),
        },
        "data": "bundled active lists (reference_lists/manifest.yml); names: "
        f"{kinds.count('listed')} listed names of the bundled lists, {kinds.count('vendor')} "
        "vendor party names (../shared/data/trade/vendor_samples_csv), and the issue's example",
        "names": [
            {"name": n, "country": c}
            if kind != "vendor"
            else {"name": "(vendor name)", "country": c}
            for (n, c), kind in zip(names, kinds, strict=True)
        ],
        "rounds": rounds,
        "code": str(Path(code).resolve()),
        "cold": {"seconds": round(cold_wall, 3), "peak_rss_mb": round(cold_peak, 1)},
        "warm": {
            label: {
                **summary(values),
                "peak_rss_mb": round(max(peaks[label]), 1),
                "cpu_seconds": summary([c for kind, c in CPU_SECONDS if kind == label]),
            }
            for label, values in walls.items()
            if values
        },
        "answers_equal_match_names": {"names": compared, "equal": agree},
        "example_match_names_hits": first,
    }
    module_median = result["warm"]["module"]["median"]
    peer_median = result["warm"]["match_names"]["median"]
    result["ratio_match_names_to_check"] = round(peer_median / module_median, 2)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")

    print(f"\n{len(names)} names x {rounds} round(s), fresh process each, warm cache")
    print("| command | median s | p95 s | max s | CPU s (median) | peak RSS MB |")
    print("|---|---|---|---|---|---|")
    labels = {
        "module": "`python -m screening check`",
        "entry_point": "`dualuse check`",
        "match_names": "`match-names` one-name file (peer)",
    }
    for label, stats in result["warm"].items():
        print(
            f"| {labels[label]} | {stats['median']} | {stats['p95']} | {stats['max']} | "
            f"{stats['cpu_seconds']['median']} | {stats['peak_rss_mb']} |"
        )
    cold = result["cold"]
    print(f"| cold first `check` | {cold['seconds']} | | | | {cold['peak_rss_mb']} |")
    print(
        f"answers equal to match-names: {agree}/{compared}; peer/check median ratio "
        f"{result['ratio_match_names_to_check']}"
    )
    print(f"-> {out}")


if __name__ == "__main__":
    main()
