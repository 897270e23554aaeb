"""Bulk name matching speed: ``dualuse match-names`` vs string_grouper, same names, same lists.

Usage::

    python benchmarks/bench_speed.py                  # 200k names -> results/speed.json
    python benchmarks/bench_speed.py --n 20000 --out /tmp/speed.json   # a quick look

The query file mixes what a screening run meets:

- every distinct real vendor party name (``trade/vendor_samples_xlsx`` in ../shared);
- customs-style variants of listed names (10 %, SYNTHETIC: from ``distort.py``, which shares no
  table with the matcher; each knows its list entry, and any entry listing the same name, and
  its distortion; Cyrillic renderings only of Russian, Belarusian, Ukrainian and Kazakh
  entries, as in ``real_sets.customs_variant_set``);
- every name and alias of the EU 833/269 entities whose Russian INN/OGRN an entry of the bundled
  lists carries (REAL: the name as another list writes it, Latin and original script; the
  entries with that identifier are the expected ones);
- random company-like names (the rest; words drawn from the vendor names and random
  syllables, with legal forms).

The lists are the bundled active lists, which ``match-names`` screens by default. Both tools
run as **separate processes, one after the other in the same run**, timed end to end by
``/usr/bin/time`` (wall seconds and peak RSS); after our first run (lists parsed, index built:
``ours_cold``), each tool runs ``--repeat`` times (3) in turns and its median run is reported
with all of them (our hits must be byte-identical in every run). Ours is the command users run,
``python -m screening match-names FILE --column name --out OUT --top 5 --country-column
country``: each name with the country a trade record would give its party, as screening passes
it (an agreeing country corroborates a slip, a short name or a personal name; a conflicting one
counts against); string_grouper (``match_strings(list_names, query_names)``, TF-IDF character
3-grams and sparse cosine, its default ``min_similarity`` 0.8; it has no use for countries)
reads the same CSV and the lists' party names.

Recall: a listed name whose entry (one of them, for the EU names) is among the tool's matches
(ours: the top 5 at the flag threshold; matches held below it for want of corroboration do not
count), reported apart for the synthetic variants (and per distortion) and the real EU names
(and per kind of name); clean hit rate: vendor and random names with a match (ours: at the
threshold). Everything is written to ``out/benchmarks/speed`` (git-ignored) and the figures to
``results/speed.json``.
"""

from __future__ import annotations

import hashlib
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
CYRILLIC_COUNTRIES = ("RU", "BY", "UA", "KZ")
"""Entries whose names a customs record may write in Cyrillic (as real_sets' customs variants)."""
TOP = 5
"""Hits per name kept by ``match-names``: recall counts the expected entry among the top 5 at
the threshold, as the issue's acceptance defines it (string_grouper keeps every match)."""
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
    """Party names of the lists (no vessels or aircraft): list_source, source_id, name, ...,
    country (the entry's first ISO-2 country, None where it has none)."""
    keep = pc.fill_null(
        pc.or_kleene(
            pc.is_in(table["entity_type"], pa.array(list(real_sets.PARTY_TYPES))),
            pc.is_null(table["entity_type"]),
        ),
        False,
    )
    frame = (
        table.filter(keep)
        .select(
            [
                "list_source",
                "source_id",
                "name",
                "name_kind",
                "entity_type",
                "identifiers",
                "countries",
            ]
        )
        .to_pandas()
    )
    frame = frame[frame["name"].fillna("").str.strip() != ""]
    frame["entry"] = frame["list_source"] + real_sets.SEP + frame["source_id"]
    countries = real_sets.entry_countries(frame)
    frame["country"] = frame["entry"].map(countries)
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


def eu_cross_list_queries(lists: pd.DataFrame) -> pd.DataFrame:
    """REAL listed names as another list writes them: every name and alias of an EU 833/269
    entity whose INN/OGRN an entry of ``lists`` carries (``real_sets.eu_inn_set``), with those
    entries ('|'-joined) as the expected ones; none when the EU files are absent."""
    empty = pd.DataFrame(columns=["name", "kind", "expected", "group"])
    if not real_sets.have_shared_data():
        return empty
    eu = real_sets.eu_inn_set(real_sets.reference_table())
    if eu.skipped:
        return empty
    listed = set(lists["entry"])
    expected = ["|".join(e for e in exp if e in listed) for exp in eu.queries["expected"]]
    frame = pd.DataFrame(
        {
            "name": eu.queries["query"].str.strip().to_numpy(),
            "kind": "listed_real",
            "expected": expected,
            "group": eu.queries["group"].to_numpy(),
            "country": eu.queries["country"].to_numpy(),
        }
    )
    frame = frame[(frame["expected"] != "") & (frame["name"] != "")]
    return frame.drop_duplicates("name").reset_index(drop=True)


