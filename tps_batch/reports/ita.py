"""ITA publication pack (``tps report --only ita``): what ITA's open-data items ask an office
to publish about its plan, ready to upload to its website.

Three documents, HTML and PDF, in ``ita/``: the annual action plan (its projects, budgets
by source, responsible group and official, and the indicators it serves), the six-month
progress report (the reports as of the end of the second quarter: written once that date
has passed) and the annual results report (as of the run's date; final after year end).
Published data: names and positions of responsible officials only — no e-mail address,
no receipt, no file name or path, no evidence link (links may name files).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tps_batch import thai
from tps_batch.reports.registry import Report, RunContext, register

FOLDER = "ita"
#: stem, Thai title, ITA item it answers
DOCUMENTS = (
    ("action-plan", "แผนปฏิบัติการประจำปีงบประมาณ", "O10"),
    ("progress-6-months", "รายงานการกำกับติดตามการดำเนินงานและการใช้จ่ายงบประมาณ รอบ 6 เดือน",
     "O11"),
    ("annual-results", "รายงานผลการดำเนินงานประจำปีงบประมาณ", "O12"),
)
SOURCES = (("obec", "สพฐ."), ("esa", "สพป."), ("other", "อื่น ๆ"))


def plan_projects(ctx: RunContext) -> list[dict[str, Any]]:
    """The approved plan's projects: budget by source, group, responsible official."""
    heads = {g["name"]: g.get("head") or "" for g in ctx.data.plan.groups}
    rows = []
    for p in ctx.data.plan.projects:
        if p.get("plan_status") == "cancelled":
            continue
        budget = {k: float(p.get(f"budget_{k}") or 0) for k, _ in SOURCES}
        rows.append({"code": p["code"], "name": p["name"], "group": p["group"],
                     "owner": p["owner"], "head": heads.get(p["group"], ""),
                     "budget": budget, "total": sum(budget.values()),
                     "start": p["planned_start"], "end": p["planned_end"],
                     "indicators": (p.get("indicators") or "").replace(":", " ")})
    return rows


def progress_rows(data: Any) -> list[dict[str, Any]]:
    """Each live project's status, progress and money as its latest report has them."""
    live = data.projects[~data.projects["cancelled"]] if len(data.projects) else data.projects
    return [{"code": p["code"], "name": p["name"], "group": p["group"],
             "status_th": p["status_th"] if p["has_report"] else "ยังไม่รายงาน",
             "progress": p["progress"], "allocated": p["allocated"],
             "disbursed": p["disbursed"], "disbursed_pct": p["disbursed_pct"]}
            for p in live.to_dict("records")]


def _indicators(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The indicators as published: target, result and status, no evidence links."""
    return [{k: r[k] for k in ("framework", "code", "name", "owner_group", "target_text",
                               "result_text", "round", "status_th", "status")}
            | {"unit": r["unit"] if r["value"] is not None else ""} for r in rows]


def _totals(rows: list[dict[str, Any]], *keys: str) -> dict[str, float]:
    return {k: round(sum(float(r[k] or 0) for r in rows), 2) for k in keys}


def _write(w: Any, ctx: RunContext) -> None:
    from tps_batch.reports.six_month import half_year, half_year_end

    formats = w.formats & {"html", "pdf"}
    if not formats:
        return
    folder = w.out / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    data, fy = ctx.data, ctx.data.fiscal_year
    plan = plan_projects(ctx)
    catalog = _indicators(ctx.rows("indicators"))
    written = []

    def doc(stem: str, title: str, item: str, as_of: dt.date, **page: Any) -> None:
        full = f"{title} {fy}" if stem != "progress-6-months" else f"{title} ปีงบประมาณ {fy}"
        w.html_pdf("ita.html", folder / stem, full, formats=formats, doc=stem, ita_item=item,
                   as_of=as_of, as_of_text=thai.format_date_long(as_of), root="../", **page)
        written.append({"stem": stem, "title": full, "item": item})

    (s1, t1, i1), (s2, t2, i2), (s3, t3, i3) = DOCUMENTS
    doc(s1, t1, i1, data.as_of, projects=plan, indicators=catalog, sources=SOURCES,
        totals={k: round(sum(p["budget"][k] for p in plan), 2) for k, _ in SOURCES}
        | {"total": round(sum(p["total"] for p in plan), 2)})
    six = half_year(ctx)  # the reports as of the second quarter's end, once it has passed
    if six is not None:  # the same data as the six-month report's
        rows = progress_rows(six.data)
        doc(s2, t2, i2, half_year_end(fy), projects=rows,
            indicators=_indicators(six.rows("indicators")),
            totals=_totals(rows, "allocated", "disbursed"))
    rows = progress_rows(data)
    doc(s3, t3, i3, data.as_of, projects=rows, indicators=catalog,
        totals=_totals(rows, "allocated", "disbursed"))
    if "html" in formats:  # the folder's page: what to upload for which ITA item
        w.html_pdf("ita.html", folder / "index", f"เอกสารเผยแพร่ตามเกณฑ์ ITA ปีงบประมาณ {fy}",
                   formats={"html"}, doc="index", documents=written, root="../",
                   with_pdf="pdf" in formats and w.ws.pdf_engine != "none")


register(Report(
    "ita", "เอกสารเผยแพร่ตามเกณฑ์ ITA", "ITA publication pack",
    write=_write, folder=FOLDER, formats=("html", "pdf")))
