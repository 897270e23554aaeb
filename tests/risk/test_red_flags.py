"""FinCEN/BIS red flags: forwarders as consignee; new or surging CHPL importers after 2022-02-24."""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow as pa
import pytest
from anyascii import anyascii

from screening.errors import ListParseError
from screening.risk.red_flags import (
    CHPL_IMPORT_SURGE,
    NEW_CHPL_IMPORTER,
    chpl_import_surge_flags,
    freight_forwarder_flags,
    load_forwarder_terms,
)
from tests.conftest import shared_path

FORWARDERS = [
    # name as written, the words expected to match
    ("ALFA LOGISTICS LLC", "logistics"),
    ('ООО "ЛОГИСТИКА ПЛЮС"', "логистика"),
    ("OOO LOGISTIKA PLYUS", "logistika"),
    ("ООО ТРАНСПОРТНАЯ КОМПАНИЯ ВОСТОК", "транспортная компания"),
    ("ООО ТРАНСПОРТНО-ЭКСПЕДИЦИОННАЯ КОМПАНИЯ", "экспедиционная"),
    ('ООО "ЭКСПЕДИТОР"', "экспедитор"),
    ("OOO ТЭК ЕВРАЗИЯ", "тэк"),
    ("ABC FREIGHT FORWARDING LLC", "freight"),
    ("JOINT LINE SHIPPING AND FORWARDING LLC", "shipping and forwarding"),
    ("AL SIRAG SHIPPING AGENCY", "shipping agency"),
    ("STEPHANI CARGO EXPRESS SRL", "cargo"),
    ("DHL EXPRESS (HONG KONG) LTD", "express"),
    ("SHENZHEN YAO MUHAO SUPPLY CHAIN CO LIMITED", "supply chain"),
    ("深圳市华强物流有限公司", "物流"),
    ("义乌国际货运代理有限公司", "货运代理"),
    ("XYZ LOJİSTİK TAŞIMACILIK A.Ş.", "lojistik"),
    ("OOO SOPROS CUSTOMS SERVICE", "customs service"),
    ("ТАМОЖЕННЫЙ БРОКЕР ООО ВЭД-СЕРВИС", "таможенный брокер"),
    ("AD SPEDITION", "spedition"),
]

NOT_FORWARDERS = [
    "ALFA TECH LLP",
    "CARGOTEC OYJ",
    "FREIGHTLINER TRUCKS",
    "ROSTOV MACHINE BUILDING PLANT",
    "SHENZHEN HUAQIANG ELECTRONICS CO LTD",
    "OOO VEKTOR",
    "ZIBO ZENITILE CERAMICS CO LIMITED",
    None,
    "",
]


@pytest.mark.parametrize(("name", "term"), FORWARDERS)
def test_forwarder_names(name: str, term: str) -> None:
    row = freight_forwarder_flags([name], role="consignee").to_pylist()[0]
    assert row["freight_forwarder"] is True
    assert row["freight_forwarder_term"] == term
    assert row["freight_forwarder_reason"].startswith(f"consignee '{name}' is a ")
    assert "BIS/FinCEN" in row["freight_forwarder_reason"]


def test_other_names_are_not_forwarders() -> None:
    result = freight_forwarder_flags(pa.array(NOT_FORWARDERS, pa.string()))
    assert result["freight_forwarder"].to_pylist() == [False] * len(NOT_FORWARDERS)
    assert result["freight_forwarder_reason"].null_count == len(NOT_FORWARDERS)


