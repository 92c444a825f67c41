"""One project's current report, arranged in the order of the seed form
(แบบรายงานผลการดำเนินงานโครงการ) for the per-project page and the annual report."""

from __future__ import annotations

from typing import Any

from tps_batch.reports.data import ReportData, activity_status_th
from tps_batch.spec import ATTACHMENT_KINDS, BUDGET_SOURCES, TARGET_KINDS, choice_label
from tps_batch.store import SIGNOFF_ROLES


def _rows(data: ReportData, key: str, sid: int) -> list[dict[str, Any]]:
    return data.rows_of(key, sid)


def project_context(data: ReportData, code: str) -> dict[str, Any]:
    """Cached per report run: the per-project pages and the annual report share it."""
    if code not in data.contexts:
        data.contexts[code] = _context(data, code)
    return data.contexts[code]


def _context(data: ReportData, code: str) -> dict[str, Any]:
    p = data.project(code)
    sid = int(p["submission_id"])
    header = _rows(data, "projects", sid)[0]
    activities = _rows(data, "activities", sid)
    for a in activities:
        a["status_th"] = activity_status_th(a["status"])
    budget = _rows(data, "budget", sid)
    for b in budget:
        b["source_th"] = choice_label(BUDGET_SOURCES, b["source"])
        b["remaining"] = round((b["allocated"] or 0) - (b["disbursed"] or 0), 2)
    targets = _rows(data, "targets", sid)
    for t in targets:
        t["kind_th"] = choice_label(TARGET_KINDS, t["kind"])
    attachments = _rows(data, "attachments", sid)
    for a in attachments:
        a["kind_th"] = choice_label(ATTACHMENT_KINDS, a["kind"])
    signoffs = {s["role"]: s for s in _rows(data, "signoffs", sid)}
    return {
        "code": code, "name": p["name"], "group": p["group"], "owner": p["owner"],
        "status_th": p["status_th"], "report_kind_th": p["report_kind_th"],
        "as_of": header["as_of"], "planned_start": header["planned_start"],
        "planned_end": header["planned_end"], "strategy": header.get("strategy"),
        "rationale": header.get("rationale"), "progress": p["progress"],
        "objectives": _rows(data, "objectives", sid), "targets": targets,
        "activities": activities, "budget": budget,
        "budget_total": {k: round(sum((b[k] or 0) for b in budget), 2)
                         for k in ("allocated", "disbursed", "remaining")},
        "activity_total": {k: round(sum((a[k] or 0) for a in activities), 2)
                           for k in ("budget_planned", "budget_spent")},
        "indicators": _rows(data, "indicators", sid),
        "problems": _rows(data, "problems", sid),
        "suggestions": _rows(data, "suggestions", sid),
        "attachments": attachments,
        "signoffs": [{"role_th": th, **signoffs.get(role, {})} for role, th in SIGNOFF_ROLES],
    }
