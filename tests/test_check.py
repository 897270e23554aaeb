"""`dualuse check NAME`: the single-name lookup against the bundled lists, cold and warm."""

from __future__ import annotations

import csv
import json
import os
import pickle
import re
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from screening import paths
from screening.check import check_name
from screening.cli import cli
from screening.config import ScreeningConfig
from screening.index_cache import (
    CACHE_PREFIX,
    CHUNK_SIZE,
    ChunkedList,
    cache_file,
    load_name_index,
    read_index,
)
from screening.names.match import DEFAULT_THRESHOLD, match_names
from screening.pipeline import load_reference_data
from tests.conftest import REPO_ROOT

WARM_LIMIT_SECONDS = 1.0


@pytest.fixture(scope="module")
def timings() -> dict[str, float]:
    """Cold then warm lookups of one name, timed (the cold one builds and caches the index)."""
    for old in (paths.data_dir() / "cache").glob(f"{CACHE_PREFIX}*"):
        old.unlink()
    config = ScreeningConfig()
    measured: dict[str, float] = {}
    for label in ("cold", "warm"):
        wall, cpu = time.perf_counter(), time.process_time()
        index, cached = load_name_index(config)
        entries = check_name("PARS TILE CO", country="IR", index=index, config=config)
        measured[f"{label}_wall"] = time.perf_counter() - wall
        measured[f"{label}_cpu"] = time.process_time() - cpu
        measured[f"{label}_cached"] = cached
        assert entries[0].source_id == "30392"
    print(f"check timings: {measured}")
    return measured


def test_first_lookup_builds_the_index_then_it_is_read_from_the_cache(
    timings: dict[str, float],
) -> None:
    assert timings["cold_cached"] is False
    assert timings["warm_cached"] is True
    assert cache_file(ScreeningConfig()).is_file()
    # CPU time, not wall time: other processes on a shared CI machine must not fail this
    assert timings["warm_cpu"] < WARM_LIMIT_SECONDS, timings
    assert timings["warm_wall"] < timings["cold_wall"]


def test_listed_party_found_with_score_link_and_reasons(timings: dict[str, float]) -> None:
    entries = check_name("PARS TILE CO", country="IR")
    best = entries[0]
    assert (best.list_source, best.source_id) == ("us_ofac_sdn", "30392")
    assert best.primary_name == "PARS TILE COMPANY"
    assert best.flagged and best.score >= ScreeningConfig().name_threshold
    assert best.link == "https://sanctionssearch.ofac.treas.gov/Details.aspx?id=30392"
    assert "pars" in best.explanation and "IR" in best.explanation
    assert "IR" in best.countries


def test_one_entry_per_entity_whatever_alias_matched(timings: dict[str, float]) -> None:
    # AEROCARIBBEAN AIRLINES is listed with the alias AERO-CARIBBEAN (OFAC SDN 36)
    entries = check_name("AERO CARIBBEAN AIRLINES", top=10)
    keys = [(e.list_source, e.source_id) for e in entries]
    assert ("us_ofac_sdn", "36") in keys
    assert len(keys) == len(set(keys))


def test_unlisted_name_has_no_match_above_the_threshold(timings: dict[str, float]) -> None:
    entries = check_name("KERAMIKA TILE DISTRIBUTION SERVICES SRL")
    assert not any(e.flagged for e in entries)


