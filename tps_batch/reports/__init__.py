"""``tps report``: every director's report from the dataset and the plan, as of a date.

Which reports exist is declared once, at the end of this module, in the registry
(:mod:`tps_batch.reports.registry`); ``generate``, ``--only``/``--help`` and the dashboard
iterate it. Aggregation lives in one module per report (indicators, overdue,
completeness, summary); this module only renders: HTML through jinja2 (autoescaped),
Excel through :mod:`tps_batch.excel_report`, PDF through :mod:`tps_batch.pdf` from the
same HTML. Per-project pages are re-rendered only when their input changed (submission
hash, plan row, templates, engine), which keeps a nightly run fast as the year fills up.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import json
import os
import pkgutil
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from tps_batch import thai
from tps_batch.atomic import atomic_path
from tps_batch.errors import TpsError
from tps_batch.progress import terminal_progress
from tps_batch.reports import charts
from tps_batch.reports.completeness import completeness_json, completeness_rows
from tps_batch.reports.data import ReportData, default_as_of, load
from tps_batch.reports.document import annual_document, document_title
from tps_batch.reports.indicators import (
    framework_counts,
    indicator_rows,
    indicators_json,
    with_results,
)
from tps_batch.reports.navigation import project_rows
from tps_batch.reports.overdue import KINDS, overdue_json, overdue_rows
from tps_batch.reports.project import project_context, with_photos
from tps_batch.reports.registry import FORMATS, Report, RunContext, register, reports, select
from tps_batch.reports.sheets import (
    annual_sheets,
    completeness_sheets,
    indicator_sheets,
    overdue_sheets,
)
from tps_batch.reports.summary import (
    by_group,
    headline,
    quarterly_disbursement,
    status_counts,
    summary_json,
)
from tps_batch.settings import Settings

__all__ = ["FORMATS", "Report", "ReportResult", "RunContext", "generate", "overdue_items",
           "register", "reports"]


@dataclass
class ReportResult:
    written: list[Path] = field(default_factory=list)
    skipped: int = 0            # per-project pages unchanged since the last run
    failures: list[str] = field(default_factory=list)
    dashboard: Path | None = None
    computed: list[str] = field(default_factory=list)  # aggregations this run needed
    not_yet: list[str] = field(default_factory=list)  # reports whose period has not ended


@lru_cache(maxsize=32)
def _environment(folder: Path | None) -> Any:
    """The templates' environment; a report's own template folder is searched first."""
    import jinja2

    from tps_batch.render import environment

    env = environment()
    if folder is None:
        return env
    return env.overlay(loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(folder)),
                                                   env.loader]))


def render(template: str | Path, **context: Any) -> str:
    """A report page: ``template`` names a file of templates/, or is a template file."""
    if isinstance(template, Path):
        return _environment(template.parent).get_template(template.name).render(**context)
    return _environment(None).get_template(template).render(**context)


def _html(template: str | Path, out: Path, **context: Any) -> str:
    html = render(template, **context)
    with atomic_path(out) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return html


class _Writer:
    """Writes one report in the requested formats and records what happened."""

    def __init__(self, ws: Settings, data: ReportData, formats: set[str], result: ReportResult,
                 out: Path):
        self.ws, self.data, self.formats, self.result = ws, data, formats, result
        self.out = out
        self.jobs: list[tuple[Any, Any]] = []  # (pdf.Job, on_done), in submission order
        self.session: Any = None  # the print session, started with the first PDF
        self.engine_error: TpsError | None = None
        self.progress: Any = None
        self.finish: list[Any] = []  # called after flush (the per-project cache is saved)
        self.base = {"office_name": data.office_name, "fiscal_year": data.fiscal_year,
                     "as_of": data.as_of, "as_of_text": data.as_of_text, "pdf": False,
                     "kinds": KINDS}

    def html_pdf(self, template: str | Path, stem: Path, title: str, *,
                 formats: set[str] | None = None, on_done: Any = None,
                 **context: Any) -> None:
        formats = self.formats if formats is None else formats
        ctx = {**self.base, "title": title, **context}
        if "html" in formats:
            _html(template, stem.with_suffix(".html"), **ctx)
            self.result.written.append(stem.with_suffix(".html"))
        if "pdf" in formats and self.ws.pdf_engine != "none":
            self.pdf(template, stem.with_suffix(".pdf"), title, ctx, on_done)
        elif on_done is not None:
            on_done()

    def pdf(self, template: str | Path, path: Path, title: str, ctx: dict[str, Any],
            on_done: Any = None) -> None:
        """Hand one PDF to the run's print session, which prints it (one browser, tabs in
        parallel) while the run goes on; :meth:`flush` waits for all. ``on_done()`` runs
        once the PDF is written (the per-project cache records it)."""
        from tps_batch.pdf import Job
        from tps_batch.reports.document import toc_outline, toc_reviser

        if self.ws.pdf_engine == "none":
            return
        title = _thai_only(title)  # official documents are Thai only
        ctx = {**ctx, "pdf": True, "title": title}
        job = Job(render(template, **ctx), path, self.data.office_name, title,
                  f"ข้อมูล ณ วันที่ {ctx['as_of_text']}")
        if "toc" in ctx:  # a document with a สารบัญ: its page numbers, then bookmarks
            job.revise = toc_reviser(lambda pages: render(template, **{**ctx,
                                                                      "toc_pages": pages}),
                                     ctx["toc"])
            job.finish = toc_outline(ctx["toc"], ctx.get("toc_sections", ()))
        self.jobs.append((job, on_done))
        if self.session is None and self.engine_error is None:
            from tps_batch.pdf import start_session

            try:
                self.session = start_session(self.ws.pdf_engine, self.progress)
            except TpsError as exc:  # no engine here: every PDF fails with the same hint
                self.engine_error = exc
        if self.session is not None:
            self.session.submit(job)

    def flush(self) -> None:
        """Wait for every PDF handed over; a failed one is listed in ``failures``."""
        jobs, self.jobs = self.jobs, []
        session, self.session = self.session, None
        if not jobs:
            return
        errors = session.close() if session is not None else [self.engine_error] * len(jobs)
        for (job, on_done), exc in zip(jobs, errors, strict=True):
            if exc is not None:
                self.result.failures.append(f"{job.out.name}: {exc.message_th} "
                                            f"({exc.message_en})")
                continue
            self.result.written.append(job.out)
            if on_done is not None:
                on_done()

    def xlsx(self, path: Path, title_th: str, sheets: list[Any],
             as_of: dt.date | None = None) -> None:
        from tps_batch.excel_report import write_excel

        write_excel(path, sheets, office_name=self.data.office_name, report_title=title_th,
                    as_of=as_of or self.data.as_of)
        self.result.written.append(path)

    def report(self, report: Report, ctx: RunContext) -> None:
        """One registered report, in the formats asked for that it has, from its data
        (``report.context``: as of another date, or nothing to write yet)."""
        if report.context is not None:
            own = report.context(ctx)
            if own is None:  # its period has not ended by this as-of: nothing to write
                self.result.not_yet.append(report.name)
                return
            ctx = own
        if report.write is not None:
            report.write(self, ctx)
            return
        formats = self.formats & set(report.formats)
        stem = self.out / report.file_stem
        if report.template is not None and formats & {"html", "pdf"}:
            page = report.page(ctx) if report.page else {"rows": ctx.rows(report.name)}
            page = {"as_of": ctx.data.as_of, "as_of_text": ctx.data.as_of_text, **page}
            title = report.title
            if "toc" in page:  # an official document: its title names the fiscal year once
                page["document"] = doc = document_title(report.title_th, ctx.data.fiscal_year)
                title = f"{doc['title']} ({report.title_en})"
            if report.dashboard and "html" in formats:
                self.result.dashboard = stem.with_suffix(".html")
            self.html_pdf(report.template, stem, title, formats=formats, **page)
        if report.sheets is not None and "xlsx" in formats:
            self.xlsx(stem.with_suffix(".xlsx"), report.title_th, report.sheets(ctx),
                      ctx.data.as_of)
        if report.json is not None and "json" in formats:
            path = stem.with_suffix(".json")
            with atomic_path(path) as tmp:
                tmp.write_text(json.dumps(report.json(ctx), ensure_ascii=False, indent=1),
                               encoding="utf-8")
            self.result.written.append(path)


def _thai_only(title: str) -> str:
    """"รายงาน… (Annual report)" -> "รายงาน…": a report's title without its English."""
    head, sep, tail = title.rpartition(" (")
    return head if sep and tail.endswith(")") and tail[:1].isascii() else title


