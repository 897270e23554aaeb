"""``benchmarks/bench_check.py --quick`` runs and reports what benchmarks/README.md describes.

Timings are never asserted: only that the script finishes, times every command it names, and
that ``dualuse check`` gave the answers ``match-names`` gives for the same names.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT, SHARED_DATA


def test_check_benchmark_quick_times_each_command_and_answers_agree(
    tmp_path: Path, shared: Path
) -> None:
    out = tmp_path / "check.json"
    env = {**os.environ, "DUALUSE_SHARED_DATA": str(SHARED_DATA), "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run(
        [
            sys.executable,
            str(REPO_ROOT / "benchmarks" / "bench_check.py"),
            "--quick",
            "--out",
            str(out),
            "--work",
            str(tmp_path / "work"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text())
    assert (result["benchmark"], result["mode"]) == ("check", "quick")
    assert len(result["names"]) == 3 and result["names"][0]["name"] == "JSC NIKIMT ATOMSTROY"
    assert result["cold"]["seconds"] > 0
    for label in ("module", "match_names"):
        warm = result["warm"][label]
        assert warm["n"] == 3 and 0 < warm["min"] <= warm["median"] <= warm["p95"]
        assert warm["peak_rss_mb"] > 0 and warm["cpu_seconds"]["n"] == 3
    assert result["answers_equal_match_names"] == {"names": 3, "equal": 3}
    assert ("us_ofac_sdn", "42068") in {tuple(h[:2]) for h in result["example_match_names_hits"]}
    assert "| `python -m screening check` |" in done.stdout
