"""Re-export chains: coalition country -> hub party -> Russia, same HS6, within the window."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from screening.config import DEFAULT_TRANSSHIPMENT_COUNTRIES, DIRECT_DESTINATIONS
from screening.geo.chains import (
    FIRST_LEG,
    ROUTE_CHAIN_COLUMNS,
    SECOND_LEG,
    date_bounds,
    find_route_chains,
)

COALITION = ("US", "DE", "FR", "IT", "NL", "GB", "JP", "KR", "TW", "CH", "NO", "CA", "AU")

# One hub party per scenario, written as customs files write it on each side.
RECORDS = [
    # record_id, date, exporter, importer, origin, destination, hs6
    # 1. chip re-export through Kazakhstan: Latin and Cyrillic spellings of the same company
    (
        "kz-in",
        "2023-03-02",
        "TEXAS INSTRUMENTS INC",
        'ТОО "АЛМАТЫ ЭЛЕКТРОНИКС"',
        "US",
        "KZ",
        "854231",
    ),
    ("kz-out", "2023-04-05", "TOO ALMATY ELEKTRONIKS", "OOO VEKTOR", "US", "RU", "854231"),
    # 2. bearings through Turkey, month-level dates (aggregated vendor file)
    ("tr-in", "2023-06", "SKF GMBH", "ANKA RULMAN SANAYI VE TICARET LTD STI", "DE", "TR", "848210"),
    (
        "tr-out",
        "2023-08",
        "ANKA RULMAN SAN. VE TIC. LTD. ŞTİ.",
        "OOO PODSHIPNIK",
        "DE",
        "RU",
        "848210",
    ),
    # 3. same party, different HS6: no chain
    ("ae-in", "2023-01-10", "MOUSER ELECTRONICS", "GULF TECH TRADING FZE", "US", "AE", "854231"),
    ("ae-out", "2023-01-20", "GULF TECH TRADING FZE", "OOO ALFA", "AE", "RU", "853221"),
    # 4. same HS6, different party: no chain
    ("am-in", "2023-02-01", "ANALOG DEVICES", "YEREVAN CHIPS LLC", "US", "AM", "854239"),
    ("am-out", "2023-02-15", "GYUMRI COMPONENTS LLC", "OOO BETA", "AM", "RU", "854239"),
    # 5. outside the window (leg 2 300 days later) and leg 2 before leg 1: no chain
    ("kg-in", "2023-01-05", "XILINX INC", "BISHKEK SYSTEMS OSOO", "US", "KG", "854232"),
    ("kg-out-late", "2023-11-01", "BISHKEK SYSTEMS OSOO", "OOO GAMMA", "US", "RU", "854232"),
    ("kg-out-early", "2022-12-01", "BISHKEK SYSTEMS OSOO", "OOO GAMMA", "US", "RU", "854232"),
    # 6. origin not in the coalition (Chinese goods to the hub): not a first leg
    ("cn-in", "2023-05-01", "SHENZHEN ABC CO LTD", "TBILISI TRADE LLC", "CN", "GE", "852691"),
    ("ge-out", "2023-05-20", "TBILISI TRADE LLC", "OOO DELTA", "CN", "RU", "852691"),
    # 7. to Belarus, two first legs: the closer one is the partner, both counted
    ("uz-in-1", "2023-07-01", "INTEL CORP", "TASHKENT DIGITAL MCHJ", "US", "UZ", "847150"),
    ("uz-in-2", "2023-09-01", "DELL INC", "TASHKENT DIGITAL MCHJ", "US", "UZ", "847150"),
    ("uz-out", "2023-09-11", "TASHKENT DIGITAL", "OAO MINSK", "US", "BY", "847150"),
    # 8. no HS6, unknown hub party: never chained
    ("x-in", "2023-03-01", "ACME", None, "US", "KZ", "854231"),
    ("x-out", "2023-03-05", None, "OOO X", "US", "RU", None),
]


def _table(records: list[tuple]) -> pa.Table:
    columns = list(zip(*records, strict=True))
    names = ("record_id", "date", "exporter", "importer", "origin_iso2", "destination_iso2", "hs6")
    return pa.table(
        {n: pa.array(list(c), pa.string()) for n, c in zip(names, columns, strict=True)}
    )


def _chains(table: pa.Table, **options: object) -> dict[str, dict]:
    result = find_route_chains(
        table,
        coalition=COALITION,
        hubs=DEFAULT_TRANSSHIPMENT_COUNTRIES,
        direct=DIRECT_DESTINATIONS,
        **options,  # type: ignore[arg-type]
    )
    assert result.column_names == list(ROUTE_CHAIN_COLUMNS)
    assert result["record_id"].to_pylist() == table["record_id"].to_pylist()
    return {r["record_id"]: r for r in result.to_pylist() if r["route_chain_role"]}


def test_chains_found_and_only_those() -> None:
    chains = _chains(_table(RECORDS))
    assert set(chains) == {"kz-in", "kz-out", "tr-in", "tr-out", "uz-in-1", "uz-in-2", "uz-out"}
    assert chains["kz-in"]["route_chain_role"] == FIRST_LEG
    assert chains["kz-in"]["route_chain_partner"] == "kz-out"
    assert chains["kz-out"]["route_chain_role"] == SECOND_LEG
    assert chains["kz-out"]["route_chain_partner"] == "kz-in"


def test_reason_names_route_party_goods_and_gap() -> None:
    reason = _chains(_table(RECORDS))["kz-out"]["route_chain_reason"]
    assert reason.startswith(
        "re-export chain: US → KZ (importer 'ТОО \"АЛМАТЫ ЭЛЕКТРОНИКС\"') → RU"
    )
    assert "same HS 854231" in reason
    assert "34 days apart" in reason
    assert "leg 2 goods of US origin" in reason
    assert "other leg: record kz-in" in reason


def test_month_level_dates_are_compared_by_month() -> None:
    reason = _chains(_table(RECORDS))["tr-in"]["route_chain_reason"]
    assert "about 2 months apart (month-level dates)" in reason


def test_closest_partner_and_count() -> None:
    chains = _chains(_table(RECORDS))
    assert chains["uz-out"]["route_chain_partner"] == "uz-in-2"  # 10 days, not 72
    assert chains["uz-out"]["route_chain_count"] == 2
    assert "(+1 more matching record)" in chains["uz-out"]["route_chain_reason"]
    assert "→ BY" in chains["uz-out"]["route_chain_reason"]
    assert chains["uz-in-1"]["route_chain_partner"] == "uz-out"


def test_window_is_a_parameter() -> None:
    table = _table(RECORDS)
    assert "kg-in" not in _chains(table)
    wide = _chains(table, window_days=400)
    assert wide["kg-in"]["route_chain_partner"] == "kg-out-late"
    assert "kg-out-early" not in wide  # leg 2 before leg 1 is never a chain
    assert "kg-out-early" not in _chains(table, window_days=None)
    assert "kg-out-late" in _chains(table, window_days=None)


@pytest.mark.parametrize(("allow", "expected"), [(True, True), (False, False)])
def test_undated_legs(allow: bool, expected: bool) -> None:
    records = [
        ("a", None, "NXP", "ALMATY CHIP TOO", "NL", "KZ", "854231"),
        ("b", "2023-05-01", "ALMATY CHIP TOO", "OOO Z", "NL", "RU", "854231"),
    ]
    chains = _chains(_table(records), allow_undated=allow)
    assert ("a" in chains) is expected
    if expected:
        assert "window not checked" in chains["a"]["route_chain_reason"]


def test_chains_limited_to_given_goods() -> None:
    chains = _chains(_table(RECORDS), hs6_codes=["848210", "847150"])
    assert set(chains) == {"tr-in", "tr-out", "uz-in-1", "uz-in-2", "uz-out"}


def test_no_leg_two_no_chain() -> None:
    table = _table([r for r in RECORDS if r[5] not in DIRECT_DESTINATIONS])
    assert _chains(table) == {}


def test_many_records_are_joined_not_looped() -> None:
    """20k records, 2k hub parties: only the planted chains come out."""
    rng = np.random.default_rng(5)
    n = 20_000
    parties = np.array([f"HUB TRADING {i} LLC" for i in range(2_000)])
    codes = np.array(["854231", "854232", "848210", "852691", "690721", "610910"])
    days = rng.integers(0, 700, n)
    dates = (np.datetime64("2022-03-01") + days).astype(str)
    first = rng.random(n) < 0.5
    table = pa.table(
        {
            "record_id": [f"r{i}" for i in range(n)],
            "date": dates,
            "exporter": np.where(first, "US MAKER INC", parties[rng.integers(0, 2_000, n)]),
            "importer": np.where(first, parties[rng.integers(0, 2_000, n)], "OOO BUYER"),
            "origin_iso2": np.where(first, "US", "CN"),
            "destination_iso2": np.where(first, "KZ", "RU"),
            "hs6": codes[rng.integers(0, len(codes), n)],
        }
    )
    result = find_route_chains(
        table, coalition=COALITION, hubs=["KZ"], direct=["RU"], window_days=30
    ).to_pandas()
    chained = result[result["route_chain_role"].notna()]
    # check every chain against the definition, brute force on the chained rows only
    rows = table.to_pandas().set_index("record_id")
    for record, partner, role in chained[
        ["record_id", "route_chain_partner", "route_chain_role"]
    ].itertuples(index=False):
        leg1, leg2 = (record, partner) if role == FIRST_LEG else (partner, record)
        a, b = rows.loc[leg1], rows.loc[leg2]
        assert a["importer"] == b["exporter"] and a["hs6"] == b["hs6"]
        gap = (np.datetime64(b["date"]) - np.datetime64(a["date"])).astype(int)
        assert 0 <= gap <= 30
    assert len(chained) > 100


def test_date_bounds() -> None:
    lo, hi = date_bounds(["2023-05-17", "2024-02", "", None, "17.05.2023"])
    assert [str(x) for x in lo] == ["2023-05-17", "2024-02-01", "NaT", "NaT", "NaT"]
    assert [str(x) for x in hi] == ["2023-05-17", "2024-02-29", "NaT", "NaT", "NaT"]
