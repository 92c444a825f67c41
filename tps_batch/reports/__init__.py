"""``tps report``: every director's report from the dataset and the plan, as of a date.

Aggregation lives in one module per report (indicators, overdue, completeness, summary);
this module only renders: HTML through jinja2 (autoescaped), Excel through
:mod:`tps_batch.excel_report`, PDF through :mod:`tps_batch.pdf` from the same HTML.
Per-project pages are re-rendered only when their input changed (submission hash,
plan row, templates, engine), which keeps a nightly run fast as the year fills up.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tps_batch import thai
from tps_batch.atomic import atomic_path
from tps_batch.errors import TpsError
from tps_batch.reports import charts
from tps_batch.reports.completeness import completeness_rows
from tps_batch.reports.data import ReportData, load
from tps_batch.reports.indicators import indicator_rows
from tps_batch.reports.overdue import KINDS, overdue_rows
from tps_batch.reports.project import project_context
from tps_batch.reports.sheets import (
    annual_sheets,
    completeness_sheets,
    indicator_sheets,
    overdue_sheets,
)
from tps_batch.reports.summary import by_group, headline, quarterly_disbursement, status_counts
from tps_batch.settings import Settings

REPORTS = ("indicators", "overdue", "completeness", "projects", "annual", "dashboard")
FORMATS = ("xlsx", "html", "pdf")
TITLES = {
    "indicators": "สรุปผลตามตัวชี้วัด (Indicator summary)",
    "overdue": "รายการที่เลยกำหนด (Overdue list)",
    "completeness": "ความครบถ้วนและทันเวลาของการรายงาน (Completeness and timeliness)",
    "annual": "รายงานผลการดำเนินงานประจำปีงบประมาณ (Annual report)",
    "dashboard": "ภาพรวมการดำเนินงาน (Dashboard)",
}


@dataclass
class ReportResult:
    written: list[Path] = field(default_factory=list)
    skipped: int = 0            # per-project pages unchanged since the last run
    failures: list[str] = field(default_factory=list)
    dashboard: Path | None = None


def _html(name: str, out: Path, **context: Any) -> str:
    from tps_batch.render import render_html

    html = render_html(name, **context)
    with atomic_path(out) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return html


class _Writer:
    """Writes one report in the requested formats and records what happened."""

    def __init__(self, ws: Settings, data: ReportData, formats: set[str], result: ReportResult):
        self.ws, self.data, self.formats, self.result = ws, data, formats, result
        self.out = ws.output_dir
        self.base = {"office_name": data.office_name, "fiscal_year": data.fiscal_year,
                     "as_of": data.as_of, "as_of_text": data.as_of_text, "pdf": False,
                     "kinds": KINDS}

    def html_pdf(self, template: str, stem: Path, title: str, **context: Any) -> None:
        ctx = {**self.base, "title": title, **context}
        if "html" in self.formats:
            _html(template, stem.with_suffix(".html"), **ctx)
            self.result.written.append(stem.with_suffix(".html"))
        if "pdf" in self.formats:
            self.pdf(template, stem.with_suffix(".pdf"), title, ctx)

    def pdf(self, template: str, path: Path, title: str, ctx: dict[str, Any]) -> bool:
        from tps_batch.pdf import render_pdf
        from tps_batch.render import render_html

        engine = self.ws.pdf_engine
        if engine == "none":
            return False
        try:
            render_pdf(render_html(template, **{**ctx, "pdf": True}), path, engine=engine,
                       title=title, office_name=self.data.office_name,
                       as_of_text=f"ข้อมูล ณ วันที่ {ctx['as_of_text']}")
        except TpsError as exc:
            self.result.failures.append(f"{path.name}: {exc.message_th} ({exc.message_en})")
            return False
        self.result.written.append(path)
        return True

    def xlsx(self, name: str, sheets: list[Any]) -> None:
        if "xlsx" not in self.formats:
            return
        from tps_batch.excel_report import write_excel

        path = self.out / f"{name}.xlsx"
        write_excel(path, sheets, office_name=self.data.office_name,
                    report_title=TITLES[name].split(" (")[0], as_of=self.data.as_of)
        self.result.written.append(path)


def generate(ws: Settings, *, as_of: dt.date | None = None,
             formats: tuple[str, ...] = FORMATS, only: tuple[str, ...] = ()) -> ReportResult:
    """Write the reports named in ``only`` (default: all) under ``output/<fiscal year>/``."""
    as_of = as_of or dt.date.today()
    unknown = [n for n in only if n not in REPORTS]
    if unknown:
        raise TpsError(f"ไม่รู้จักรายงาน {', '.join(unknown)}",
                       f"unknown report(s) {', '.join(unknown)}; choose from {', '.join(REPORTS)}",
                       exit_code=2)
    data = load(ws, as_of)
    result = ReportResult()
    w = _Writer(ws, data, set(formats), result)
    wanted = set(only or REPORTS)
    indicators = indicator_rows(data)
    overdue = overdue_rows(data)
    completeness = completeness_rows(data)
    if "indicators" in wanted:
        w.html_pdf("indicators.html", w.out / "indicators", TITLES["indicators"],
                   frameworks=_by_framework(indicators))
        w.xlsx("indicators", indicator_sheets(indicators))
    if "overdue" in wanted:
        w.html_pdf("overdue.html", w.out / "overdue", TITLES["overdue"],
                   groups=_overdue_groups(overdue), total=len(overdue))
        w.xlsx("overdue", overdue_sheets(overdue))
    if "completeness" in wanted:
        w.html_pdf("completeness.html", w.out / "completeness", TITLES["completeness"],
                   periods=_periods(completeness))
        w.xlsx("completeness", completeness_sheets(completeness))
    if "projects" in wanted:
        _projects(w, data)
    head, groups, statuses = headline(data), by_group(data), status_counts(data)
    quarters = quarterly_disbursement(data)
    figures = _figures(statuses, quarters, overdue, completeness, groups)
    if "annual" in wanted:
        projects = [project_context(data, code) for code in data.projects["code"]
                    if code in set(data.table("projects")["project_code"])]
        w.html_pdf("annual.html", w.out / "annual", TITLES["annual"], head=head,
                   groups=groups, statuses=statuses, indicators=_by_framework(indicators),
                   quarters=quarters, projects=projects, figures=figures,
                   problems=_problems_by_group(data))
        w.xlsx("annual", annual_sheets(data, head, groups, statuses, indicators, quarters))
    if "dashboard" in wanted and "html" in formats:
        result.dashboard = w.out / "index.html"
        _html("dashboard.html", result.dashboard, **w.base, title=TITLES["dashboard"],
              head=head, figures=figures, links=_links(w.out), receipts=_receipts(ws, data),
              overdue_total=len(overdue))
        result.written.append(result.dashboard)
    return result


def _by_framework(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        out.setdefault(r["framework"], {"code": r["framework"], "name": r["framework_name"],
                                        "rows": []})["rows"].append(r)
    return list(out.values())


def _overdue_groups(frame: Any) -> list[dict[str, Any]]:
    groups: list[dict[str, Any]] = []
    for group, g in (frame.groupby("group", sort=False) if len(frame) else []):
        people = [{"person": p, "rows": rows.to_dict("records")}
                  for p, rows in g.groupby("person", sort=False)]
        groups.append({"group": group, "count": len(g), "people": people})
    return groups


def _periods(frame: Any) -> list[dict[str, Any]]:
    out = []
    for period, g in (frame.groupby("period", sort=False) if len(frame) else []):
        rows = g.to_dict("records")
        groups = [r for r in rows if not r["group"].startswith("รวม")]
        out.append({"period": period, "rows": rows, "due": rows[0]["due"],
                    "chart": charts.bar_chart(
                        f"อัตราการส่งรายงาน {period} (%)", [r["group"] for r in groups],
                        [("ส่งแล้ว (received)", [r["rate"] or 0.0 for r in groups]),
                         ("ทันกำหนด (on time)", [r["on_time_rate"] or 0.0 for r in groups])],
                        unit="%", max_value=100)})
    return out


def _figures(statuses: list[dict[str, Any]], quarters: list[dict[str, Any]], overdue: Any,
             completeness: Any, groups: list[dict[str, Any]]) -> dict[str, Any]:
    shown = [s for s in statuses if s["count"]]
    counts = overdue.groupby("group").size().to_dict() if len(overdue) else {}
    latest = completeness[completeness["period"] == completeness["period"].iloc[-1]] \
        if len(completeness) else completeness
    latest_rows = [r for r in (latest.to_dict("records") if len(latest) else [])
                   if not r["group"].startswith("รวม")]
    names = [g["group"] for g in groups]
    return {
        "status": charts.bar_chart("โครงการตามสถานะ (projects by status)",
                                   [s["status"] for s in shown],
                                   [("จำนวนโครงการ", [float(s["count"]) for s in shown])]),
        "disbursement": charts.bar_chart(
            "การเบิกจ่ายสะสมเทียบเป้าหมาย (disbursement vs target, %)",
            [q["quarter"] for q in quarters],
            [("เบิกจ่ายสะสม (actual)", [q["actual"] or 0.0 for q in quarters])],
            unit="%", max_value=100, marker=[q["target"] for q in quarters]),
        "overdue": charts.bar_chart("รายการเลยกำหนดตามกลุ่ม (overdue items by group)", names,
                                    [("รายการ", [float(counts.get(n, 0)) for n in names])]),
        "completeness": charts.bar_chart(
            "อัตราการส่งรายงานงวดล่าสุด (reporting rate, latest period, %)",
            [r["group"] for r in latest_rows],
            [("ส่งแล้ว", [r["rate"] or 0.0 for r in latest_rows]),
             ("ทันกำหนด", [r["on_time_rate"] or 0.0 for r in latest_rows])],
            unit="%", max_value=100),
    }


def _problems_by_group(data: ReportData) -> list[dict[str, Any]]:
    out = []
    for g in data.plan.groups:
        codes = set(data.projects[data.projects["group"] == g["name"]]["code"])
        items = {k: [r for r in data.table(k).to_dict("records") if r["project_code"] in codes]
                 for k in ("problems", "suggestions")}
        if items["problems"] or items["suggestions"]:
            out.append({"group": g["name"], **items})
    return out


def _links(out: Path) -> list[dict[str, Any]]:
    links = []
    for name in ("indicators", "overdue", "completeness", "annual"):
        files = [f"{name}.{ext}" for ext in ("html", "xlsx", "pdf") if (out / f"{name}.{ext}")
                 .exists()]
        if files:
            links.append({"title": TITLES[name], "files": files})
    return links


def _receipts(ws: Settings, data: ReportData) -> list[dict[str, Any]]:
    subs = data.submissions
    out = []
    for r in subs.sort_values("id", ascending=False).to_dict("records") if len(subs) else []:
        if r["receipt_path"]:
            out.append({**r, "href": os.path.relpath(ws.workspace / r["receipt_path"],
                                                     ws.output_dir),
                        "received": thai.format_date_short(r["received_at"].date())})
    return out


def _projects(w: _Writer, data: ReportData) -> None:
    """Per-project form pages, re-rendered only when their inputs changed."""
    from tps_batch.render import templates_dir

    folder = w.out / "projects"
    cache_path = folder / ".render-cache.json"
    try:
        cache = json.loads(cache_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        cache = {}
    tpl = hashlib.sha256(b"".join(p.read_bytes() for p in sorted(templates_dir().glob("*"))
                                  if p.is_file())).hexdigest()[:16]
    reported = set(data.table("projects")["project_code"])
    for p in data.projects.to_dict("records"):
        if p["code"] not in reported:
            continue
        key = hashlib.sha256(json.dumps([p["sha256"], data.office_name, w.ws.pdf_engine, tpl,
                                         p["name"], p["group"], p["owner"], sorted(w.formats)],
                                        ensure_ascii=False).encode()).hexdigest()
        stem = folder / _safe(p["code"])
        outputs = [stem.with_suffix(f".{f}") for f in ("html", "pdf") if f in w.formats]
        if cache.get(p["code"]) == key and all(o.exists() for o in outputs):
            w.result.skipped += 1
            continue
        before = len(w.result.failures)
        project = project_context(data, p["code"])
        # the page shows the report's own data date, not today's: unchanged input, same page
        w.html_pdf("project.html", stem, f"รายงานผลการดำเนินงานโครงการ {p['code']}",
                   project=project, as_of_text=thai.format_date_long(project["as_of"]))
        if len(w.result.failures) == before:
            cache[p["code"]] = key
    with atomic_path(cache_path) as tmp:
        tmp.write_text(json.dumps(cache, ensure_ascii=False, indent=0, sort_keys=True),
                       encoding="utf-8")


def _safe(code: str) -> str:
    from tps_batch.workspace import safe_name

    return safe_name(code, 60)
