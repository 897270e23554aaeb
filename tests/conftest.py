"""Shared fixtures: where the real data of ../shared lives, skipping with a reason when absent."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytest_plugins = (
    "tests.lists.list_server",  # the local list server and SDN publications
    "tests.review.postgres",  # a throwaway PostgreSQL cluster, a fresh review store per test
)

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("DUALUSE_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))


def fresh_python(*args: str | Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """``python ARGS`` in a fresh interpreter that imports this checkout, output captured. For
    what a pytest process cannot show: forking (refused once Prefect or Dask left threads in
    it), worker processes that import the caller's script, exit codes and stderr as a user
    sees them."""
    return subprocess.run(
        [sys.executable, *map(str, args)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        timeout=timeout,
        check=False,
    )


BUNDLED_COPIES: dict[str, str] = {
    # a list file (or folder of one publication) of ../shared/data -> its byte-identical copy in
    # reference_lists/ (same sha256 as manifest.yml records; tests/lists/test_bundled.py checks
    # this where ../shared is present), so the tests reading it run where ../shared is absent
    "sanctions/us_ofac/sdn_set_2023-12-28": "us_ofac_sdn/2023-12-28",
    "sanctions/us_trade_csl/consolidated_2022-04.csv": "us_trade_csl/2022-04/consolidated.csv",
    "sanctions/un/UN_consolidated_2026-02-27.xml": "un_sc/2026-02-27/consolidated.xml",
    "sanctions/uk/FCDO_SL_2025-08-11.ods": "uk_fcdo/2025-08-11/UK_Sanctions_List.ods",
}


def shared_path(*parts: str) -> Path:
    """A path under ../shared/data, or its bundled copy in reference_lists/ when ../shared is
    absent and one exists (BUNDLED_COPIES), or skip the test saying which file is missing."""
    path = SHARED_DATA.joinpath(*parts)
    if path.exists():
        return path
    bundled = bundled_copy(*parts)
    if bundled is not None:
        return bundled
    pytest.skip(f"real data not available: {path} (../shared/data is absent on this machine)")


def bundled_copy(*parts: str) -> Path | None:
    """The bundled copy of ``parts`` (a mapped file, or a file inside a mapped folder)."""
    from screening.paths import REFERENCE_DIR

    relative = "/".join(parts)
    for shared, bundled in BUNDLED_COPIES.items():
        if relative == shared or relative.startswith(shared + "/"):
            copy = Path(REFERENCE_DIR, bundled, relative[len(shared) :].lstrip("/"))
            return copy if copy.exists() else None
    return None


@pytest.fixture
def shared() -> Path:
    return shared_path()


@pytest.fixture(autouse=True, scope="session")
def isolated_list_store(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Screening uses refreshed lists when a store exists: keep a developer's real store out."""
    os.environ["DUALUSE_DATA_DIR"] = str(tmp_path_factory.mktemp("dualuse-data"))


@pytest.fixture(scope="session")
def small_sdn_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 400-name cut of the bundled OFAC SDN CSV: its first 300 records plus every line naming
    ROSOBORONEKSPORT, so a test can check that a listed party is flagged without loading every
    list (parsed and indexed in about 2 s)."""
    from screening.paths import REFERENCE_DIR

    source = next((REFERENCE_DIR / "us_ofac_sdn").glob("*/sdn.csv"))
    lines = source.read_bytes().splitlines(keepends=True)
    cut = tmp_path_factory.mktemp("small-lists") / "sdn.csv"
    cut.write_bytes(b"".join(lines[:300] + [x for x in lines[300:] if b"ROSOBORONEKSPORT" in x]))
    return cut


@pytest.fixture(scope="session")
def small_reference(small_sdn_file: Path) -> tuple[Any, Any]:
    """(ReferenceData, ScreeningConfig) over :func:`small_sdn_file`, built once per session."""
    from screening.config import ScreeningConfig
    from screening.pipeline import load_reference_data

    config = ScreeningConfig(list_files=(str(small_sdn_file),))
    return load_reference_data(config), config
