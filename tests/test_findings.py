"""Every read/validate finding code: a workbook that triggers it, at the right cell."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import factories as fx
import pytest

from tps_batch.plan import read_plan
from tps_batch.read import read_submission
from tps_batch.spec import SPEC
from tps_batch.validate import validate

ACT = SPEC.table("activities")
BUD = SPEC.table("budget")
TGT = SPEC.table("targets")
IND = SPEC.table("indicators")
R1 = ACT.first_row  # first activity row


def cell(key: str) -> tuple[str, str]:
    f = SPEC.field(key)
    return f.sheet, f.cell


def tcell(table: Any, col: str, row: int | None = None) -> tuple[str, str]:
    return table.sheet, f"{table.letter(col)}{row or table.first_row}"


CASES: list[tuple[str, dict[str, Any], str, tuple[str, str]]] = [
    ("missing-required", {"values": {"owner": None}}, "missing-required", cell("owner")),
    ("missing-required-row", {"tables": {"activities": fx.activity(status=None)}},
     "missing-required", tcell(ACT, "status")),
    ("wrong-type-int", {"values": {"fiscal_year": "สองห้าหกเจ็ด"}}, "wrong-type",
     cell("fiscal_year")),
    ("wrong-type-money", {"tables": {"activities": fx.activity(budget_planned="ห้าหมื่น")}},
     "wrong-type", tcell(ACT, "budget_planned")),
    ("wrong-type-fraction", {"tables": {"activities": fx.activity(target_planned=12.5)}},
     "wrong-type", tcell(ACT, "target_planned")),
    ("wrong-type-id-in-count", {"tables": {"activities": fx.activity(
        target_planned="1103700012345")}}, "wrong-type", tcell(ACT, "target_planned")),
    ("bad-date", {"values": {"as_of": "29 ก.พ. 2566"}}, "bad-date", cell("as_of")),
    ("bad-date-text", {"tables": {"activities": fx.activity(actual_date="เมื่อวาน")}},
     "bad-date", tcell(ACT, "actual_date")),
    ("ambiguous-date", {"tables": {"activities": fx.activity(actual_date="10/16/2566")}},
     "ambiguous-date", tcell(ACT, "actual_date")),
    ("not-in-choices", {"tables": {"activities": fx.activity(status="เสร็จแล้วจ้า")}},
     "not-in-choices", tcell(ACT, "status")),
    ("not-in-choices-header", {"values": {"report_kind": "รายเดือน"}}, "not-in-choices",
     cell("report_kind")),
    ("unknown-group", {"values": {"group": "กลุ่มที่ไม่มีจริง"}}, "unknown-group", cell("group")),
    ("unknown-project", {"values": {"project_code": "P99"}}, "unknown-project",
     cell("project_code")),
    ("project-other-group", {"values": {"group": fx.GROUP_B}}, "project-other-group",
     cell("group")),
    ("project-name-mismatch", {"values": {"project_name": "ชื่ออื่น"}}, "project-name-mismatch",
     cell("project_name")),
    ("fiscal-year-mismatch", {"values": {"fiscal_year": 2566}}, "fiscal-year-mismatch",
     cell("fiscal_year")),
    ("end-before-start", {"values": {"planned_end": dt.date(2023, 9, 1)}}, "end-before-start",
     cell("planned_end")),
    ("end-before-start-row", {"tables": {"activities": fx.activity(
        planned_end=dt.date(2023, 10, 10))}}, "end-before-start", tcell(ACT, "planned_end")),
    ("date-outside-fiscal-year", {"tables": {"activities": fx.activity(
        actual_date=dt.date(2023, 9, 30))}}, "date-outside-fiscal-year",
     tcell(ACT, "actual_date")),
    ("spent-over-allocated", {"tables": {"budget": [
        {"source": "สพป.", "allocated": 50000, "disbursed": 50000.01}]}},
     "spent-over-allocated", tcell(BUD, "disbursed")),
    ("negative-amount", {"tables": {"activities": fx.activity(budget_spent=-5)}},
     "negative-amount", tcell(ACT, "budget_spent")),
    ("reached-far-above-planned", {"tables": {"activities": fx.activity(target_reached=600)}},
     "reached-far-above-planned", tcell(ACT, "target_reached")),
    ("budget-total-mismatch", {"tables": {"activities": fx.activity(budget_planned=40000)}},
     "budget-total-mismatch", tcell(BUD, "allocated")),
    # the plan approved 50,000 from สพป. for P01: a workbook claiming 500,000 is an error
    ("allocation-differs-from-plan", {"tables": {
        "activities": fx.activity(budget_planned=480000),
        "budget": [{"source": "สพป.", "allocated": 500000, "disbursed": 28750.5}]}},
     "allocation-differs-from-plan", tcell(BUD, "allocated")),
    # activities spent 28,750.50; the budget says 20,000 disbursed: 30 % apart, over 5 %
    ("spending-differs-from-disbursed", {"tables": {"budget": [
        {"source": "สพป.", "allocated": 50000, "disbursed": 20000}]}},
     "spending-differs-from-disbursed", tcell(BUD, "disbursed")),
    ("completed-with-open-activities", {"values": {"status": "ดำเนินการแล้วเสร็จ"}},
     "completed-with-open-activities", cell("status")),
    ("final-without-results", {"values": {"report_kind": "รายงานฉบับสมบูรณ์"}},
     "final-without-results", tcell(ACT, "result", R1 + 1)),
    ("unknown-indicator", {"tables": {"indicators": [{"framework": "ITA", "code": "O99"}]}},
     "unknown-indicator", tcell(IND, "code")),
    ("as-of-in-future", {"values": {"as_of": dt.date(2024, 3, 1)}}, "as-of-in-future",
     cell("as_of")),
    # FY 2567 runs 1 Oct 2023 – 30 Sep 2024
    ("as-of-outside-fiscal-year", {"values": {"as_of": dt.date(2023, 9, 20)}},
     "as-of-outside-fiscal-year", cell("as_of")),
    ("table-truncated", {"tables": {"problems": [{"text": f"ปัญหา {i}"} for i in range(20)]}},
     "table-truncated", (SPEC.table("problems").sheet, "A25")),
    ("blank-row-skipped", {"tables": {"activities": [fx.activity()[0], {}, fx.activity()[1]]}},
     "blank-row-skipped", tcell(ACT, "name", R1 + 1)),
    ("not-in-choices-near", {"tables": {"activities": fx.activity(status="ดำเนินการเสร็จแล้ว")}},
     "not-in-choices-near", tcell(ACT, "status")),
    ("text-was-number", {"tables": {"activities": fx.activity(place=12345)}},
     "text-was-number", tcell(ACT, "place")),
    ("layout-moved", {}, "layout-moved", (ACT.sheet, f"A{ACT.header_row + 1}")),
    ("formula-without-value", {}, "formula-without-value", cell("owner")),
    ("formula-error", {}, "formula-error", tcell(ACT, "budget_spent")),
    ("layout-changed", {}, "layout-changed", tcell(ACT, "place", ACT.header_row)),
]


def _insert_row_above_activities(path: Path) -> None:
    from openpyxl import load_workbook

    wb = load_workbook(path)
    wb[ACT.sheet].insert_rows(ACT.title_row)
    wb.save(path)


def _rename_place_header(path: Path) -> None:
    from openpyxl import load_workbook

    wb = load_workbook(path)
    sheet = wb[ACT.sheet]
    sheet[f"{ACT.letter('place')}{ACT.header_row}"] = "หมายเหตุ"
    sheet[f"{ACT.letter('place')}{ACT.header_row + 1}"] = "Remarks"
    wb.save(path)


def _owner_by_formula(path: Path) -> None:
    """A formula typed in by a script: no value saved beside it."""
    from openpyxl import load_workbook

    wb = load_workbook(path)
    wb[SPEC.field("owner").sheet][SPEC.field("owner").cell] = '="นางสาวสมศรี"&" ใจดี"'
    wb.save(path)


def _saved_error(path: Path) -> None:
    """A formula whose saved value is an error, as Excel or LibreOffice saves =1/0."""
    import zipfile

    from tps_batch.xlsxpatch import sheet_parts

    ref = f"{ACT.letter('budget_spent')}{ACT.first_row}"
    with zipfile.ZipFile(path) as zf:
        parts = {i.filename: zf.read(i) for i in zf.infolist()}
        part = sheet_parts(zf)[ACT.sheet]
    parts[part] = re.sub(
        rf'<c r="{ref}"((?: s="\d+")?)[^>]*?(?:/>|>.*?</c>)',
        rf'<c r="{ref}"\1 t="e"><f>1/0</f><v>#DIV/0!</v></c>',
        parts[part].decode("utf-8"), count=1, flags=re.S).encode("utf-8")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in parts.items():
            out.writestr(name, data)


_AFTER = {"layout-moved": _insert_row_above_activities,
          "layout-changed": _rename_place_header,
          "formula-without-value": _owner_by_formula, "formula-error": _saved_error}


def _overfill(path: Path) -> None:
    """Type one row past the table's end, as a clerk ignoring the template would."""
    from openpyxl import load_workbook

    wb = load_workbook(path)
    wb[SPEC.table("problems").sheet]["A25"] = "ปัญหาแถวที่ 21"
    wb.save(path)


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory):
    return fx.make_workspace(tmp_path_factory.mktemp("ws"))


