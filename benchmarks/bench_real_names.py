"""Name matching measured on REAL labelled sets built from ../shared (benchmarks/real_sets.py).

Usage::

    DUALUSE_SHARED_DATA=/path/to/shared/data python benchmarks/bench_real_names.py
    python benchmarks/bench_real_names.py --quick --out /tmp/real.json     # ~2 min check
    python benchmarks/bench_real_names.py --set eu_inn --set vendor_clean  # some sets only

Screens every query the way screening calls the matcher: ``match_names`` over the whole list
index, with the party's country (``countries=``), at ``DEFAULT_THRESHOLD``, ``top=5``. A query
is *found* when one of its expected list entries is among those hits (recall; for the EU and
translation sets an entry of the same legal entity by a shared INN/OGRN counts too); precision
is the share of queries with any hit whose best hit is that legal entity; on the clean vendor names
every name with a hit is a false positive. The company pairs are scored as ``dualuse compare
--pairs`` scores them (``score_name_pairs``) and give P / R / F1 at the default threshold, with
rapidfuzz scorers on the same pairs as the peer. Every figure says whether its set is ``real``
or ``synthetic``. Results: ``benchmarks/results/real_names.json``; the names behind misses go
to ``out/benchmarks/real_names_examples.json`` (git-ignored: EU names are CC BY-NC).
"""

from __future__ import annotations

import json
import platform
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import numpy as np
import pandas as pd
import rapidfuzz
from rapidfuzz import fuzz

sys.path.insert(0, str(Path(__file__).resolve().parent))

import real_sets
from bench_pairs import curated_table, evaluate_curated
from name_pairs import peer_pair_scores

from screening.names import DEFAULT_THRESHOLD, NameIndex, match_names, score_name_pairs

RESULTS = Path(__file__).resolve().parent / "results"
EXAMPLES = real_sets.REPO_ROOT / "out" / "benchmarks" / "real_names_examples.json"
TOP = 5
TARGETS = {
    "pairs_f1": 0.87,
    "customs_variants_recall": 0.97,
    "vendor_clean_fp_rate_max": 0.005,
    "eu_inn_name_recall": 0.85,
}
"""Acceptance targets of issue 9 (the speed target is measured by bench_speed.py)."""
PAIR_PEERS = {
    "wratio_85": (fuzz.WRatio, 85),
    "wratio_90": (fuzz.WRatio, 90),
    "token_sort_ratio_85": (fuzz.token_sort_ratio, 85),
}


def git_commit() -> str:
    try:
        return subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=real_sets.REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def screen(
    queries: pd.DataFrame, index: NameIndex, threshold: float
) -> tuple[dict[tuple[str, str | None], list[tuple[str, float]]], float]:
    """Hits per (query, country), best first, as ``entry`` keys with scores; and seconds."""
    start = time.perf_counter()
    hits = match_names(
        queries["query"].tolist(),
        index,
        countries=queries["country"].tolist(),
        threshold=threshold,
        top=TOP,
    )
    seconds = time.perf_counter() - start
    out: dict[tuple[str, str | None], list[tuple[str, float]]] = {}
    cols = hits.select(["query", "query_country", "list_source", "source_id", "rank", "score"])
    for q, c, s, i, _, score in sorted(
        zip(*(cols[n].to_pylist() for n in cols.column_names), strict=True),
        key=lambda r: (r[0], r[1] or "", r[4]),
    ):
        out.setdefault((q, c or None), []).append((f"{s}{real_sets.SEP}{i}", score))
    return out, seconds


def judge(queries: pd.DataFrame, hits: dict, *, strict_recall: bool) -> pd.DataFrame:
    """Per query: any hit; found (an expected entry among the hits, or with ``strict_recall``
    off an entry of the same legal entity); best hit on the same legal entity."""
    rows = []
    same = queries["same_entity"] if "same_entity" in queries else queries["expected"]
    for q, c, expected, entity in zip(
        queries["query"], queries["country"], queries["expected"], same, strict=True
    ):
        country = c if isinstance(c, str) and c else None  # NaN from the frame: no country
        got = hits.get((q.strip(), country), [])
        entries = [e for e, _ in got]
        wanted = set(expected) if strict_recall else set(entity)
        rows.append(
            (
                bool(got),
                bool(set(entries) & wanted),
                bool(got) and entries[0] in set(entity),
                got[0][1] if got else None,
            )
        )
    return pd.DataFrame(
        rows, columns=["any_hit", "found", "top1_expected", "best_score"], index=queries.index
    )


