"""Bulk name matching speed: ``dualuse match-names`` vs string_grouper, same names, same lists.

Usage::

    python benchmarks/bench_speed.py                  # 200k names -> results/speed.json
    python benchmarks/bench_speed.py --n 20000 --out /tmp/speed.json   # a quick look

The query file mixes what a screening run meets: every distinct real vendor party name
(``trade/vendor_samples_xlsx`` in ../shared), customs-style variants of listed names (10 %,
from ``distort.py``, which shares no table with the matcher; each knows its list entry) and
random company-like names (the rest; words drawn from the vendor names and random syllables,
with legal forms). The lists are the bundled active lists, which ``match-names`` screens by
default. Both tools run as **separate processes, one after the other in the same run**, timed
end to end by ``/usr/bin/time`` (wall seconds and peak RSS): ours is the command users run,
``python -m screening match-names FILE --column name --out OUT``; string_grouper
(``match_strings(list_names, query_names)``, TF-IDF character 3-grams and sparse cosine, its
default ``min_similarity`` 0.8) reads the same CSV and the lists' party names. Recall: a listed
variant whose entry is among the tool's matches; clean hit rate: vendor and random names with
any match. Everything is written to ``out/benchmarks/speed`` (git-ignored) and the figures to
``results/speed.json``.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

sys.path.insert(0, str(Path(__file__).resolve().parent))

import distort
import real_sets

RESULTS = Path(__file__).resolve().parent / "results"
WORK = real_sets.REPO_ROOT / "out" / "benchmarks" / "speed"
TIME = "/usr/bin/time"
LEGAL_FORMS = (
    "LLC",
    "LTD",
    "CO., LTD.",
    "GMBH",
    "S.R.L.",
    "INC",
    "JSC",
    "OOO",
    "A.S.",
    "SA",
    "LIMITED",
    "PVT LTD",
    "FZE",
    "TRADING CO",
    "",
    "",
    "",
)
SYLLABLES = (
    "ka",
    "ro",
    "mi",
    "tex",
    "lan",
    "dor",
    "vel",
    "sin",
    "tra",
    "mar",
    "nov",
    "pol",
    "zen",
    "qua",
    "bel",
    "tor",
    "gal",
    "fin",
    "sol",
    "ter",
    "ax",
    "ix",
    "on",
    "el",
)


def party_list(table: pa.Table) -> pd.DataFrame:
    """Party names of the lists (no vessels or aircraft): list_source, source_id, name."""
    keep = pc.fill_null(
        pc.or_kleene(
            pc.is_in(table["entity_type"], pa.array(list(real_sets.PARTY_TYPES))),
            pc.is_null(table["entity_type"]),
        ),
        False,
    )
    frame = (
        table.filter(keep)
        .select(["list_source", "source_id", "name", "name_kind", "entity_type", "identifiers"])
        .to_pandas()
    )
    frame = frame[frame["name"].fillna("").str.strip() != ""]
    frame["entry"] = frame["list_source"] + real_sets.SEP + frame["source_id"]
    return frame.reset_index(drop=True)


def random_company_names(n: int, vocabulary: list[str], rng: np.random.Generator) -> list[str]:
    """``n`` distinct company-like names: 1-3 words from real vendor names or made-up words."""
    out: set[str] = set()
    while len(out) < n:
        words = []
        for _ in range(int(rng.integers(1, 4))):
            if rng.random() < 0.6 and vocabulary:
                words.append(vocabulary[int(rng.integers(0, len(vocabulary)))])
            else:
                k = int(rng.integers(2, 4))
                words.append("".join(SYLLABLES[int(i)] for i in rng.integers(0, len(SYLLABLES), k)))
        form = LEGAL_FORMS[int(rng.integers(0, len(LEGAL_FORMS)))]
        out.add(" ".join([*words, form]).upper().strip())
    return sorted(out)


def build_queries(n: int, lists: pd.DataFrame, seed: int) -> pd.DataFrame:
    """name, kind (vendor / listed_variant / random), expected entry ('' for clean names)."""
    rng = np.random.default_rng(seed)
    vendor = real_sets.vendor_clean_set(
        pa.table(
            {
                "list_source": [],
                "source_id": [],
                "entity_type": [],
                "name": [],
                "name_kind": [],
                "countries": [],
                "identifiers": [],
            }
        )
    )
    vendor_names = sorted(set(vendor.queries["query"])) if vendor.skipped is None else []
    n_listed = n // 10
    inns: dict[str, str] = {}
    for entry, idents in zip(lists["entry"], lists["identifiers"], strict=True):
        for ident in idents if idents is not None else ():
            if ident["scheme"] == "INN":
                inns.setdefault(entry, ident["value"])
    pool = lists[lists["name_kind"].isin(["primary", "alias"])]
    rows: dict[str, str] = {}
    ops = [op for op in distort.OPERATIONS if op != "case_punct"]
    attempts = 0
    while len(rows) < n_listed and attempts < n_listed * 20:
        attempts += 1
        i = int(rng.integers(0, len(pool)))
        name, entry = pool["name"].iat[i], pool["entry"].iat[i]
        op = ops[int(rng.integers(0, len(ops)))]
        if not distort.applicable(name, op, inn=inns.get(entry)):
            continue
        variant = distort.distort(name, op, rng, inn=inns.get(entry)).strip()
        if variant and variant not in rows:
            rows[variant] = entry
    listed = pd.DataFrame(
        {"name": list(rows), "kind": "listed_variant", "expected": list(rows.values())}
    )
    vocabulary = sorted(
        {w for v in vendor_names for w in v.upper().split() if w.isalpha() and len(w) >= 3}
    )
    taken = set(rows) | set(vendor_names)
    n_random = max(0, n - len(listed) - len(vendor_names))
    randoms = [
        r for r in random_company_names(n_random + len(taken), vocabulary, rng) if r not in taken
    ][:n_random]
    frame = pd.concat(
        [
            pd.DataFrame({"name": vendor_names, "kind": "vendor", "expected": ""}),
            listed,
            pd.DataFrame({"name": randoms, "kind": "random", "expected": ""}),
        ],
        ignore_index=True,
    )
    frame = frame.drop_duplicates("name")
    return frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)


def timed(cmd: list[str], log: Path, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run ``cmd`` under /usr/bin/time: wall seconds, CPU seconds (user + system, its forked
    children's included: what a busy shared machine does not inflate as it does wall time),
    peak RSS (MB), the 1-minute load average before it started."""
    load = os.getloadavg()[0]
    start = time.perf_counter()
    with log.open("w") as err:
        proc = subprocess.run(
            [TIME, "-f", "TIME %e %M %U %S", *cmd],
            stderr=err,
            stdout=err,
            cwd=real_sets.REPO_ROOT,
            env={**os.environ, **(env or {})},
        )
    wall = time.perf_counter() - start
    lines = [ln for ln in log.read_text().splitlines() if ln.startswith("TIME ")]
    if proc.returncode != 0 or not lines:
        raise click.ClickException(f"{' '.join(cmd)} failed ({proc.returncode}); see {log}")
    _, seconds, rss_kb, user, system = lines[-1].split()
    return {
        "seconds": float(seconds),
        "wall_seconds": round(wall, 2),
        "cpu_seconds": round(float(user) + float(system), 2),
        "peak_rss_mb": round(int(rss_kb) / 1024, 1),
        "load_average_before": round(load, 2),
    }


