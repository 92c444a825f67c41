"""JSON outputs: exactly the keys the README documents, and the same numbers the HTML,
Excel and PDF show, on the demo as of 15 May 2567."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import factories as fx
import openpyxl
import pytest

from tps_batch import thai
from tps_batch.reports import generate
from tps_batch.settings import load as load_settings

AS_OF = dt.date(2024, 5, 15)
# the README's keys, written out here by hand: a key added or dropped must change both
SUMMARY_KEYS = {"office", "fiscal_year", "as_of", "totals", "by_source", "by_status",
                "disbursement"}
TOTALS_KEYS = {"projects", "live", "cancelled", "reported", "completed", "allocated",
               "disbursed", "savings", "disbursed_pct"}
SOURCE_KEYS = {"source", "allocated", "disbursed", "disbursed_pct"}
DISBURSEMENT_KEYS = {"quarter", "target_percent", "rule", "by_quarter"}
QUARTER_KEYS = {"quarter", "target_percent", "disbursed_percent"}
OVERDUE_KEYS = {"kind", "group", "person", "project_code", "activity", "indicator", "due",
                "days_overdue", "detail"}
COMPLETENESS_KEYS = {"group", "period", "expected", "received", "on_time"}
LIST_KEYS = {"office", "fiscal_year", "as_of", "items"}


@pytest.fixture(scope="module")
def out(demo_ingested: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    ws = fx.copy_workspace(demo_ingested, tmp_path_factory.mktemp("json") / "ws")
    result = generate(ws, as_of=AS_OF, formats=("xlsx", "html", "json"))
    assert not result.failures
    return ws.output_dir


def _json(out: Path, name: str) -> dict[str, Any]:
    return json.loads((out / f"{name}.json").read_text(encoding="utf-8"))


def _sheet_rows(path: Path, sheet: str | None = None) -> list[dict[str, Any]]:
    """Data rows of an Excel report sheet, keyed by the English header line."""
    wb = openpyxl.load_workbook(path, data_only=True)
    ws = wb[sheet] if sheet else wb.worksheets[0]
    rows = list(ws.iter_rows(values_only=True))
    head = next(i for i, r in enumerate(rows) if r[0] in ("Group", "Period", "Item"))
    keys = rows[head]
    return [dict(zip(keys, r, strict=True)) for r in rows[head + 1:]
            if r[0] not in (None, "รวม (Total)")]


def test_json_files_have_exactly_the_documented_keys(out: Path) -> None:
    summary = _json(out, "summary")
    assert set(summary) == SUMMARY_KEYS and summary["as_of"] == "2024-05-15"
    assert set(summary["totals"]) == TOTALS_KEYS
    assert [set(s) for s in summary["by_source"]][:3] == [SOURCE_KEYS] * 3
    assert [s["source"] for s in summary["by_source"]][:3] == ["obec", "esa", "other"]
    assert all(set(s) == {"status", "count"} for s in summary["by_status"])
    assert set(summary["disbursement"]) == DISBURSEMENT_KEYS
    assert [set(q) for q in summary["disbursement"]["by_quarter"]] == [QUARTER_KEYS] * 4
    # 15 May is in Q3: the demo plan's Q3 overall target, 77 %, at the quarter's end
    assert (summary["disbursement"]["quarter"], summary["disbursement"]["target_percent"],
            summary["disbursement"]["rule"]) == (3, 77.0, "quarter-end")
    for name, keys in (("overdue", OVERDUE_KEYS), ("completeness", COMPLETENESS_KEYS)):
        doc = _json(out, name)
        assert set(doc) == LIST_KEYS and doc["items"], name
        assert all(set(i) == keys for i in doc["items"]), name


def test_overdue_html_and_excel_show_the_json_items(out: Path) -> None:
    items = _json(out, "overdue")["items"]
    page = (out / "overdue.html").read_text(encoding="utf-8")
    assert f"รวม {len(items)} รายการ" in page
    counts: dict[str, int] = {}
    for i in items:
        counts[i["group"]] = counts.get(i["group"], 0) + 1
    for group, n in counts.items():
        assert re.search(re.escape(group) + r'\s*<span class="muted">\(' + str(n) + " รายการ",
                         page), group
    rows = _sheet_rows(out / "overdue.xlsx")
    assert [(r["Group"], r["Days overdue"]) for r in rows] == \
        [(i["group"], i["days_overdue"]) for i in items]
    assert [r["Due"].date() for r in rows] == [dt.date.fromisoformat(i["due"]) for i in items]
    index = (out / "index.html").read_text(encoding="utf-8")
    assert f'<div class="n">{len(items)}</div><a href="overdue.html">' in index


def test_completeness_excel_shows_the_json_counts(out: Path) -> None:
    items = _json(out, "completeness")["items"]
    wb = openpyxl.load_workbook(out / "completeness.xlsx", read_only=True)
    got = []
    for sheet in wb.sheetnames:
        got += [(sheet, r["Group"], r["Expected"], r["Received"], r["On time"])
                for r in _sheet_rows(out / "completeness.xlsx", sheet)]
    want = [(i["period"], i["group"], i["expected"], i["received"], i["on_time"])
            for i in items]
    assert sorted(got) == sorted(want)


def test_summary_numbers_are_those_the_pages_print(out: Path) -> None:
    summary = _json(out, "summary")
    totals = summary["totals"]
    index = (out / "index.html").read_text(encoding="utf-8")
    annual = (out / "annual.html").read_text(encoding="utf-8")
    pct = f"{totals['disbursed_pct']:.2f}%"
    assert f'<div class="n">{pct}</div>' in index and pct in annual
    assert f"{thai.format_baht(totals['allocated'])} บาท" in annual
    for s in summary["by_source"]:
        cells = f'<td class="num">{thai.format_baht(s["allocated"])}</td><td class="num">' \
                f'{thai.format_baht(s["disbursed"])}</td>'
        assert cells in index and cells in annual, s["source"]
    rows = {r["Item"]: r["Value"] for r in _sheet_rows(out / "annual.xlsx", "สรุปผู้บริหาร")}
    assert rows["โครงการทั้งหมด (projects)"] == totals["projects"]
    assert rows["โครงการที่ดำเนินการ (active)"] == totals["live"]
    assert rows["รายงานแล้ว (reported)"] == totals["reported"]
    assert rows["งบประมาณที่ได้รับ (allocated, THB)"] == totals["allocated"]
    assert rows["เบิกจ่ายแล้ว (disbursed, THB)"] == totals["disbursed"]
    assert rows["ร้อยละการเบิกจ่าย (disbursed %)"] == totals["disbursed_pct"]


def test_overdue_pdf_shows_the_json_count(out: Path, tmp_path: Path) -> None:
    fx.need("pdftotext")
    ws = load_settings(out.parent.parent)
    if ws.pdf_engine == "none":
        pytest.skip("no PDF engine set")
    result = generate(ws, as_of=AS_OF, formats=("pdf",), only=("overdue",))
    if result.failures:
        pytest.skip(f"PDF engine unavailable: {result.failures[0]}")
    text = subprocess.run(["pdftotext", str(out / "overdue.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    items = _json(out, "overdue")["items"]
    assert f"รวม {len(items)} รายการ" in text


def test_the_demos_postponed_activity_is_listed_with_both_dates(out: Path) -> None:
    manifest = json.loads((out.parent.parent / "demo-manifest.json").read_text("utf-8"))
    planted = [p for p in manifest["planted"] if p["kind"] == "rescheduled"]
    assert len(planted) == 1
    p = planted[0]
    items = [i for i in _json(out, "overdue")["items"] if i["kind"] == "rescheduled"]
    assert [(i["project_code"], i["activity"], i["due"]) for i in items] == \
        [(p["project_code"], p["activity"], p["baseline_end"])]
    base, new = (dt.date.fromisoformat(p[k]) for k in ("baseline_end", "value"))
    assert thai.format_date_short(base) in items[0]["detail"]
    assert thai.format_date_short(new) in items[0]["detail"]