def figures(judged: pd.DataFrame, *, clean: bool) -> dict[str, Any]:
    n = len(judged)
    with_hit = int(judged["any_hit"].sum())
    if clean:
        return {"n": n, "names_with_hit": with_hit, "fp_rate": with_hit / n if n else None}
    return {
        "n": n,
        "found": int(judged["found"].sum()),
        "recall": float(judged["found"].mean()) if n else None,
        "queries_with_hit": with_hit,
        "precision": float(judged["top1_expected"].sum() / with_hit) if with_hit else None,
    }


def evaluate_set(rset: real_sets.RetrievalSet, threshold: float, cache: dict) -> dict[str, Any]:
    if rset.skipped:
        return {"data": rset.data, "skipped": rset.skipped}
    key = id(rset.index_table)
    if key not in cache:
        start = time.perf_counter()
        cache[key] = (NameIndex.build(rset.index_table), time.perf_counter() - start)
    index, build_seconds = cache[key]
    hits, seconds = screen(rset.queries, index, threshold)
    judged = judge(rset.queries, hits, strict_recall=rset.strict_recall)
    clean = rset.name == "vendor_clean"
    result: dict[str, Any] = {
        "data": rset.data,
        "description": rset.description,
        "recall_counts": "the expected entry only"
        if rset.strict_recall
        else "the expected entry or one of the same legal entity (shared INN/OGRN)",
        "index_rows": rset.index_table.num_rows,
        "index_build_seconds": round(build_seconds, 2),
        "match_seconds": round(seconds, 2),
        "all": figures(judged, clean=clean),
        "groups": {
            g: figures(judged.loc[rows.index], clean=clean)
            for g, rows in rset.queries.groupby("group", sort=True)
        },
    }
    misses = rset.queries[~judged["found"]] if not clean else rset.queries[judged["any_hit"]]
    result["_examples"] = [
        {
            "query": q,
            "country": c,
            "expected": list(e),
            "group": g,
            "hits": hits.get((q.strip(), c or None), [])[:3],
        }
        for q, c, e, g in zip(
            misses["query"], misses["country"], misses["expected"], misses["group"], strict=True
        )
    ][:300]
    return result


def pair_figures(labels: np.ndarray, scores: np.ndarray, threshold: float) -> dict[str, Any]:
    flagged = scores >= threshold
    tp = int((flagged & labels).sum())
    fp = int((flagged & ~labels).sum())
    fn = int((~flagged & labels).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "threshold": threshold,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "precision": precision,
        "recall": recall,
        "f1": f1,
    }


def best_threshold(labels: np.ndarray, scores: np.ndarray) -> dict[str, Any]:
    grid = np.arange(50, 100.5, 0.5)
    best = max(
        (pair_figures(labels, scores, t) for t in grid), key=lambda r: (r["f1"], r["threshold"])
    )
    return {"best_threshold": best["threshold"], "best_f1": best["f1"]}


def pair_methods(
    pairs: pd.DataFrame, ours: np.ndarray, threshold: float, untyped: np.ndarray | None = None
) -> dict[str, Any]:
    labels = pairs["label"].to_numpy(dtype=bool)
    methods = {"ours": {**pair_figures(labels, ours, threshold), **best_threshold(labels, ours)}}
    if untyped is not None:
        methods["ours (file without entity_type)"] = {
            **pair_figures(labels, untyped, threshold),
            **best_threshold(labels, untyped),
        }
    for name, (scorer, cutoff) in PAIR_PEERS.items():
        peer = peer_pair_scores(pairs, scorer)
        methods[name] = {**pair_figures(labels, peer, cutoff), **best_threshold(labels, peer)}
    return {"n_positive": int(labels.sum()), "n_negative": int((~labels).sum()), "methods": methods}