def test_cli_prints_entries_scores_and_explanations(timings: dict[str, float]) -> None:
    result = CliRunner().invoke(cli, ["check", "PARS TILE CO", "--country", "ir", "--top", "2"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("1. 100.0  MATCH  us_ofac_sdn 30392: PARS TILE COMPANY")
    assert "https://sanctionssearch.ofac.treas.gov/Details.aspx?id=30392" in result.output
    assert "why: matched words:" in result.output
    assert lines[-1].startswith("(cached index,")


def test_cache_key_follows_the_lists_and_a_broken_cache_is_rebuilt(
    tmp_path: Path, shared: Path
) -> None:
    sdn = shared / "sanctions" / "us_ofac"
    other = ScreeningConfig(list_files=(str(sdn),))
    assert cache_file(other) != cache_file(ScreeningConfig())
    broken = tmp_path / f"{CACHE_PREFIX}broken.pickle"
    broken.write_bytes(b"not a pickle")
    assert read_index(broken) is None


# --- why a warm lookup is fast: what it imports, what it unpickles; and that it answers as
# match-names does

HEAVY_MODULES = ("pandas", "prefect", "pydantic", "sqlalchemy", "dask")
"""What `dualuse check` must not load with a warm cache (pandas alone was ~0.5 s a lookup)."""

_RUN_CHECK = """
import json, os, runpy, sys
sys.argv = ["dualuse", "check", *sys.argv[2:]]
try:
    runpy.run_module("screening", run_name="__main__")
except SystemExit as exc:
    assert not exc.code, exc.code
with open(os.environ["CHECK_MODULES_OUT"], "w") as fh:
    json.dump(sorted(sys.modules), fh)
"""


def _check_in_fresh_process(tmp_path: Path, *args: str) -> tuple[str, set[str]]:
    """stdout of `dualuse check ARGS` run in a new process, and the modules it imported."""
    out = tmp_path / "modules.json"
    env = {**os.environ, "CHECK_MODULES_OUT": str(out), "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", _RUN_CHECK, "-", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO_ROOT,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout, set(json.loads(out.read_text()))


def _printed_entries(stdout: str) -> list[tuple[str, str, float]]:
    found = (
        re.match(r"^\d+\.\s+([\d.]+)\s+(?:MATCH|below threshold)\s+(\S+) ([^:]+):", line)
        for line in stdout.splitlines()
    )
    return [(m[2], m[3], float(m[1])) for m in found if m]


def _match_names_entries(name: str, country: str | None) -> list[tuple[str, str, float]]:
    """What `match-names` reports for one name: match_names over the run's own index."""
    index = load_reference_data(ScreeningConfig()).index
    hits = match_names([name], index, countries=[country], top=3)
    return [(r["list_source"], r["source_id"], round(r["score"], 1)) for r in hits.to_pylist()]


def test_warm_check_in_a_fresh_process_loads_no_pandas_prefect_or_pydantic(
    timings: dict[str, float], tmp_path: Path
) -> None:
    stdout, modules = _check_in_fresh_process(
        tmp_path, "JSC NIKIMT ATOMSTROY", "--country", "RU", "--threshold", "88"
    )
    assert "(cached index," in stdout
    loaded = {m.split(".")[0] for m in modules}
    assert not loaded & set(HEAVY_MODULES), sorted(loaded & set(HEAVY_MODULES))
    assert "screening.config" not in modules and "screening.pipeline" not in modules
    # the same answer as match-names gives for that name and country
    assert _printed_entries(stdout) == _match_names_entries("JSC NIKIMT ATOMSTROY", "RU")
    assert _printed_entries(stdout)[0][:2] == ("us_ofac_sdn", "42068")


LISTED_NAMES = (
    ("PARS TILE CO", "IR"),
    ("AERO CARIBBEAN AIRLINES", None),
    ("JSC NIKIMT ATOMSTROY", "RU"),
    ("OOO VEKTOR", "RU"),
    ("ROSOBORONEXPORT", "RU"),
    ("KALASHNIKOV CONCERN JSC", None),
    ("HUAWEI TECHNOLOGIES CO LTD", "CN"),
    ("SOVCOMFLOT", "RU"),
)


def _vendor_names(shared: Path, n: int) -> list[tuple[str, str | None]]:
    """The first ``n`` distinct party names (English) of one real vendor sample, with country."""
    path = shared / "trade" / "vendor_samples_csv" / "Armenia_Export_F.csv"
    if not path.is_file():
        pytest.skip(f"real data not available: {path}")
    found: dict[str, str | None] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            for column in ("BUYER NAME EN", "EXPORTER NAME EN"):
                if row.get(column) and len(found) < n:
                    found.setdefault(row[column], row.get("COUNTRY ISO CODE 2") or None)
    return list(found.items())


def test_lookup_answers_as_match_names_does_from_the_lazily_read_index(
    timings: dict[str, float], shared: Path
) -> None:
    index, cached = load_name_index()
    assert cached and isinstance(index.keys, ChunkedList)
    names = [*LISTED_NAMES, *_vendor_names(shared, 12)]
    for name, country in names:
        entries = check_name(name, country=country, top=3, threshold=DEFAULT_THRESHOLD, index=index)
        ours = [(e.list_source, e.source_id, e.score) for e in entries]
        assert ours == _match_names_entries(name, country), name
    # a lookup unpickles only the chunks of keys its candidates fall in
    assert index.keys.loaded_chunks() < len(index.keys) / CHUNK_SIZE / 4


def test_stored_index_reads_back_equal_and_travels_as_plain_lists(
    timings: dict[str, float],
) -> None:
    built = load_reference_data(ScreeningConfig()).index
    index = read_index(cache_file())
    assert index is not None
    assert len(index.keys) == len(built.keys) and index.keys[-1] == built.keys[-1]
    assert list(index.keys) == list(built.keys)
    assert list(index.key_countries) == list(built.key_countries)
    assert all(np.array_equal(a, b) for a, b in zip(index.key_rows, built.key_rows, strict=True))
    assert (
        index.keys[5:8] == built.keys[5:8]
        and index.key_rows[3].tolist() == built.key_rows[3].tolist()
    )
    with pytest.raises(IndexError):
        index.keys[len(built.keys)]
    # pickled again (a process pool, a Dask worker) the lazy parts are plain lists
    again = pickle.loads(pickle.dumps(index))
    assert type(again.keys) is list and type(again.key_rows) is list


def test_an_index_file_of_another_format_is_not_read(tmp_path: Path) -> None:
    older = tmp_path / f"{CACHE_PREFIX}older.pickle"
    older.write_bytes(pickle.dumps(("an index of an earlier layout", 1, 2)))
    assert read_index(older) is None


def test_default_configuration_and_none_share_one_cache_file() -> None:
    assert cache_file() == cache_file(ScreeningConfig())
