"""Route classification: direct to Russia/Belarus, via a transshipment hub, other, unknown."""

from __future__ import annotations

import csv
from collections import Counter

import pyarrow as pa
import pytest

from screening.config import DEFAULT_TRANSSHIPMENT_COUNTRIES, DIRECT_DESTINATIONS
from screening.geo import ROUTES, classify_routes, normalise_countries
from tests.conftest import shared_path

CASES = [
    # destination value, route, words the reason must contain
    ("RUSSIAN FEDERATION", "direct_russia_belarus", ["destination", "(RU)"]),
    ("РОССИЯ", "direct_russia_belarus", ["(RU)"]),
    ("BELARUS", "direct_russia_belarus", ["Belarus (BY)"]),
    ("KAZAKHSTAN", "via_transshipment_hub", ["Kazakhstan (KZ)", "transshipment hub", "BIS/FinCEN"]),
    ("TÜRKİYE", "via_transshipment_hub", ["(TR)", "transshipment hub"]),
    ("HONG KONG, CHINA", "via_transshipment_hub", ["Hong Kong (HK)"]),
    ("GERMANY", "other", ["Germany (DE)", "neither Russia/Belarus"]),
    ("EUROPEAN UNION", "other", ["European Union (EU)"]),
    ("OTHER COUNTRY", "unknown_destination", ["destination value 'OTHER COUNTRY' not recognised"]),
    ("", "unknown_destination", ["missing"]),
    (None, "unknown_destination", ["missing"]),
]


@pytest.mark.parametrize(("value", "route", "words"), CASES)
def test_case_table(value: str | None, route: str, words: list[str]) -> None:
    dest = normalise_countries([value])
    result = classify_routes(
        ["CN"],
        dest["country_iso2"],
        destination_status=dest["country_status"],
        destination_raw=dest["country_raw"],
    ).to_pylist()[0]
    assert result["route"] == route
    for word in words:
        assert word in result["route_reason"]


@pytest.mark.parametrize("code", DIRECT_DESTINATIONS)
def test_config_direct_destinations_are_direct(code: str) -> None:
    assert classify_routes([None], [code])["route"].to_pylist() == ["direct_russia_belarus"]


@pytest.mark.parametrize("code", DEFAULT_TRANSSHIPMENT_COUNTRIES)
def test_config_transshipment_countries_are_hubs(code: str) -> None:
    result = classify_routes(["DE"], [code]).to_pylist()[0]
    assert result["route"] == "via_transshipment_hub"
    assert f"({code})" in result["route_reason"]
    assert "origin Germany (DE)" in result["route_reason"]


def test_custom_lists_change_route_and_wording() -> None:
    result = classify_routes(
        ["CN", "CN", "CN"], ["DE", "KZ", "RU"], direct=["RU"], transshipment=["DE", "RU"]
    ).to_pylist()
    routes = [r["route"] for r in result]
    assert routes == ["via_transshipment_hub", "other", "direct_russia_belarus"]
    assert "configured transshipment list" in result[0]["route_reason"]


def test_same_origin_and_hub_destination_is_said() -> None:
    reason = classify_routes(["KZ"], ["KZ"])["route_reason"][0].as_py()
    assert "origin is the same country" in reason


def test_codes_are_checked_not_trusted() -> None:
    """A raw name passed where a code belongs must not become "other"."""
    result = classify_routes([None, None, None], ["Russia", "XX", " ru "]).to_pylist()
    assert [r["route"] for r in result] == [
        "unknown_destination",
        "unknown_destination",
        "direct_russia_belarus",
    ]
    assert "'XX' is not an ISO 3166 alpha-2 code" in result[1]["route_reason"]


def test_row_order_chunks_and_lengths() -> None:
    dest = pa.chunked_array([["RU", "DE"], [None, "KZ", "RU"]])
    table = classify_routes(None, dest)
    assert table.column_names == ["route", "route_reason"]
    assert table["route"].to_pylist() == [
        "direct_russia_belarus", "other", "unknown_destination", "via_transshipment_hub",
        "direct_russia_belarus",
    ]  # fmt: skip
    assert set(table["route"].to_pylist()) <= set(ROUTES)
    assert classify_routes([], []).num_rows == 0
    with pytest.raises(ValueError, match="origin has 1 values"):
        classify_routes(["CN"], ["RU", "DE"])


# --- real data: row counts documented in ../shared/data/trade/SOURCES.md -----------------------


@pytest.mark.parametrize(
    ("file", "column", "rows_to_russia"),
    [
        ("Uzbekistan_Export_S.csv", "DESTINATION_COUNTRY", 515),
        ("India_Export_S_output_excel.csv", "COUNTRY", 27),
    ],
)
def test_vendor_exports_to_russia(file: str, column: str, rows_to_russia: int) -> None:
    path = shared_path("trade", "vendor_samples_csv", file)
    with path.open(encoding="utf-8") as fh:
        values = [row[column] for row in csv.DictReader(fh)]
    dest = normalise_countries(values)
    routes = classify_routes(
        None,
        dest["country_iso2"],
        destination_status=dest["country_status"],
        destination_raw=dest["country_raw"],
    )
    counts = Counter(routes["route"].to_pylist())
    iso = dest["country_iso2"].to_pylist()
    assert counts["direct_russia_belarus"] == rows_to_russia + iso.count("BY")
    assert counts["unknown_destination"] == 0
    assert counts["via_transshipment_hub"] == sum(c in DEFAULT_TRANSSHIPMENT_COUNTRIES for c in iso)


@pytest.mark.parametrize(
    ("file", "encoding", "rows_to_russia"),
    [("vehicle_trade_armenia.csv", "cp1252", 1182), ("mobile_phone_reexports.csv", "cp1252", 41)],
)
def test_comtrade_partner_russia(file: str, encoding: str, rows_to_russia: int) -> None:
    path = shared_path("trade", "comtrade_armenia", file)
    with path.open(encoding=encoding) as fh:
        rows = list(csv.DictReader(fh))
    dest = normalise_countries([r["partner"] for r in rows])
    origin = normalise_countries([r["reporter"] for r in rows])
    routes = classify_routes(
        origin["country_iso2"],
        dest["country_iso2"],
        destination_status=dest["country_status"],
        destination_raw=dest["country_raw"],
    )
    reasons = routes["route_reason"].to_pylist()
    direct = [r for r in reasons if r.startswith("destination Russian Federation (RU)")]
    assert len(direct) == rows_to_russia
    unknown = {
        r
        for route, r in zip(routes["route"].to_pylist(), reasons, strict=True)
        if route == "unknown_destination"
    }
    assert unknown == {"destination value 'Areas, nes' not recognised"}