def test_vendor_party_names() -> None:
    """Real consignee/buyer names: known forwarders are found, ordinary traders are not."""
    folder = shared_path("trade", "vendor_samples_csv")
    names: set[str] = set()
    for path in sorted(folder.glob("*.csv")):
        with open(path, encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            columns = [
                c
                for c in reader.fieldnames or []
                if any(w in c.upper() for w in ("IMPORTER", "BUYER", "CONSIGNEE", "SUPPLIER"))
                and "NAME" in c.upper()
            ]
            for row in reader:
                names.update(row[c] for c in columns if row[c])
    ordered = sorted(names)
    result = freight_forwarder_flags(ordered)
    flagged = {
        n for n, f in zip(ordered, result["freight_forwarder"].to_pylist(), strict=True) if f
    }
    assert "LIANYUNGANG NEW SILK ROAD INTERNATIONAL FREIGHT FORWARDING CO LIMITED" in flagged
    assert "JOINT LINE SHIPPING AND FORWARDING LLC" in flagged
    assert "CLS LOJISTIK DIS TICARET AS" in flagged
    # forwarders acting for tile makers ("... LOGISTICS ... O/B ZIBO ZENITILE CERAMICS") count
    words = ("LOGIS", "FREIGHT", "FORWARD", "CARGO", "EXPRESS", "SUPPLY CHAIN", "SHIPPING AGENCY")
    words += ("NAKLI", "LOJISTIK", "SPEDI", "3PL", "CUSTOMS SERVICE", "TEK")
    assert [n for n in flagged if not any(w in anyascii(n).upper() for w in words)] == []
    assert not any(n.startswith("ZIBO") or n == "CERAMICHE S P A" for n in flagged)
    assert 20 < len(flagged) < 0.05 * len(ordered)


def test_terms_file_errors_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "terms.yml"
    path.write_text("categories:\n  broken:\n    label: x\n    patterns: {en: ['(x']}\n")
    with pytest.raises(ListParseError, match="not valid RE2") as caught:
        load_forwarder_terms(str(path))
    assert caught.value.column == "broken.patterns"


# --------------------------------------------------------------------------------------------
# New and surging CHPL importers


def _trades(rows: list[tuple[str | None, str, str | None, float]]) -> pa.Table:
    return pa.table(
        {
            "record_id": [f"r{i}" for i in range(len(rows))],
            "date": [r[0] for r in rows],
            "importer": [r[1] for r in rows],
            "chpl_tier": [r[2] for r in rows],
            "value": [r[3] for r in rows],
        }
    )


def _history() -> list[tuple[str | None, str, str | None, float]]:
    """2021-01 .. 2024-12: a steady CHPL importer and a tile importer, monthly."""
    rows: list[tuple[str | None, str, str | None, float]] = []
    for year in (2021, 2022, 2023, 2024):
        for month in range(1, 13):
            rows.append((f"{year}-{month:02d}-10", "OOO STABILNOST", "1", 5_000.0))
            rows.append((f"{year}-{month:02d}-12", "OOO KERAMIKA", None, 9_000.0))
    return rows


def _flags(rows: list, **options: object) -> dict[str, tuple[str, str]]:
    table = _trades(rows)
    result = chpl_import_surge_flags(table, **options)  # type: ignore[arg-type]
    assert result.column_names == ["record_id", "red_flag", "red_flag_reason"]
    assert result["record_id"].to_pylist() == table["record_id"].to_pylist()
    return {
        r["record_id"]: (r["red_flag"], r["red_flag_reason"])
        for r in result.to_pylist()
        if r["red_flag"]
    }


def test_steady_importers_are_not_flagged() -> None:
    assert _flags(_history()) == {}


def test_new_chpl_importer() -> None:
    rows = _history()
    # a tile importer that starts buying tantalum capacitors after the invasion
    rows += [
        ("2022-06-01", "OOO KERAMIKA", "2", 40_000.0),
        ("2022-09-01", "ООО КЕРАМИКА", "2", 1.0),
    ]
    flags = _flags(rows)
    assert set(flags) == {f"r{len(rows) - 2}", f"r{len(rows) - 1}"}
    flag, reason = flags[f"r{len(rows) - 2}"]
    assert flag == NEW_CHPL_IMPORTER
    assert reason.startswith("importer 'OOO KERAMIKA': new CHPL importer: 2 CHPL record(s)")
    assert "none in the 13 months of data before" in reason
    assert "it had 14 other record(s) before" in reason


def test_brand_new_party_is_said_to_be_new() -> None:
    rows = [*_history(), ("2023-03-03", "TOO NOVAYA FIRMA", "1", 100.0)]
    flag, reason = _flags(rows)[f"r{len(rows) - 1}"]
    assert flag == NEW_CHPL_IMPORTER
    assert "no records at all before: a new trading party" in reason


def test_surge_against_own_history() -> None:
    rows = _history()
    # 10 more a month for ten months: 134 records in 33.6 months after vs 14 in 13.5 before
    rows += [(f"2022-{m:02d}-20", "OOO STABILNOST", "1", 5_000.0) for m in range(3, 13)] * 10
    flags = _flags(rows)
    surged = {f for f, _ in flags.values()}
    assert surged == {CHPL_IMPORT_SURGE}
    # every post-cutoff CHPL record of the party, none before
    assert len(flags) == 34 + 100
    reason = next(iter(flags.values()))[1]
    assert "CHPL import surge" in reason and "x;" in reason
    assert not _flags(rows, surge_ratio=4.0)


def test_month_of_the_cutoff_counts_in_neither_period() -> None:
    rows = [*_history(), ("2022-02", "OOO MESYATS", "1", 1.0)]
    assert _flags(rows) == {}
    rows.append(("2022-03", "OOO MESYATS", "1", 1.0))
    flags = _flags(rows)
    assert set(flags) == {f"r{len(rows) - 1}"}  # the 2022-02 record is not "before" either


def test_too_little_history_flags_nothing() -> None:
    rows = [("2022-02-01", "OOO A", None, 1.0), ("2022-05-01", "OOO B", "1", 1.0)]
    assert _flags(rows) == {}  # 23 days of data before the cutoff
    assert _flags(rows, min_history_days=10)


def test_undated_records_are_ignored() -> None:
    rows = [*_history(), (None, "OOO BEZ DATY", "1", 1.0)]
    assert _flags(rows) == {}


def test_surge_by_value() -> None:
    rows = _history()
    rows += [(f"2023-{m:02d}-20", "OOO STABILNOST", "1", 500_000.0) for m in range(1, 4)]
    assert _flags(rows) == {}  # 3 more records over 34 months is no surge in records
    flags = _flags(rows, measure="value")
    assert {f for f, _ in flags.values()} == {CHPL_IMPORT_SURGE}
    assert "CHPL value/month" in next(iter(flags.values()))[1]
