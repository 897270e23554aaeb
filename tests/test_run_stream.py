"""A run on one machine: names matched in forked processes while the input is read give the
same outputs as matching in the run's own process."""

from __future__ import annotations

from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from screening import match_pool
from screening.config import ScreeningConfig
from screening.match_pool import can_fork
from screening.run import screen_files


@pytest.mark.skipif(not can_fork(2), reason="needs fork from a single-threaded process")
def test_pool_matching_gives_the_same_outputs_as_one_process(
    tmp_path: Path, small_sdn_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(match_pool, "JOB_PAIRS", 250)  # many jobs, finishing out of order
    lists = (str(small_sdn_file),)
    runs = {}
    for workers in (1, 2):
        out = tmp_path / f"w{workers}"
        config = ScreeningConfig(workers=workers, list_files=lists)
        runs[workers] = (screen_files(None, config, out, db=str(tmp_path / f"{workers}.db")), out)
    (one, one_out), (two, two_out) = runs[1], runs[2]
    assert "match_parties_worker_seconds" not in one.manifest["timings_seconds"]
    assert two.manifest["timings_seconds"]["match_parties_worker_seconds"] > 0
    assert one.counts["rows_flagged"] > 0
    assert (one_out / "flagged.csv").read_bytes() == (two_out / "flagged.csv").read_bytes()
    assert one.counts == two.counts
    screened = [pq.read_table(out / "screened.parquet") for out in (one_out, two_out)]
    assert screened[0].equals(screened[1])
    assert pc.sum(pc.is_valid(screened[0]["exporter_match_score"])).as_py() > 0