def evaluate_pairs(pairs: pd.DataFrame, threshold: float) -> dict[str, Any]:
    labels = pairs["label"].to_numpy(dtype=bool)
    start = time.perf_counter()
    # every second name is a listed entity's name: the pair file says so (entity_type), as
    # the list does, so a company named by two common words is not read as a person's name
    ours = np.array(
        [
            c.score
            for c in score_name_pairs(
                pairs["name1"].tolist(),
                pairs["name2"].tolist(),
                entity_types=["entity"] * len(pairs),
            )
        ]
    )
    seconds = time.perf_counter() - start
    untyped = np.array(
        [c.score for c in score_name_pairs(pairs["name1"].tolist(), pairs["name2"].tolist())]
    )
    evidence = (pairs["name_evidence"] | ~pairs["label"]).to_numpy(dtype=bool)
    subsets = {
        "all": pair_methods(pairs, ours, threshold, untyped),
        "name_evidence": pair_methods(
            pairs[evidence].reset_index(drop=True), ours[evidence], threshold, untyped[evidence]
        ),
    }
    by_kind = {}
    for kind, rows in pairs.groupby("kind", sort=True):
        flagged = ours[rows.index] >= threshold
        by_kind[kind] = {
            "label": bool(rows["label"].iloc[0]),
            "n": len(rows),
            "n_name_evidence": int(rows["name_evidence"].sum()),
            "correct": float((flagged == rows["label"].to_numpy(dtype=bool)).mean()),
        }
    wrong = pairs[(ours >= threshold) != labels]
    return {
        "data": "real",
        "description": "company name pairs from real list links (positives) and different real "
        "entities (hard negatives), scored as `dualuse compare --pairs`; subset name_evidence "
        "keeps the positives sharing a word (romanised, legal forms aside) and every negative",
        "n_positive": int(labels.sum()),
        "n_negative": int((~labels).sum()),
        "ours_seconds": round(seconds, 2),
        "subsets": subsets,
        "methods": subsets["all"]["methods"],
        "by_kind": by_kind,
        "_examples": [
            {"name1": a, "name2": b, "label": bool(lab), "kind": k, "score": float(s)}
            for a, b, lab, k, s in zip(
                wrong["name1"],
                wrong["name2"],
                wrong["label"],
                wrong["kind"],
                ours[wrong.index],
                strict=True,
            )
        ][:300],
    }


def acceptance(result: dict[str, Any]) -> dict[str, Any]:
    sets = result["sets"]
    out: dict[str, Any] = {}

    def check(name: str, value: float | None, target: float, *, at_most: bool = False) -> None:
        met = None if value is None else (value <= target if at_most else value >= target)
        out[name] = {"value": value, "target": target, "met": met}

    curated = result.get("pairs_curated", {}).get("subsets", {})
    for origin in ("real", "synthetic"):
        check(
            f"pairs_f1 (curated public benchmark, {origin} pairs)",
            curated.get(f"origin={origin}", {}).get("ours", {}).get("f1"),
            TARGETS["pairs_f1"],
        )
    subsets = result["pairs"]["subsets"]
    check(
        "pairs_f1 (real list links, all pairs)",
        subsets["all"]["methods"]["ours"]["f1"],
        TARGETS["pairs_f1"],
    )
    check(
        "pairs_f1 (real list links, positives with name evidence)",
        subsets["name_evidence"]["methods"]["ours"]["f1"],
        TARGETS["pairs_f1"],
    )
    cv = sets.get("customs_variants", {})
    check(
        "customs_variants_recall_top5 (synthetic distortions of real names)",
        cv.get("all", {}).get("recall"),
        TARGETS["customs_variants_recall"],
    )
    vc = sets.get("vendor_clean", {})
    check(
        "vendor_clean_fp_rate (real)",
        vc.get("all", {}).get("fp_rate"),
        TARGETS["vendor_clean_fp_rate_max"],
        at_most=True,
    )
    eu = sets.get("eu_inn", {})
    check(
        "eu_inn_name_recall_top5 (real)",
        eu.get("groups", {}).get("eu_name", {}).get("recall"),
        TARGETS["eu_inn_name_recall"],
    )
    return out


