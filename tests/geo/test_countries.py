"""Country normalisation on the spellings real trade files and OFAC addresses contain."""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow as pa
import pytest

from screening.errors import ReferenceDataError
from screening.geo import (
    COUNTRY_ALIASES_FILE,
    country_display_name,
    country_to_iso2,
    load_country_aliases,
    normalise_countries,
)
from tests.conftest import shared_path

CASES = [
    # ISO codes; a bare 2-letter value is a code, never a word
    ("RU", "RU", "known"),
    ("IN", "IN", "known"),
    ("in", "IN", "known"),
    ("RUS", "RU", "known"),
    ("USA", "US", "known"),
    # English short / official / common / vendor forms
    ("RUSSIAN FEDERATION", "RU", "known"),
    ("Russia", "RU", "known"),
    ("KOREA, REPUBLIC OF", "KR", "known"),
    ("TANZANIA, UNITED REPUBLIC OF", "TZ", "known"),
    ("HONG KONG, CHINA", "HK", "known"),
    ("China, Hong Kong SAR", "HK", "known"),
    ("TÜRKİYE", "TR", "known"),
    ("Turkey", "TR", "known"),
    ("IRAN (ISLAMIC REPUBLIC OF)", "IR", "known"),
    ("VIET NAM", "VN", "known"),
    ("UNITED STATES", "US", "known"),
    ("UK", "GB", "known"),
    ("UAE", "AE", "known"),
    ("U.A.E.", "AE", "known"),
    ("KYRGYZSTAN", "KG", "known"),
    ("KYRGYZ REPUBLIC", "KG", "known"),
    ("COTE D`IVOIRE", "CI", "known"),
    ("Bosnia & Herzegovina", "BA", "known"),
    ("St. Lucia", "LC", "known"),
    ("Rep. of Moldova", "MD", "known"),
    ("Dem. People's Rep. of Korea", "KP", "known"),
    ("IN, INDIA", "IN", "known"),
    ("VN, VIET NAM", "VN", "known"),
    ("EUROPEAN UNION", "EU", "known"),
    # Russian, Ukrainian, Kazakh, Mongolian, Chinese
    ("РОССИЯ", "RU", "known"),
    ("РОССИЙСКАЯ ФЕДЕРАЦИЯ", "RU", "known"),
    ("РФ", "RU", "known"),
    ("БЕЛАРУСЬ", "BY", "known"),
    ("КАЗАХСТАН", "KZ", "known"),
    ("КИТАЙ", "CN", "known"),
    ("КИРГИЗИЯ", "KG", "known"),
    ("ОБЪЕДИНЕННЫЕ АРАБСКИЕ ЭМИРАТЫ", "AE", "known"),
    ("РОСІЯ", "RU", "known"),
    ("Ресей", "RU", "known"),
    ("ОХУ", "RU", "known"),
    ("АHУ", "US", "known"),  # Mongolian АНУ written with a Latin H
    ("БНХАУ", "CN", "known"),
    ("中国", "CN", "known"),
    # OFAC address spellings
    ("Korea, North", "KP", "known"),
    ("Korea, South", "KR", "known"),
    ("Burma", "MM", "known"),
    ("Hong Kong", "HK", "known"),
    ("Congo, Democratic Republic of the", "CD", "known"),
    ("Congo, Republic of the", "CG", "known"),
    ("Bahamas, The", "BS", "known"),
    ("The Gambia", "GM", "known"),
    ("Man, Isle of", "IM", "known"),
    ("North Macedonia, The Republic of", "MK", "known"),
    ("Kosovo", "XK", "known"),
    ("Region: Russia", "RU", "known"),
    # placeholders and regions are unknown, never a country
    ("OTHER COUNTRY", None, "unknown"),
    ("UNDEFINED", None, "unknown"),
    ("-", None, "unknown"),
    ("ZZ", None, "unknown"),
    ("KOREA", None, "unknown"),
    ("Other Asia, nes", None, "unknown"),
    ("Region: Crimea", None, "unknown"),
    ("Netherlands Antilles", None, "unknown"),
    ("", None, "missing"),
    ("   ", None, "missing"),
    (None, None, "missing"),
]


@pytest.mark.parametrize(("raw", "iso2", "status"), CASES)
def test_case_table(raw: str | None, iso2: str | None, status: str) -> None:
    row = normalise_countries([raw]).to_pylist()[0]
    assert row == {"country_raw": raw, "country_iso2": iso2, "country_status": status}
    assert country_to_iso2(raw) == iso2


def test_columns_keep_row_order_and_chunks() -> None:
    raws = [raw for raw, _, _ in CASES] * 2
    chunked = pa.chunked_array([pa.array(raws[:50], pa.string()), pa.array(raws[50:], pa.string())])
    table = normalise_countries(chunked)
    assert table.column_names == ["country_raw", "country_iso2", "country_status"]
    assert table["country_raw"].to_pylist() == raws
    assert table["country_iso2"].to_pylist() == [country_to_iso2(r) for r in raws]


def test_every_alias_resolves_to_its_own_code() -> None:
    """No alias is shadowed by a code or a pycountry name of another country."""
    with COUNTRY_ALIASES_FILE.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(line for line in fh if not line.startswith("#")))
    assert rows
    for row in rows:
        assert country_to_iso2(row["alias"]) == row["iso2"], row["alias"]


