"""Party-name matching: quality on labelled real pairs and speed, against rapidfuzz baselines.

    python benchmarks/bench_names.py                 # full run -> benchmarks/results/names.json
    python benchmarks/bench_names.py --quick --out /tmp/names.json   # seconds; the smoke test

Quality sets (benchmarks/README.md says how each is built): (a) OFAC alias <-> primary with hard
negatives, (b) EU names -> OFAC entries sharing a Russian INN, (c) the sampler's customs-style
variants of listed names, (d) real vendor party names (mostly clean). Ours runs at
DEFAULT_THRESHOLD; the baselines are rapidfuzz WRatio and token_sort_ratio at 85 with rapidfuzz's
default processing, computed in the same run. Speed: our match_names vs exhaustive
``process.cdist`` over every list name, on the same distinct queries.
"""

from __future__ import annotations

import platform
import sys
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import numpy as np
import pandas as pd
import pyarrow as pa
import rapidfuzz
from rapidfuzz import fuzz, process, utils

sys.path.insert(0, str(Path(__file__).resolve().parent))

import name_pairs

from screening.io import write_json_atomic
from screening.lists import load_bundled_lists
from screening.names import DEFAULT_THRESHOLD, NameIndex, match_names

RESULTS_DIR = Path(__file__).resolve().parent / "results"
EXAMPLES_FILE = name_pairs.REPO_ROOT / "out" / "benchmarks" / "names_examples.json"
"""Where example names from the EU transcriptions (CC BY-NC) and the vendor samples (licensed)
go: out/ is git-ignored, so those names are shown to the analyst but never committed."""
BASELINE_CUTOFF = 85.0
SCORE_FLOOR = 30.0
"""Our scores are collected down to here so the best-threshold search has something to scan."""
EVAL_TOP = 100
"""Quality runs keep every hit of a name (the matcher keeps at most 100 candidates anyway)."""
SCORERS: dict[str, Callable[..., float]] = {
    "wratio": fuzz.WRatio,
    "token_sort_ratio": fuzz.token_sort_ratio,
}
"""The baselines' scorers, run with rapidfuzz.utils.default_process."""
METHODS: dict[str, tuple[str, float]] = {
    "ours": ("ours", DEFAULT_THRESHOLD),
    "wratio": ("wratio", BASELINE_CUTOFF),
    "wratio_90": ("wratio", 90.0),
    "token_sort_ratio": ("token_sort_ratio", BASELINE_CUTOFF),
}
"""method -> (the scores it reads, its flagging threshold). WRatio @ 90 is read from the same
scores as WRatio @ 85: WRatio gives 85.5 to any two names sharing one word (partial token set
ratio x 0.95 x 0.9), so its 85 cut-off flags almost everything."""
METHOD_LABELS = {
    "ours": f"ours (match_names @ {DEFAULT_THRESHOLD:g})",
    "wratio": f"WRatio @ {BASELINE_CUTOFF:g}",
    "wratio_90": "WRatio @ 90",
    "token_sort_ratio": f"token_sort_ratio @ {BASELINE_CUTOFF:g}",
}
SCORER_LABELS = {"ours": "ours", "wratio": "WRatio", "token_sort_ratio": "token_sort_ratio"}
TARGET_PRECISION = 0.95
THRESHOLD_SWEEP = (70.0, 75.0, 80.0, 85.0, 88.0, 90.0, 95.0)
"""Our recall / hit share at other thresholds too, for whoever tunes DEFAULT_THRESHOLD."""
EXAMPLES = 40
CDIST_CHUNK = 250


# --------------------------------------------------------------------------------------------
# shared kit (bench_pipeline imports these too)


def environment(workers: int) -> dict[str, Any]:
    """What the numbers depend on: machine, library versions, worker setting."""
    import os

    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_count": os.cpu_count(),
        "workers": workers,
        "rapidfuzz": rapidfuzz.__version__,
        "pyarrow": pa.__version__,
        "pandas": pd.__version__,
        "numpy": np.__version__,
    }


def list_summary(list_table: pa.Table) -> dict[str, Any]:
    versions = list_table.select(["list_source", "list_version"]).to_pandas()
    versions = versions.drop_duplicates("list_source").sort_values("list_source")
    return {
        "list_rows": list_table.num_rows,
        "list_versions": dict(zip(versions["list_source"], versions["list_version"], strict=True)),
    }


def result_header(benchmark: str, quick: bool, workers: int) -> dict[str, Any]:
    return {
        "benchmark": benchmark,
        "schema_version": 1,
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "mode": "quick" if quick else "full",
        "environment": environment(workers),
    }


