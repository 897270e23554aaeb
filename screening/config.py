"""One frozen configuration for a screening run, declared once and validated before any work.

Every knob that changes a run's results is a field here with its type, default and description
(the description is what ``dualuse`` prints and what the manifest records beside the value).
The defaults are what a compliance analyst gets without a config file; a YAML file with the same
keys (``dualuse run --config FILE``) overrides any of them, and nested tables (``risk_weights``,
``import_surge``) may override single keys. An unknown key or a value of the wrong type is refused
at once with a one-line :class:`ConfigError` naming the key, before any list or trade file is
read. The name matcher's tunables are declared in :mod:`screening.names.tunables`; this module
exposes them under ``name_matching:`` (built from those declarations, never restated) and the
flag threshold as ``name_threshold``. Environment overrides are read in this module only.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    create_model,
    field_validator,
    model_validator,
)

from screening.errors import ConfigError
from screening.names.tunables import MatchSettings
from screening.names.tunables import settings as default_match_settings

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

# Export-control coalition (BIS Supplement No. 3 to Part 746 partner countries): goods of these
# origins reaching Russia through a hub are what the re-export chain check looks for.
COALITION_COUNTRIES: tuple[str, ...] = (
    "US", "GB", "JP", "KR", "TW", "CH", "NO", "CA", "AU", "NZ", "IS", "LI",
    "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT",
    "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE",
)  # fmt: skip

INVASION_DATE = "2022-02-24"

__all__ = [
    "COALITION_COUNTRIES",
    "DEFAULT_RISK_WEIGHTS",
    "DEFAULT_TRANSSHIPMENT_COUNTRIES",
    "DIRECT_DESTINATIONS",
    "INVASION_DATE",
    "ConfigError",
    "ImportSurgeSettings",
    "RiskWeights",
    "ScreeningConfig",
]


class _Settings(BaseModel):
    """Frozen, no unknown keys, no silent coercion of text into numbers beyond what YAML means."""

    model_config = ConfigDict(frozen=True, extra="forbid", validate_default=True)


class RiskWeights(_Settings):
    """Points each risk signal adds, and the level cut-offs (see :mod:`screening.risk.score`)."""

    party_match: float = Field(
        45.0, description="exporter or importer matches a listed party at the name threshold"
    )
    party_export_control_list: float = Field(
        10.0,
        description="extra when that list is an export-control or military-end-user list",
    )
    chpl_tier_1_2: float = Field(40.0, description="HS code on the CHPL, tier 1 or 2")
    chpl_tier_3_4: float = Field(25.0, description="HS code on the CHPL, tier 3.A to 4.B")
    chpl_possible: float = Field(
        15.0, description="an older-edition (HS 2017) code that may be a CHPL HS 2022 code"
    )
    other_listed_category: float = Field(
        20.0, description="HS code in another configured category file (not the CHPL)"
    )
    description_chpl_tier_1_2: float = Field(
        30.0, description="description names CHPL tier 1-2 goods the declared code does not show"
    )
    description_chpl_tier_3_4: float = Field(
        20.0, description="description names CHPL tier 3-4 goods the declared code does not show"
    )
    possible_misdeclaration: float = Field(
        15.0, description="extra when a code was declared and disagrees with the description"
    )
    route_direct_russia_belarus: float = Field(
        35.0, description="destination Russia or Belarus (only with a goods or party signal)"
    )
    route_transshipment_hub: float = Field(
        15.0, description="destination a transshipment hub (only with a goods or party signal)"
    )
    route_chain: float = Field(
        20.0,
        description="leg of a coalition -> hub -> Russia re-export chain on the same goods "
        "(only with a goods or party signal)",
    )
    freight_forwarder_consignee: float = Field(
        10.0,
        description="consignee is a freight forwarder or logistics firm "
        "(only with a goods or party signal)",
    )
    new_chpl_importer: float = Field(
        15.0,
        description="importer starts CHPL imports after the cut-off date "
        "(only with a goods or party signal)",
    )
    chpl_import_surge: float = Field(
        10.0,
        description="importer sharply increases CHPL imports after the cut-off date "
        "(only with a goods or party signal)",
    )
    level_high: float = Field(70.0, description="points from which a record is high risk")
    level_medium: float = Field(45.0, description="points from which a record is medium risk")

    @model_validator(mode="after")
    def _levels_in_order(self) -> RiskWeights:
        if self.level_medium > self.level_high:
            raise ValueError(
                f"level_medium ({self.level_medium:g}) must not exceed level_high "
                f"({self.level_high:g})"
            )
        return self

    def __getitem__(self, key: str) -> float:
        """Weights read like the mapping they replace: ``weights["party_match"]``."""
        if key not in type(self).model_fields:
            raise KeyError(key)
        return float(getattr(self, key))

    def as_dict(self) -> dict[str, float]:
        return {k: float(v) for k, v in self.model_dump().items()}


DEFAULT_RISK_WEIGHTS: dict[str, float] = RiskWeights().as_dict()
"""The default points per signal and level cut-offs, as a plain mapping."""


class ImportSurgeSettings(_Settings):
    """When a consignee counts as new to, or surging in, CHPL imports after the cut-off date
    (see :func:`screening.risk.red_flags.chpl_import_surge_flags`)."""

    surge_ratio: float = Field(
        3.0, gt=0, description="CHPL imports per month after the cut-off, as a multiple of before"
    )
    min_after_records: int = Field(
        1, ge=1, description="CHPL records after the cut-off that make a consignee 'new'"
    )
    min_surge_records: int = Field(
        3, ge=1, description="CHPL records after the cut-off needed before a surge counts"
    )
    min_history_days: int = Field(
        90,
        ge=0,
        description="days of data before the cut-off needed for 'none before' to mean anything",
    )
    measure: Literal["records", "value"] = Field(
        "records", description="compare numbers of CHPL records or their declared value"
    )


_PYTHON_TYPES = {"float": float, "int": int, "bool": bool, "str": str}


def _name_matching_model() -> type[_Settings]:
    """The matcher's tunables (screening.names.tunables.MatchSettings) as a config table: same
    names, types, defaults and descriptions; the flag threshold is ``name_threshold`` instead."""
    fields: dict[str, Any] = {
        f.name: (
            _PYTHON_TYPES.get(str(f.type), Any),
            Field(f.default, description=f.metadata.get("description", "")),
        )
        for f in dataclasses.fields(MatchSettings)
        if f.name != "flag_threshold"
    }
    model = create_model("NameMatchingSettings", __base__=_Settings, **fields)
    model.__doc__ = "The name matcher's tunables (see screening.names.tunables)."
    return model


NameMatchingSettings = _name_matching_model()


def _country_codes(values: tuple[str, ...]) -> tuple[str, ...]:
    codes = tuple(str(v).strip().upper() for v in values)
    bad = [c for c in codes if len(c) != 2 or not c.isalpha()]
    if bad:
        raise ValueError(f"not ISO 3166 alpha-2 code(s): {', '.join(bad)}")
    return codes


class ScreeningConfig(_Settings):
    """Tunables of one run. Frozen so a run's manifest records exactly what was used."""

    name_threshold: float = Field(
        default_match_settings.flag_threshold,
        ge=0,
        le=100,
        description="minimum party-match score (0-100) that raises a flag "
        "(the matcher's flag_threshold)",
    )
    name_matching: NameMatchingSettings = Field(  # type: ignore[valid-type]
        default_factory=NameMatchingSettings,
        description="the name matcher's penalties, bonuses and limits "
        "(declared in screening.names.tunables)",
    )
    max_matches_per_name: int = Field(
        3, ge=1, description="list hits kept per trade party name, best first"
    )
    direct_destinations: tuple[str, ...] = Field(
        DIRECT_DESTINATIONS, description="destinations that are themselves the concern (ISO-2)"
    )
    transshipment_countries: tuple[str, ...] = Field(
        DEFAULT_TRANSSHIPMENT_COUNTRIES,
        description="transshipment hubs named by BIS/FinCEN and the EU/UK guidance (ISO-2)",
    )
    coalition_countries: tuple[str, ...] = Field(
        COALITION_COUNTRIES,
        description="export-control coalition origins the re-export chain check starts from",
    )
    chain_window_days: int = Field(
        180, ge=0, description="a re-export's second leg must follow its first within these days"
    )
    import_history_cutoff: str = Field(
        INVASION_DATE,
        description="importers that start or surge CHPL imports from this date on are flagged",
    )
    import_surge: ImportSurgeSettings = Field(
        default_factory=ImportSurgeSettings,
        description="what counts as a new or surging CHPL importer",
    )
    list_files: tuple[str, ...] = Field(
        (),
        description="list files to screen against; empty = the refreshed snapshot store's "
        "active lists (dualuse lists refresh) when there is one, else the bundled active lists",
    )
    list_store: str | None = Field(
        None, description="snapshot store of refreshed lists; null = $DUALUSE_DATA_DIR/lists"
    )
    category_files: tuple[str, ...] = Field(
        (),
        description="goods category CSVs (code_prefix, category, tier, ...); empty = the "
        "bundled CHPL",
    )
    hs_vintage: Literal["2017", "2022"] | None = Field(
        None,
        description='force the HS edition of the trade data ("2017" or "2022"); '
        "null = detect per code",
    )
    risk_weights: RiskWeights = Field(
        default_factory=RiskWeights,
        description="points per signal and level cut-offs; a config file may override single keys",
    )
    workers: int = Field(
        default_factory=lambda: int(os.environ.get("DUALUSE_WORKERS", "-1")),
        description="processes/threads for rapidfuzz (-1 = all cores; env DUALUSE_WORKERS); "
        "never changes the results",
    )

    @field_validator(
        "direct_destinations", "transshipment_countries", "coalition_countries", mode="before"
    )
    @classmethod
    def _norway_is_not_false(cls, values: Any) -> Any:
        """YAML 1.1 reads an unquoted NO (Norway) as false; in a list of countries it is NO."""
        if isinstance(values, list | tuple):
            return [("NO" if v is False else v) for v in values]
        return values

    @field_validator("direct_destinations", "transshipment_countries", "coalition_countries")
    @classmethod
    def _iso2(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return _country_codes(values)

    @field_validator("import_history_cutoff", mode="before")
    @classmethod
    def _iso_date(cls, value: Any) -> str:
        """YAML reads an unquoted 2022-02-24 as a date: accept it and ISO text, nothing else."""
        if isinstance(value, dt.datetime):
            value = value.date()
        if isinstance(value, dt.date):
            return value.isoformat()
        if not isinstance(value, str):
            raise ValueError("expected an ISO date YYYY-MM-DD")
        try:
            return dt.date.fromisoformat(value.strip()).isoformat()
        except ValueError as exc:
            raise ValueError("expected an ISO date YYYY-MM-DD") from exc

    @field_validator("hs_vintage", mode="before")
    @classmethod
    def _vintage_as_text(cls, value: Any) -> Any:
        """``hs_vintage: 2017`` in YAML is an int; it means the same as "2017"."""
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    def to_dict(self) -> dict[str, Any]:
        """Every setting as plain JSON-able values; ``from_mapping`` reads it back."""
        return self.model_dump(mode="json")

    def to_manifest(self) -> dict[str, Any]:
        """The full configuration for a run's manifest: every setting with the value used,
        the name matcher's tunables included."""
        return self.to_dict()

    def match_settings(self) -> MatchSettings:
        """The matcher's settings for this run: its declared defaults with this config's
        threshold and ``name_matching`` values."""
        return default_match_settings.with_values(
            flag_threshold=self.name_threshold, **self.name_matching.model_dump()
        )

    @classmethod
    def describe(cls) -> dict[str, dict[str, Any]]:
        """key -> {type, default, description}, nested tables as ``table.key``: the reference
        of every tunable, generated from the declarations so it cannot drift."""
        return _describe(cls)

    @classmethod
    def from_mapping(
        cls, values: Mapping[str, Any], *, source: str | None = None
    ) -> ScreeningConfig:
        """Validate ``values`` (keys as in this class); missing keys keep their defaults."""
        if not isinstance(values, Mapping):
            raise ConfigError(
                f"{source or 'config'}: expected a mapping of config keys at the top level, "
                f"got {type(values).__name__}"
            )
        try:
            return cls.model_validate(dict(values))
        except ValidationError as exc:
            raise ConfigError(_one_line(exc, source)) from None

    @classmethod
    def from_file(cls, path: str | Path) -> ScreeningConfig:
        """Read a YAML config file; any problem is one ConfigError line naming file and key."""
        try:
            with open(path, encoding="utf-8") as fh:
                data = yaml.safe_load(fh)
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read config file ({exc.strerror})") from None
        except yaml.YAMLError as exc:
            where = getattr(exc, "problem_mark", None)
            at = f" at line {where.line + 1}" if where is not None else ""
            raise ConfigError(f"{path}: not valid YAML{at}") from None
        return cls.from_mapping(data or {}, source=str(path))


def _one_line(exc: ValidationError, source: str | None) -> str:
    """Pydantic's errors as one line per the CLI's habit: ``file: key 'a.b': message``."""
    parts = []
    for error in exc.errors(include_url=False):
        key = ".".join(str(p) for p in error["loc"]) or "(top level)"
        if error["type"] == "extra_forbidden":
            parent = _model_at(ScreeningConfig, error["loc"][:-1])
            known = ", ".join(parent.model_fields) if parent is not None else ""
            parts.append(f"unknown config key '{key}'" + (f" (known: {known})" if known else ""))
            continue
        message = error["msg"].removeprefix("Value error, ")
        got = error.get("input")
        shown = "" if isinstance(got, Mapping) else f" (got {got!r})"
        parts.append(f"config key '{key}': {message}{shown}")
    return f"{source}: " * bool(source) + "; ".join(parts)


def _model_at(model: type[BaseModel], loc: tuple[Any, ...]) -> type[BaseModel] | None:
    for part in loc:
        field = model.model_fields.get(str(part))
        annotation = field.annotation if field is not None else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return None
        model = annotation
    return model


def _describe(model: type[BaseModel], prefix: str = "") -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    defaults = model().model_dump(mode="json") if not prefix else None
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            out.update(_describe(annotation, f"{prefix}{name}."))
            continue
        default = (defaults or model().model_dump(mode="json"))[name]
        out[f"{prefix}{name}"] = {
            "type": _type_name(annotation),
            "default": default,
            "description": field.description or "",
        }
    return out


def _type_name(annotation: Any) -> str:
    """``float``, ``list[str]``, ``'records' | 'value'``, ``str | None``: as a YAML file reads."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Literal:
        return " | ".join(repr(a) for a in args)
    if origin is tuple:
        return f"list[{_type_name(args[0])}]"
    if origin in (Union, types.UnionType):
        return " | ".join(_type_name(a) for a in args)
    if annotation is type(None):
        return "None"
    return getattr(annotation, "__name__", str(annotation))
