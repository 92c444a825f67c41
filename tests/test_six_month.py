"""The six-month report (รายงานผลการดำเนินงานรอบ 6 เดือน): the annual report's generator with
its own title, made from the reports as they stood on the second quarter's end (31 March
2567 for FY 2567), and written only once that day has passed.

The workspace has one project, P01, that reported twice: on 20 March (data date 15 March:
20,000 baht disbursed, one activity of two done) and on 25 April (data date 20 April:
45,000 baht, both done, a new problem). Expected figures are worked out by hand from those
two workbooks and the plan (P01 50,000 from สพป.; P02 50,000 after its amendment; P03
cancelled: 100,000 allocated in all).
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from pathlib import Path

import factories as fx
import openpyxl
import pytest
from click.testing import CliRunner

from tps_batch.cli import main
from tps_batch.ingest import ingest
from tps_batch.reports import generate
from tps_batch.reports.registry import get
from tps_batch.settings import Settings

TITLE = "รายงานผลการดำเนินงานรอบ 6 เดือน"
YEAR_TITLE = "รายงานผลการดำเนินงานรอบ 6 เดือน ปีงบประมาณ พ.ศ. 2567"
HALF = "ข้อมูล ณ วันที่ 31 มีนาคม พ.ศ. 2567"
LATER_PROBLEM = "ผู้รับจ้างส่งมอบงานล่าช้าในเดือนเมษายน"
FILES = {"six-month.html", "six-month.xlsx"}


def _activities(second_done: bool) -> list[dict]:
    first, second = fx.GOOD_TABLES["activities"]
    return [dict(first, budget_spent=20000),
            dict(second, status="ดำเนินการแล้ว", actual_date=dt.date(2024, 4, 10),
                 budget_spent=25000) if second_done else dict(second, budget_spent=0)]


@pytest.fixture(scope="module")
def two_reports(tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = fx.make_workspace(tmp_path_factory.mktemp("six") / "ws")
    fx.submission(ws.path("inbox") / "p01-q2.xlsx", values={"as_of": dt.date(2024, 3, 15)},
                  tables={"budget": [{"source": "สพป.", "allocated": 50000, "disbursed": 20000}],
                          "activities": _activities(second_done=False)},
                  received=dt.datetime(2024, 3, 20, 9))
    fx.submission(ws.path("inbox") / "p01-april.xlsx", values={"as_of": dt.date(2024, 4, 20)},
                  tables={"budget": [{"source": "สพป.", "allocated": 50000, "disbursed": 45000}],
                          "activities": _activities(second_done=True),
                          "problems": [{"text": LATER_PROBLEM}]},
                  received=dt.datetime(2024, 4, 25, 9))
    assert ingest(ws).accepted == 2
    return ws.workspace


def _copy(two_reports: Path, tmp_path: Path) -> Settings:
    return fx.copy_workspace(two_reports, tmp_path / "ws")


def _section(html: str, cls: str) -> str:
    return re.search(rf'<section class="{cls}[^"]*">(.*?)</section>', html, re.S)[1]


def _summary_value(path: Path, item: str) -> object:
    sheet = openpyxl.load_workbook(path)["สรุปผู้บริหาร"]
    return next(r[1] for r in sheet.iter_rows(values_only=True) if r[0] == item)


def test_the_same_generator_with_its_own_title() -> None:
    six, annual = get("six-month"), get("annual")
    assert (six.title_th, six.title_en) == (TITLE, "Six-month report")
    assert six.template == annual.template == "annual.html"
    assert six.sheets is annual.sheets and six.formats == annual.formats
    help_text = CliRunner().invoke(main, ["report", "--help"]).output
    assert "annual, six-month," in " ".join(help_text.split())  # listed right after it
    from tps_batch.reports.registry import names
    assert names()[names().index("annual") + 1] == "six-month"


def test_six_month_shows_the_half_year_and_annual_the_latest(two_reports: Path,
                                                             tmp_path: Path) -> None:
    ws = _copy(two_reports, tmp_path)
    result = generate(ws, as_of=dt.date(2024, 5, 15), formats=("html", "xlsx"),
                      only=("annual", "six-month"))
    out = ws.output_dir
    assert {out / f for f in FILES} <= set(result.written)
    six = (out / "six-month.html").read_text("utf-8")
    annual = (out / "annual.html").read_text("utf-8")
    # the headline: P01's disbursement from the March report, of 100,000 allocated
    assert "เบิกจ่าย 20,000.00 / 100,000.00 บาท" in six and "45,000.00" not in six
    assert '<div class="n">20.00%</div>' in six
    assert "เบิกจ่าย 45,000.00 / 100,000.00 บาท" in annual
    assert '<div class="n">45.00%</div>' in annual
    # the group table: P01's progress, one activity of two done by March, both by April
    row = '<tr><td>{}</td><td class="num">1</td><td class="num">1</td><td class="num">0</td>\n'
    assert row.format(fx.GROUP_A) + '<td class="num">50.00%</td>' in six
    assert row.format(fx.GROUP_A) + '<td class="num">100.00%</td>' in annual
    assert LATER_PROBLEM in annual and LATER_PROBLEM not in six
    assert "ระยะเวลาจัดทำแผนสั้น" in six  # the March report's own problem
    # the data date shown is the half year's, not the run's
    assert HALF in six and "15 พฤษภาคม พ.ศ. 2567" not in six
    assert "ข้อมูล ณ วันที่ 15 พฤษภาคม พ.ศ. 2567" in annual
    # the workbook: the same sheets, the half year's figures and date
    assert _summary_value(out / "six-month.xlsx", "เบิกจ่ายแล้ว (disbursed, THB)") == 20000
    assert _summary_value(out / "annual.xlsx", "เบิกจ่ายแล้ว (disbursed, THB)") == 45000
    sub = openpyxl.load_workbook(out / "six-month.xlsx")["สรุปผู้บริหาร"]["A2"].value
    assert "ข้อมูล ณ วันที่ 31 มี.ค. 2567" in sub and TITLE in sub


def test_cover_and_preface_say_the_title_once(two_reports: Path, tmp_path: Path) -> None:
    ws = _copy(two_reports, tmp_path)
    generate(ws, as_of=dt.date(2024, 5, 15), formats=("html",), only=("annual", "six-month"))
    six = (ws.output_dir / "six-month.html").read_text("utf-8")
    cover = _section(six, "cover")
    title = re.search(r'<p class="title">(.*?)</p>', cover)[1]
    assert title == f'{TITLE}<br><span class="nw">ปีงบประมาณ พ.ศ. 2567</span>'
    assert cover.count(TITLE) == 1 and "ประจำปีงบประมาณ" not in cover
    assert "Six-month report" not in cover and HALF in cover
    preface = _section(six, "preface")
    assert preface.count(TITLE) == 1
    assert f"<p>{YEAR_TITLE} ฉบับนี้" in preface
    assert "1 ตุลาคม พ.ศ. 2566 ถึง 31 มีนาคม พ.ศ. 2567" in preface
    assert "ประจำปีงบประมาณ" not in preface and "รายงานผลการดำเนินงานประจำปี" not in preface
    assert f"<h1>{YEAR_TITLE} (Six-month report)</h1>" in six
    assert f"<title>{YEAR_TITLE} (Six-month report) — สพป.ทดสอบ เขต 1</title>" in six
    # the annual report's cover, the same template: Thai only, the fiscal year once
    annual = (ws.output_dir / "annual.html").read_text("utf-8")
    cover = _section(annual, "cover")
    assert re.search(r'<p class="title">(.*?)</p>', cover)[1] == (
        'รายงานผลการดำเนินงาน<br><span class="nw">ประจำปีงบประมาณ พ.ศ. 2567</span>')
    assert "<p>รายงานผลการดำเนินงานประจำปีงบประมาณ พ.ศ. 2567 ฉบับนี้" in _section(annual,
                                                                                 "preface")


def test_nothing_before_the_half_year_has_passed(two_reports: Path, tmp_path: Path) -> None:
    ws = _copy(two_reports, tmp_path)
    for day in (dt.date(2024, 3, 20), dt.date(2024, 3, 31)):
        result = generate(ws, as_of=day, formats=("html", "xlsx", "pdf"),
                          only=("six-month", "dashboard"))
        assert not [p for p in result.written if p.stem == "six-month"], day
        assert not list(ws.output_dir.glob("six-month*")), day
        assert get("six-month").files(ws.output_dir) == []
        index = (ws.output_dir / "index.html").read_text("utf-8")
        assert "six-month" not in index and TITLE not in index
        assert result.not_yet == ["six-month"]
    # and the command says why it wrote nothing for it
    out = CliRunner().invoke(main, ["report", "-w", str(ws.workspace), "--as-of", "2024-03-31",
                                    "--format", "html", "--only", "six-month"])
    assert out.exit_code == 0, out.output
    assert f"{TITLE}: ยังไม่เขียน เพราะรอบของรายงานยังไม่สิ้นสุด" in out.output
    assert "Six-month report: not written, its period has not ended" in out.output
    # the day after the second quarter's end: written, and the dashboard links it
    generate(ws, as_of=dt.date(2024, 4, 1), formats=("html", "xlsx"),
             only=("six-month", "dashboard"))
    assert {p.name for p in ws.output_dir.glob("six-month*")} == FILES
    index = (ws.output_dir / "index.html").read_text("utf-8")
    assert 'href="six-month.html"' in index and 'href="six-month.xlsx"' in index
    assert f"{TITLE} (Six-month report)" in index
    assert "เบิกจ่าย 20,000.00 / 100,000.00 บาท" in (
        ws.output_dir / "six-month.html").read_text("utf-8")


def test_pdf_title_header_contents_and_bookmarks(two_reports: Path, tmp_path: Path) -> None:
    from tests.test_pdf import need_chromium
    from tests.test_pdf_demo import outline, page_text

    need_chromium()
    fx.need("pdfinfo")
    ws = _copy(two_reports, tmp_path)
    result = generate(ws, as_of=dt.date(2024, 5, 15), formats=("pdf",), only=("six-month",))
    assert not result.failures, result.failures
    pdf = ws.output_dir / "six-month.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True,
                          check=True).stdout
    assert f"Title:           {YEAR_TITLE} — สพป.ทดสอบ เขต 1" in info
    cover = " ".join(page_text(pdf, 1).split())
    assert cover.count(TITLE) == 1 and "ประจำปี" not in cover and HALF in cover
    preface = " ".join(page_text(pdf, 2).split())
    assert preface.count(YEAR_TITLE) == 2  # the running header, then the คำนำ's first line
    assert f"สพป.ทดสอบ เขต 1 {YEAR_TITLE} {HALF}" in preface  # the running header
    # the สารบัญ's numbers are the chapters' bookmarks, as in the annual report
    marks = outline(pdf)
    chapters = {" ".join(t.split()): page for level, t, page in marks if level == 1}
    assert len(chapters) == 8 and next(iter(chapters)) == "คำนำ"
    toc_page = next(n for n in range(2, 6) if "สารบัญ" in page_text(pdf, n).splitlines())
    entries = {}
    for line in page_text(pdf, toc_page).splitlines():
        m = re.fullmatch(r"((?:คำนำ|บทที่|ภาคผนวก).*?)\s+(\d+)", line.strip())
        if m:
            entries[" ".join(m[1].split())] = int(m[2])
    assert entries == chapters
    for title, page in entries.items():
        assert title in " ".join(page_text(pdf, page).split()), (title, page)
    assert [(level, t) for level, t, _ in marks if level == 2] == [
        (2, f"1. {fx.GOOD_VALUES['project_name']}")]


P02 = {"project_code": "P02", "project_name": "นิเทศ ติดตามการจัดการเรียนรู้",
       "group": fx.GROUP_B, "owner": "นายสมชาย รักเรียน",
       "planned_start": dt.date(2023, 11, 1), "planned_end": dt.date(2024, 8, 31),
       "as_of": dt.date(2024, 3, 29)}


def test_a_report_on_the_half_year_sent_in_april_counts(two_reports: Path,
                                                        tmp_path: Path) -> None:
    """Reports on the quarter to 31 March are sent in April: P02's, data date 29 March,
    received 5 April, is in the six-month report (20,000 + 10,000 of 100,000), while
    P01's April report (data date 20 April) is not."""
    ws = _copy(two_reports, tmp_path)
    fx.submission(ws.path("inbox") / "p02-q2.xlsx", values=P02,
                  tables={"budget": [{"source": "สพป.", "allocated": 50000,
                                      "disbursed": 10000}],
                          "indicators": [{"framework": "ESA-STD", "code": "2.1"}]},
                  received=dt.datetime(2024, 4, 5, 9))
    stored = ingest(ws)  # (a warning: its activities' spending differs from its budget)
    assert (stored.accepted + stored.warnings, stored.rejected) == (1, 0)
    generate(ws, as_of=dt.date(2024, 5, 15), formats=("html", "xlsx"),
             only=("annual", "six-month"))
    six = (ws.output_dir / "six-month.html").read_text("utf-8")
    assert "เบิกจ่าย 30,000.00 / 100,000.00 บาท" in six
    assert '<div class="n">30.00%</div>' in six and LATER_PROBLEM not in six
    assert "คิดเป็นร้อยละ 30.00 (เป้าหมายสะสมไตรมาส" in six  # held to the half year's target
    annual = (ws.output_dir / "annual.html").read_text("utf-8")
    assert "เบิกจ่าย 55,000.00 / 100,000.00 บาท" in annual
    assert _summary_value(ws.output_dir / "six-month.xlsx", "เบิกจ่ายแล้ว (disbursed, THB)") == 30000
    # as of 4 April (P02's report not yet received) the half year is P01's March report
    early = generate(ws, as_of=dt.date(2024, 4, 4), formats=("html",), only=("six-month",))
    page = next(p for p in early.written if p.name == "six-month.html").read_text("utf-8")
    assert "เบิกจ่าย 20,000.00 / 100,000.00 บาท" in page