def _round(value: float | None, digits: int = 4) -> float | None:
    return None if value is None or np.isnan(value) else round(float(value), digits)


# --------------------------------------------------------------------------------------------
# scoring


def our_entity_scores(
    index: NameIndex, queries: Sequence[str], *, floor: float, workers: int
) -> tuple[pd.DataFrame, float]:
    """Every hit at or above ``floor`` (query, rank, score, entry, matched name), and seconds."""
    start = time.perf_counter()
    hits = match_names(queries, index, threshold=floor, top=EVAL_TOP, workers=workers)
    seconds = time.perf_counter() - start
    frame = hits.select(["query", "rank", "score", "list_source", "source_id", "matched_name"])
    return frame.to_pandas(), seconds


def lookup_scores(pairs: pd.DataFrame, hits: pd.DataFrame) -> np.ndarray:
    """Per pair: our best score for its (query, entry); 0 when the entry was not hit."""
    best = hits.groupby(["query", "list_source", "source_id"], as_index=False)["score"].max()
    merged = pairs[["query", "list_source", "source_id"]].merge(
        best, on=["query", "list_source", "source_id"], how="left"
    )
    return merged["score"].fillna(0.0).to_numpy(dtype=float)


def entity_names(list_table: pa.Table) -> pd.DataFrame:
    """(list_source, source_id, name) of every party row: what an exhaustive scan compares."""
    rows = name_pairs.party_rows(list_table)
    return rows[["list_source", "source_id", "name"]].drop_duplicates()


def baseline_pair_scores(
    pairs: pd.DataFrame, names: pd.DataFrame, scorer: Callable[..., float], workers: int
) -> np.ndarray:
    """Per pair: the scorer's best score of the query against any name of its entry.

    An exhaustive scan hits the entry exactly when one of its names scores >= the cut-off, so
    this equals the exhaustive baseline's verdict on that entry, at a fraction of the cost.
    """
    keyed = pairs[["query", "list_source", "source_id"]].reset_index(drop=True)
    keyed["pair"] = np.arange(len(keyed))
    exploded = keyed.merge(names, on=["list_source", "source_id"], how="inner")
    if exploded.empty:
        return np.zeros(len(pairs))
    scores = process.cpdist(
        exploded["query"].to_numpy(),
        exploded["name"].to_numpy(),
        scorer=scorer,
        processor=utils.default_process,
        workers=workers,
    )
    best = pd.Series(scores, index=exploded["pair"].to_numpy()).groupby(level=0).max()
    return best.reindex(np.arange(len(pairs)), fill_value=0.0).to_numpy(dtype=float)


def binary_metrics(scores: np.ndarray, labels: np.ndarray, threshold: float) -> dict[str, Any]:
    predicted = scores >= threshold
    tp = int(np.sum(predicted & labels))
    fp = int(np.sum(predicted & ~labels))
    fn = int(np.sum(~predicted & labels))
    tn = int(np.sum(~predicted & ~labels))
    precision = tp / (tp + fp) if tp + fp else float("nan")
    recall = tp / (tp + fn) if tp + fn else float("nan")
    f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
    return {
        "threshold": threshold,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "precision": _round(precision),
        "recall": _round(recall),
        "f1": _round(f1),
    }


def threshold_scan(scores: np.ndarray, labels: np.ndarray, grid: np.ndarray) -> dict[str, Any]:
    """Fitted to this very set, so a ceiling rather than a setting: the best-F1 threshold, and
    the most recall any threshold reaches while keeping precision >= TARGET_PRECISION."""
    best: dict[str, Any] = {"f1": -1.0}
    at_precision: dict[str, Any] = {"recall": 0.0, "threshold": None}
    for threshold in grid:
        metrics = binary_metrics(scores, labels, float(threshold))
        if metrics["f1"] > best["f1"]:
            best = metrics
        precise = metrics["precision"] is not None and metrics["precision"] >= TARGET_PRECISION
        if precise and metrics["recall"] > at_precision["recall"]:
            at_precision = metrics
    return {
        "best_threshold": best["threshold"],
        "best_f1": best["f1"],
        "best_precision": best["precision"],
        "best_recall": best["recall"],
        "recall_at_target_precision": at_precision["recall"],
        "threshold_at_target_precision": at_precision["threshold"],
    }


