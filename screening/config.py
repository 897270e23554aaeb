"""One frozen configuration for a screening run; environment overrides are read here only.

The defaults are what a compliance analyst gets without a config file. A YAML file with the
same keys (``dualuse run --config FILE``) overrides any of them.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

# Russia and Belarus: destinations that are themselves the concern.
DIRECT_DESTINATIONS: tuple[str, ...] = ("RU", "BY")

# Countries named by BIS/FinCEN (joint alerts of 2022-06-28, 2023-05-19 and the 2023-11-06
# supplemental alert) and by the EU/UK "circumvention" guidance as transshipment points for
# CHPL goods to Russia. ISO-3166 alpha-2.
DEFAULT_TRANSSHIPMENT_COUNTRIES: tuple[str, ...] = (
    "AM",  # Armenia
    "AZ",  # Azerbaijan
    "CN",  # China
    "HK",  # Hong Kong
    "MO",  # Macau
    "GE",  # Georgia
    "KZ",  # Kazakhstan
    "KG",  # Kyrgyzstan
    "TJ",  # Tajikistan
    "TM",  # Turkmenistan
    "TR",  # Turkey
    "AE",  # United Arab Emirates
    "UZ",  # Uzbekistan
    "RS",  # Serbia
    "IN",  # India
    "MN",  # Mongolia
    "IR",  # Iran
    "MY",  # Malaysia
    "TH",  # Thailand
    "SG",  # Singapore
)


DEFAULT_RISK_WEIGHTS: dict[str, float] = {
    # points added by each signal; see screening.risk.score for the scheme
    "party_match": 45.0,
    "party_export_control_list": 10.0,
    "chpl_tier_1_2": 40.0,
    "chpl_tier_3_4": 25.0,
    "chpl_possible": 15.0,
    "other_listed_category": 20.0,
    "description_chpl_tier_1_2": 30.0,
    "description_chpl_tier_3_4": 20.0,
    "possible_misdeclaration": 15.0,
    "route_direct_russia_belarus": 35.0,
    "route_transshipment_hub": 15.0,
    "route_chain": 20.0,
    "freight_forwarder_consignee": 10.0,
    "new_chpl_importer": 15.0,
    "chpl_import_surge": 10.0,
    # a record's level from its points; route alone never flags a record
    "level_high": 70.0,
    "level_medium": 45.0,
}


# Export-control coalition (BIS Supplement No. 3 to Part 746 partner countries): goods of these
# origins reaching Russia through a hub are what the re-export chain check looks for.
COALITION_COUNTRIES: tuple[str, ...] = (
    "US", "GB", "JP", "KR", "TW", "CH", "NO", "CA", "AU", "NZ", "IS", "LI",
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT",
    "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
)  # fmt: skip


@dataclass(frozen=True)
class ScreeningConfig:
    """Tunables of one run. Frozen so a run's manifest records exactly what was used."""

    name_threshold: float = 88.0
    """Minimum party-match score (0-100) that raises a flag; see screening.names.match."""
    max_matches_per_name: int = 3
    """How many list hits to keep per trade party name (best first)."""
    direct_destinations: tuple[str, ...] = DIRECT_DESTINATIONS
    transshipment_countries: tuple[str, ...] = DEFAULT_TRANSSHIPMENT_COUNTRIES
    coalition_countries: tuple[str, ...] = COALITION_COUNTRIES
    chain_window_days: int = 180
    """A re-export's second leg must follow its first within this many days."""
    import_history_cutoff: str = "2022-02-24"
    """Importers that start or surge CHPL imports from this date on are flagged."""
    list_files: tuple[str, ...] = ()
    """List files to screen against; empty means the refreshed snapshot store's active lists
    (``dualuse lists refresh``) when there is one, else the bundled active lists."""
    list_store: str | None = None
    """Snapshot store of refreshed lists; None = $DUALUSE_DATA_DIR/lists."""
    category_files: tuple[str, ...] = ()
    """Goods category CSVs (code_prefix, category, tier, ...); empty = the bundled CHPL."""
    hs_vintage: str | None = None
    """Force the HS edition of the trade data ("2017" or "2022"); None = detect per code."""
    risk_weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_RISK_WEIGHTS))
    """Points per signal and level cut-offs; a config file may override single keys."""
    workers: int = field(default_factory=lambda: int(os.environ.get("DUALUSE_WORKERS", "-1")))
    """Processes/threads for rapidfuzz (-1 = all cores)."""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> ScreeningConfig:
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown config key(s): {', '.join(unknown)}; known: {sorted(known)}")
        coerced = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
        if "risk_weights" in coerced:
            unknown_weights = sorted(set(coerced["risk_weights"]) - set(DEFAULT_RISK_WEIGHTS))
            if unknown_weights:
                raise ValueError(f"unknown risk weight(s): {', '.join(unknown_weights)}")
            coerced["risk_weights"] = {**DEFAULT_RISK_WEIGHTS, **coerced["risk_weights"]}
        return cls(**coerced)

    @classmethod
    def from_file(cls, path: str | Path) -> ScreeningConfig:
        with open(path, encoding="utf-8") as fh:
            data = yaml.safe_load(fh) or {}
        if not isinstance(data, dict):
            raise ValueError(f"{path}: expected a mapping of config keys at the top level")
        return cls.from_mapping(data)