def build_queries(n: int, lists: pd.DataFrame, seed: int) -> pd.DataFrame:
    """name, kind (vendor / listed_variant / listed_real / random), expected entries ('|'-joined;
    '' for clean names), group (the distortion of a variant, the kind of an EU name), country
    (ISO-2, as a trade record gives the party's: the vendor record's, the listed entry's, the EU
    record's, or for a random name one the vendor parties trade from; None where unknown)."""
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
    vendor_country: dict[str, str | None] = {}
    if vendor.skipped is None:
        for name, country in zip(vendor.queries["query"], vendor.queries["country"], strict=True):
            if vendor_country.get(name) is None:
                vendor_country[name] = country
    vendor_names = sorted(vendor_country)
    n_listed = n // 10
    inns: dict[str, str] = {}
    for entry, idents in zip(lists["entry"], lists["identifiers"], strict=True):
        for ident in idents if idents is not None else ():
            if ident["scheme"] == "INN":
                inns.setdefault(entry, ident["value"])
    pool = lists[lists["name_kind"].isin(["primary", "alias"])]
    same_name = lists.groupby("name")["entry"].agg(set).to_dict()
    rows: dict[str, tuple[str, str, str | None]] = {}
    ops = [op for op in distort.OPERATIONS if op != "case_punct"]
    attempts = 0
    while len(rows) < n_listed and attempts < n_listed * 20:
        attempts += 1
        i = int(rng.integers(0, len(pool)))
        name, entry, country = pool["name"].iat[i], pool["entry"].iat[i], pool["country"].iat[i]
        op = ops[int(rng.integers(0, len(ops)))]
        if not distort.applicable(name, op, inn=inns.get(entry)):
            continue
        if op == "cyrillic" and country not in CYRILLIC_COUNTRIES:
            continue  # a Mexican firm is not written in Cyrillic
        variant = distort.distort(name, op, rng, inn=inns.get(entry)).strip()
        if variant and variant not in rows:
            # a duplicate listing of the same name is a right hit (as in real_sets)
            rows[variant] = ("|".join(sorted({entry} | same_name.get(name, set()))), op, country)
    listed = pd.DataFrame(
        {
            "name": list(rows),
            "kind": "listed_variant",
            "expected": [entry for entry, _, _ in rows.values()],
            "group": [op for _, op, _ in rows.values()],
            "country": [country for _, _, country in rows.values()],
        }
    )
    real = eu_cross_list_queries(lists)
    real = real[~real["name"].isin(listed["name"])]
    vocabulary = sorted(
        {w for v in vendor_names for w in v.upper().split() if w.isalpha() and len(w) >= 3}
    )
    taken = set(rows) | set(vendor_names) | set(real["name"])
    n_random = max(0, n - len(listed) - len(real) - len(vendor_names))
    randoms = [
        r for r in random_company_names(n_random + len(taken), vocabulary, rng) if r not in taken
    ][:n_random]
    # a random name trades from a country the real vendor parties trade from
    seen_countries = [c for c in vendor_country.values() if c] or [None]
    random_countries = [
        seen_countries[int(i)] for i in rng.integers(0, len(seen_countries), len(randoms))
    ]
    frame = pd.concat(
        [
            pd.DataFrame(
                {
                    "name": vendor_names,
                    "kind": "vendor",
                    "expected": "",
                    "group": "",
                    "country": [vendor_country[v] for v in vendor_names],
                }
            ),
            listed,
            real,
            pd.DataFrame(
                {
                    "name": randoms,
                    "kind": "random",
                    "expected": "",
                    "group": "",
                    "country": random_countries,
                }
            ),
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


def median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run with the median wall time (the slower middle one of an even count), with every
    run's wall and CPU seconds beside it."""
    ordered = sorted(runs, key=lambda run: run["seconds"])
    return {
        **ordered[len(ordered) // 2],
        "runs": len(runs),
        "seconds_each": [run["seconds"] for run in runs],
        "cpu_seconds_each": [run["cpu_seconds"] for run in runs],
    }


def _recall(found: dict[str, set[str]], listed: pd.DataFrame) -> float | None:
    """Share of ``listed`` names with one of their expected entries among the matches."""
    if listed.empty:
        return None
    return float(
        np.mean(
            [
                not found.get(name, set()).isdisjoint(expected.split("|"))
                for name, expected in zip(listed["name"], listed["expected"], strict=True)
            ]
        )
    )


def quality(found: dict[str, set[str]], queries: pd.DataFrame) -> dict[str, Any]:
    """Recall on the synthetic variants and on the real EU names (each also per group), hit
    rate on vendor and random names."""
    groups = queries["group"] if "group" in queries else pd.Series("", index=queries.index)
    out: dict[str, Any] = {}
    for kind, label in (("listed_variant", "listed"), ("listed_real", "real")):
        listed = queries[queries["kind"] == kind]
        out[f"recall_{label}"] = _recall(found, listed)
        out[f"n_{label}"] = len(listed)
        out[f"recall_{label}_by_group"] = {
            group: {"recall": _recall(found, part), "n": len(part)}
            for group, part in listed.groupby(groups[listed.index], sort=True)
            if group
        }
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
@click.option(
    "--repeat",
    type=click.IntRange(1),
    default=3,
    show_default=True,
    help="Warm runs of each tool, taken in turns (ours, theirs, ours, ...); each tool's median "
    "run is reported: one run each swung the ratio by 10 % on a shared machine.",
)
@click.pass_context
def main(
    ctx: click.Context, n_names: int, seed: int, out: str, skip_peer: bool, repeat: int
) -> None:
    """Time ``match-names`` and string_grouper on the same names; write JSON and markdown."""
    if ctx.invoked_subcommand is not None:
        return
    from screening.lists import load_bundled_lists
    from screening.names import DEFAULT_THRESHOLD

    WORK.mkdir(parents=True, exist_ok=True)
    lists = party_list(load_bundled_lists())
    queries_csv = WORK / f"queries_v4_{n_names}_{seed}.csv"
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
        "--top",
        str(TOP),
        "--country-column",
        "country",
    ]
    # first run: lists parsed and name index built (both then cached in the data dir);
    # second run: what every later run costs while the lists stay the same
    cold = timed(command, WORK / "ours_cold.log", {"DUALUSE_DATA_DIR": str(state)})
    sg_out = WORK / "string_grouper_hits.parquet"
    peer_command = [
        sys.executable, __file__, "string-grouper", str(queries_csv), str(lists_file), str(sg_out)
    ]  # fmt: skip
    ours_runs: list[dict[str, Any]] = []
    peer_runs: list[dict[str, Any]] = []
    hit_digests: set[str] = set()
    for _ in range(repeat):  # in turns: a slow spell of the machine falls on both tools
        ours_runs.append(timed(command, WORK / "ours.log", {"DUALUSE_DATA_DIR": str(state)}))
        hit_digests.add(hashlib.sha256(ours_out.read_bytes()).hexdigest())
        if not skip_peer:
            peer_runs.append(timed(peer_command, WORK / "string_grouper.log"))
    if len(hit_digests) != 1:
        raise click.ClickException("match-names wrote different hits in repeated runs")
    ours = median_run(ours_runs)
    hits = pd.read_csv(ours_out, dtype=str, keep_default_na=False)
    # matches held below the threshold for want of corroboration are listed for the analyst,
    # but they are not flags: only hits at the threshold count
    hits = hits[hits["score"].astype(float) >= DEFAULT_THRESHOLD]
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
        "real EU 833/269 names linked by INN/OGRN to bundled entries + random company-like "
        "names; lists: the bundled active lists",
        "n_queries": len(queries),
        "by_kind": queries["kind"].value_counts().to_dict(),
        "list_party_names": len(lists),
        "ours": {
            "command": "python -m screening match-names FILE --column name --out OUT --top 5 "
            "--country-column country",
            "cache": "warm: lists and name index read from the data dir's cache",
            **ours,
        },
        "ours_cold": {"cache": "cold: lists parsed and index built in the run", **cold},
    }
    if not skip_peer:
        peer = median_run(peer_runs)
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
        for label in ("listed", "real"):
            peer_recall, our_recall = peer[f"recall_{label}"], ours[f"recall_{label}"]
            result[f"recall_ceiling_ratio_{label}"] = (
                round(1 / peer_recall, 2) if peer_recall else None
            )
            result[f"ratio_ours_recall_over_string_grouper_{label}"] = (
                round(our_recall / peer_recall, 2) if peer_recall and our_recall else None
            )
            result[f"target_met_{label}"] = bool(
                ours["seconds"] <= peer["seconds"]
                and our_recall is not None
                and peer_recall is not None
                and our_recall >= 2 * peer_recall
            )
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(json.dumps(result, indent=2) + "\n")
    pct = lambda v: "–" if v is None else f"{100 * v:.1f}%"  # noqa: E731
    click.echo(f"\n#### Bulk matching, {len(queries):,} names (commit {result['commit']})\n")
    click.echo(
        "| tool | seconds | CPU seconds | peak RSS (MB) | recall: synthetic variants "
        "| recall: real EU names | vendor names hit | random names hit |"
        "\n|---|---|---|---|---|---|---|---|"
    )
    for tool in ("ours", "ours_cold", "string_grouper"):
        if tool in result:
            r = {**result["ours"], **result[tool]} if tool == "ours_cold" else result[tool]
            click.echo(
                f"| {tool} | {r['seconds']:.1f} | {r['cpu_seconds']:.1f} | "
                f"{r['peak_rss_mb']:.0f} | "
                f"{pct(r['recall_listed'])} | {pct(r['recall_real'])} | "
                f"{pct(r['hit_rate_vendor'])} | "
                f"{pct(r['hit_rate_random'])} |"
            )
    if "string_grouper" in result:
        click.echo(
            f"\nstring_grouper / ours time: "
            f"{result['ratio_string_grouper_seconds_over_ours']}x warm, "
            f"{result['ratio_string_grouper_seconds_over_ours_cold']}x cold; recall ratio "
            f"{result['ratio_ours_recall_over_string_grouper_listed']}x on the synthetic variants "
            f"(target met: {result['target_met_listed']}), "
            f"{result['ratio_ours_recall_over_string_grouper_real']}x on the real EU names "
            f"(target met: {result['target_met_real']})"
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
