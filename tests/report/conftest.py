"""A real run folder for the report tests: two vendor files (real customs records from
../shared) screened by the library against the bundled lists and written as a run writes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.conftest import shared_path

VENDOR_FILES = ("Armenia_Import_S.csv", "Turkey_Export_S.csv")
"""Armenia: one shipment pair repeated 21 times (PARS TILE CO, an OFAC SDN entry); Turkey:
two spellings of one importer (ALI SALIM / ALİ SALİM) matching one UN entry."""


class RunFolder:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.manifest: dict[str, Any] = json.loads((path / "manifest.json").read_text("utf-8"))
        self.screened: pa.Table = pq.read_table(path / "screened.parquet")


@pytest.fixture(scope="session")
def vendor_run(tmp_path_factory: pytest.TempPathFactory) -> RunFolder:
    """``screen_files`` (what ``dualuse run`` calls) over the two files, with a fresh store."""
    from screening.run import screen_files

    paths = [shared_path("trade", "vendor_samples_csv", name) for name in VENDOR_FILES]
    base = tmp_path_factory.mktemp("vendor-run")
    result = screen_files(paths, out_dir=base / "out", db=f"sqlite:///{base / 'review.db'}")
    return RunFolder(Path(result.out_dir))