def generate(ws: Settings, *, as_of: dt.date | None = None,
             formats: tuple[str, ...] = FORMATS, only: tuple[str, ...] = (),
             progress: Any = "auto") -> ReportResult:
    """Write the reports named in ``only`` (default: all) under ``output/<fiscal year>/``.

    PDFs print while the run goes on (one browser started with the first, tabs in
    parallel) and the run waits for them at the end; ``progress`` (``progress(done,
    total)``) follows them: "auto" draws a line on a terminal only.

    ``as_of`` defaults to min(today, the fiscal year's end). An as-of before that of the
    reports in ``output/<fiscal year>/`` writes to ``output/<fiscal year>/as-of-<ISO
    date>/`` and never touches them. Each aggregation is computed once, and only if a
    wanted report needs it.
    """
    as_of = as_of or default_as_of(ws.fiscal_year)
    wanted = select(only)  # an unknown name fails before the dataset is read
    data = load(ws, as_of)
    result = ReportResult()
    out = output_folder(ws, as_of)
    ctx = RunContext(ws, data, out, result.computed)
    # JSON is always written: other tools read it, and it is what the pages show
    w = _Writer(ws, data, set(formats) | {"json"}, result, ctx.out)
    w.progress = terminal_progress() if progress == "auto" else progress
    try:
        for report in wanted:
            w.report(report, ctx)
    finally:  # the browser and the dataset connection never outlive the run
        data.close()
        w.flush()
    for finish in w.finish:
        finish()
    if out == ws.output_dir:
        with atomic_path(out / AS_OF_MARKER) as tmp:
            tmp.write_text(as_of.isoformat() + "\n", encoding="utf-8")
    return result