def check(ws, path: Path):
    sub = read_submission(path, fiscal_year=fx.FY)
    validate(sub, read_plan(ws.path("plan")), fiscal_year=fx.FY,
             received=dt.date(2024, 1, 20))
    return sub


def test_good_workbook_is_clean(ws, tmp_path: Path) -> None:
    sub = check(ws, fx.submission(tmp_path / "good.xlsx"))
    assert sub.findings == []
    assert sub.values["as_of"] == dt.date(2024, 1, 10)
    assert sub.tables["activities"][0]["budget_spent"] == 28750.5
    assert sub.tables["activities"][0]["target_planned"] == 60
    assert isinstance(sub.tables["activities"][0]["target_planned"], int)


@pytest.mark.parametrize(("case", "changes", "code", "where"), CASES, ids=[c[0] for c in CASES])
def test_finding(ws, tmp_path: Path, case: str, changes: dict, code: str,
                 where: tuple[str, str]) -> None:
    path = fx.submission(tmp_path / f"{case}.xlsx", **changes)
    if case == "table-truncated":
        _overfill(path)
    if case in _AFTER:  # the layout edited in Excel after the template wrote it
        _AFTER[case](path)
    sub = check(ws, path)
    hits = [f for f in sub.findings if f.code == code]
    assert hits, [f.code for f in sub.findings]
    assert (hits[0].sheet, hits[0].cell) == where
    assert hits[0].message_th and hits[0].message_en
    assert "{" not in hits[0].message_th + hits[0].message_en  # every placeholder filled
    others = [f.code for f in sub.findings if f.code != code and f.severity == "error"]
    allowed = {"missing-required", "wrong-type", "not-in-choices", "final-without-results"}
    assert not [c for c in others if c not in allowed], others


