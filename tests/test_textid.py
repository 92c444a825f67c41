"""Look-alike text matches: ำ typed as ํ + า, zero-width characters, Thai digits in codes;
the stored value is the plan's spelling. And `tps validate` without a plan says what it
could not check."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import factories as fx
from click.testing import CliRunner

from tps_batch.cli import main
from tps_batch.plan import read_plan
from tps_batch.read import read_submission
from tps_batch.validate import validate

SARA_AM_SPLIT = "\u0e4d\u0e32"  # ํ + า, which looks exactly like ำ


def check(ws, path: Path):
    sub = read_submission(path, fiscal_year=fx.FY)
    validate(sub, read_plan(ws.path("plan")), fiscal_year=fx.FY,
             received=dt.date(2024, 1, 20))
    return sub


def test_look_alike_group_code_and_choice_match_and_store_the_plans_spelling(
        tmp_path: Path) -> None:
    ws = fx.make_workspace(tmp_path / "ws")
    # the plan says P01 and กลุ่มนโยบายและแผน; the clerk typed Thai digits and a
    # zero-width space (copied from a web page)
    group = "กลุ่มนโยบาย\u200bและแผน"
    status = "ด" + SARA_AM_SPLIT + "เนินการแล้ว"  # activity status ดำเนินการแล้ว, split ำ
    assert status != "ดำเนินการแล้ว"
    path = fx.submission(tmp_path / "lookalike.xlsx",
                         values={"project_code": "P๐๑", "group": group},
                         tables={"activities": fx.activity(status=status)})
    sub = check(ws, path)
    assert [f.code for f in sub.findings] == []
    assert sub.values["project_code"] == "P01"
    assert sub.values["group"] == fx.GROUP_A  # the plan's spelling
    assert sub.tables["activities"][0]["status"] == "done"


def test_group_typed_with_split_sara_am() -> None:
    """A group containing ำ, typed by the clerk as ํ + า."""
    from tps_batch.plan import group_key

    assert group_key("กลุ่มอ" + SARA_AM_SPLIT + "นวยการ") == group_key("กลุ่มอำนวยการ")
    assert group_key("กลุ่ม อำนวย\u200bการ") == group_key("กลุ่มอำนวยการ")


def test_near_choice_suggests_it(tmp_path: Path) -> None:
    ws = fx.make_workspace(tmp_path / "ws")
    sub = check(ws, fx.submission(tmp_path / "near.xlsx", tables={
        "activities": fx.activity(status="ดำเนินการเสร็จแล้ว")}))
    near = [f for f in sub.findings if f.code == "not-in-choices-near"]
    assert len(near) == 1
    assert "หมายถึง 'ดำเนินการแล้ว' หรือไม่?" in near[0].message_th
    assert "did you mean 'ดำเนินการแล้ว'?" in near[0].message_en


def test_validate_without_a_plan_lists_the_skipped_checks(tmp_path: Path) -> None:
    ws = fx.make_workspace(tmp_path / "ws")
    ws.path("plan").unlink()
    wb = fx.submission(tmp_path / "p.xlsx", values={"project_code": "P99"})
    got = CliRunner().invoke(main, ["validate", str(wb), "-w", str(ws.workspace), "--json"])
    assert "plan-checks-skipped" in got.output
    assert "unknown-project" not in got.output  # not checked, and it says so
    text = CliRunner().invoke(main, ["validate", str(wb), "-w", str(ws.workspace)]).output
    assert "ไม่ได้ตรวจเทียบกับแผนปฏิบัติการ" in text
    assert "Not checked against the action plan (no plan file): project code" in text


def test_text_cell_holding_a_number_is_kept_and_said(tmp_path: Path) -> None:
    ws = fx.make_workspace(tmp_path / "ws")
    sub = check(ws, fx.submission(tmp_path / "n.xlsx", tables={
        "activities": fx.activity(place=46356.3672427084)}))  # =NOW() in a text cell
    hit = [f for f in sub.findings if f.code == "text-was-number"]
    assert len(hit) == 1 and "stored as '46356.3672427084'" in hit[0].message_en
    assert sub.tables["activities"][0]["place"] == "46356.3672427084"