def recall(scores: np.ndarray, threshold: float) -> dict[str, Any]:
    found = int(np.sum(scores >= threshold))
    return {
        "threshold": threshold,
        "found": found,
        "n": len(scores),
        "recall": _round(found / len(scores)) if len(scores) else None,
    }


def pair_scores(
    pairs: pd.DataFrame,
    hits: pd.DataFrame,
    names: pd.DataFrame,
    workers: int,
) -> dict[str, np.ndarray]:
    """Per scorer (ours and each baseline), the score of every pair."""
    scores = {"ours": lookup_scores(pairs, hits)}
    for key, scorer in SCORERS.items():
        scores[key] = baseline_pair_scores(pairs, names, scorer, workers)
    return scores


def sweep(values: np.ndarray) -> dict[str, float | None]:
    """Share of ``values`` at or above each THRESHOLD_SWEEP entry."""
    return {
        f"{t:g}": _round(np.mean(values >= t)) if len(values) else None for t in THRESHOLD_SWEEP
    }


def recalls(scores: dict[str, np.ndarray], mask: np.ndarray | None = None) -> dict[str, Any]:
    """Recall of every method (positives-only sets)."""
    out = {}
    for method, (key, threshold) in METHODS.items():
        s = scores[key] if mask is None else scores[key][mask]
        out[method] = recall(s, threshold)
    return out


def top_hits(hits: pd.DataFrame) -> pd.DataFrame:
    first = hits.sort_values(["query", "rank"]).drop_duplicates("query")
    return first.set_index("query")[["score", "list_source", "source_id", "matched_name"]]


def _examples(frame: pd.DataFrame, columns: list[str], limit: int = EXAMPLES) -> list[dict]:
    out = frame[columns].head(limit).astype(object)
    return out.where(out.notna(), None).to_dict("records")


def _with_top_hit(frame: pd.DataFrame, hits: pd.DataFrame) -> pd.DataFrame:
    top = top_hits(hits).add_prefix("our_top_")
    return frame.join(top, on="query")


# --------------------------------------------------------------------------------------------
# quality sets


def bench_ofac_aliases(
    list_table: pa.Table, *, max_entities: int | None, workers: int
) -> dict[str, Any]:
    built = name_pairs.ofac_alias_pairs(list_table, max_entities=max_entities)
    pairs = built.pairs
    index = NameIndex.build(built.index_table)
    hits, seconds = our_entity_scores(
        index, pairs["query"].unique().tolist(), floor=SCORE_FLOOR, workers=workers
    )
    scores = pair_scores(pairs, hits, entity_names(built.index_table), workers)
    labels = pairs["label"].to_numpy(dtype=bool)
    subsets = {
        "all": np.ones(len(pairs), dtype=bool),
        "shares_rare_word": pairs["shares_rare_word"].to_numpy(dtype=bool) | ~labels,
    }
    result: dict[str, Any] = {
        "description": (
            "Query = an SDN entity's alias/former name (positive) or the most similar name of "
            "another SDN entity sharing a rare word (hard negative), screened against the whole "
            "bundled list index with the evaluated entities' non-primary names removed. Correct "
            "when the positive's entity is hit / the negative's entity is not hit."
        ),
        "n_positive": int(labels.sum()),
        "n_negative": int((~labels).sum()),
        "n_positive_sharing_rare_word": int((labels & subsets["shares_rare_word"]).sum()),
        "negative_similarity_median": _round(float(pairs.loc[~labels, "similarity"].median()), 1),
        "ours_seconds": _round(seconds, 2),
        "subsets": {},
    }
    grid = np.arange(SCORE_FLOOR, 100.01, 0.5)
    for subset, mask in subsets.items():
        methods = {}
        for method, (key, threshold) in METHODS.items():
            s = scores[key][mask]
            methods[method] = {
                **binary_metrics(s, labels[mask], threshold),
                **threshold_scan(s, labels[mask], grid),
            }
        n_pos, n_neg = int((labels & mask).sum()), int((~labels & mask).sum())
        result["subsets"][subset] = {
            "n_positive": n_pos,
            "n_negative": n_neg,
            "flag_everything_f1": _round(2 * n_pos / (2 * n_pos + n_neg)),
            "methods": methods,
        }
    ours = scores["ours"]
    pairs = pairs.assign(our_score=ours, wratio_score=scores["wratio"])
    missed = pairs[labels & (ours < DEFAULT_THRESHOLD) & pairs["shares_rare_word"]]
    false_pos = pairs[~labels & (ours >= DEFAULT_THRESHOLD)]
    cols = ["query", "primary", "source_id", "our_score", "wratio_score"]
    result["examples"] = {
        "ours_missed_positives_sharing_rare_word": _examples(
            missed.sample(min(EXAMPLES, len(missed)), random_state=0), [*cols, "kind"]
        ),
        "ours_false_positives_on_hard_negatives": _examples(
            false_pos.sort_values("our_score", ascending=False), [*cols, "similarity"]
        ),
    }
    return result


