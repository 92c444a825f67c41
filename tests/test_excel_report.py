"""The generic report writer: layout, typed cells, totals, charts, safety and Thai widths."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from tps_batch import thai
from tps_batch.excel_report import (
    NO_DATA,
    XChart,
    XColumn,
    XSheet,
    display_width,
    sanitize_sheet_name,
    write_excel,
)

OFFICE = "สำนักงานเขตพื้นที่การศึกษาประถมศึกษาตัวอย่าง เขต 1"
AS_OF = dt.date(2024, 1, 15)
DANGEROUS = [
    '=HYPERLINK("http://evil","x")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1)",
    "=1+1",
    "http://evil.example/x",
]
LONG = "ก" * 40_000
COLUMNS = [
    XColumn("code", "รหัสโครงการ", "Project code"),
    XColumn("name", "ชื่อโครงการ", "Project name"),
    XColumn("group", "กลุ่มงาน", "Work group"),
    XColumn("start", "วันเริ่ม", "Start", "date"),
    XColumn("budget", "งบประมาณ (บาท)", "Budget (baht)", "money"),
    XColumn("people", "ผู้เข้าร่วม", "Participants", "int"),
    XColumn("pct", "ร้อยละการเบิกจ่าย", "Disbursed %", "percent"),
]
PROJECT_SHEET = "โครงการ ปี 2567"  # a space: references must quote it


def _projects() -> list[dict[str, Any]]:
    groups = ["กลุ่มนโยบายและแผน", "กลุ่มนิเทศ ติดตามและประเมินผลการจัดการศึกษา"]
    rows: list[dict[str, Any]] = [
        {"code": "P001", "name": "ประชุมเชิงปฏิบัติการจัดทำแผนปฏิบัติการ", "group": groups[0],
         "start": dt.date(2024, 2, 29), "budget": 125_000.5, "people": 80, "pct": 54.25},
        {"code": "P002", "name": "นิเทศ ติดตาม", "group": groups[1],
         "start": dt.datetime(2023, 10, 1, 9, 30), "budget": 48_250, "people": 35, "pct": 100},
        {"code": "P003", "name": LONG, "group": groups[1], "start": None, "budget": None,
         "people": None, "pct": None},
    ]
    for i, text in enumerate(DANGEROUS):
        rows.append({"code": f"X{i}", "name": text, "group": text, "start": text,
                     "budget": 1000 + i, "people": i, "pct": 12.5})
    return rows


def _sheets() -> list[XSheet]:
    return [
        XSheet(PROJECT_SHEET, "รายการโครงการ", COLUMNS, _projects(),
               charts=[XChart("column", "งบประมาณรายโครงการ", "code", ["budget", "people"]),
                       XChart("pie", "งบประมาณตามกลุ่มงาน", "group", ["budget"], anchor="B20")],
               note="หมายเหตุ: ข้อมูลจากแบบรายงาน", totals=["budget", "people"]),
        XSheet("ว่าง", "ไม่มีข้อมูล", COLUMNS, [],
               charts=[XChart("bar", "ไม่ควรมี", "code", ["budget"])], totals=["budget"]),
        XSheet("สรุป", "สรุปตามกลุ่มงาน", [
            XColumn("group", "กลุ่มงาน", "Work group"),
            XColumn("n", "จำนวนโครงการ", "Projects", "int"),
        ], [{"group": "กลุ่มนโยบายและแผน", "n": 3}, {"group": "หน่วยตรวจสอบภายใน", "n": 1}]),
    ]


@pytest.fixture(scope="module")
def book(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("xl") / "report.xlsx"
    out = write_excel(path, _sheets(), office_name=OFFICE, report_title="รายงานโครงการ",
                      as_of=AS_OF)
    assert out == path
    return path


@pytest.fixture(scope="module")
def wb(book: Path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(book)


def _zip_text(book: Path, member: str) -> str:
    with zipfile.ZipFile(book) as zf:
        return zf.read(member).decode("utf-8")


def _members(book: Path) -> list[str]:
    with zipfile.ZipFile(book) as zf:
        return zf.namelist()


def test_layout_and_print_setup(wb: openpyxl.Workbook) -> None:
    ws = wb[PROJECT_SHEET]
    # one title per sheet; the report's name, when the sheet's title lacks it, on the line below
    assert ws["A1"].value == "รายการโครงการ"
    assert ws["A2"].value.startswith("รายงานโครงการ · ")
    assert OFFICE in ws["A2"].value and "ข้อมูล ณ วันที่ 15 ม.ค. 2567" in ws["A2"].value
    assert ws["A3"].value == "หมายเหตุ: ข้อมูลจากแบบรายงาน"
    assert [c.value for c in ws[4]] == [c.header_th for c in COLUMNS]
    assert [c.value for c in ws[5]] == [c.header_en for c in COLUMNS]
    assert ws["A4"].font.b and ws["A4"].fill.fgColor.rgb.endswith("D9E2F3")
    assert ws["A6"].font.name == "TH Sarabun New" and ws["A6"].font.sz == 14
    n = len(_projects())
    assert ws.freeze_panes == "A6"
    assert ws.auto_filter.ref == f"A5:G{5 + n}"  # English header line + data, not totals
    assert ws.print_title_rows == "$4:$5"
    assert ws.page_setup.paperSize == 9 and ws.page_setup.fitToWidth in (None, 1)  # 1: default
    assert ws.page_setup.fitToHeight == 0 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.orientation == "landscape"  # wide table plus a chart to the right
    assert "หน้า &P / &N" in ws.oddFooter.center.text
    assert OFFICE in ws.oddHeader.center.text
    small = wb["สรุป"]
    assert small.page_setup.orientation in (None, "portrait")
    assert small["A1"].value == "สรุปตามกลุ่มงาน" and small["A3"].value == "กลุ่มงาน"
    assert small.freeze_panes == "A5" and small.auto_filter.ref == "A4:B6"


def test_typed_cells_and_formats(wb: openpyxl.Workbook) -> None:
    ws = wb[PROJECT_SHEET]
    date_cell, money, people, pct = ws["D6"], ws["E6"], ws["F6"], ws["G6"]
    assert date_cell.value == dt.datetime(2024, 2, 29) and date_cell.is_date
    assert date_cell.number_format == thai.excel_th_date_format()
    assert ws["D7"].value == dt.datetime(2023, 10, 1, 9, 30)
    assert money.value == 125_000.5 and money.data_type == "n"
    assert money.number_format == "#,##0.00"
    assert people.value == 80 and people.number_format == "#,##0"
    # 54.25 % is stored as the fraction, so =G6*100 is 54.25, not 5,425
    assert pct.value == 0.5425 and pct.number_format == "0.00%"
    for cell in ("D8", "E8", "F8", "G8"):  # None → blank, not 0 or "None"
        assert ws[cell].value is None
    long = ws["B8"].value
    assert len(long) == 32_767 and long.endswith("…") and long.startswith("กกก")


def test_totals_formula_and_cached_value(book: Path, wb: openpyxl.Workbook) -> None:
    ws = wb[PROJECT_SHEET]
    n = len(_projects())
    total_row = 6 + n
    assert ws[f"E{total_row}"].value == f"=SUM(E6:E{5 + n})"
    assert ws[f"F{total_row}"].value == f"=SUM(F6:F{5 + n})"
    assert ws[f"A{total_row}"].value == "รวม (Total)" and ws[f"E{total_row}"].font.b
    assert ws[f"G{total_row}"].value is None
    rows = CalamineWorkbook.from_path(str(book)).get_sheet_by_name(PROJECT_SHEET).to_python()
    budgets = [r["budget"] for r in _projects() if r["budget"] is not None]
    assert rows[total_row - 1][4] == pytest.approx(sum(budgets))
    assert rows[total_row - 1][5] == sum(r["people"] or 0 for r in _projects())


def test_injection_strings_stay_literal_text(book: Path, wb: openpyxl.Workbook) -> None:
    ws = wb[PROJECT_SHEET]
    first = 6 + 3  # after P001–P003
    sheet_xml = _zip_text(book, "xl/worksheets/sheet1.xml")  # xlsxwriter numbers in order
    for i, text in enumerate(DANGEROUS):
        for col in "BCD":  # text columns, and a date column given text
            cell = ws[f"{col}{first + i}"]
            assert cell.data_type == "s" and cell.value == text
            m = re.search(rf'<c r="{col}{first + i}"[^>]*?(?:/>|>.*?</c>)', sheet_xml)
            assert m and "<f>" not in m.group(0) and 't="s"' in m.group(0)
    assert sheet_xml.count("<f>") == 2  # only our two SUM totals
    assert "<hyperlink" not in sheet_xml
    assert not [m for m in _members(book) if "hyperlink" in m.lower()]
    for name in _members(book):
        if name.endswith(".rels"):
            assert "hyperlink" not in _zip_text(book, name)


def test_charts_reference_own_data(book: Path) -> None:
    charts = sorted(m for m in _members(book) if re.fullmatch(r"xl/charts/chart\d+\.xml", m))
    assert len(charts) == 2  # the empty sheet's chart is skipped
    xml = {m: _zip_text(book, m) for m in charts}
    n = len(_projects())
    column = next(x for x in xml.values() if "<c:barChart>" in x)
    pie = next(x for x in xml.values() if "<c:pieChart>" in x)
    assert f"'{PROJECT_SHEET}'!$A$6:$A${5 + n}" in column  # categories: project codes
    assert f"'{PROJECT_SHEET}'!$E$6:$E${5 + n}" in column
    assert f"'{PROJECT_SHEET}'!$F$6:$F${5 + n}" in column
    assert f"'{PROJECT_SHEET}'!$E$4" in column  # series named by the Thai header
    assert f"'{PROJECT_SHEET}'!$C$6:$C${5 + n}" in pie
    assert "TH Sarabun New" in column and "งบประมาณรายโครงการ" in column
    drawing = _zip_text(book, "xl/drawings/drawing1.xml")
    assert "<xdr:col>1</xdr:col><xdr:colOff>0</xdr:colOff><xdr:row>19</xdr:row>" in drawing
    assert "<xdr:col>8</xdr:col>" in drawing  # default: right of the 7-column table


def test_empty_sheet(wb: openpyxl.Workbook) -> None:
    ws = wb["ว่าง"]
    assert [c.value for c in ws[3]] == [c.header_th for c in COLUMNS]
    assert [c.value for c in ws[4]] == [c.header_en for c in COLUMNS]
    assert ws["A5"].value == NO_DATA
    assert ws.max_row == 5  # no totals row
    assert ws.freeze_panes == "A5" and ws.auto_filter.ref == "A4:G5"
    assert not ws._charts


def test_column_widths_fit_thai(tmp_path: Path) -> None:
    cols = [XColumn("who", "ผู้อำนวยการ", "Director"), XColumn("d", "วันที่", "Date", "date"),
            XColumn("m", "เงิน", "Amount", "money"), XColumn("t", "ผล", "Result"),
            XColumn("n", "คน", "People", "int", width=9.5), XColumn("x", "ก", "x")]
    rows = [{"who": "นายสมชาย ใจดี", "d": AS_OF, "m": 1234.5, "t": "ผลการดำเนินงาน " * 20}]
    path = write_excel(tmp_path / "w.xlsx", [XSheet("w", "t", cols, rows)], office_name="o",
                       report_title="r", as_of=AS_OF)
    widths = {}  # openpyxl merges equal neighbours into one <col>: read the ranges
    for lo, hi, width in re.findall(r'<col min="(\d+)" max="(\d+)" width="([\d.]+)"',
                                    _zip_text(path, "xl/worksheets/sheet1.xml")):
        widths.update({c: float(width) for c in range(int(lo), int(hi) + 1)})
    # widest of header and values ×1.1 + 2, within 8–60; dates 14, money 16 at least;
    # "15 ม.ค. 2567" (the B.E. date as shown) is 12 wide, "ผู้อำนวยการ" only 9
    expected = [12 * 1.1 + 2, 12 * 1.1 + 2, 16, 60, 9.5, 8]
    for col, width in enumerate(expected, start=1):
        assert widths[col] == pytest.approx(width + 0.75, abs=0.2), col  # + cell padding


def test_sheet_names_sanitised(tmp_path: Path) -> None:
    long_th = "รายงานผลการดำเนินงานโครงการตามแผนปฏิบัติการประจำปี"  # 51 chars
    names = ["สรุป", "สรุป", "สรุป", "งบ/ไตรมาส [1]: *?\\", long_th, long_th, "History", "'x'"]
    cols = [XColumn("a", "ก", "a")]
    path = write_excel(tmp_path / "n.xlsx", [XSheet(n, "t", cols, []) for n in names],
                       office_name="o", report_title="r", as_of=AS_OF)
    got = openpyxl.load_workbook(path).sheetnames
    assert got[:4] == ["สรุป", "สรุป (2)", "สรุป (3)", "งบ_ไตรมาส _1__ ___"]
    assert len({g.casefold() for g in got}) == len(names)
    assert all(len(g) <= 31 and not re.search(r"[\[\]:*?/\\]", g) for g in got)
    assert got[4] == long_th[:31] or long_th.startswith(got[4])
    assert got[5].endswith(" (2)") and got[6] != "History" and got[7] == "x"
    assert [p.name for p in tmp_path.iterdir()] == ["n.xlsx"]  # no temp files left


def test_sanitise_keeps_thai_marks_with_their_consonant() -> None:
    name = "ก" * 30 + "กิ" + "ข"  # cutting at 31 would strip the vowel off its consonant
    assert sanitize_sheet_name(name, set()) == "ก" * 30
    assert sanitize_sheet_name("", set()) == "Sheet"


def test_display_width() -> None:
    assert display_width("ผู้อำนวยการ") == 9 < len("ผู้อำนวยการ")
    assert display_width("ข้อมูล") == 4
    assert display_width("กิ่ง") == 2
    assert display_width("abc") == 3
    assert display_width("日本") == 4
    assert display_width("e\u0301") == 1
    assert display_width("ab\ncdef") == 4
    assert display_width("") == 0


@pytest.mark.parametrize("sheet", [
    XSheet("s", "t", [XColumn("a", "ก", "a", "currency")], []),
    XSheet("s", "t", [XColumn("a", "ก", "a")], [], totals=["a"]),
    XSheet("s", "t", [XColumn("a", "ก", "a"), XColumn("b", "ข", "b", "int")], [],
           charts=[XChart("pie", "p", "a", ["b", "b"])]),
    XSheet("s", "t", [XColumn("a", "ก", "a")], [], charts=[XChart("radar", "p", "a", ["a"])]),
])
def test_definition_errors_write_nothing(tmp_path: Path, sheet: XSheet) -> None:
    with pytest.raises(ValueError):
        write_excel(tmp_path / "bad.xlsx", [sheet], office_name="o", report_title="r",
                    as_of=AS_OF)
    assert not list(tmp_path.iterdir())
