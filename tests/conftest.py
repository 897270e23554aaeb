"""Shared fixtures: where the real data of ../shared lives, skipping with a reason when absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

pytest_plugins = (
    "tests.lists.list_server",  # the local list server and SDN publications
    "tests.review.postgres",  # a throwaway PostgreSQL cluster, a fresh review store per test
)

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("DUALUSE_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))


def shared_path(*parts: str) -> Path:
    """A path under ../shared/data, or skip the test saying which file is missing."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"real data not available: {path} (../shared/data is absent on this machine)")
    return path


@pytest.fixture
def shared() -> Path:
    return shared_path()


@pytest.fixture(autouse=True, scope="session")
def isolated_list_store(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Screening uses refreshed lists when a store exists: keep a developer's real store out."""
    os.environ["DUALUSE_DATA_DIR"] = str(tmp_path_factory.mktemp("dualuse-data"))