def bench_eu_cross_list(
    list_table: pa.Table, index: NameIndex, *, limit: int | None, workers: int
) -> dict[str, Any]:
    files = [name_pairs.shared_file(*name_pairs.EU_OJ_DIR, f) for f in name_pairs.EU_FILES]
    if any(f is None for f in files):
        return {"skipped": f"EU transcriptions not found under {name_pairs.SHARED_DATA}"}
    pairs = name_pairs.eu_inn_pairs(list_table, [f for f in files if f is not None])
    if limit is not None:
        pairs = pairs.head(limit)
    hits, seconds = our_entity_scores(
        index, pairs["query"].unique().tolist(), floor=SCORE_FLOOR, workers=workers
    )
    scores = pair_scores(pairs, hits, entity_names(list_table), workers)
    result: dict[str, Any] = {
        "description": (
            "EU Reg. 833/2014 and 269/2014 entity names (OpenSanctions transcriptions, read from "
            "../shared) whose INN an OFAC SDN entry also carries; the EU name (or alias) alone is "
            "screened against the full bundled index and must hit that SDN entry."
        ),
        "n_eu_records": int(pairs["eu_record"].nunique()),
        "n_sdn_entries": int(pairs["source_id"].nunique()),
        "ours_seconds": _round(seconds, 2),
        "query_kinds": {},
        "ours_recall_by_threshold": {},
        "ours_any_hit_share": {},
    }
    flagged = set(hits.loc[hits["score"] >= DEFAULT_THRESHOLD, "query"])
    for kind in ("name", "alias"):
        mask = (pairs["query_kind"] == kind).to_numpy()
        result["query_kinds"][kind] = recalls(scores, mask)
        result["ours_recall_by_threshold"][kind] = sweep(scores["ours"][mask])
        # a hit on another list's copy of the same company is still a correct flag
        result["ours_any_hit_share"][kind] = _round(pairs.loc[mask, "query"].isin(flagged).mean())
    ours = scores["ours"]
    missed = pairs.assign(our_score=ours, wratio_score=scores["wratio"])
    missed = missed[(ours < DEFAULT_THRESHOLD) & (missed["query_kind"] == "name")]
    sdn_primary = entity_primary_names(list_table)
    missed = missed.join(sdn_primary, on="source_id")
    result["local_examples"] = {
        "ours_missed_eu_names": _examples(
            _with_top_hit(missed, hits),
            [
                "query",
                "source_id",
                "sdn_primary",
                "our_score",
                "wratio_score",
                "our_top_score",
                "our_top_matched_name",
            ],
        )
    }
    return result


def entity_primary_names(list_table: pa.Table) -> pd.Series:
    rows = name_pairs.party_rows(list_table)
    sdn = rows[(rows["list_source"] == name_pairs.OFAC_SDN) & (rows["name_kind"] == "primary")]
    return sdn.drop_duplicates("source_id").set_index("source_id")["name"].rename("sdn_primary")


def bench_customs_variants(
    list_table: pa.Table, index: NameIndex, *, n_rows: int, seed: int, workers: int
) -> dict[str, Any]:
    pairs = name_pairs.customs_variant_pairs(list_table, n_rows=n_rows, seed=seed)
    hits, seconds = our_entity_scores(
        index, pairs["query"].unique().tolist(), floor=SCORE_FLOOR, workers=workers
    )
    scores = pair_scores(pairs, hits, entity_names(list_table), workers)
    result: dict[str, Any] = {
        "description": (
            "Distinct listed-party names of a generated trade table (dualuse_kit.sample, "
            f"{n_rows} rows, seed {seed}): real list names rewritten as customs data writes them "
            "(upper case, punctuation, legal-form swaps and moves, abbreviations, "
            "transliteration, typos, 35-character truncation, INN+KPP prefixes). Recall of the "
            "listed entry they came from, against the full bundled index."
        ),
        "n_variants": len(pairs),
        "ours_seconds": _round(seconds, 2),
        "methods": recalls(scores),
        "ours_recall_by_threshold": sweep(scores["ours"]),
        "by_operation": {},
    }
    ops = pairs["variant"].fillna("verbatim").str.split("+")
    for op in sorted({o for row in ops for o in row}):
        mask = ops.map(lambda row, op=op: op in row).to_numpy(dtype=bool)
        result["by_operation"][op] = {
            method: r["recall"] for method, r in recalls(scores, mask).items()
        } | {"n": int(mask.sum())}
    missed = pairs.assign(our_score=scores["ours"], wratio_score=scores["wratio"])
    missed = missed[missed["our_score"] < DEFAULT_THRESHOLD]
    result["examples"] = {
        "ours_missed_variants": _examples(
            _with_top_hit(missed.sample(min(EXAMPLES, len(missed)), random_state=0), hits),
            [
                "query",
                "list_name",
                "variant",
                "list_source",
                "source_id",
                "our_score",
                "wratio_score",
                "our_top_score",
                "our_top_matched_name",
            ],
        )
    }
    return result


