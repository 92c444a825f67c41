"""The indicator result report goes through the same intake: read by its template id,
validated against the plan's catalog, stored per group and round, resubmissions supersede.

Results sheet cells, by hand from the layout (title row 1, headers rows 3-4, data from row
5, first column A): A code, B name, C target, D value, E level, F evidence, G evidence
link, H entered on, I entered ref. Header cells: C4 fiscal year, C5 group, C6 round, C7
as of.
"""

from __future__ import annotations

import copy
import datetime as dt
import os
from pathlib import Path
from typing import Any

import factories as fx
import pytest
from click.testing import CliRunner

from tps_batch import indicator_spec, settings
from tps_batch.cli import main
from tps_batch.plan import write_plan
from tps_batch.template import write_workbook

ROUNDS = "ไตรมาส 1; สิ้นปีงบประมาณ"


def plan_rows() -> dict[str, list[dict[str, Any]]]:
    rows = copy.deepcopy(fx.PLAN_ROWS)
    rows["frameworks"].append({"code": "OBEC", "name_th": "ตัวชี้วัด สพฐ."})
    rows["indicators"] += [
        {"fiscal_year": fx.FY, "framework": "OBEC", "code": "4.2", "name": "การเบิกจ่าย",
         "owner_group": fx.GROUP_A, "target_value": 94, "kind": "ร้อยละ", "unit": "ร้อยละ",
         "rounds": ROUNDS, "system": "OBEC"},
        {"fiscal_year": fx.FY, "framework": "OBEC", "code": "5.1", "name": "ระดับคุณภาพ",
         "owner_group": fx.GROUP_A, "target": "ดี", "kind": "ระดับ",
         "scale": "ปรับปรุง;พอใช้;ดี;ดีเยี่ยม", "rounds": "สิ้นปีงบประมาณ", "system": "none"},
    ]
    return rows


def workspace(tmp_path: Path) -> settings.Settings:
    ws = fx.make_workspace(tmp_path / "ws")
    write_plan(ws.workspace / "plan.xlsx", plan_rows())
    return ws


GOOD = {"fiscal_year": fx.FY, "group": "กลุ่มแผน", "round": "ไตรมาส 1",
        "as_of": dt.date(2024, 1, 10), "reporter_name": "นางวางแผน ดีเลิศ"}


def report(path: Path, rows: list[dict[str, Any]], received: dt.datetime | None = None,
           **values: Any) -> Path:
    write_workbook(path, values={**GOOD, **values}, tables={"results": rows},
                   spec=indicator_spec.SPEC)
    stamp = (received or dt.datetime(2024, 1, 12, 9, 0)).timestamp()
    os.utime(path, (stamp, stamp))
    return path


def ingest(ws: settings.Settings) -> None:
    got = CliRunner().invoke(main, ["ingest", "-w", str(ws.workspace)])
    assert got.exit_code == 0, got.output