def test_bad_alias_file_is_named_by_row_and_column(tmp_path: Path) -> None:
    path = tmp_path / "aliases.csv"
    path.write_text("# comment\nalias,iso2,note\nRUSSIA,RU,ok\nATLANTIS,QQ,bad\n", "utf-8")
    with pytest.raises(ReferenceDataError, match=r"row 4, column 'iso2'.*'QQ'"):
        load_country_aliases(path)


def test_display_names_for_reasons() -> None:
    assert country_display_name("KZ") == "Kazakhstan"
    assert country_display_name("EU") == "European Union"


# --- real data ---------------------------------------------------------------------------------

NOT_COUNTRY_COLUMNS = {
    "TRANS_TYPE_WITHIN_COUNTRY",  # transport mode code, e.g. "31"
    "TRANS_TYPE_WITHIN_COUNTRY_EN",  # transport mode text
    "TRANSPORT_IN_THE_COUNTRY_1",  # vehicle type ("ВАНТАЖНИЙ АВТОМОБІЛЬ")
    "COUNTRY_SURE_LEVEL",  # the vendor's confidence score
}
VENDOR_PLACEHOLDERS = {"OTHER COUNTRY", "UNDEFINED", "OC", "ZZ"}
"""Vendor values that do not name a country: OC and ZZ are unassigned ISO codes."""


def _vendor_country_columns() -> dict[tuple[str, str], list[str]]:
    folder = shared_path("trade", "vendor_samples_csv")
    columns: dict[tuple[str, str], list[str]] = {}
    for path in sorted(folder.glob("*.csv")):
        with path.open(encoding="utf-8") as fh:
            rows = list(csv.DictReader(fh))
        for name in rows[0] if rows else []:
            if "COUNTRY" in name.upper() and name not in NOT_COUNTRY_COLUMNS:
                columns[(path.name, name)] = [row[name] for row in rows]
    return columns


def test_vendor_country_values_resolve_or_are_placeholders() -> None:
    columns = _vendor_country_columns()
    values = {v for column in columns.values() for v in column}
    table = normalise_countries(sorted(values))
    statuses = dict(
        zip(table["country_raw"].to_pylist(), table["country_status"].to_pylist(), strict=True)
    )
    unknown = {v for v, s in statuses.items() if s == "unknown"}
    print(f"vendor samples: {len(values)} distinct country values, unknown: {sorted(unknown)}")
    assert len(values) > 100
    assert unknown <= VENDOR_PLACEHOLDERS
    assert all(s == "missing" for v, s in statuses.items() if not v.strip())


def test_vendor_name_and_code_columns_agree_row_by_row() -> None:
    """Where a file gives the same country twice (Russian + English, name + code), both
    spellings resolve to the same code whenever both resolve."""
    columns = _vendor_country_columns()
    compared = 0
    for (file, name), values in columns.items():
        for suffix in ("_EN", "_CODE"):
            twin = columns.get((file, name + suffix))
            if twin is None:
                continue
            for a, b in zip(values, twin, strict=True):
                iso_a, iso_b = country_to_iso2(a), country_to_iso2(b)
                if iso_a and iso_b:
                    assert iso_a == iso_b, (file, name, a, b)
                    compared += 1
    assert compared >= 15


COMTRADE = {
    "vehicle_trade_armenia.csv": "cp1252",
    "vehicle_trade_georgia.csv": "utf-8-sig",
    "mobile_phone_reexports.csv": "cp1252",
}
COMTRADE_PLACEHOLDERS = {"Areas, nes", "Other Asia, nes", "_X", "S19"}
"""UN Comtrade aggregates: "not elsewhere specified" areas and their pseudo-ISO codes."""


@pytest.mark.parametrize("file", sorted(COMTRADE))
def test_comtrade_partners_resolve_and_agree_with_partner_iso(file: str) -> None:
    path = shared_path("trade", "comtrade_armenia", file)
    with path.open(encoding=COMTRADE[file]) as fh:
        rows = list(csv.DictReader(fh))
    partner = normalise_countries([r["partner"] for r in rows]).to_pylist()
    partner_iso = normalise_countries([r["partner_iso"] for r in rows]).to_pylist()
    reporter = normalise_countries([r["reporter"] for r in rows])
    assert reporter["country_status"].unique().to_pylist() == ["known"]
    unknown = set()
    for by_name, by_code in zip(partner, partner_iso, strict=True):
        for row in (by_name, by_code):
            if row["country_status"] != "known":
                unknown.add(row["country_raw"])
        if by_name["country_iso2"] and by_code["country_iso2"]:
            assert by_name["country_iso2"] == by_code["country_iso2"], (by_name, by_code)
    print(f"{file}: unknown {sorted(unknown)}")
    assert unknown <= COMTRADE_PLACEHOLDERS


OFAC_NOT_COUNTRIES = {
    "-0-",  # OFAC's "no value"
    "undetermined",
    "Netherlands Antilles",  # dissolved 2010 into CW, SX and BQ
    "Region: Crimea",
    "Region: Commonwealth of Independent States",
    "Region: Kafia Kingi",  # disputed between Sudan and South Sudan
    "Region: Northern Mali",
}


def test_ofac_address_countries_resolve_or_are_regions() -> None:
    path = shared_path("sanctions", "us_ofac", "sdn_set_2023-12-28", "add.csv")
    with path.open(encoding="utf-8") as fh:
        values = {row[4].strip() for row in csv.reader(fh) if len(row) > 4}
    unknown = {v for v in values if v and country_to_iso2(v) is None}
    print(f"OFAC add.csv: {len(values)} distinct countries, unknown: {sorted(unknown)}")
    assert len(values) > 150
    assert unknown <= OFAC_NOT_COUNTRIES
