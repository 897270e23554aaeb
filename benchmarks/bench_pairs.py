"""Labelled company-name pairs: precision, recall and F1 of `dualuse compare --pairs` scoring.

Two sets. (1) Curated pairs nobody here wrote (benchmarks/data/, from OpenSanctions'
nomenklatura name benchmark, MIT): reported per origin (``real``: the maintainers' matcher
checks, unit tests and customer cases; ``synthetic``: language-model-proposed deviations) and
per case group, at the default threshold and at the best threshold, beside rapidfuzz WRatio@85
and token_sort_ratio@85 on the same pairs. (2) Synthetic pairs made here:

Positives: customs-style variants of listed entity names (dualuse_kit.sample rewrites) paired with
the list name they came from. Negatives: (1) hard negatives from the OFAC SDN set (another
entity's most similar name sharing a rare word, see name_pairs.ofac_alias_pairs) and (2) clean
synthetic company names paired with the most similar listed name by WRatio (what a naive
screen would raise). Scored aligned, pair by pair, as `compare --pairs` does, with and without
the lists' word rarity, against rapidfuzz WRatio and token_sort_ratio computed in the same run.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import click
import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process, utils

sys.path.insert(0, str(Path(__file__).resolve().parent))

from name_pairs import (
    curated_company_pairs,
    customs_variant_pairs,
    ofac_alias_pairs,
    peer_pair_scores,
)

from dualuse_kit.sample import generate_trade_records
from screening.lists import load_bundled_lists
from screening.names import DEFAULT_THRESHOLD, NameIndex, score_name_pairs
from screening.names.pair_types import pair_entity_types

RESULT = Path(__file__).resolve().parent / "results" / "pairs.json"


def labelled_pairs(n_rows: int, seed: int) -> pd.DataFrame:
    """name1, name2, label, set."""
    lists = load_bundled_lists()
    variants = customs_variant_pairs(lists, n_rows=n_rows, seed=seed)
    positives = pd.DataFrame(
        {"name1": variants["query"], "name2": variants["list_name"], "label": True}
    ).assign(set="customs variant")
    alias_set = ofac_alias_pairs(lists, max_entities=3000, seed=seed)
    hard = alias_set.pairs[~alias_set.pairs["label"]]
    hard_negatives = pd.DataFrame(
        {"name1": hard["query"], "name2": hard["primary"], "label": False}
    ).assign(set="hard negative (OFAC)")
    records = generate_trade_records(n_rows, seed=seed + 1, list_table=lists, include_truth=True)
    frame = records.to_pandas()
    clean = sorted(set(frame.loc[frame["truth_exporter_source_id"].isna(), "EXPORTER_NAME"]))
    clean = pd.Series(clean).sample(min(len(clean), len(positives)), random_state=seed).tolist()
    entity_names = lists.filter(
        np.asarray(lists["entity_type"].to_pylist(), dtype=object) != "individual"
    )["name"].to_pylist()
    scores = process.cdist(
        clean, entity_names, scorer=fuzz.WRatio, processor=utils.default_process, workers=-1
    )
    nearest = [entity_names[j] for j in scores.argmax(axis=1)]
    clean_negatives = pd.DataFrame({"name1": clean, "name2": nearest, "label": False}).assign(
        set="clean name vs nearest listed"
    )
    return pd.concat([positives, hard_negatives, clean_negatives], ignore_index=True)


def prf(predicted: np.ndarray, label: np.ndarray) -> dict[str, float]:
    tp = int((predicted & label).sum())
    fp = int((predicted & ~label).sum())
    fn = int((~predicted & label).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def best_threshold(scores: np.ndarray, label: np.ndarray) -> tuple[float, dict[str, float]]:
    best = (0.0, {"f1": -1.0})
    for t in np.arange(50, 100.5, 0.5):
        result = prf(scores >= t, label)
        if result["f1"] > best[1]["f1"]:
            best = (float(t), result)
    return best


PEERS = (("WRatio", fuzz.WRatio, 85.0), ("token_sort_ratio", fuzz.token_sort_ratio, 85.0))
"""rapidfuzz scorers on the curated pairs, each at the cut the issue measured WRatio at."""


def evaluate_curated(pairs: pd.DataFrame | None = None) -> dict:
    """P / R / F1 on the curated pairs, scored as `compare --pairs` scores the file (word
    rarity of the pair file, no lists; its schema column saying who is a person), by origin
    and case group, with the peers."""
    pairs = curated_company_pairs() if pairs is None else pairs
    label = pairs["label"].to_numpy(dtype=bool)
    scored = score_name_pairs(
        pairs["name1"].tolist(),
        pairs["name2"].tolist(),
        entity_types=pair_entity_types(pairs),  # the file's schema column, as compare reads it
    )
    ours = np.array([r.score for r in scored])
    scorers: dict[str, tuple[np.ndarray, float]] = {"ours": (ours, DEFAULT_THRESHOLD)}
    for name, scorer, cut in PEERS:
        scorers[f"{name}@{cut:g}"] = (peer_pair_scores(pairs, scorer), cut)
    subsets = {"all": np.ones(len(pairs), dtype=bool)}
    for column in ("origin", "case_group"):
        for value in sorted(pairs[column].unique()):
            subsets[f"{column}={value}"] = (pairs[column] == value).to_numpy()
    out: dict = {"n_pairs": len(pairs), "n_match": int(label.sum()), "subsets": {}}
    for subset, mask in subsets.items():
        rows = {"n": int(mask.sum()), "n_match": int(label[mask].sum())}
        for name, (scores, cut) in scorers.items():
            t_best, best = best_threshold(scores[mask], label[mask])
            rows[name] = {
                "threshold": cut,
                **prf(scores[mask] >= cut, label[mask]),
                "best_threshold": t_best,
                "best_f1": best["f1"],
            }
        out["subsets"][subset] = rows
    wrong = (ours >= DEFAULT_THRESHOLD) != label
    out["errors"] = [
        {"name1": a, "name2": b, "label": bool(lab), "score": float(s), "case_group": g}
        for a, b, lab, s, g in zip(
            pairs["name1"][wrong],
            pairs["name2"][wrong],
            label[wrong],
            ours[wrong],
            pairs["case_group"][wrong],
            strict=True,
        )
    ]
    return out


def curated_table(result: dict) -> list[str]:
    lines = [
        "| pairs (origin) | n (match) | scorer | threshold | P | R | F1 | best threshold (F1) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for subset, rows in result["subsets"].items():
        for name, r in rows.items():
            if not isinstance(r, dict):
                continue
            lines.append(
                f"| {subset} | {rows['n']} ({rows['n_match']}) | {name} | {r['threshold']:g} "
                f"| {r['precision']:.3f} | {r['recall']:.3f} | {r['f1']:.3f} "
                f"| {r['best_threshold']:g} ({r['best_f1']:.3f}) |"
            )
    return lines


@click.command()
@click.option("--rows", default=200_000, show_default=True, help="Sample rows for variants.")
@click.option("--seed", default=23, show_default=True)
@click.option("--out", type=click.Path(dir_okay=False), default=str(RESULT), show_default=True)
@click.option("--quick", is_flag=True, help="A small run for the smoke test.")
def main(rows: int, seed: int, out: str, quick: bool) -> None:
    if quick:
        rows = 20_000
    started = time.perf_counter()
    curated = evaluate_curated()
    print(
        "### Curated company pairs (nomenklatura name benchmark, MIT; real = maintainers' "
        "checks, unit tests, customer cases; synthetic = LLM-proposed deviations)\n"
    )
    print("\n".join(curated_table(curated)) + "\n")
    pairs = labelled_pairs(rows, seed)
    label = pairs["label"].to_numpy(dtype=bool)
    reference = NameIndex.build(load_bundled_lists())
    scorers: dict[str, tuple[np.ndarray, float]] = {}
    for name, ref in (("ours, lists' word rarity", reference), ("ours, pair file only", None)):
        results = score_name_pairs(pairs["name1"].tolist(), pairs["name2"].tolist(), reference=ref)
        scorers[name] = (np.array([r.score for r in results]), DEFAULT_THRESHOLD)
    for name, scorer, cut in (
        ("WRatio", fuzz.WRatio, 90.0),
        ("token_sort_ratio", fuzz.token_sort_ratio, 85.0),
    ):
        scorers[name] = (peer_pair_scores(pairs, scorer), cut)
    result: dict = {
        "pairs": {k: int(v) for k, v in pairs.groupby("set").size().items()},
        "scorers": {},
        "seconds": None,
        "curated": curated,
    }
    lines = [
        "| scorer | threshold | precision | recall | F1 | best-F1 threshold (F1) |",
        "|---|---|---|---|---|---|",
    ]
    for name, (scores, cut) in scorers.items():
        at = prf(scores >= cut, label)
        t_best, best = best_threshold(scores, label)
        per_set = {
            s: float(((scores >= cut) == label)[pairs["set"].to_numpy() == s].mean())
            for s in result["pairs"]
        }
        result["scorers"][name] = {
            "threshold": cut,
            **at,
            "best_threshold": t_best,
            "best_f1": best["f1"],
            "accuracy_by_set": per_set,
        }
        lines.append(
            f"| {name} | {cut:g} | {at['precision']:.1%} | {at['recall']:.1%} | {at['f1']:.3f} "
            f"| {t_best:g} ({best['f1']:.3f}) |"
        )
    result["seconds"] = round(time.perf_counter() - started, 1)
    counts = ", ".join(f"{v:,} {k}" for k, v in result["pairs"].items())
    print(f"### Labelled name pairs ({counts})\n")
    print("\n".join(lines))
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(f"\nwrote {out} in {result['seconds']} s")


if __name__ == "__main__":
    main()
