"""flagged.xlsx read back with openpyxl: frozen header, filters, text HS codes, no formulas."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pyarrow as pa

from screening.report.xlsx import write_workbook
from tests.report.conftest import RunFolder


def test_vendor_run_workbook_opens_ready_to_filter(vendor_run: RunFolder) -> None:
    book = openpyxl.load_workbook(vendor_run.path / "flagged.xlsx")
    assert book.sheetnames == ["flagged", "by party"]
    sheet = book["flagged"]
    header = [c.value for c in sheet[1]]
    assert header[:2] == ["analyst_decision", "analyst_note"]
    assert sheet.freeze_panes == "A2"
    rows = sheet.max_row - 1
    assert sheet.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(len(header))}{rows + 1}"
    counts = [sheet.cell(r, header.index("record_count") + 1).value for r in range(2, rows + 2)]
    assert sum(counts) == vendor_run.manifest["counts"]["rows_flagged"]
    for name in ("hs_code", "hs6"):
        column = header.index(name) + 1
        cells = [sheet.cell(r, column) for r in range(2, rows + 2)]
        assert all(c.data_type == "s" and c.value.isdigit() for c in cells), name
    widths = [
        sheet.column_dimensions[openpyxl.utils.get_column_letter(i + 1)].width
        for i in range(len(header))
    ]
    assert all(8 <= w <= 60 for w in widths)
    link = sheet.cell(
        2 + _row_of(sheet, header, "PARS TILE CO"), header.index("exporter_match_link") + 1
    )
    assert link.hyperlink is not None
    assert link.hyperlink.target.startswith("https://sanctionssearch.ofac.treas.gov/")

    parties = book["by party"]
    party_header = [c.value for c in parties[1]]
    assert parties.freeze_panes == "A2"
    assert parties.auto_filter.ref.startswith("A1:")
    entries = [
        (parties.cell(r, 1).value, parties.cell(r, 2).value) for r in range(2, parties.max_row + 1)
    ]
    assert len(entries) == len(set(entries)), "one row per listed entity"
    records = {
        parties.cell(r, 2).value: parties.cell(r, party_header.index("records") + 1).value
        for r in range(2, parties.max_row + 1)
    }
    pars_id = vendor_run.screened.filter(
        pa.compute.equal(vendor_run.screened["exporter"], "PARS TILE CO")
    )["exporter_match_source_id"][0].as_py()
    assert records[pars_id] == 21


def _row_of(sheet, header: list[str], exporter: str) -> int:  # type: ignore[no-untyped-def]
    column = header.index("exporter") + 1
    for offset, row in enumerate(range(2, sheet.max_row + 1)):
        if sheet.cell(row, column).value == exporter:
            return offset
    raise AssertionError(f"{exporter} not in the sheet")


def test_formulas_and_leading_zeros_stay_text(tmp_path: Path) -> None:
    table = pa.table(
        {
            "exporter": ['=HYPERLINK("http://x","click")', "+7 495 000", "ACME"],
            "hs_code": ["0102030405", "8471300000", "847130"],
            "value": [1.5, None, 2.0],
            "src_link": ["https://evil.example/x", None, None],
            "link": ["https://evil.example/y", None, None],
        }
    )
    path = write_workbook({"flagged": table}, tmp_path / "flagged.xlsx")
    sheet = openpyxl.load_workbook(path)["flagged"]
    first, second = sheet["A2"], sheet["A3"]
    assert first.data_type == "s" and first.value.startswith("'=")
    assert second.data_type == "s" and second.value.startswith("'+")
    assert sheet["B2"].value == "0102030405" and sheet["B2"].data_type == "s"
    assert sheet["C2"].value == 1.5 and sheet["C3"].value is None
    assert sheet["C2"].number_format == "#,##0.00"
    assert sheet.auto_filter.ref == "A1:E4"
    # a vendor's column or an address this tool did not build never becomes clickable
    assert sheet["D2"].hyperlink is None and sheet["E2"].hyperlink is None


def test_long_view_is_cut_and_says_where_the_rest_is(tmp_path: Path) -> None:
    table = pa.table(
        {
            "exporter": ["＝SUM(A1)", "﹢7 495", "ACME", "BETA", "GAMMA"],
            "value": [1.0, 2.0, float("nan"), 4.0, 5.0],
        }
    )
    path = write_workbook({"flagged": table}, tmp_path / "flagged.xlsx", max_rows=3)
    sheet = openpyxl.load_workbook(path)["flagged"]
    # a full-width or small-form look-alike of = and + is escaped like the ASCII sign
    assert sheet["A2"].value == "'＝SUM(A1)" and sheet["A3"].value == "'﹢7 495"
    assert sheet["B4"].value is None  # NaN is an empty cell, not an error
    assert sheet.auto_filter.ref == "A1:B4"
    assert sheet["A5"].value.startswith("… 2 more rows") and "flagged.csv" in sheet["A5"].value
    assert sheet.max_row == 5
