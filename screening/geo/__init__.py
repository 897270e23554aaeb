"""Countries and routes: normalise country values to ISO alpha-2, classify destinations."""

from __future__ import annotations

from screening.geo.countries import (
    COUNTRY_ALIASES_FILE,
    country_display_name,
    country_to_iso2,
    load_country_aliases,
    normalise_countries,
)
from screening.geo.routes import (
    DIRECT,
    OTHER,
    ROUTES,
    TRANSSHIPMENT,
    UNKNOWN_DESTINATION,
    classify_routes,
)

__all__ = [
    "COUNTRY_ALIASES_FILE",
    "DIRECT",
    "OTHER",
    "ROUTES",
    "TRANSSHIPMENT",
    "UNKNOWN_DESTINATION",
    "classify_routes",
    "country_display_name",
    "country_to_iso2",
    "load_country_aliases",
    "normalise_countries",
]
