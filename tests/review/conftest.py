"""Fixtures of the review tests: the screening reference data the carry-over tests share.
(The PostgreSQL cluster and ``store_url`` come from tests/review/postgres.py, a plugin.)"""

from __future__ import annotations

import pytest

from screening.config import ScreeningConfig
from screening.paths import REFERENCE_DIR

SDN_CSV = REFERENCE_DIR / "us_ofac_sdn" / "2023-12-28" / "sdn.csv"


@pytest.fixture(scope="session")
def sdn_config() -> ScreeningConfig:
    """Screening against the bundled OFAC SDN set only: the carry-over does not depend on
    which lists are screened, and one list loads in a fraction of the time of all."""
    return ScreeningConfig(list_files=(str(SDN_CSV),), workers=1)


@pytest.fixture(scope="session")
def sdn_reference(sdn_config: ScreeningConfig):  # type: ignore[no-untyped-def]
    from screening.pipeline import load_reference_data

    return load_reference_data(sdn_config)