def exhaustive_scan(
    queries: Sequence[str],
    choices: Sequence[str],
    scorer: Callable[..., float],
    *,
    workers: int,
) -> tuple[list[np.ndarray], list[np.ndarray], float]:
    """``process.cdist`` of queries x every list name at the baseline cut-off, in chunks.

    Returns per query the indices and scores of choices at or above the cut-off, and seconds.
    Chunking only bounds memory (a dense matrix per chunk); the work is the same.
    """
    columns: list[np.ndarray] = []
    values: list[np.ndarray] = []
    start = time.perf_counter()
    for lo in range(0, len(queries), CDIST_CHUNK):
        block = process.cdist(
            queries[lo : lo + CDIST_CHUNK],
            choices,
            scorer=scorer,
            processor=utils.default_process,
            score_cutoff=BASELINE_CUTOFF,
            workers=workers,
            dtype=np.float32,
        )
        for row in block:
            cols = np.flatnonzero(row)
            columns.append(cols)
            values.append(row[cols])
    return columns, values, time.perf_counter() - start


def bench_vendor_clean(
    index: NameIndex, choices: list[str], *, baseline_sample: int | None, workers: int
) -> dict[str, Any]:
    folder = name_pairs.shared_file(*name_pairs.VENDOR_XLSX_DIR)
    if folder is None:
        return {"skipped": f"vendor samples not found under {name_pairs.SHARED_DATA}"}
    names = name_pairs.vendor_party_names(sorted(folder.glob("*.xlsx")))
    low = min(THRESHOLD_SWEEP)
    swept = match_names(names, index, threshold=low, top=3, workers=workers).to_pandas()
    best = swept.groupby("query")["score"].max().reindex(names, fill_value=0.0)
    frame = swept[swept["score"] >= DEFAULT_THRESHOLD]
    hit_names = frame["query"].nunique()
    result: dict[str, Any] = {
        "description": (
            "Every distinct exporter/importer name of the real vendor samples (ceramic tiles "
            "and T-shirts; 'mostly but not entirely clean'), screened against the full bundled "
            "index. Share of names with any hit at the method's threshold; every one of our "
            "hits is listed below for a human to judge."
        ),
        "n_names": len(names),
        "methods": {
            "ours": {
                "threshold": DEFAULT_THRESHOLD,
                "names_with_hit": int(hit_names),
                "n": len(names),
                "share": _round(hit_names / len(names)),
            }
        },
        "ours_share_by_threshold": sweep(best.to_numpy(dtype=float)),
        "local_examples": {
            "ours_hits": _examples(
                frame,
                [
                    "query",
                    "rank",
                    "score",
                    "list_source",
                    "source_id",
                    "matched_name",
                    "explanation",
                ],
                limit=500,
            )
        },
    }
    rng = np.random.default_rng(0)
    sample = names
    if baseline_sample and baseline_sample < len(names):
        sample = sorted(rng.choice(names, baseline_sample, replace=False).tolist())
    scans = {
        key: exhaustive_scan(sample, choices, scorer, workers=workers)
        for key, scorer in SCORERS.items()
    }
    for method, (key, threshold) in METHODS.items():
        if key == "ours":
            continue
        cols, vals, seconds = scans[key]
        best = [float(v.max()) if len(v) else 0.0 for v in vals]
        flagged = [i for i, b in enumerate(best) if b >= threshold]
        result["methods"][method] = {
            "threshold": threshold,
            "names_with_hit": len(flagged),
            "n": len(sample),
            "share": _round(len(flagged) / len(sample)),
            "scan_seconds": _round(seconds, 2),
            "measured_on_sample": len(sample) < len(names),
        }
        result["local_examples"][f"{method}_hits"] = [
            {
                "query": sample[i],
                "score": _round(best[i], 1),
                "best_list_name": choices[int(cols[i][np.argmax(vals[i])])],
                "list_names_at_or_above_85": len(cols[i]),
            }
            for i in flagged[:EXAMPLES]
        ]
    return result


