"""The action plan reader: same catalog discipline as submissions, findings by cell."""

from __future__ import annotations

import copy
from pathlib import Path

import factories as fx
import pytest
import xlsxwriter

from tps_batch.errors import TpsError
from tps_batch.plan import P_GROUPS, P_PROJECTS, read_plan, write_plan


def test_demo_like_plan_reads_clean(tmp_path: Path) -> None:
    plan = read_plan(write_plan(tmp_path / "plan.xlsx", fx.PLAN_ROWS))
    assert plan.findings == []
    assert [p["code"] for p in plan.projects] == ["P01", "P02", "P03"]
    assert plan.canonical_group("กลุ่มแผน") == fx.GROUP_A  # alias
    assert plan.canonical_group("กลุ่มนิเทศ  ติดตาม และประเมินผลการจัดการศึกษา") == fx.GROUP_B
    assert plan.canonical_group("กลุ่มอื่น") is None
    assert plan.project("p02")["owner"] == "นายสมชาย รักเรียน"  # codes are case-insensitive
    assert [t["target_percent"] for t in plan.disbursement_targets(fx.FY)] == [30, 54, 77, 94]


def test_duplicates_and_unknown_groups_are_named_by_cell(tmp_path: Path) -> None:
    rows = copy.deepcopy(fx.PLAN_ROWS)
    rows["projects"].append({**rows["projects"][0], "name": "ซ้ำ"})      # row 8: same code
    rows["projects"][1]["group"] = "กลุ่มที่ไม่มีในชีตกลุ่ม"               # row 6
    plan = read_plan(write_plan(tmp_path / "plan.xlsx", rows))
    found = {(f.code, f.sheet, f.cell) for f in plan.findings}
    first = P_PROJECTS.first_row
    assert ("plan-duplicate-key", P_PROJECTS.sheet,
            f"{P_PROJECTS.letter('code')}{first + 3}") in found
    assert ("plan-unknown-reference", P_PROJECTS.sheet,
            f"{P_PROJECTS.letter('group')}{first + 1}") in found
    assert all(f.file == "plan.xlsx" for f in plan.findings)


def test_missing_sheet_and_bad_cells(tmp_path: Path) -> None:
    path = tmp_path / "plan.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    sheet = wb.add_worksheet(P_GROUPS.sheet)
    sheet.write_string(P_GROUPS.first_row - 1, 0, fx.GROUP_A)
    wb.close()
    plan = read_plan(path)
    missing = {f.sheet for f in plan.findings if f.code == "plan-missing-sheet"}
    assert P_PROJECTS.sheet in missing and P_GROUPS.sheet not in missing
    assert [g["name"] for g in plan.groups] == [fx.GROUP_A]


def test_unreadable_plan_is_fatal_with_a_usage_exit(tmp_path: Path) -> None:
    (tmp_path / "plan.xlsx").write_bytes(b"not a workbook")
    with pytest.raises(TpsError) as info:
        read_plan(tmp_path / "plan.xlsx")
    assert info.value.exit_code == 2 and "action plan" in info.value.message_en
    with pytest.raises(TpsError):
        read_plan(tmp_path / "missing.xlsx")


def test_allocation_amendments_and_policy_are_checked_and_optional(tmp_path: Path) -> None:
    """The sheets added for budget authority: an amendment for a project the plan lacks is
    named by its cell, a policy value out of the choices too; a plan written before these
    sheets existed (no such sheets) reads clean, with the defaults."""
    import datetime as dt

    from tps_batch.plan import P_ALLOCATIONS, P_POLICY

    rows = copy.deepcopy(fx.PLAN_ROWS)
    rows["allocations"].append({"code": "P99", "source": "สพป.", "allocated": 10000,
                                "effective": dt.date(2024, 1, 1)})  # third amendment row
    rows["policy"] = [{"key": "ความคลาดเคลื่อน", "value": 3}]
    plan = read_plan(write_plan(tmp_path / "plan.xlsx", rows))
    found = {(f.code, f.sheet, f.cell) for f in plan.findings}
    assert ("plan-unknown-reference", P_ALLOCATIONS.sheet,
            f"{P_ALLOCATIONS.letter('code')}{P_ALLOCATIONS.first_row + 2}") in found
    assert ("not-in-choices", P_POLICY.sheet,
            f"{P_POLICY.letter('key')}{P_POLICY.first_row}") in found
    # P02: approved 120,000 from สพฐ., amended from 1 Oct to 0 from สพฐ. and 50,000 from สพป.
    assert plan.allocation("P02", dt.date(2023, 9, 30)) == {"obec": 120000.0, "esa": 0.0,
                                                            "other": 0.0}
    assert plan.allocation("P02", dt.date(2023, 10, 1)) == {"obec": 0.0, "esa": 50000.0,
                                                            "other": 0.0}
    assert plan.policy("spending_tolerance_percent") == 5.0

    old = {k: v for k, v in fx.PLAN_ROWS.items() if k not in ("allocations", "policy")}
    path = write_plan(tmp_path / "old.xlsx", old)
    from openpyxl import load_workbook

    wb = load_workbook(path)
    for sheet in (P_ALLOCATIONS.sheet, P_POLICY.sheet):
        del wb[sheet]
    wb.save(path)
    plan = read_plan(path)
    assert plan.findings == [] and plan.allocation("P01") == {"obec": 0.0, "esa": 50000.0,
                                                              "other": 0.0}