def print_tables(result: dict[str, Any]) -> None:
    pct = lambda v: "–" if v is None else f"{100 * v:.1f}%"  # noqa: E731
    click.echo(
        f"\n#### Name matching on real data (commit {result['commit']}, "
        f"threshold {result['threshold']:g}, top {TOP}, party countries passed)\n"
    )
    click.echo("| Set | data | group | n | recall (top 5) | precision (best hit) |")
    click.echo("|---|---|---|---|---|---|")
    for name, s in result["sets"].items():
        if "skipped" in s:
            click.echo(f"| {name} | {s['data']} | skipped: {s['skipped']} | | | |")
            continue
        rows = [("all", s["all"]), *list(s["groups"].items())]
        for group, f in rows:
            if "fp_rate" in f:
                click.echo(
                    f"| {name} | {s['data']} | {group} | {f['n']:,} | clean names flagged: "
                    f"{pct(f['fp_rate'])} ({f['names_with_hit']}) | |"
                )
            else:
                click.echo(
                    f"| {name} | {s['data']} | {group} | {f['n']:,} | {pct(f['recall'])} "
                    f"| {pct(f['precision'])} |"
                )
    if "pairs" not in result:
        return
    p = result["pairs"]
    click.echo(
        f"\n#### Company pairs (real): {p['n_positive']:,} match + {p['n_negative']:,} non-match\n"
    )
    click.echo("| pairs | scorer | threshold | P | R | F1 | best threshold (F1) |")
    click.echo("|---|---|---|---|---|---|---|")
    for subset, sub in p["subsets"].items():
        label = f"{subset} ({sub['n_positive']:,} + {sub['n_negative']:,})"
        for name, m in sub["methods"].items():
            click.echo(
                f"| {label} | {name} | {m['threshold']:g} | {pct(m['precision'])} | "
                f"{pct(m['recall'])} | {pct(m['f1'])} | {m['best_threshold']:g} "
                f"({pct(m['best_f1'])}) |"
            )
    click.echo("\n| pair kind | label | n | of which name evidence | ours correct |")
    click.echo("|---|---|---|---|---|")
    for kind, k in p["by_kind"].items():
        click.echo(
            f"| {kind} | {'match' if k['label'] else 'non-match'} | {k['n']} | "
            f"{k['n_name_evidence']} | {pct(k['correct'])} |"
        )
    if "pairs_curated" in result:
        click.echo(
            "\n#### Company pairs (curated public benchmark: nomenklatura name_bench, MIT; "
            "real = maintainers' checks, unit tests, customer cases; synthetic = "
            "LLM-proposed deviations)\n"
        )
        click.echo("\n".join(curated_table(result["pairs_curated"])))
    if "acceptance" not in result:
        return
    click.echo("\n#### Acceptance (issue 9)\n\n| target | value | goal | met |\n|---|---|---|---|")
    for name, a in result["acceptance"].items():
        goal = f"≤ {pct(a['target'])}" if "fp_rate" in name else f"≥ {pct(a['target'])}"
        click.echo(f"| {name} | {pct(a['value'])} | {goal} | {a['met']} |")


@click.command()
@click.option("--quick", is_flag=True, help="Subsample every set (a fast check, not a figure).")
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    default=str(RESULTS / "real_names.json"),
    show_default=True,
)
@click.option(
    "--examples",
    type=click.Path(dir_okay=False),
    default=str(EXAMPLES),
    show_default=True,
    help="Misses and false hits (not committed).",
)
@click.option("--set", "only", multiple=True, help="Evaluate only these sets (repeatable).")
@click.option("--no-pairs", is_flag=True, help="Skip the company-pairs set.")
@click.option("--threshold", type=float, default=DEFAULT_THRESHOLD, show_default=True)
def main(
    quick: bool, out: str, examples: str, only: tuple[str, ...], no_pairs: bool, threshold: float
) -> None:
    """Recall / precision per real set, clean FP rate and pair F1, as JSON and markdown."""
    if not real_sets.have_shared_data():
        raise click.ClickException(
            f"real data not found under {real_sets.SHARED_DATA} (set DUALUSE_SHARED_DATA)"
        )
    started = time.perf_counter()
    ref = real_sets.reference_table()
    cache: dict = {}
    result: dict[str, Any] = {
        "benchmark": "real_names",
        "schema_version": 1,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "mode": "quick" if quick else "full",
        "environment": {
            "python": platform.python_version(),
            "platform": platform.platform(),
            "rapidfuzz": rapidfuzz.__version__,
        },
        "threshold": threshold,
        "top": TOP,
        "countries_passed": True,
        "reference_lists": ["/".join(p) for p in real_sets.REFERENCE_FILES],
        "reference_rows": ref.num_rows,
        "sets": {},
    }
    kept: dict[str, Any] = {}
    for rset in real_sets.retrieval_sets(ref, quick=quick):
        if only and rset.name not in only:
            continue
        click.echo(f"{rset.name}: {len(rset.queries)} queries", err=True)
        evaluated = evaluate_set(rset, threshold, cache)
        kept[rset.name] = evaluated.pop("_examples", [])
        result["sets"][rset.name] = evaluated
    if not no_pairs and (not only or "pairs" in only):
        click.echo("pairs", err=True)
        pairs = real_sets.company_pairs(ref, per_kind=150 if quick else 600, quick=quick)
        result["pairs"] = evaluate_pairs(pairs, threshold)
        kept["pairs"] = result["pairs"].pop("_examples")
        click.echo("pairs_curated", err=True)
        result["pairs_curated"] = evaluate_curated()
        kept["pairs_curated"] = result["pairs_curated"].pop("errors")
    if "pairs" in result and not only:
        result["acceptance"] = acceptance(result)
    result["total_seconds"] = round(time.perf_counter() - started, 1)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str) + "\n")
    Path(examples).parent.mkdir(parents=True, exist_ok=True)
    Path(examples).write_text(json.dumps(kept, indent=1, ensure_ascii=False, default=str))
    print_tables(result)
    click.echo(f"\nwritten {out}; examples {examples}", err=True)


if __name__ == "__main__":
    main()