# --------------------------------------------------------------------------------------------
# speed


def bench_speed(
    list_table: pa.Table,
    index: NameIndex,
    choices: list[str],
    choice_entities: list[set[tuple[str, str]]],
    *,
    size: int,
    baseline_sample: int,
    seed: int,
    workers: int,
) -> dict[str, Any]:
    """Ours on all ``size`` distinct names vs cdist(WRatio) timed on a random subsample."""
    queries = name_pairs.synthetic_query_set(list_table, size, seed=seed)
    names = queries["query"].tolist()
    listed = queries["source_id"].notna().to_numpy()
    expected = list(zip(queries["list_source"], queries["source_id"], strict=True))

    start = time.perf_counter()
    hits = match_names(names, index, threshold=DEFAULT_THRESHOLD, top=3, workers=workers)
    ours_seconds = time.perf_counter() - start
    frame = hits.select(["query", "list_source", "source_id"]).to_pandas()
    hit_entities = frame.groupby("query").apply(
        lambda g: set(zip(g["list_source"], g["source_id"], strict=True)), include_groups=False
    )
    ours_found = np.array(
        [e in hit_entities.get(q, set()) for q, e in zip(names, expected, strict=True)]
    )
    ours_flagged = np.array([q in hit_entities.index for q in names])

    rng = np.random.default_rng(seed)
    k = min(baseline_sample, size)
    sub = np.sort(rng.choice(size, k, replace=False))
    cols, vals, cdist_seconds = exhaustive_scan(
        [names[i] for i in sub], choices, fuzz.WRatio, workers=workers
    )
    sub_listed = listed[sub]
    extrapolated = cdist_seconds * size / k
    cdist_quality = {}
    for cutoff in (BASELINE_CUTOFF, 90.0):
        found = np.array(
            [
                expected[i]
                in set().union(*(choice_entities[c] for c in cols[n][vals[n] >= cutoff]))
                for n, i in enumerate(sub)
            ]
        )
        flagged = np.array([bool(np.any(v >= cutoff)) for v in vals])
        cdist_quality[f"{cutoff:g}"] = {
            "recall_listed": _round(found[sub_listed].mean()),
            "clean_hit_rate": _round(flagged[~sub_listed].mean()),
        }
    return {
        "n_queries": size,
        "n_listed_variants": int(listed.sum()),
        "ours": {
            "seconds": _round(ours_seconds, 2),
            "names_per_second": round(size / ours_seconds),
            "recall_listed": _round(ours_found[listed].mean()),
            "clean_hit_rate": _round(ours_flagged[~listed].mean()),
            "recall_listed_on_baseline_sample": _round(ours_found[sub][sub_listed].mean()),
            "clean_hit_rate_on_baseline_sample": _round(ours_flagged[sub][~sub_listed].mean()),
        },
        "cdist_wratio": {
            "measured_queries": k,
            "measured_seconds": _round(cdist_seconds, 2),
            "seconds": _round(extrapolated, 1),
            "extrapolated": k < size,
            "note": (
                f"timed on a random {k} of {size} queries and scaled linearly (cdist cost is "
                "linear in the number of queries)"
                if k < size
                else "timed on every query"
            ),
            "by_cutoff": cdist_quality,
        },
        "ratio_cdist_over_ours": _round(extrapolated / ours_seconds, 1),
    }


# --------------------------------------------------------------------------------------------
# report


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.1f}%"


def _prf(m: dict[str, Any]) -> str:
    return f"{_pct(m['precision'])} / {_pct(m['recall'])} / {_pct(m['f1'])}"


