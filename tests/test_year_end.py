"""Year end, by hand: what the overdue list, completeness and the summary must say on
20 Oct 2567 (2024) for a small office whose year holds every case the rules cover.

FY 2567 runs 1 Oct 2023 – 30 Sep 2024. The plan (the factories' plan, plus P04 and a Q3
period) and the reports sent in:

- P01 (กลุ่มนโยบายและแผน, 50,000 from สพป.): Q1 report on time; a Q3 report (data 30 Jun)
  that postpones "จัดพิมพ์และเผยแพร่แผน" (baseline end 29 Feb) to 30 Sep with a reason,
  and no longer names "ประชุมชี้แจงแผน"; 28,750.50 disbursed; no final report.
- P02 (กลุ่มนิเทศฯ, 50,000 from สพป. by the plan's amendment): Q1 report, then a final report
  filed mid-year (data 31 Mar, received 5 Apr): completed, 45,420 disbursed, 4,580 saved.
- P03: cancelled in the plan. P04: cancelled by its own report.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import factories as fx
import pytest

from tps_batch.ingest import ingest
from tps_batch.plan import write_plan
from tps_batch.reports import generate
from tps_batch.reports.completeness import completeness_rows
from tps_batch.reports.data import load
from tps_batch.reports.overdue import overdue_rows
from tps_batch.reports.summary import headline

YEAR_END = dt.date(2024, 10, 20)
A, B = fx.GROUP_A, fx.GROUP_B
P01_OWNER, P02_OWNER = "นางสาวสมศรี ใจดี", "นายสมชาย รักเรียน"
P02 = {"project_code": "P02", "project_name": "นิเทศ ติดตามการจัดการเรียนรู้", "group": B,
       "owner": P02_OWNER, "planned_start": dt.date(2023, 11, 1),
       "planned_end": dt.date(2024, 8, 31), "reporter_name": P02_OWNER}
BRIEFING = {"name": "ประชุมชี้แจงแผน", "planned_start": dt.date(2023, 12, 1),
            "planned_end": dt.date(2023, 12, 15), "actual_date": dt.date(2023, 12, 5),
            "target_planned": 40, "target_reached": 38, "status": "ดำเนินการแล้ว",
            "budget_planned": 0, "budget_spent": 0, "result": "ชี้แจงแล้ว"}


def _plan() -> dict[str, list[dict[str, Any]]]:
    rows = copy.deepcopy(fx.PLAN_ROWS)
    rows["projects"].append({**rows["projects"][1], "code": "P04", "name": "อบรมครูแกนนำ",
                             "budget_obec": 30000, "planned_start": dt.date(2023, 10, 1),
                             "planned_end": dt.date(2024, 3, 31)})
    rows["calendar"].insert(1, {"fiscal_year": fx.FY, "period": "ไตรมาส 3",
                                "kind": "รายงานความก้าวหน้า",
                                "period_end": dt.date(2024, 6, 30), "due": dt.date(2024, 7, 10)})
    return rows


def _p02_activities(final: bool) -> list[dict[str, Any]]:
    return [{"name": "นิเทศโรงเรียนกลุ่มที่ 1", "planned_start": dt.date(2023, 11, 1),
             "planned_end": dt.date(2023, 12, 20), "actual_date": dt.date(2023, 11, 6),
             "target_planned": 40, "target_reached": 40, "status": "ดำเนินการแล้ว",
             "budget_planned": 25000, "budget_spent": 22710, "result": "นิเทศครบ 40 โรง"},
            {"name": "นิเทศโรงเรียนกลุ่มที่ 2", "planned_start": dt.date(2024, 1, 8),
             "planned_end": dt.date(2024, 3, 29), "actual_date": dt.date(2024, 1, 8),
             "target_planned": 40, "target_reached": 41 if final else None,
             "status": "ดำเนินการแล้ว" if final else "ยังไม่ดำเนินการ",
             "budget_planned": 25000, "budget_spent": 22710 if final else 0,
             "result": "นิเทศครบ 41 โรง" if final else None}]


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory):
    ws = fx.make_workspace(tmp_path_factory.mktemp("yearend") / "ws")
    write_plan(ws.path("plan"), _plan())
    inbox = ws.path("inbox")
    q1_acts = [BRIEFING, *fx.GOOD_TABLES["activities"]]
    fx.submission(inbox / "p01-q1.xlsx", received=dt.datetime(2024, 1, 10, 9),
                  values={"as_of": dt.date(2023, 12, 31)}, tables={"activities": q1_acts})
    moved = copy.deepcopy(fx.GOOD_TABLES["activities"])
    moved[1].update(planned_end=dt.date(2024, 9, 30), status="เลื่อนการดำเนินการ",
                    remarks="รอจัดสรรงบประมาณงวดที่ 2")
    fx.submission(inbox / "p01-q3.xlsx", received=dt.datetime(2024, 7, 5, 9),
                  values={"as_of": dt.date(2024, 6, 30)}, tables={"activities": moved})
    budget = [{"source": "สพป.", "allocated": 50000, "disbursed": 22710}]
    fx.submission(inbox / "p02-q1.xlsx", received=dt.datetime(2024, 1, 12, 9),
                  values={**P02, "as_of": dt.date(2023, 12, 31)},
                  tables={"activities": _p02_activities(False), "budget": budget,
                          "indicators": [{"framework": "ESA-STD", "code": "2.1"}]})
    fx.submission(inbox / "p02-final.xlsx", received=dt.datetime(2024, 4, 5, 9),
                  values={**P02, "as_of": dt.date(2024, 3, 31),
                          "report_kind": "รายงานฉบับสมบูรณ์", "status": "ดำเนินการแล้วเสร็จ"},
                  tables={"activities": _p02_activities(True),
                          "budget": [{"source": "สพป.", "allocated": 50000,
                                      "disbursed": 45420}],
                          "indicators": [{"framework": "ESA-STD", "code": "2.1"}]})
    fx.submission(inbox / "p04.xlsx", received=dt.datetime(2024, 1, 15, 9),
                  values={**P02, "project_code": "P04", "project_name": "อบรมครูแกนนำ",
                          "as_of": dt.date(2024, 1, 15), "status": "ยกเลิกโครงการ",
                          "planned_start": dt.date(2023, 10, 1),
                          "planned_end": dt.date(2024, 3, 31)},
                  tables={"activities": [], "budget": [{"source": "สพฐ.", "allocated": 30000,
                                                        "disbursed": 0}], "indicators": []})
    got = ingest(ws)
    assert (got.accepted + got.warnings, got.rejected) == (5, 0), fx.query(
        ws, "select file_name, code, message_en from findings join submissions "
            "on submissions.id = findings.submission_id")
    return ws


def test_year_end_overdue_list_is_exactly_these_items(ws) -> None:
    got = overdue_rows(load(ws, YEAR_END))
    items = sorted((r["kind"], r["group"], r["person"], r["project_code"], r["item"],
                    r["due"], r["days_overdue"]) for r in got.to_dict("records"))
    office = "ภาพรวมสำนักงาน (office)"
    assert items == sorted([
        # the postponed activity stays, dated from its baseline (29 Feb → 20 Oct: 234 days)
        ("rescheduled", A, P01_OWNER, "P01", "จัดพิมพ์และเผยแพร่แผน", dt.date(2024, 2, 29), 234),
        # named in the Q1 report, gone from the Q3 one (data date 30 Jun: 112 days)
        ("activity-removed", A, P01_OWNER, "P01", "ประชุมชี้แจงแผน", dt.date(2024, 6, 30), 112),
        ("no-final-report", A, P01_OWNER, "P01", "รายงานฉบับสมบูรณ์", dt.date(2024, 9, 30), 20),
        ("missing-report", A, P01_OWNER, "P01", "สิ้นปีงบประมาณ", dt.date(2024, 10, 15), 5),
        # Q4's 94 %: P01 at 57.50 %; its group the same; the office at 74,170.50 / 95,420
        ("disbursement-behind", A, P01_OWNER, "P01", "ไตรมาส 4 ≥ 94%", dt.date(2024, 9, 30), 20),
        ("disbursement-behind", A, "นางวางแผน ดีเลิศ", "", "ภาพรวมกลุ่ม ไตรมาส 4 ≥ 94%",
         dt.date(2024, 9, 30), 20),
        ("disbursement-behind", office, "-", "", "ภาพรวมสำนักงาน ไตรมาส 4 ≥ 94%",
         dt.date(2024, 9, 30), 20),
        # no indicator result report for either indicator's one round: overdue for the
        # owner group's head (31 Jan → 20 Oct: 263 days; 15 Sep → 20 Oct: 35 days)
        ("indicator-overdue", A, "นางวางแผน ดีเลิศ", "ITA O10", "รายงานผลตัวชี้วัด",
         dt.date(2024, 1, 31), 263),
        ("indicator-overdue", B, "นายนิเทศ ตั้งใจ", "ESA-STD 2.1", "รายงานผลตัวชี้วัด",
         dt.date(2024, 9, 15), 35),
    ])
    details = {(r["kind"], r["project_code"], r["group"]): r["detail"]
               for r in got.to_dict("records")}
    assert details[("disbursement-behind", "P01", A)] == "57.50%"
    assert details[("disbursement-behind", "", office)] == "77.73%"
    moved = details[("rescheduled", "P01", A)]
    assert "29 ก.พ. 2567" in moved and "30 ก.ย. 2567" in moved and "1 ครั้ง" in moved
    assert "รอจัดสรรงบประมาณงวดที่ 2" in moved


def test_year_end_completeness_counts_the_mid_year_final_report(ws) -> None:
    rows = completeness_rows(load(ws, YEAR_END))
    total = {r["period"]: (r["expected"], r["received"], r["on_time"])
             for r in rows.to_dict("records") if r["group"].startswith("รวม")}
    # P04 (cancelled by its report) and P03 (by the plan) are expected nowhere
    assert total == {"ไตรมาส 1": (2, 2, 2), "ไตรมาส 3": (2, 2, 2), "สิ้นปีงบประมาณ": (2, 1, 1)}
    group_b = {r["period"]: (r["expected"], r["received"], r["on_time"])
               for r in rows.to_dict("records") if r["group"] == B}
    assert group_b == {"ไตรมาส 1": (1, 1, 1), "ไตรมาส 3": (1, 1, 1),
                       "สิ้นปีงบประมาณ": (1, 1, 1)}


def test_year_end_summary_counts_savings_and_leaves_cancelled_out(ws) -> None:
    head = headline(load(ws, YEAR_END))
    assert (head["projects"], head["live"], head["cancelled"], head["completed"]) == (4, 2, 2, 1)
    assert (head["allocated"], head["disbursed"], head["savings"]) == (100000.0, 74170.5, 4580.0)
    assert head["disbursed_pct"] == 77.73  # 74,170.50 / (100,000 − 4,580)
    sources = {s["source"]: (s["allocated"], s["disbursed"]) for s in head["sources"]}
    # P02's สพฐ. 120,000 was amended to 0 and P04's 30,000 is cancelled: nothing from สพฐ.
    assert sources == {"obec": (0.0, 0.0), "esa": (100000.0, 74170.5), "other": (0.0, 0.0)}


def test_default_as_of_is_the_years_end_and_a_back_dated_run_has_its_own_folder(
        ws, tmp_path: Path) -> None:
    import shutil

    from tps_batch.settings import load as load_settings

    shutil.copytree(ws.workspace, tmp_path / "ws")
    ws = load_settings(tmp_path / "ws")
    generate(ws, formats=("html", "json"), only=("overdue", "summary"))  # today: 2026 or later
    latest = ws.output_dir
    summary = json.loads((latest / "summary.json").read_text("utf-8"))
    assert summary["as_of"] == "2024-09-30"
    assert "30 กันยายน พ.ศ. 2567" in (latest / "overdue.html").read_text("utf-8")
    before = {p.name: p.read_bytes() for p in latest.iterdir() if p.is_file()}
    result = generate(ws, as_of=dt.date(2024, 5, 15), formats=("html", "json"),
                      only=("overdue", "summary"))
    past = latest / "as-of-2024-05-15"
    assert {p.parent for p in result.written} == {past}
    assert json.loads((past / "summary.json").read_text("utf-8"))["as_of"] == "2024-05-15"
    assert {p.name: p.read_bytes() for p in latest.iterdir() if p.is_file()} == before


def test_on_15_may_disbursement_is_held_to_q3(ws) -> None:
    """15 May is in Q3: the Q3 target (77 %), not Q2's 54 %; pro-rated it is 54 + 23 × 45/91
    (1 Apr – 15 May is 45 of Q3's 91 days) = 65.37 %, due that very day."""
    from tps_batch.reports.overdue import disbursement_target

    data = load(ws, dt.date(2024, 5, 15))
    end = disbursement_target(data, None)
    assert (end["quarter"], end["percent"], end["due"], end["rule"]) == \
        (3, 77.0, dt.date(2024, 6, 30), "quarter-end")
    data.target_rule = "pro-rated"
    pro = disbursement_target(data, None)
    assert (pro["quarter"], pro["percent"], pro["due"], pro["rule"]) == \
        (3, 65.37, dt.date(2024, 5, 15), "pro-rated")
    head = headline(data)
    assert head["target_rule"] == "pro-rated" and "pro-rated" in head["target_rule_th"]


def test_due_soon_says_the_real_days_left(ws) -> None:
    """ESA-STD 2.1 is due 15 Sep: on 5 Sep it is 10 days away, within the 14-day window."""
    from tps_batch.reports.indicators import indicator_rows

    data = load(ws, dt.date(2024, 9, 5))
    row = next(r for r in indicator_rows(data) if r["code"] == "2.1")
    assert (row["deadline_status"], row["deadline_status_th"]) == \
        ("coming", "ใกล้ถึงกำหนด (อีก 10 วัน)")
    data.due_soon_days = 7  # the setting narrows the window: 10 days away is not yet "soon"
    row = next(r for r in indicator_rows(data) if r["code"] == "2.1")
    assert row["deadline_status"] == "pending"


def test_excel_counts_are_whole_numbers_and_rates_fractions(ws, tmp_path: Path) -> None:
    import shutil

    import openpyxl

    from tps_batch.settings import load as load_settings

    shutil.copytree(ws.workspace, tmp_path / "ws")
    ws = load_settings(tmp_path / "ws")
    generate(ws, as_of=YEAR_END, formats=("xlsx",), only=("annual", "completeness"))
    sheet = openpyxl.load_workbook(ws.output_dir / "annual.xlsx")["สรุปผู้บริหาร"]
    cells = {r[0].value: r[1] for r in sheet.iter_rows() if r[0].value}
    assert cells["โครงการทั้งหมด (projects)"].value == 4
    assert cells["โครงการทั้งหมด (projects)"].number_format == "#,##0"
    book = openpyxl.load_workbook(ws.output_dir / "completeness.xlsx")
    rows = [r for r in book["สิ้นปีงบประมาณ"].iter_rows() if r[1].value == B]
    rate = rows[0][5]  # group B: 1 of 1 received
    assert rate.value == 1.0 and rate.number_format == "0.00%"
    assert book["สิ้นปีงบประมาณ"]["A1"].value.count("ความครบถ้วน") == 1  # one title
