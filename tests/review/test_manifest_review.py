"""The manifest file beside a run's outputs holds what the review store recorded of the run,
as the run's result does (the store records the run only once the outputs are in place)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

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


def test_a_run_whose_outputs_never_land_records_nothing(
    tmp_path: Path, small_sdn_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The store is written beside the run's last steps, but kept only once the outputs are in
    place: a run that fails at the last step (the outputs swapped in) leaves the store as it
    was, so that --only-new would not skip records nobody can review."""
    from screening.review.store import open_store
    from screening.run_folder import RunFolder

    def fail_to_land(self: RunFolder) -> Path:
        raise OSError("no space left on device")

    monkeypatch.setattr(RunFolder, "commit", fail_to_land)
    config = ScreeningConfig(list_files=(str(small_sdn_file),))
    db = str(tmp_path / "review.db")
    with pytest.raises(OSError, match="no space left"):
        screen_files(None, config, tmp_path / "out", db=db, batch_rows=2_000)
    store = open_store(db)
    assert store.count_records_seen() == 0
    assert store.parties() == []
    monkeypatch.undo()  # the store is not left locked: the next run records
    run = screen_files(None, config, tmp_path / "out", db=db, batch_rows=2_000)
    assert store.count_records_seen() == run.manifest["review"]["records_marked_seen"] == 5_000
    store.close()
