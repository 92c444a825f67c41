"""The demo's indicator result reports, ingested and reported as of 15 May 2567.

Every expected status and count below is worked out by hand from the demo's catalog
(tps_batch/demo_data.py, demo_indicators.py) and the status rules in the README:

- six-month items (ไตรมาส 2, due 10 Apr 2567; final round ประจำปีงบประมาณ 2567, due 15 Oct)
  are held to the target pro-rated at 10 Apr: 1 Oct → 10 Apr is 192 days of the 380 to
  15 Oct, so OBEC 4.2 (94 %) must reach 94 × 192/380 × 0.9 = 42.75: 38.5 is at risk;
  OBEC 4.1 (90 %) must reach 40.93: 61 is on track. A level below ดีเยี่ยม (ESA-STD 1.2,
  1.3, 2.2) or ระดับ 4 of 5 (PA สพท.1) before the final round is at risk.
- once-only items decide at their deadline: ITA O33 "ไม่ใช่" (31 Mar) and OBEC 3.2 86.4
  of 90 (30 Apr) are missed; ITA O16 (30 Nov) and O19 (29 Dec) came on 12 Jan: achieved,
  late.
- not reported: ITA O22 (personnel sent nothing, due 28 Feb: 77 days), ESA-STD 2.1
  (promotion sent no six-month report: 35 days), ESA-STD 2.3 (supervision's report was
  rejected for the level ดีเลิศ, not on the office standards' scale: 35 days).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path

import factories as fx
import openpyxl
import pytest

from tps_batch.reports import generate
from tps_batch.settings import Settings

AS_OF = dt.date(2024, 5, 15)


@pytest.fixture(scope="module")
def ws(demo_ingested: Path, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    ws = fx.copy_workspace(demo_ingested, tmp_path_factory.mktemp("ind") / "ws")
    result = generate(ws, as_of=AS_OF, formats=("xlsx", "html", "json"),
                      only=("indicators", "overdue", "handoff"))
    assert not result.failures
    return ws


def _json(ws: Settings, name: str) -> object:
    return json.loads((ws.output_dir / f"{name}.json").read_text(encoding="utf-8"))


def test_each_framework_shows_its_statuses(ws: Settings) -> None:
    items = _json(ws, "indicators")
    got = Counter((i["framework"], i["status"]) for i in items)
    assert got == {
        ("ITA", "achieved"): 6, ("ITA", "missed"): 1, ("ITA", "not_reported"): 1,
        ("ITA", "not_due"): 4,
        ("ESA-STD", "achieved"): 1, ("ESA-STD", "at_risk"): 3, ("ESA-STD", "not_reported"): 2,
        ("ESA-STD", "not_due"): 2,
        ("PA", "at_risk"): 1, ("PA", "not_due"): 2,
        ("OBEC", "missed"): 1, ("OBEC", "at_risk"): 1, ("OBEC", "on_track"): 1,
        ("OBEC", "not_due"): 4}
    by = {(i["framework"], i["code"]): i for i in items}
    assert (by["OBEC", "4.2"]["status"], by["OBEC", "4.2"]["value"]) == ("at_risk", 38.5)
    assert (by["OBEC", "4.1"]["status"], by["OBEC", "4.1"]["value"]) == ("on_track", 61.0)
    assert (by["OBEC", "3.2"]["status"], by["OBEC", "3.2"]["value"]) == ("missed", 86.4)
    assert (by["ITA", "O33"]["status"], by["ITA", "O33"]["level"]) == ("missed", "ไม่ใช่")
    assert by["ITA", "O16"]["reported_at"].startswith("2024-01-12")
    assert by["ITA", "O16"]["deadline"] == "2023-11-30" and by["ITA", "O16"]["status"] == \
        "achieved"
    assert [by[k]["status"] for k in (("ITA", "O22"), ("ESA-STD", "2.1"), ("ESA-STD", "2.3"))] \
        == ["not_reported"] * 3
    page = (ws.output_dir / "indicators.html").read_text(encoding="utf-8")
    assert page.count("(ล่าช้า)") == 2  # O16 and O19
    # the counts table: ITA's row, then its sentence
    assert "บรรลุเป้าหมาย 6 จาก 12 ตัวชี้วัด" in page
    assert "บรรลุเป้าหมาย 1 จาก 8 ตัวชี้วัด" in page


def test_overdue_lists_missing_rounds_and_results_not_entered(ws: Settings) -> None:
    items = _json(ws, "overdue")["items"]
    ind = {(i["kind"], i["indicator"], i["due"], i["days_overdue"]) for i in items
           if i["kind"].startswith("indicator-")}
    assert ind == {
        ("indicator-overdue", "ITA O22", "2024-02-28", 77),
        ("indicator-overdue", "ESA-STD 2.1", "2024-04-10", 35),
        ("indicator-overdue", "ESA-STD 2.3", "2024-04-10", 35),
        # results in but not marked entered into their system by the round's deadline
        ("indicator-not-entered", "ESA-STD 1.2", "2024-04-10", 35),
        ("indicator-not-entered", "ITA O33", "2024-03-31", 45)}
    (rejected,) = [i for i in items if i["kind"] == "rejected-not-resubmitted"
                   and "ตัวชี้วัด_supervision" in i["detail"]]
    assert rejected["group"] == "กลุ่มนิเทศ ติดตามและประเมินผลการจัดการศึกษา"


def test_the_off_scale_level_is_a_finding_at_its_cell(ws: Settings) -> None:
    manifest = json.loads((ws.workspace / "demo-manifest.json").read_text("utf-8"))
    (item,) = [p for p in manifest["indicator_planted"] if p["kind"] == "indicator-off-scale"]
    found = fx.query(ws, "select s.file_name, s.status, f.code, f.sheet, f.cell from findings f"
                         " join submissions s on s.id = f.submission_id where s.kind = "
                         "'indicator'")
    assert found == [(item["file"], "rejected", "indicator-level-off-scale", item["sheet"],
                      item["cell"])]
    statuses = fx.query(ws, "select status from submissions where kind = 'indicator'")
    assert Counter(s for (s,) in statuses) == {"accepted": 11, "rejected": 1}


def test_handoff_sheets_per_system(ws: Settings) -> None:
    page = (ws.output_dir / "handoff.html").read_text(encoding="utf-8")
    # entered, overdue, to enter, no result: ITA (O6 O10 O12 O16 O19 O36 | O33 | - | O11 O18
    # O22 O24 O27), e-MES (1.1 1.3 2.2 | 1.2 | - | 2.1 2.3 3.1 3.2), KRS (สพท.1 | - | - | 2, 3)
    for name, counts in (("ITA Online", (6, 1, 0, 5)), ("e-MES", (3, 1, 0, 4)),
                         ("KRS", (1, 0, 0, 2))):
        row = page.split(f"<tr><td>{name}", 1)[1].split("</tr>", 1)[0]
        assert [int(c.split("<")[0]) for c in row.split('<td class="num">')[1:]] == \
            list(counts), name
    assert "EMES-2567-0112" in page and "KRS-2567-0031" in page
    wb = openpyxl.load_workbook(ws.output_dir / "handoff.xlsx", read_only=True)
    assert wb.sheetnames == ["ITA", "e-MES", "KRS"]
    rows = {s: [r for r in wb[s].iter_rows(values_only=True)] for s in wb.sheetnames}
    emes = {r[0]: r for r in rows["e-MES"] if r and isinstance(r[0], str)
            and r[0].startswith("ESA-STD ")}
    assert len(emes) == 8
    entered = [r for r in emes.values() if r[-1] == "บันทึกในระบบแล้ว"]
    assert sorted(r[0] for r in entered) == ["ESA-STD 1.1", "ESA-STD 1.3", "ESA-STD 2.2"]
    one = emes["ESA-STD 1.1"]
    assert one[6] == "ดีเยี่ยม" and one[10] == "EMES-2567-0112"
    assert emes["ESA-STD 1.2"][-1] == "ยังไม่บันทึก เลยกำหนด" and emes["ESA-STD 1.2"][9] is None


def test_an_indicator_reports_receipt_names_its_group_and_round(ws: Settings) -> None:
    (path,) = fx.query(ws, "select receipt_path from submissions where file_name = "
                           "'ตัวชี้วัด_supervision_ไตรมาส2.xlsx'")
    page = (ws.workspace / path[0]).read_text(encoding="utf-8")
    assert "ใบตอบรับรายงานผลการดำเนินงานตามตัวชี้วัด" in page
    assert "ใบตอบรับรายงานผลการดำเนินงานโครงการ" not in page and "Project" not in page
    assert "<td>กลุ่มนิเทศ ติดตามและประเมินผลการจัดการศึกษา</td>" in page
    assert "<td>ไตรมาส 2</td>" in page and "indicator-level-off-scale" in page
    (project,) = fx.query(ws, "select receipt_path from submissions where kind is null "
                              "and file_name like 'P2567-01_%' and status = 'accepted' "
                              "order by id limit 1")
    assert "ใบตอบรับรายงานผลการดำเนินงานโครงการ" in (ws.workspace / project[0]).read_text(
        encoding="utf-8")
