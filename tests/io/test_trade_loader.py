"""The trade loader on the real vendor and Comtrade files in ../shared, plus small made-up files
for the failure paths (broken rows, unknown layouts, undecodable bytes)."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from screening.errors import TradeLayoutError, TradeReadError
from screening.io import (
    load_trade_file,
    load_trade_files,
    parse_map_options,
    parse_trade_date,
    read_mapping_file,
)
from screening.io.layouts import infer_file_context, load_trade_mappings, resolve_mapping
from screening.io.trade import TradeLoadResult
from screening.schema import REJECT_SCHEMA, TRADE_SCHEMA
from tests.conftest import shared_path

CANONICAL = (
    "date",
    "exporter",
    "importer",
    "origin_country",
    "destination_country",
    "hs_code",
    "description",
    "value",
    "quantity",
)
VENDOR_TOTAL_ROWS = 13_285  # SOURCES.md: 36 files, all-empty rows are not records
FULL_LAYOUT = re.compile(r"_(F|Full)$|610990")  # banner on rows 1-5, header on row 6


@pytest.fixture(scope="module")
def vendor_xlsx() -> dict[str, TradeLoadResult]:
    folder = shared_path("trade", "vendor_samples_xlsx")
    return {path.stem: load_trade_file(path) for path in sorted(folder.glob("*.xlsx"))}


def _record(result: TradeLoadResult, index: int = 0) -> dict[str, object]:
    return result.table.slice(index, 1).to_pylist()[0]


def _assert_consistent(result: TradeLoadResult) -> None:
    assert result.rows_in == result.table.num_rows + result.rejects.num_rows
    assert result.table.schema.names[: len(TRADE_SCHEMA)] == TRADE_SCHEMA.names
    assert all(n.startswith("src_") for n in result.table.schema.names[len(TRADE_SCHEMA) :])
    assert result.rejects.schema == REJECT_SCHEMA
    ids = result.table.column("record_id").to_pylist()
    assert len(set(ids)) == len(ids)


# --------------------------------------------------------------------------- real vendor files


def test_every_vendor_xlsx_loads_with_its_header_row_and_every_row(vendor_xlsx):
    assert len(vendor_xlsx) == 36
    csv_folder = shared_path("trade", "vendor_samples_csv")
    for name, result in vendor_xlsx.items():
        _assert_consistent(result)
        assert result.header_row == (6 if FULL_LAYOUT.search(name) else 1), name
        assert result.layout == ("vendor_full" if FULL_LAYOUT.search(name) else "vendor_short")
        # The CSV conversion (read independently here by pandas) has the same records.
        converted = pd.read_csv(csv_folder / f"{name}.csv", dtype=str, keep_default_na=False)
        assert result.rows_in == len(converted), name
        assert result.rejects.num_rows == 0, (name, result.rejects.to_pylist()[:3])
        first = result.header_row + 1
        assert result.table.column("source_row")[0].as_py() == first
    assert sum(r.rows_in for r in vendor_xlsx.values()) == VENDOR_TOTAL_ROWS


def test_vendor_parties_and_hs_codes_are_mapped_where_the_file_has_them(vendor_xlsx):
    no_buyer_column = {"Uzbekistan_Export_S", "moldova_export_short"}
    for name, result in vendor_xlsx.items():
        assert "hs_code" in result.mapping, name
        assert "exporter" in result.mapping, name
        assert ("importer" in result.mapping) == (name not in no_buyer_column), name
        hs = result.table.column("hs_code").to_pylist()
        assert all(code and code.isdigit() and 6 <= len(code) <= 11 for code in hs), name
        assert not any(
            h.upper().replace(" ", "_") in ("HS_CODE_2", "HS_CODE_4")
            for h in result.mapping.values()
        )
        exporters = result.table.column("exporter").drop_null()
        assert len(exporters) > 0, name


def test_en_column_is_preferred_and_the_original_kept_as_src(vendor_xlsx):
    kz = vendor_xlsx["Kazakhstan_Import_F"]
    assert kz.mapping["importer"] == "IMPORTER_NAME_EN"
    assert _record(kz)["src_IMPORTER_NAME"] == "ТОО ЗЕРДЕ КЕРАМИКА АКТОБЕ"
    assert "src_IMPORTER_NAME_EN" not in kz.table.column_names
    mongolia = vendor_xlsx["Mongolia_Export_F"]
    assert _record(mongolia, 1)["exporter"] == "JAMBA MINJ"
    assert _record(mongolia, 1)["src_EXPORTER_NAME"] == "ЖАМБАА МИНЖ"


SPOT_CHECKS = [
    (
        "Russia_Import_Short",
        0,
        {
            "exporter": "YATAS YATAK VE YORGAN SAN TIC A S",
            "importer": "7722476458 772201001 OOO YATASH RUS",
            "hs_code": "6907211000",
            "origin_country": "TURKEY",
            "destination_country": "RU",
            "date": "2023-04",
            "value": 6398.46,
            "quantity": 734.4,
            "source_row": 2,
            "record_id": "Russia_Import_Short.xlsx:2",
        },
    ),
    (
        "Russia_Export_Short",
        0,
        {  # shipped from Russia, buyer's country unknown
            "exporter": "OOO LAMINAM RUS",
            "origin_country": "RUSSIAN FEDERATION",
            "destination_country": None,
            "hs_code": "6907211000",
            "date": "2025-02",
        },
    ),
    (
        "Armenia_Export_F",
        0,
        {
            "exporter": "IMEX GROUP LLC",
            "importer": "ISOLA G LLC",
            "hs_code": "69072190090",
            "origin_country": "TURKEY",
            "destination_country": "GEORGIA",
            "date": "2025-03-18",
            "description": "GLAZED CERAMIC FACING TILES, WATER-REPELLENT E 0.5%",
            "value": 963.5434474,
            "quantity": 180.0,
            "source_row": 7,
            "src_EXPORTER NAME": "ԻՄԷՔՍ ԳՐՈՒՊ ՍՊԸ",
        },
    ),
    (
        "India_Export_S_output_excel",
        0,
        {  # COUNTRY is the destination of an export
            "exporter": "1 TEN INTERNATIONAL",
            "importer": "KADIMA KABONGO ERIC",
            "origin_country": "IN",
            "destination_country": "TANZANIA, UNITED REPUBLIC OF",
            "date": "2025-04-26",  # "2025-04-25T18:30:00.000Z": midnight in India (UTC+05:30)
            "value": 9373.108972845337,
            "hs_code": "69072100",
        },
    ),
    (
        "Ukraine_Export_Short",
        0,
        {  # STD_ name as exporter; consignee keeps its address
            "exporter": "ATEM GROUP LLC",
            "importer": "BURNABY SALES BRANCH ECCO SUPPLY7959 ENTERPRISE STREET BURNABY BC V5A 1V5 "
            "CANADA",
            "origin_country": "UA",
            "destination_country": "UNITED STATES",
            "date": "2025-07",
        },
    ),
    (
        "Kazakhstan_Import_F",
        0,
        {  # SUPPLIER_NAME_EN is "NULL" in the file
            "exporter": None,
            "importer": "ZERDE CERAMICS AKTOBE LLP",
            "origin_country": "KAZAKHSTAN",
            "destination_country": "KAZAKHSTAN",
            "date": "2025-09-30",
            "value": 359.83,
            "src_DIRECTION": "ИМ",
        },
    ),
    (
        "US_Import_610990",
        0,
        {  # COUNTRY is the origin of an import
            "exporter": None,
            "importer": "ANATOLIA TILES AND STONE INC",
            "origin_country": "IN, INDIA",
            "destination_country": "US",
            "hs_code": "690721",
            "date": "2025-08-03",
            "value": None,
        },
    ),
    (
        "Turkey_Import_F",
        0,
        {
            "importer": "SAVA GRANIT MARBLE INDUSTRY AND TIC LIMITED TI",
            "src_IMPORTER_NAME": "SAVA GRANIT MERMER SAN. VE TIC LTD",
            "exporter": "CERAMICHE ATLAS CONCORDE S P A",
            "destination_country": "TR",
        },
    ),
]


@pytest.mark.parametrize(
    ("name", "index", "expected"), SPOT_CHECKS, ids=[c[0] for c in SPOT_CHECKS]
)
def test_vendor_spot_checks(vendor_xlsx, name, index, expected):
    record = _record(vendor_xlsx[name], index)
    assert {k: record[k] for k in expected} == expected


def test_reporter_fills_are_recorded(vendor_xlsx):
    notes = " | ".join(vendor_xlsx["Russia_Import_Short"].notes)
    assert "reporter country RU inferred from the file name" in notes
    assert "filled destination_country with the reporter country ('RU') on 1000" in notes
    russia_export = vendor_xlsx["Russia_Export_Short"]
    origins = russia_export.table.column("origin_country").to_pylist()
    # 230 rows have an empty COUNTRY_OF_SHIPMENT; an export leaves from the reporter.
    assert origins.count("RU") == 230
    assert any("230 export row(s): empty 'COUNTRY_OF_SHIPMENT'" in n for n in russia_export.notes)


def test_csv_conversions_give_the_same_canonical_values_as_the_xlsx(vendor_xlsx):
    folder = shared_path("trade", "vendor_samples_csv")
    for name, from_xlsx in vendor_xlsx.items():
        from_csv = load_trade_file(folder / f"{name}.csv")
        _assert_consistent(from_csv)
        assert from_csv.header_row == 1
        assert from_csv.mapping == from_xlsx.mapping, name
        assert from_csv.table.select(CANONICAL).equals(from_xlsx.table.select(CANONICAL)), name


# --------------------------------------------------------------------------- Comtrade


def _exports_to(result: TradeLoadResult, country: str) -> int:
    frame = result.table.select(["destination_country", "src_trade_flow"]).to_pandas()
    return int(((frame.destination_country == country) & (frame.src_trade_flow == "Export")).sum())


@pytest.mark.parametrize(
    ("file", "rows", "exports_to_russia", "encoding_note"),
    [
        ("vehicle_trade_armenia.csv", 10_405, 747, "decoded as cp1252"),
        ("vehicle_trade_georgia.csv", 2_493, 35, None),
        ("mobile_phone_reexports.csv", 286, 22, "decoded as cp1252"),  # cp1252 behind a UTF-8 BOM
    ],
)
def test_comtrade_loads_without_parties(file, rows, exports_to_russia, encoding_note):
    path = shared_path("trade", "comtrade_armenia", file)
    result = load_trade_file(path)
    _assert_consistent(result)
    assert (result.rows_in, result.rejects.num_rows, result.layout) == (rows, 0, "comtrade")
    assert result.mapping["hs_code"] == "commodity_code"
    assert result.mapping["partner_country"] == "partner"
    assert result.table.column("exporter").null_count == rows
    assert (
        (encoding_note in result.notes)
        if encoding_note
        else not any("decoded" in n for n in result.notes)
    )
    assert result.table.column_names[len(TRADE_SCHEMA)] == "src_year"  # BOM stripped
    assert _exports_to(result, "Russian Federation") == exports_to_russia

    frame = result.table.to_pandas()
    reporter = frame.src_reporter.iloc[0]
    exports = frame[frame.src_trade_flow == "Export"]
    imports = frame[frame.src_trade_flow == "Import"]
    assert (exports.origin_country == reporter).all()
    assert (exports.destination_country == exports.src_partner).all()
    assert (imports.origin_country == imports.src_partner).all()
    assert (imports.destination_country == reporter).all()
    raw = pd.read_csv(path, dtype=str, encoding="cp1252" if encoding_note else "utf-8-sig")
    assert frame.hs_code.tolist() == raw.commodity_code.tolist()


# --------------------------------------------------------------------------- other formats


def test_parquet_round_trip_gives_the_csv_values(tmp_path):
    source = shared_path("trade", "vendor_samples_csv", "Russia_Import_Short.csv")
    strings = pa_csv.read_csv(
        source,
        convert_options=pa_csv.ConvertOptions(
            column_types=dict.fromkeys(["HS_CODE", "TOTALVALUE", "TOTALQUANTITY"], pa.string())
        ),
    )
    target = tmp_path / "Russia_Import_Short.parquet"
    pq.write_table(strings, target)
    from_parquet = load_trade_file(target)
    from_csv = load_trade_file(source)
    _assert_consistent(from_parquet)
    assert from_parquet.header_row is None
    assert from_parquet.table.select(CANONICAL).equals(from_csv.table.select(CANONICAL))


def test_parquet_numeric_hs_codes_lose_no_digits(tmp_path):
    target = tmp_path / "codes.parquet"
    pq.write_table(
        pa.table(
            {
                "EXPORTER_NAME": ["A LLC", "B LLC", "C LLC"],
                "HS_CODE": pa.array([69072190090.0, 854231.0, None]),
                "TOTAL_VALUE_USD": pa.array([1.5, -2.0, 3.0]),
            }
        ),
        target,
    )
    result = load_trade_file(target)
    assert result.table.column("hs_code").to_pylist() == ["69072190090", "854231", None]
    assert result.table.column("value").to_pylist() == [1.5, -2.0, 3.0]


def _workbook(path: Path, sheets: dict[str, list[list[object]]]) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def test_xlsx_numeric_cells_and_dates_become_exact_text(tmp_path):
    rows = [
        ["Vendor report"],
        [None],
        [None],
        ["SUPPLIER_NAME", "HS CODE", "HS CODE_4", "DATE", "TOTAL_VALUE_USD"],
        ["A LLC", 69072190090, 6907, dt.datetime(2025, 3, 18), 10],
        ["B LLC", 854231.0, 8542, 45734, "n/a"],
        ["C LLC", "8542310000", 8542, "31.03.2025", "abc"],
    ]
    path = _workbook(tmp_path / "made_up.xlsx", {"Notes": [["read me"]], "Data": rows})
    result = load_trade_file(path)
    _assert_consistent(result)
    assert result.header_row == 4
    assert any("'Data'" in n for n in result.notes)  # the first sheet has no header
    table = result.table
    assert table.column("hs_code").to_pylist() == ["69072190090", "854231", "8542310000"]
    assert table.column("date").to_pylist() == ["2025-03-18", "2025-03-18", "2025-03-31"]
    assert table.column("value").to_pylist() == [10.0, None, None]
    assert table.column("src_TOTAL_VALUE_USD").to_pylist() == ["10", "n/a", "abc"]
    assert table.column("src_HS CODE_4").to_pylist() == ["6907", "8542", "8542"]
    assert table.column("source_row").to_pylist() == [5, 6, 7]
    assert any("1 non-numeric" in n for n in result.notes)


# --------------------------------------------------------------------------- failure paths


def test_unknown_layout_lists_missing_fields_and_seen_columns(tmp_path):
    path = tmp_path / "mystery.csv"
    path.write_text("foo,bar,baz\n1,2,3\n", encoding="utf-8")
    with pytest.raises(TradeLayoutError) as error:
        load_trade_file(path)
    assert error.value.seen == ["foo", "bar", "baz"]
    assert {"exporter", "importer", "hs_code", "description"} <= set(error.value.missing)
    message = str(error.value)
    assert "mystery.csv" in message and "'baz'" in message and "hs_code" in message


def _vendor_csv_head(tmp_path: Path, lines: int) -> tuple[Path, list[str]]:
    source = shared_path("trade", "vendor_samples_csv", "Russia_Import_Short.csv")
    head = source.read_text(encoding="utf-8").splitlines()[:lines]
    return tmp_path / "Russia_Import_Short.csv", head


def test_csv_row_with_wrong_field_count_is_rejected_with_its_row(tmp_path):
    path, lines = _vendor_csv_head(tmp_path, 6)
    lines[3] += ",EXTRA"  # row 4 as an editor shows it
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = load_trade_file(path)
    _assert_consistent(result)
    assert result.rows_in == 5
    assert result.table.column("source_row").to_pylist() == [2, 3, 5, 6]
    (reject,) = result.rejects.to_pylist()
    assert reject["row"] == 4 and reject["file"] == "Russia_Import_Short.csv"
    assert "expected 9" in reject["reason"] and "found 10" in reject["reason"]
    assert reject["raw"] == lines[3]


def test_row_without_any_screening_field_is_rejected_and_blank_rows_counted(tmp_path):
    path, lines = _vendor_csv_head(tmp_path, 4)
    # HS_CODE,SUPPLIER_NAME,ORIGIN_COUNTRY,IMPORTER_NAME_EN,...,HS_CODE_DESCRIPTION,MONTHYEAR
    lines[2:2] = [",,TURKEY,,100,5,,,Apr 2023", "NULL,N/A,,NULL,,,,NULL,", "", ",,,,,,,,"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = load_trade_file(path)
    _assert_consistent(result)
    assert result.blank_rows == 2
    assert result.rows_in == 5
    rejects = result.rejects.to_pylist()
    assert [r["row"] for r in rejects] == [3, 4]
    assert all("nothing to screen" in r["reason"] for r in rejects)
    assert rejects[0]["raw"] == ",,TURKEY,,100,5,,,Apr 2023"
    assert result.table.column("source_row").to_pylist() == [2, 7, 8]


def test_undecodable_file_names_the_file(tmp_path):
    path = tmp_path / "broken.csv"
    path.write_bytes(b"HS_CODE,EXPORTER_NAME\n8542,\x81\x8d\x90\n")
    with pytest.raises(TradeReadError, match=r"broken\.csv"):
        load_trade_file(path)


def test_unsupported_suffix_is_a_read_error(tmp_path):
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(TradeReadError, match=r"old\.xls.*\.xlsx"):
        load_trade_file(path)


# --------------------------------------------------------------------------- explicit mappings


def test_explicit_mapping_and_header_row_for_an_unknown_layout(tmp_path):
    path = tmp_path / "lieferungen.csv"
    path.write_text(
        "Exportbericht 2025;;;\n"
        "Lieferant;Kunde;Warennummer;Wert\n"
        "=EVIL();OOO Vesna;8542310000;12,5\n",
        encoding="utf-8",
    )
    mapping = {
        "exporter": "Lieferant",
        "importer": "Kunde",
        "hs_code": "Warennummer",
        "value": "Wert",
    }
    result = load_trade_file(
        path, mapping=mapping, header_row=2, reporter_country="Germany", flow="export"
    )
    assert result.layout == "generic+explicit"
    assert result.mapping == mapping
    record = _record(result)
    assert (record["exporter"], record["hs_code"], record["value"]) == (
        "=EVIL()",
        "8542310000",
        12.5,
    )
    assert record["origin_country"] == "DE" and record["source_row"] == 3
    # Without header_row the explicit columns still locate the header.
    assert load_trade_file(path, mapping=mapping).header_row == 2


def test_explicit_mapping_overrides_auto_detection_field_by_field():
    path = shared_path("trade", "vendor_samples_csv", "Ukraine_Import_Short.csv")
    auto = load_trade_file(path)
    assert auto.mapping["exporter"] == "SUPPLIER_NAME_EN"
    result = load_trade_file(path, mapping={"exporter": "SUPPLIER_NAME", "description": ""})
    assert result.layout == "vendor_short+explicit"
    assert result.mapping["exporter"] == "SUPPLIER_NAME"
    assert "description" not in result.mapping
    assert result.mapping["importer"] == auto.mapping["importer"]
    names = result.table.column_names
    assert "src_SUPPLIER_NAME_EN" in names and "src_SUPPLIER_NAME" not in names
    assert "src_HS_CODE_DESCRIPTION" in names
    assert result.table.column("description").null_count == result.table.num_rows
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert result.table.column("exporter").to_pylist()[:5] == raw.SUPPLIER_NAME.tolist()[:5]


def test_explicit_mapping_to_a_missing_column_is_a_layout_error():
    path = shared_path("trade", "vendor_samples_csv", "Ukraine_Import_Short.csv")
    with pytest.raises(TradeLayoutError, match="NO_SUCH_COLUMN"):
        load_trade_file(path, mapping={"exporter": "NO_SUCH_COLUMN"})
    with pytest.raises(ValueError, match="unknown mapping field"):
        load_trade_file(path, mapping={"shipper": "SUPPLIER_NAME"})


def test_reporter_and_flow_arguments_fill_a_file_without_a_telling_name(tmp_path):
    source = shared_path("trade", "vendor_samples_xlsx", "Russia_Import_Short.xlsx")
    renamed = tmp_path / "declarations.xlsx"
    shutil.copy(source, renamed)
    plain = load_trade_file(renamed)
    assert plain.table.column("destination_country").null_count == plain.table.num_rows
    given = load_trade_file(renamed, reporter_country="RU", flow="import")
    assert set(given.table.column("destination_country").to_pylist()) == {"RU"}
    assert any("given by the caller" in n for n in given.notes)
    with pytest.raises(ValueError, match="flow"):
        load_trade_file(renamed, flow="sideways")


def test_cyrillic_headers_and_semicolons_are_recognised(tmp_path):
    path = tmp_path / "gtd.csv"
    path.write_text(
        "Отправитель;Получатель;Код ТН ВЭД;Описание товара;Страна назначения;Дата\n"
        'ООО "Ромашка";TOO Vesna;8542310000;Микросхемы;КАЗАХСТАН;31.03.2025\n',
        encoding="utf-8",
    )
    result = load_trade_file(path)
    assert set(result.mapping) >= {
        "exporter",
        "importer",
        "hs_code",
        "description",
        "destination_country",
        "date",
    }
    record = _record(result)
    assert (record["exporter"], record["date"]) == ('ООО "Ромашка"', "2025-03-31")
    assert "delimiter ';'" in result.notes


def test_parse_map_options_and_mapping_file(tmp_path):
    assert parse_map_options(["exporter=Seller Name", "description="]) == {
        "exporter": "Seller Name",
        "description": "",
    }
    with pytest.raises(ValueError, match="FIELD=COLUMN"):
        parse_map_options(["exporter"])
    path = tmp_path / "mapping.yml"
    path.write_text(
        "exporter: Lieferant\nhs_code: Warennummer\nheader_row: 2\nflow: export\n", encoding="utf-8"
    )
    assert read_mapping_file(path) == {
        "mapping": {"exporter": "Lieferant", "hs_code": "Warennummer"},
        "header_row": 2,
        "flow": "export",
    }


# --------------------------------------------------------------------------- several files


def test_load_trade_files_concatenates_differing_layouts():
    folder = shared_path("trade", "vendor_samples_csv")
    paths = [folder / "Russia_Import_Short.csv", folder / "Armenia_Export_F.csv"]
    result = load_trade_files(paths)
    _assert_consistent(result)
    assert result.rows_in == 1001 and len(result.parts) == 2
    assert result.header_row == 1 and result.mapping == {}
    names = result.table.column_names
    assert "src_IMPORT_PORT_EN" in names and "src_RECORDS TAG" in names
    armenia = result.table.filter(
        pa.compute.equal(result.table["source_file"], "Armenia_Export_F.csv")
    )
    assert armenia.column("src_IMPORT_PORT_EN").null_count == 1
    assert load_trade_files([]).table.schema == TRADE_SCHEMA


# --------------------------------------------------------------------------- small pieces


@pytest.mark.parametrize(
    ("file_name", "expected"),
    [
        ("Russia_Import_Short.xlsx", ("RU", "import")),
        ("moldova_export_short.csv", ("MD", "export")),
        ("US_Import_610990.xlsx", ("US", "import")),
        ("India_Export_USA_610990.xlsx", ("IN", "export")),
        ("Uzbekistan_import_Full.xlsx", ("UZ", "import")),
        ("vehicle_trade_armenia.csv", (None, None)),
    ],
)
def test_file_name_context(file_name, expected):
    assert infer_file_context(file_name, load_trade_mappings()) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-04-25T18:30:00.000Z", "2025-04-25"),
        ("2025-03-18", "2025-03-18"),
        ("Mar 2025", "2025-03"),
        ("September 2024", "2024-09"),
        ("31.03.2025", "2025-03-31"),
        ("202201", "2022-01"),
        ("2023/5/31", "2023-05-31"),
        ("03/04/2025", None),  # day/month order unknown: kept as written
        ("2025-02-30", None),
        ("Marchish 2025", None),
        ("NULL", None),
    ],
)
def test_parse_trade_date(text, expected):
    assert parse_trade_date(text) == expected


def test_excel_serial_dates_only_when_asked():
    assert parse_trade_date("45734", excel_serials=True) == "2025-03-18"
    assert parse_trade_date("45734") is None


def test_yaml_regex_and_flow_conditional_candidates(tmp_path):
    shipped = (Path(load_trade_mappings().source)).read_text(encoding="utf-8")
    custom = tmp_path / "mappings.yml"
    custom.write_text(
        shipped.split("\nfields:")[0]
        + """
fields:
  exporter:
    - {regex: 'SELLER(_NAME)?_[A-Z]+'}
  hs_code: [HS]
  origin_country:
    - {header: COUNTRY, flow: import}
  destination_country:
    - {header: COUNTRY, flow: export}
""",
        encoding="utf-8",
    )
    mappings = load_trade_mappings(custom)
    headers = ["Seller Name EN", "HS", "Country"]
    as_import = resolve_mapping(headers, mappings, file="x.csv", flow="import")
    assert as_import.named(headers) == {
        "exporter": "Seller Name EN",
        "hs_code": "HS",
        "origin_country": "Country",
    }
    as_export = resolve_mapping(headers, mappings, file="x.csv", flow="export")
    assert as_export.named(headers)["destination_country"] == "Country"
    unknown_flow = resolve_mapping(headers, mappings, file="x.csv", flow=None)
    assert "Country" not in unknown_flow.named(headers).values()