def quality(found: dict[str, set[str]], queries: pd.DataFrame) -> dict[str, Any]:
    """Recall on listed variants, hit rate on vendor and random names."""
    listed = queries[queries["kind"] == "listed_variant"]
    hits = [found.get(n, set()) for n in listed["name"]]
    recall = float(np.mean([e in h for e, h in zip(listed["expected"], hits, strict=True)]))
    out: dict[str, Any] = {"recall_listed": recall, "n_listed": len(listed)}
    for kind in ("vendor", "random"):
        names = queries.loc[queries["kind"] == kind, "name"]
        out[f"hit_rate_{kind}"] = (
            float(np.mean([bool(found.get(n)) for n in names])) if len(names) else None
        )
        out[f"n_{kind}"] = len(names)
    return out


@click.group(invoke_without_command=True)
@click.option("--n", "n_names", type=int, default=200_000, show_default=True)
@click.option("--seed", type=int, default=5, show_default=True)
@click.option(
    "--out", type=click.Path(dir_okay=False), default=str(RESULTS / "speed.json"), show_default=True
)
@click.option("--skip-peer", is_flag=True, help="Time ours only (profiling).")
@click.pass_context
def main(ctx: click.Context, n_names: int, seed: int, out: str, skip_peer: bool) -> None:
    """Time ``match-names`` and string_grouper on the same names; write JSON and markdown."""
    if ctx.invoked_subcommand is not None:
        return
    from screening.lists import load_bundled_lists

    WORK.mkdir(parents=True, exist_ok=True)
    lists = party_list(load_bundled_lists())
    queries_csv = WORK / f"queries_{n_names}_{seed}.csv"
    if queries_csv.exists():
        queries = pd.read_csv(queries_csv, dtype=str, keep_default_na=False)
    else:
        queries = build_queries(n_names, lists, seed)
        queries.to_csv(queries_csv, index=False)
    lists_file = WORK / "list_names.parquet"
    lists[["list_source", "source_id", "name", "entry"]].to_parquet(lists_file)
    entries_of = lists.groupby("name")["entry"].agg(set).to_dict()

    ours_out = WORK / "ours_hits.csv"
    state = WORK / "data"
    shutil.rmtree(state, ignore_errors=True)
    command = [
        sys.executable,
        "-m",
        "screening",
        "match-names",
        str(queries_csv),
        "--column",
        "name",
        "--out",
        str(ours_out),
    ]
    # first run: lists parsed and name index built (both then cached in the data dir);
    # second run: what every later run costs while the lists stay the same
    cold = timed(command, WORK / "ours_cold.log", {"DUALUSE_DATA_DIR": str(state)})
    ours = timed(command, WORK / "ours.log", {"DUALUSE_DATA_DIR": str(state)})
    hits = pd.read_csv(ours_out, dtype=str, keep_default_na=False)
    found: dict[str, set[str]] = {}
    for q, s, i in zip(hits["query"], hits["list_source"], hits["source_id"], strict=True):
        found.setdefault(q, set()).add(s + real_sets.SEP + i)
    ours.update(quality(found, queries))
    result: dict[str, Any] = {
        "benchmark": "speed",
        "schema_version": 1,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            cwd=real_sets.REPO_ROOT,
        ).stdout.strip(),
        "environment": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "data": "real vendor names + synthetic variants of real list names (distort.py) + "
        "random company-like names; lists: the bundled active lists",
        "n_queries": len(queries),
        "by_kind": queries["kind"].value_counts().to_dict(),
        "list_party_names": len(lists),
        "ours": {
            "command": "python -m screening match-names FILE --column name --out OUT",
            "cache": "warm: lists and name index read from the data dir's cache",
            **ours,
        },
        "ours_cold": {"cache": "cold: lists parsed and index built in the run", **cold},
    }
    if not skip_peer:
        sg_out = WORK / "string_grouper_hits.parquet"
        peer = timed(
            [
                sys.executable,
                __file__,
                "string-grouper",
                str(queries_csv),
                str(lists_file),
                str(sg_out),
            ],
            WORK / "string_grouper.log",
        )
        matches = pd.read_parquet(sg_out)
        found = {}
        for q, m in zip(matches["query"], matches["list_name"], strict=True):
            found.setdefault(q, set()).update(entries_of.get(m, set()))
        peer.update(quality(found, queries))
        result["string_grouper"] = {
            "call": "match_strings(list_names, query_names), defaults (min_similarity 0.8)",
            **peer,
        }
        result["ratio_string_grouper_seconds_over_ours"] = round(
            peer["seconds"] / ours["seconds"], 2
        )
        result["ratio_string_grouper_seconds_over_ours_cold"] = round(
            peer["seconds"] / cold["seconds"], 2
        )
        result["ratio_string_grouper_cpu_seconds_over_ours"] = round(
            peer["cpu_seconds"] / ours["cpu_seconds"], 2
        )
        result["recall_ceiling_ratio"] = (
            round(1 / peer["recall_listed"], 2) if peer["recall_listed"] else None
        )
        result["ratio_ours_recall_over_string_grouper"] = (
            round(ours["recall_listed"] / peer["recall_listed"], 2)
            if peer["recall_listed"]
            else None
        )
        result["target_met"] = bool(
            ours["seconds"] <= peer["seconds"]
            and ours["recall_listed"] >= 2 * peer["recall_listed"]
        )
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(json.dumps(result, indent=2) + "\n")
    pct = lambda v: "–" if v is None else f"{100 * v:.1f}%"  # noqa: E731
    click.echo(f"\n#### Bulk matching, {len(queries):,} names (commit {result['commit']})\n")
    click.echo(
        "| tool | seconds | CPU seconds | peak RSS (MB) | recall on listed variants "
        "| vendor names hit | random names hit |\n|---|---|---|---|---|---|---|"
    )
    for tool in ("ours", "ours_cold", "string_grouper"):
        if tool in result:
            r = {**result["ours"], **result[tool]} if tool == "ours_cold" else result[tool]
            click.echo(
                f"| {tool} | {r['seconds']:.1f} | {r['cpu_seconds']:.1f} | "
                f"{r['peak_rss_mb']:.0f} | "
                f"{pct(r['recall_listed'])} | {pct(r['hit_rate_vendor'])} | "
                f"{pct(r['hit_rate_random'])} |"
            )
    if "string_grouper" in result:
        click.echo(
            f"\nstring_grouper / ours time: "
            f"{result['ratio_string_grouper_seconds_over_ours']}x warm, "
            f"{result['ratio_string_grouper_seconds_over_ours_cold']}x cold; recall ratio "
            f"{result['ratio_ours_recall_over_string_grouper']}x; target met: "
            f"{result['target_met']}"
        )


@main.command("string-grouper")
@click.argument("queries_csv", type=click.Path(exists=True))
@click.argument("lists_file", type=click.Path(exists=True))
@click.argument("out", type=click.Path())
def run_string_grouper(queries_csv: str, lists_file: str, out: str) -> None:
    """(child process) string_grouper on the query names against the list names."""
    from string_grouper import match_strings

    queries = pd.read_csv(queries_csv, dtype=str, keep_default_na=False)["name"]
    names = pd.read_parquet(lists_file, columns=["name"])["name"].drop_duplicates()
    matches = match_strings(
        names.reset_index(drop=True).rename("list"),
        queries.drop_duplicates().reset_index(drop=True).rename("query"),
    )
    pd.DataFrame(
        {
            "list_name": matches["left_list"],
            "query": matches["right_query"],
            "similarity": matches["similarity"],
        }
    ).to_parquet(out)


if __name__ == "__main__":
    main()
