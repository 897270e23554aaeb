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
    from screening.config import ScreeningConfig
    from screening.io import load_trade_files
    from screening.outputs import build_manifest, write_run_outputs
    from screening.pipeline import load_reference_data, screen_records

    paths = [shared_path("trade", "vendor_samples_csv", name) for name in VENDOR_FILES]
    config = ScreeningConfig()
    reference = load_reference_data(config)
    loaded = load_trade_files(paths)
    screened, timings = screen_records(loaded.table, reference, config)
    manifest = build_manifest(
        inputs=paths,
        screened=screened,
        rejects=loaded.rejects,
        rows_in=loaded.rows_in,
        list_versions=reference.list_versions,
        config=config.to_dict(),
        timings=timings,
    )
    out = tmp_path_factory.mktemp("vendor-run")
    write_run_outputs(out, screened=screened, rejects=loaded.rejects, manifest=manifest)
    return RunFolder(out)
