"""The plan's indicator catalog: new columns checked by cell, old plans still read.

Indicator sheet cells, written by hand from the plan's layout (data from row 5): A fiscal
year, B framework, C code, D name, E owner group, F target, G target value, H deadline,
I owner, J unit, K kind, L scale, M direction, N rounds, O system.
"""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path
from typing import Any

import factories as fx
import openpyxl
import pytest

from tps_batch.indicator_status import Round
from tps_batch.plan import read_plan, write_plan


def _plan(tmp_path: Path, rows: dict[str, list[dict[str, Any]]]) -> Any:
    return read_plan(write_plan(tmp_path / "plan.xlsx", rows))


def _rows() -> dict[str, list[dict[str, Any]]]:
    return copy.deepcopy(fx.PLAN_ROWS)


def test_the_factory_catalog_reads_typed_and_clean(tmp_path: Path) -> None:
    plan = _plan(tmp_path, _rows())
    assert plan.findings == []
    o10 = plan.as_indicator(plan.indicator(fx.FY, "ita:o10"))
    assert (o10.kind, o10.direction, o10.target) == ("yes_no", "level", "ใช่")
    assert o10.rounds == (Round("รอบเดียว", dt.date(2024, 1, 31)),)
    std = plan.as_indicator(plan.indicator(fx.FY, "ESA-STD : 2.1"))
    assert std.scale == ("ระดับ 1", "ระดับ 2", "ระดับ 3", "ระดับ 4", "ระดับ 5")
    assert (std.kind, std.target, std.fy_start) == ("level", "ระดับ 4", dt.date(2023, 10, 1))
    assert plan.indicators(fx.FY)[0]["system"] == "ITA"


def test_rounds_are_calendar_periods_in_deadline_order(tmp_path: Path) -> None:
    rows = _rows()
    rows["indicators"][0].update(kind="ร้อยละ", target_value=94, unit="ร้อยละ",
                                 rounds="สิ้นปีงบประมาณ; ไตรมาส 1")
    plan = _plan(tmp_path, rows)
    assert plan.findings == []
    ind = plan.as_indicator(plan.indicators(fx.FY)[0])
    assert ind.rounds == (Round("ไตรมาส 1", dt.date(2024, 1, 15)),
                          Round("สิ้นปีงบประมาณ", dt.date(2024, 10, 15)))
    assert (ind.kind, ind.direction, ind.target) == ("percent", "higher", 94.0)


# (change to the 1st indicator (row 5) or 2nd (row 6), code, cell)
CASES = [
    ({1: {"target": "ระดับ 9"}}, "plan-indicator-level-target", "F6"),
    ({1: {"scale": None}}, "plan-indicator-no-scale", "L6"),
    ({0: {"kind": "จำนวน"}}, "plan-indicator-no-target", "G5"),
    ({0: {"rounds": "ไตรมาส 1; รอบ 6 เดือน"}}, "plan-unknown-reference", "N5"),
    ({0: {"deadline": None}}, "plan-indicator-no-deadline", "H5"),
    ({1: {"direction": "ยิ่งสูงยิ่งดี"}}, "plan-indicator-direction", "M6"),
    ({0: {"kind": "ทศนิยม"}}, "not-in-choices", "K5"),
    ({0: {"system": "SMSS"}}, "not-in-choices", "O5"),
]


@pytest.mark.parametrize(("change", "code", "cell"), CASES)
def test_plan_check_names_the_catalog_cell(tmp_path: Path, change: dict[int, dict[str, Any]],
                                           code: str, cell: str) -> None:
    rows = _rows()
    for i, values in change.items():
        rows["indicators"][i].update(values)
    plan = _plan(tmp_path, rows)
    assert [(f.code, f.sheet, f.cell) for f in plan.findings] == [(code, "ตัวชี้วัด", cell)]


def test_a_plan_without_the_new_columns_still_reads(tmp_path: Path) -> None:
    rows = _rows()
    for r in rows["indicators"]:
        for k in ("owner", "kind", "scale", "system"):
            r.pop(k, None)
        r["target_value"] = 100
    path = write_plan(tmp_path / "plan.xlsx", rows)
    wb = openpyxl.load_workbook(path)
    wb["ตัวชี้วัด"].delete_cols(9, 7)  # I..O: a plan 1.0 written before indicator results
    wb.save(path)
    plan = read_plan(path)
    assert plan.findings == []
    ind = plan.as_indicator(plan.indicators(fx.FY)[1])
    assert (ind.kind, ind.direction, ind.target, ind.scale) == ("number", "higher", 100.0, ())
    assert ind.rounds == (Round("รอบเดียว", dt.date(2024, 9, 15)),)