def test_group_alias_and_spacing_are_accepted(ws, tmp_path: Path) -> None:
    for spelling in ("นโยบายและแผน", " กลุ่ม นโยบาย และแผน ", "กลุ่มนโยบาย\u200bและแผน"):
        sub = check(ws, fx.submission(tmp_path / "alias.xlsx", values={"group": spelling}))
        assert [f.code for f in sub.findings] == [], spelling


def test_codes_in_catalog_all_exercised() -> None:
    """A new read/validate code must come with a case here."""
    from tps_batch.errors import CATALOG

    tested = {c[2] for c in CASES}
    untested = {k for k, v in CATALOG.items() if v.stage in ("read", "validate")} - tested
    assert not untested, untested


def test_project_code_is_stored_in_the_plans_spelling(ws, tmp_path: Path) -> None:
    sub = check(ws, fx.submission(tmp_path / "lower.xlsx", values={"project_code": " p01 "}))
    assert sub.findings == [] and sub.values["project_code"] == "P01"


def test_allocation_finding_names_both_figures_and_an_amendment_allows_it(
        tmp_path: Path) -> None:
    """The plan's allocation is the reference; an amendment recorded in the plan, dated on or
    before the workbook's as-of, makes the new figure the reference."""
    import copy

    from tps_batch.plan import write_plan

    ws = fx.make_workspace(tmp_path / "ws")
    path = fx.submission(tmp_path / "big.xlsx", tables={
        "activities": fx.activity(budget_planned=480000),
        "budget": [{"source": "สพป.", "allocated": 500000, "disbursed": 28750.5}]})
    hits = [f for f in check(ws, path).findings if f.code == "allocation-differs-from-plan"]
    assert [(f.severity, f.cell) for f in hits] == [("error", tcell(BUD, "allocated")[1])]
    assert "500,000.00" in hits[0].message_th and "50,000.00" in hits[0].message_th
    assert "500,000.00" in hits[0].message_en and "50,000.00" in hits[0].message_en

    rows = copy.deepcopy(fx.PLAN_ROWS)
    rows["allocations"].append({"code": "P01", "source": "สพป.", "allocated": 500000,
                                "effective": dt.date(2024, 1, 5)})  # before the as-of 10 Jan
    write_plan(ws.path("plan"), rows)
    assert [f.code for f in check(ws, path).findings] == []
    rows["allocations"][-1]["effective"] = dt.date(2024, 1, 11)   # after it: not yet
    write_plan(ws.path("plan"), rows)
    assert [f.code for f in check(ws, path).findings] == ["allocation-differs-from-plan"]


def test_spending_tolerance_is_the_plans_policy(tmp_path: Path) -> None:
    """28,750.50 spent against 27,500 disbursed is 4.35 % apart: within the default 5 %,
    beyond a plan policy of 2 %."""
    import copy

    from tps_batch.plan import write_plan

    ws = fx.make_workspace(tmp_path / "ws")
    path = fx.submission(tmp_path / "near.xlsx", tables={"budget": [
        {"source": "สพป.", "allocated": 50000, "disbursed": 27500}]})
    assert [f.code for f in check(ws, path).findings] == []
    rows = copy.deepcopy(fx.PLAN_ROWS)
    rows["policy"] = [{"key": "ความต่างที่ยอมรับได้ระหว่างค่าใช้จ่ายกิจกรรมกับยอดเบิกจ่าย (%)",
                       "value": 2}]
    write_plan(ws.path("plan"), rows)
    found = check(ws, path).findings
    assert [(f.code, f.severity) for f in found] == [("spending-differs-from-disbursed",
                                                       "warning")]
