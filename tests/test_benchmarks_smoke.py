"""The benchmark scripts still run (``--quick``) and write the result structure the README uses.

Timings are never asserted: only that each script finishes, reports every section with sane
counts, and that the labelled pairs it builds from the real lists are what they claim to be.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.compute as pc
import pytest

from screening.lists import load_bundled_lists
from tests.conftest import REPO_ROOT, SHARED_DATA, shared_path

BENCHMARKS = REPO_ROOT / "benchmarks"
METHODS = ("ours", "wratio", "wratio_90", "token_sort_ratio")


def _start(script: str, out: Path, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "DUALUSE_SHARED_DATA": str(SHARED_DATA)}
    return subprocess.Popen(
        [sys.executable, str(BENCHMARKS / script), "--quick", "--out", str(out), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


@pytest.fixture(scope="module")
def quick_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """Both scripts in --quick mode, run side by side; their JSON and stdout."""
    tmp = tmp_path_factory.mktemp("bench")
    examples = tmp / "names_examples.json"
    procs = {
        "names": _start("bench_names.py", tmp / "names.json", "--examples", str(examples)),
        "pipeline": _start("bench_pipeline.py", tmp / "pipeline.json"),
        "pairs": _start("bench_pairs.py", tmp / "pairs.json"),
    }
    runs: dict[str, Any] = {}
    for name, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=900)  # three scripts share two cores
        assert proc.returncode == 0, f"bench_{name}.py --quick failed:\n{stderr}"
        runs[name] = {"json": json.loads((tmp / f"{name}.json").read_text()), "stdout": stdout}
    runs["names"]["examples"] = json.loads(examples.read_text())
    yield runs


def _is_share(value: Any) -> bool:
    return isinstance(value, float | int) and 0.0 <= value <= 1.0


def test_names_quick_reports_every_quality_set_and_speed(quick_runs: dict[str, Any]) -> None:
    result, stdout = quick_runs["names"]["json"], quick_runs["names"]["stdout"]
    assert (result["benchmark"], result["mode"]) == ("names", "quick")
    assert result["environment"]["rapidfuzz"]
    ofac = result["quality"]["ofac_alias"]
    assert ofac["n_positive"] > 0 and ofac["n_negative"] > 0
    for subset in ("all", "shares_rare_word"):
        sub = ofac["subsets"][subset]
        for method in METHODS:
            m = sub["methods"][method]
            assert m["tp"] + m["fn"] == sub["n_positive"]
            assert m["fp"] + m["tn"] == sub["n_negative"]
            assert _is_share(m["recall"]) and _is_share(m["best_f1"])
    variants = result["quality"]["customs_variants"]
    assert variants["n_variants"] > 0
    assert all(_is_share(variants["methods"][m]["recall"]) for m in METHODS)
    assert "verbatim" in variants["by_operation"] or "upper" in variants["by_operation"]
    (run,) = result["speed"]["runs"]
    assert run["n_queries"] == 300 and 0 < run["n_listed_variants"] < 300
    assert run["ours"]["seconds"] > 0 and _is_share(run["ours"]["recall_listed"])
    cdist = run["cdist_wratio"]
    assert cdist["extrapolated"] and cdist["measured_queries"] < run["n_queries"]
    assert "scaled linearly" in cdist["note"]
    assert "| Set |" in stdout and "| Distinct names |" in stdout


def test_names_quick_uses_shared_data_when_present(quick_runs: dict[str, Any]) -> None:
    quality = quick_runs["names"]["json"]["quality"]
    eu, vendor = quality["eu_cross_list"], quality["vendor_clean"]
    if not SHARED_DATA.exists():
        assert "skipped" in eu and "skipped" in vendor
        return
    assert eu["n_eu_records"] > 0
    assert all(_is_share(eu["query_kinds"]["name"][m]["recall"]) for m in METHODS)
    assert vendor["n_names"] > 1000  # the vendor samples hold thousands of distinct parties
    # names from licensed / CC BY-NC data stay out of the committed result file
    committed = json.dumps(quick_runs["names"]["json"])
    assert "local_examples" not in committed and "ours_hits" not in committed
    local = quick_runs["names"]["examples"]
    ours_hits = local["vendor_clean"]["ours_hits"]
    assert vendor["methods"]["ours"]["names_with_hit"] == len({h["query"] for h in ours_hits})


def test_pipeline_quick_reports_stages_memory_and_baseline(quick_runs: dict[str, Any]) -> None:
    result, stdout = quick_runs["pipeline"]["json"], quick_runs["pipeline"]["stdout"]
    assert (result["benchmark"], result["mode"]) == ("pipeline", "quick")
    (run,) = result["runs"]
    ours, base = run["ours"], run["baseline"]
    assert run["rows"] == ours["rows"] == 2000 and ours["rejects"] == 0
    assert {"classify_goods", "match_parties", "score_risk"} <= set(ours["stages"])
    assert ours["peak_rss_mb"] > 0 and ours["records_per_second"] > 0
    assert 0 < ours["driver_cpu_seconds"] <= ours["cpu_seconds"]  # the run's own, of the tree's
    assert sum(ours["risk_levels"].values()) == 2000
    assert base["extrapolated"] and base["names_measured"] < base["distinct_names"]
    assert run["ratio_baseline_over_ours"] > 0
    assert "| Rows" in stdout  # the table header ("| Rows (files) |" since dualuse run is timed)


def test_ofac_alias_pairs_are_labelled_from_the_list() -> None:
    sys.path.insert(0, str(BENCHMARKS))
    import name_pairs

    lists = load_bundled_lists()
    built = name_pairs.ofac_alias_pairs(lists, max_entities=120, seed=1)
    pairs = built.pairs
    sdn = lists.filter(pc.equal(lists["list_source"], "us_ofac_sdn")).to_pandas()
    names_of = sdn.groupby("source_id")["name"].agg(set)
    positives, negatives = pairs[pairs["label"]], pairs[~pairs["label"]]
    assert len(positives) and len(negatives)
    positive_pairs = zip(positives["query"], positives["source_id"], strict=True)
    assert all(q in names_of[s] for q, s in positive_pairs)
    negative_pairs = zip(negatives["query"], negatives["source_id"], strict=True)
    assert not any(q in names_of[s] for q, s in negative_pairs)
    # the evaluated entities reach the index under their primary name only
    kept = built.index_table.filter(pc.equal(built.index_table["list_source"], "us_ofac_sdn"))
    kept = kept.to_pandas()
    evaluated = kept[kept["source_id"].isin(set(pairs["source_id"]))]
    assert set(evaluated["name_kind"]) == {"primary"}


def test_eu_pairs_link_by_inn_but_query_by_name_only() -> None:
    eu_dir = shared_path("sanctions", "eu_opensanctions_oj")
    sys.path.insert(0, str(BENCHMARKS))
    import name_pairs

    lists = load_bundled_lists()
    owners = name_pairs.ofac_inn_owners(lists)
    pairs = name_pairs.eu_inn_pairs(lists, [eu_dir / f for f in name_pairs.EU_FILES])
    assert len(pairs) > 100
    links = zip(pairs["source_id"], pairs["inn"], strict=True)
    assert all(sid in owners[inn] for sid, inn in links)
    assert not any(inn in q for q, inn in zip(pairs["query"], pairs["inn"], strict=True))


def test_pairs_quick_reports_precision_recall_f1_per_scorer(quick_runs: dict[str, Any]) -> None:
    result, stdout = quick_runs["pairs"]["json"], quick_runs["pairs"]["stdout"]
    assert set(result["pairs"]) == {
        "customs variant",
        "hard negative (OFAC)",
        "clean name vs nearest listed",
    }
    assert all(n > 0 for n in result["pairs"].values())
    assert {"WRatio", "token_sort_ratio"} < set(result["scorers"])
    for scores in result["scorers"].values():
        assert all(_is_share(scores[k]) for k in ("precision", "recall", "f1", "best_f1"))
        assert set(scores["accuracy_by_set"]) == set(result["pairs"])
    assert "| scorer | threshold | precision | recall | F1 |" in stdout
