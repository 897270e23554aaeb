"""A run on one machine: names matched in forked processes while the input is read, and parts
scored in processes of a fork server, give the same outputs as one
process doing everything.

The runs happen in a fresh interpreter: forking is refused from a process with other threads
(can_fork), and a pytest process that has run Prefect or Dask tests keeps such threads."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq

from tests.conftest import fresh_python

RUNS = """
import json, sys
from pathlib import Path
from screening import match_pool
from screening.config import ScreeningConfig
from screening.match_pool import can_fork
from screening.run import screen_files

match_pool.JOB_PAIRS = 250  # many jobs, finishing out of order
lists, tmp = (sys.argv[1],), Path(sys.argv[2])
assert can_fork(2), "a fresh interpreter must be allowed to fork"
result = {}
for workers, batch_rows in ((1, 250_000), (2, 1_000)):  # several parts: scored in 2 processes
    config = ScreeningConfig(workers=workers, list_files=lists)
    run = screen_files(
        None, config, tmp / f"w{workers}", db=str(tmp / f"{workers}.db"), batch_rows=batch_rows
    )
    result[workers] = {
        "timings": run.manifest["timings_seconds"],
        "counts": run.counts,
        "execution": run.manifest["execution"],
    }
print(json.dumps(result, default=str))
"""


def test_pool_matching_gives_the_same_outputs_as_one_process(
    tmp_path: Path, small_sdn_file: Path
) -> None:
    done = fresh_python("-c", RUNS, small_sdn_file, tmp_path, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    one, two = result["1"], result["2"]
    assert "match_parties_worker_seconds" not in one["timings"]
    assert two["timings"]["match_parties_worker_seconds"] > 0
    assert one["counts"]["rows_flagged"] > 0
    assert one["counts"] == two["counts"]
    assert one["execution"]["scored_in"] == "in process"
    assert two["execution"]["scored_in"] == "2 local processes"
    assert two["execution"]["batches"] > 2
    one_out, two_out = tmp_path / "w1", tmp_path / "w2"
    assert (one_out / "flagged.csv").read_bytes() == (two_out / "flagged.csv").read_bytes()
    screened = [pq.read_table(out / "screened.parquet") for out in (one_out, two_out)]
    assert screened[0].equals(screened[1])
    assert pc.sum(pc.is_valid(screened[0]["exporter_match_score"])).as_py() > 0


UNGUARDED_SCRIPT = """
import sys
from pathlib import Path
from screening.config import ScreeningConfig
from screening.run import screen_files

# no `if __name__ == "__main__":` guard: each worker process imports this script again
out = Path(sys.argv[2])
config = ScreeningConfig(workers=2, list_files=(sys.argv[1],))
screen_files(None, config, out, db=str(out.parent / "review.db"), batch_rows=1_000)
print("finished")
"""


def test_a_script_without_a_main_guard_fails_at_once_instead_of_hanging(
    tmp_path: Path, small_sdn_file: Path
) -> None:
    # Python imports the caller's script in each process of the run's scoring pool; a
    # multiprocessing.Pool restarted each worker that died running it, for ever.
    script = tmp_path / "unguarded.py"
    script.write_text(UNGUARDED_SCRIPT)
    out = tmp_path / "out"
    done = fresh_python(script, small_sdn_file, out, timeout=180)
    assert done.returncode == 1, done.stderr[-3000:]
    assert "finished" not in done.stdout
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("screening.errors.ScreeningError: a worker process of this run"), last
    assert 'if __name__ == "__main__":' in last
    # the worker said why before it stopped
    assert "a run was started while a worker process was starting" in done.stderr
    assert not out.exists()  # a failed run leaves no partial outputs