AS_OF_MARKER = ".as-of"  # in output/<FY>/: the as-of its reports stand at


def latest_as_of(ws: Settings) -> dt.date | None:
    """The as-of of the reports in ``output/<FY>/`` (None before the first run)."""
    try:
        return dt.date.fromisoformat(
            (ws.output_dir / AS_OF_MARKER).read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None


def output_folder(ws: Settings, as_of: dt.date) -> Path:
    """``output/<FY>/`` unless ``as_of`` is before the as-of of the reports there: then
    ``output/<FY>/as-of-<ISO date>/``, so that a back-dated run never overwrites them."""
    latest = latest_as_of(ws)
    if latest is None or as_of >= latest:
        return ws.output_dir
    return ws.output_dir / f"as-of-{as_of.isoformat()}"


def overdue_items(ws: Settings, as_of: dt.date | None = None) -> list[dict[str, Any]]:
    """The overdue list as of ``as_of`` (default: min(today, the fiscal year's end)), one
    dict per item with the keys of :data:`tps_batch.reports.overdue.COLUMNS`: what
    reminders and other tools read."""
    return overdue_rows(load(ws, as_of or default_as_of(ws.fiscal_year))).to_dict("records")


# --- aggregations shared by several reports, once a run ---------------------------------

def _head(ctx: RunContext) -> dict[str, Any]:
    return ctx.once("headline", lambda: headline(ctx.data))


def _groups(ctx: RunContext) -> list[dict[str, Any]]:
    return ctx.once("groups", lambda: by_group(ctx.data))


def _statuses(ctx: RunContext) -> list[dict[str, Any]]:
    return ctx.once("statuses", lambda: status_counts(ctx.data))


def _quarters(ctx: RunContext) -> list[dict[str, Any]]:
    return ctx.once("quarters", lambda: quarterly_disbursement(ctx.data))


def _charts(ctx: RunContext) -> dict[str, Any]:
    return ctx.once("figures", lambda: charts.dashboard_figures(
        _statuses(ctx), _quarters(ctx), ctx.rows("overdue"), ctx.rows("completeness"),
        _groups(ctx)))


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
        out.append({"period": period, "rows": rows, "due": rows[0]["due"],
                    "chart": charts.reporting_rate(f"อัตราการส่งรายงาน {period} (%)", rows)})
    return out


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
    """Every registered report that has files in ``out`` (the dashboard not itself)."""
    links = []
    for report in reports():
        files = [] if report.dashboard else report.files(out)
        if files:
            links.append({"title": report.title, "files": files})
    return links


def _receipts(ws: Settings, data: ReportData, out: Path) -> list[dict[str, Any]]:
    subs = data.submissions
    rows = []
    for r in subs.sort_values("id", ascending=False).to_dict("records") if len(subs) else []:
        if r["receipt_path"]:
            rows.append({**r, "href": os.path.relpath(ws.workspace / r["receipt_path"], out),
                         "received": thai.format_date_short(r["received_at"].date())})
    return rows


def _projects(w: _Writer, ctx: RunContext) -> None:
    """Per-project form pages, re-rendered only when their inputs changed."""
    from tps_batch.render import templates_dir

    data = ctx.data
    folder = w.out / PROJECTS_FOLDER
    cache_path = folder / ".render-cache.json"
    try:
        cache = json.loads(cache_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        cache = {}
    tpl = hashlib.sha256(b"".join(p.read_bytes() for p in sorted(templates_dir().glob("*"))
                                  if p.is_file())).hexdigest()[:16]
    reported = set(data.table("projects")["project_code"])
    for p in data.projects.to_dict("records"):
        if p["code"] not in reported:  # its page says so: every link to a project works
            if "html" in w.formats:
                w.html_pdf("project_missing.html", folder / _safe(p["code"]),
                           f"โครงการ {p['code']}", formats={"html"}, project=p)
            continue
        key = hashlib.sha256(json.dumps([p["sha256"], data.office_name, w.ws.pdf_engine, tpl,
                                         p["name"], p["group"], p["owner"], sorted(w.formats)],
                                        ensure_ascii=False).encode()).hexdigest()
        stem = folder / _safe(p["code"])
        formats = w.formats & {"html", "pdf"}
        outputs = [stem.with_suffix(f".{f}") for f in ("html", "pdf") if f in formats]
        if cache.get(p["code"]) == key and all(o.exists() for o in outputs):
            w.result.skipped += 1
            continue
        project = with_photos(data, project_context(data, p["code"]))
        cache.pop(p["code"], None)  # recorded again once every output is written
        # the page shows the report's own data date, not today's: unchanged input, same page
        w.html_pdf("project.html", stem, f"รายงานผลการดำเนินงานโครงการ {p['code']}",
                   formats=formats, project=project,
                   as_of_text=thai.format_date_long(project["as_of"]),
                   on_done=lambda code=p["code"], key=key: cache.__setitem__(code, key))

    if "html" in w.formats:  # the projects list: a page, not a bare folder
        w.html_pdf("projects_index.html", folder / "index", "รายการโครงการทั้งหมด",
                   formats={"html"}, projects=project_rows(data))

    def save() -> None:
        with atomic_path(cache_path) as tmp:
            tmp.write_text(json.dumps(cache, ensure_ascii=False, indent=0, sort_keys=True),
                           encoding="utf-8")

    w.finish.append(save)


def _safe(code: str) -> str:
    from tps_batch.workspace import safe_name

    return safe_name(code, 60)


# --- the built-in reports, in the order --help and the dashboard list them ---------------

PROJECTS_FOLDER = "projects"


def _annual_page(ctx: RunContext) -> dict[str, Any]:
    data = ctx.data
    reported = set(data.table("projects")["project_code"])
    projects = [project_context(data, code) for code in data.projects["code"]
                if code in reported]
    return {"head": _head(ctx), "groups": _groups(ctx), "statuses": _statuses(ctx),
            "indicators": _by_framework(ctx.rows("indicators")), "quarters": _quarters(ctx),
            "projects": projects, "figures": _charts(ctx),
            "problems": _problems_by_group(data), **annual_document(ctx.ws, projects),
            "all_projects": project_rows(data)}


def _dashboard_page(ctx: RunContext) -> dict[str, Any]:
    return {"head": _head(ctx), "figures": _charts(ctx), "links": _links(ctx.out),
            "receipts": _receipts(ctx.ws, ctx.data, ctx.out),
            "overdue_total": len(ctx.rows("overdue"))}


register(Report(
    "indicators", "สรุปผลตามตัวชี้วัด", "Indicator summary",
    rows=lambda ctx: indicator_rows(with_results(ctx.data, ctx.ws)), template="indicators.html",
    page=lambda ctx: {"frameworks": _by_framework(ctx.rows("indicators")),
                      "counts": framework_counts(ctx.rows("indicators"))},
    sheets=lambda ctx: indicator_sheets(ctx.rows("indicators")),
    json=lambda ctx: indicators_json(ctx.rows("indicators"))))
register(Report(
    "overdue", "รายการที่เลยกำหนด", "Overdue list",
    rows=lambda ctx: overdue_rows(ctx.data, ctx.rows("indicators")), template="overdue.html",
    page=lambda ctx: {"groups": _overdue_groups(ctx.rows("overdue")),
                      "total": len(ctx.rows("overdue"))},
    sheets=lambda ctx: overdue_sheets(ctx.rows("overdue")),
    json=lambda ctx: overdue_json(ctx.data, ctx.rows("overdue"))))
register(Report(
    "completeness", "ความครบถ้วนและทันเวลาของการรายงาน", "Completeness and timeliness",
    rows=lambda ctx: completeness_rows(ctx.data), template="completeness.html",
    page=lambda ctx: {"periods": _periods(ctx.rows("completeness"))},
    sheets=lambda ctx: completeness_sheets(ctx.rows("completeness")),
    json=lambda ctx: completeness_json(ctx.data, ctx.rows("completeness"))))
register(Report(
    "projects", "รายงานผลการดำเนินงานรายโครงการ", "Per-project reports",
    write=_projects, folder=PROJECTS_FOLDER, formats=("html", "pdf")))
register(Report(
    "annual", "รายงานผลการดำเนินงานประจำปีงบประมาณ", "Annual report",
    template="annual.html", page=_annual_page,
    sheets=lambda ctx: annual_sheets(ctx.data, _head(ctx), _groups(ctx), _statuses(ctx),
                                     ctx.rows("indicators"), _quarters(ctx))))
# the six-month report is the annual one as of 31 March: listed right after it
from tps_batch.reports import six_month  # noqa: E402, F401

register(Report(
    "summary", "สรุปตัวเลขภาพรวม", "Summary figures", formats=("json",),
    json=lambda ctx: summary_json(ctx.data, _head(ctx), _statuses(ctx), _quarters(ctx))))
register(Report(
    "dashboard", "ภาพรวมการดำเนินงาน", "Dashboard",
    template="dashboard.html", page=_dashboard_page, stem="index", formats=("html",),
    dashboard=True))


def _discover() -> None:
    """Import every module of this package: a report module registers itself on import,
    so a new report needs no line here."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")


_discover()
