"""The manifest file beside a run's outputs holds what the review store recorded of the run,
as the run's result does (the store records the run only once the outputs are in place)."""

from __future__ import annotations

import json
from pathlib import Path

from screening.config import ScreeningConfig
from screening.run import screen_files


def test_the_manifest_file_says_what_the_review_store_recorded(
    tmp_path: Path, small_sdn_file: Path
) -> None:
    config = ScreeningConfig(list_files=(str(small_sdn_file),))
    out = tmp_path / "out"
    run = screen_files(None, config, out, db=str(tmp_path / "review.db"), batch_rows=2_000)
    on_disk = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    review = run.manifest["review"]
    assert review["records_marked_seen"] == run.counts["rows_screened"] == 5_000
    assert review["parties_recorded"] > 100
    assert on_disk["review"] == json.loads(json.dumps(review, default=str))
    timings = on_disk["timings_seconds"]
    assert timings["record_review"] > 0
    assert timings["total"] >= timings["write_review_files"] + timings["record_review"]
    # the rewritten manifest still describes exactly the files beside it
    assert {Path(o["path"]).name for o in on_disk["outputs"].values()} | {"manifest.json"} == {
        p.name for p in out.iterdir()
    }