def markdown(result: dict[str, Any]) -> str:
    """The README tables: quality per set, OFAC threshold scan, speed."""
    q = result["quality"]
    methods = tuple(METHODS)
    head = "| Set | n | " + " | ".join(METHOD_LABELS[m] for m in methods) + " |"
    lines = ["### Name matching quality", "", head, "|---|---|" + "---|" * len(methods)]

    def row(label: str, n: object, cells: list[str]) -> None:
        lines.append(f"| {label} | {n} | " + " | ".join(cells) + " |")

    ofac = q["ofac_alias"]
    for subset, label in (
        ("all", "(a) OFAC alias ↔ primary, hard negatives: P / R / F1"),
        ("shares_rare_word", "(a′) same, aliases sharing a rare word: P / R / F1"),
    ):
        sub = ofac["subsets"][subset]
        row(
            label,
            f"{sub['n_positive']:,} + {sub['n_negative']:,}",
            [_prf(sub["methods"][m]) for m in methods],
        )
    eu = q["eu_cross_list"]
    if "skipped" not in eu:
        for kind, label in (
            ("name", "(b) EU name → OFAC entry with the same INN: recall"),
            ("alias", "(b′) EU aliases (many Cyrillic) → same: recall"),
        ):
            kinds = eu["query_kinds"][kind]
            row(label, f"{kinds['ours']['n']:,}", [_pct(kinds[m]["recall"]) for m in methods])
    cv = q["customs_variants"]
    row(
        "(c) customs-style variants of listed names: recall",
        f"{cv['n_variants']:,}",
        [_pct(cv["methods"][m]["recall"]) for m in methods],
    )
    vendor = q["vendor_clean"]
    if "skipped" not in vendor:
        cells = []
        for m in methods:
            share = vendor["methods"][m]
            note = f" (of {share['n']})" if share.get("measured_on_sample") else ""
            cells.append(f"{_pct(share['share'])}{note}")
        row(
            "(d) real vendor names with any hit (mostly clean; lower is better)",
            f"{vendor['n_names']:,}",
            cells,
        )

    lines += [
        "",
        "Thresholds fitted to set (a) itself (ceilings, not settings; flagging every pair "
        f"already gives F1 {_pct(ofac['subsets']['all']['flag_everything_f1'])}):",
        "",
        "| Scorer | best-F1 threshold | P / R / F1 there | "
        f"most recall with precision ≥ {TARGET_PRECISION:.0%} (threshold) |",
        "|---|---|---|---|",
    ]
    for m in ("ours", "wratio", "token_sort_ratio"):
        scan = ofac["subsets"]["all"]["methods"][m]
        at = scan["threshold_at_target_precision"]
        lines.append(
            f"| {SCORER_LABELS[m]} | {scan['best_threshold']:g} | "
            f"{_pct(scan['best_precision'])} / {_pct(scan['best_recall'])} / "
            f"{_pct(scan['best_f1'])} | "
            + (f"{_pct(scan['recall_at_target_precision'])} ({at:g})" if at is not None else "none")
            + " |"
        )

    lines += [
        "",
        "### Name matching speed",
        "",
        "| Distinct names | of which listed variants | ours (s) | names/s | "
        "exhaustive cdist WRatio (s) | cdist / ours | recall on listed: ours / cdist@85 / "
        "cdist@90 | clean names hit: ours / cdist@85 / cdist@90 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for run in result["speed"]["runs"]:
        o, c = run["ours"], run["cdist_wratio"]
        at85, at90 = c["by_cutoff"]["85"], c["by_cutoff"]["90"]
        est = f"{c['seconds']:,.0f}" + (
            f" (est. from {c['measured_queries']:,})" if c["extrapolated"] else ""
        )
        lines.append(
            f"| {run['n_queries']:,} | {run['n_listed_variants']:,} | {o['seconds']:g} | "
            f"{o['names_per_second']:,} | {est} | {run['ratio_cdist_over_ours']:,.0f}× | "
            f"{_pct(o['recall_listed'])} / {_pct(at85['recall_listed'])} / "
            f"{_pct(at90['recall_listed'])} | {_pct(o['clean_hit_rate'])} / "
            f"{_pct(at85['clean_hit_rate'])} / {_pct(at90['clean_hit_rate'])} |"
        )
    lines += [
        "",
        f"Index build: {result['speed']['index_build_seconds']:g} s for "
        f"{result['speed']['index_keys']:,} distinct list names (once per run, not in the "
        "column above). cdist: rapidfuzz.process.cdist over every party name of the bundled "
        "lists, default_process, workers=-1.",
    ]
    return "\n".join(lines)


QUICK = {
    "sizes": (300,),
    "baseline_sample": 10,
    "vendor_baseline_sample": 10,
    "variant_rows": 3_000,
    "alias_entities": 150,
    "eu_limit": 80,
}


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--quick", is_flag=True, help="Tiny sizes: proves the script works (seconds).")
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    default=RESULTS_DIR / "names.json",
    show_default=True,
    help="Result JSON file.",
)
@click.option("--sizes", type=int, multiple=True, help="Distinct query names per speed run.")
@click.option(
    "--baseline-sample",
    type=int,
    default=2000,
    show_default=True,
    help="Queries on which exhaustive cdist is timed per speed run (then scaled).",
)
@click.option(
    "--vendor-baseline-sample",
    type=int,
    default=0,
    show_default=True,
    help="Vendor names scanned exhaustively by the baselines (0 = all).",
)
@click.option(
    "--variant-rows",
    type=int,
    default=300_000,
    show_default=True,
    help="Rows generated for the customs-variant set.",
)
@click.option(
    "--examples",
    type=click.Path(path_type=Path),
    default=EXAMPLES_FILE,
    show_default=True,
    help="Where example names from licensed/non-commercial data go (keep it out of git).",
)
@click.option("--seed", type=int, default=7, show_default=True)
@click.option("--workers", type=int, default=-1, show_default=True)
def main(
    quick: bool,
    out: Path,
    examples: Path,
    sizes: tuple[int, ...],
    baseline_sample: int,
    vendor_baseline_sample: int,
    variant_rows: int,
    seed: int,
    workers: int,
) -> None:
    """Measure name-matching quality and speed; print markdown tables and write JSON."""
    began = time.perf_counter()
    alias_entities, eu_limit = None, None
    sizes = sizes or (20_000, 200_000)
    if quick:
        sizes = QUICK["sizes"]
        baseline_sample = QUICK["baseline_sample"]
        vendor_baseline_sample = QUICK["vendor_baseline_sample"]
        variant_rows = QUICK["variant_rows"]
        alias_entities, eu_limit = QUICK["alias_entities"], QUICK["eu_limit"]

    list_table = load_bundled_lists()
    start = time.perf_counter()
    index = NameIndex.build(list_table)
    build_seconds = time.perf_counter() - start
    names = entity_names(list_table)
    choices = sorted(names["name"].unique())
    position = {n: i for i, n in enumerate(choices)}
    choice_entities: list[set[tuple[str, str]]] = [set() for _ in choices]
    for src, sid, name in names.itertuples(index=False):
        choice_entities[position[name]].add((src, sid))

    result = result_header("names", quick, workers)
    result["lists"] = list_summary(list_table) | {
        "index_keys": len(index.keys),
        "exhaustive_choices": len(choices),
    }
    result["thresholds"] = {
        "ours": DEFAULT_THRESHOLD,
        "baselines": BASELINE_CUTOFF,
        "baseline_processor": "rapidfuzz.utils.default_process",
    }
    click.echo("quality: OFAC aliases ...", err=True)
    result["quality"] = {
        "ofac_alias": bench_ofac_aliases(list_table, max_entities=alias_entities, workers=workers)
    }
    click.echo("quality: EU cross-list ...", err=True)
    result["quality"]["eu_cross_list"] = bench_eu_cross_list(
        list_table, index, limit=eu_limit, workers=workers
    )
    click.echo("quality: customs variants ...", err=True)
    result["quality"]["customs_variants"] = bench_customs_variants(
        list_table, index, n_rows=variant_rows, seed=seed, workers=workers
    )
    click.echo("quality: vendor names ...", err=True)
    result["quality"]["vendor_clean"] = bench_vendor_clean(
        index, choices, baseline_sample=vendor_baseline_sample or None, workers=workers
    )
    runs = []
    for size in sizes:
        click.echo(f"speed: {size} names ...", err=True)
        runs.append(
            bench_speed(
                list_table,
                index,
                choices,
                choice_entities,
                size=size,
                baseline_sample=baseline_sample,
                seed=seed + size,
                workers=workers,
            )
        )
    result["speed"] = {
        "index_build_seconds": _round(build_seconds, 2),
        "index_keys": len(index.keys),
        "runs": runs,
    }
    result["total_seconds"] = _round(time.perf_counter() - began, 1)
    local = {
        name: section.pop("local_examples")
        for name, section in result["quality"].items()
        if "local_examples" in section
    }
    result["examples_file"] = (
        f"{examples.name}: example EU and vendor names, written beside the run and never "
        "committed (CC BY-NC transcriptions and licensed vendor data)"
    )
    write_json_atomic(local, examples)
    write_json_atomic(result, out)
    click.echo(markdown(result))
    click.echo(f"\nwrote {out} and {examples} in {result['total_seconds']} s", err=True)


if __name__ == "__main__":
    main()