def test_a_good_report_is_stored_by_group_and_round(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    report(ws.workspace / "inbox" / "plan-q1.xlsx", [
        {"code": "obec:4.2", "value": 31.5, "evidence": "รายงาน GFMIS",
         "entered_on": dt.date(2024, 1, 11), "entered_ref": "OBEC-001"}])
    ingest(ws)
    subs = fx.query(ws, "select status, kind, group_name, round, is_current from submissions")
    assert subs == [("accepted", "indicator", fx.GROUP_A, "ไตรมาส 1", 1)]
    rows = fx.query(ws, "select group_name, round, seq, code, value, level, entered_on, "
                        "entered_ref from indicator_results")
    assert [(*r[:6], str(r[6]), r[7]) for r in rows] == [
        (fx.GROUP_A, "ไตรมาส 1", 1, "OBEC:4.2", 31.5, None, "2024-01-11", "OBEC-001")]


def test_a_resubmission_for_the_same_group_and_round_supersedes(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    report(ws.workspace / "inbox" / "a.xlsx", [{"code": "OBEC:4.2", "value": 20}])
    ingest(ws)
    report(ws.workspace / "inbox" / "b.xlsx", [{"code": "OBEC:4.2", "value": 30}],
           received=dt.datetime(2024, 1, 13, 9, 0), as_of=dt.date(2024, 1, 12))
    report(ws.workspace / "inbox" / "c.xlsx", [{"code": "OBEC:4.2", "value": 90}],
           received=dt.datetime(2024, 10, 5, 9, 0), round="สิ้นปีงบประมาณ",
           as_of=dt.date(2024, 9, 30))
    ingest(ws)
    got = fx.query(ws, "select s.file_name, s.is_current, t.file_name from submissions s "
                       "left join submissions t on t.id = s.superseded_by order by s.file_name")
    assert got == [("a.xlsx", 0, "b.xlsx"), ("b.xlsx", 1, None), ("c.xlsx", 1, None)]


def _codes(ws: settings.Settings) -> list[tuple[str, str | None]]:
    return fx.query(ws, "select code, cell from findings order by id")


# (values, rows, expected (code, cell) findings)
CASES = [
    ({}, [{"code": "OBEC:9.9", "value": 1}], [("indicator-not-in-plan", "A5")]),
    ({}, [{"code": "ESA-STD:2.1", "level": "ระดับ 4"}],
     [("indicator-other-group", "A5"), ("indicator-not-due", "A5")]),
    ({}, [{"code": "OBEC:5.1", "level": "ดี"}], [("indicator-not-due", "A5")]),
    ({"round": "รอบ 6 เดือน"}, [{"code": "OBEC:4.2", "value": 1}],
     [("indicator-unknown-round", "C6")]),
    ({}, [{"code": "OBEC:4.2", "value": 101}], [("indicator-percent-out-of-range", "D5")]),
    ({}, [{"code": "OBEC:4.2", "level": "ดี"}], [("indicator-wrong-kind", "E5")]),
    ({}, [{"code": "OBEC:4.2"}], [("indicator-no-result", "D5")]),
    ({}, [{"code": "OBEC:4.2", "value": 1}, {"code": "OBEC:4.2", "value": 2}],
     [("indicator-duplicate", "A6")]),
    ({}, [{"code": "OBEC:4.2", "value": 1, "entered_on": dt.date(2024, 1, 20)}],
     [("indicator-entered-in-future", "H5")]),
    ({"round": "สิ้นปีงบประมาณ", "as_of": dt.date(2024, 9, 30)},
     [{"code": "OBEC:5.1", "level": "ดีมาก"}], [("indicator-level-off-scale", "E5")]),
    ({"round": "รอบเดียว"}, [{"code": "ITA:O10", "level": "บางส่วน"}],
     [("indicator-level-off-scale", "E5")]),
]


@pytest.mark.parametrize(("values", "rows", "expected"), CASES)
def test_validation_names_the_cell(tmp_path: Path, values: dict[str, Any],
                                   rows: list[dict[str, Any]],
                                   expected: list[tuple[str, str]]) -> None:
    ws = workspace(tmp_path)
    report(ws.workspace / "inbox" / "r.xlsx", rows, received=dt.datetime(2024, 1, 12, 9, 0)
           if "as_of" not in values else dt.datetime(2024, 10, 2, 9, 0), **values)
    ingest(ws)
    assert _codes(ws) == expected


def test_yes_no_and_levels_are_stored_in_the_plans_spelling(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    report(ws.workspace / "inbox" / "o10.xlsx", [{"code": "ita : o10", "level": "เผยแพร่แล้ว"}],
           round="รอบเดียว")
    report(ws.workspace / "inbox" / "std.xlsx", [{"code": "OBEC:5.1", "level": "ดีเยี่ยม"}],
           round="สิ้นปีงบประมาณ", as_of=dt.date(2024, 9, 30),
           received=dt.datetime(2024, 10, 2, 9, 0))
    ingest(ws)
    assert _codes(ws) == []
    assert fx.query(ws, "select code, level from indicator_results order by code") \
        == [("ITA:O10", "ใช่"), ("OBEC:5.1", "ดีเยี่ยม")]
