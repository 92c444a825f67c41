"""Indicator summary: each framework and indicator, its linked projects and its deadline.

A project is linked to an indicator by the plan (``ITA:O10; …``) or by its own report's
indicator table. The deadline is *met* when every linked, non-cancelled project had an
accepted report in by that date (an indicator with no linked project is met when its
owner group reported anything by then), *missed* once it has passed otherwise, *coming*
within the next ``due_soon_days`` (a setting; the label shows the real days left), else
*pending*.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tps_batch.reports.data import ReportData

STATES = {"met": "ส่งทันกำหนด", "missed": "เลยกำหนด", "coming": "ใกล้ถึงกำหนด",
          "pending": "ยังไม่ถึงกำหนด", "none": "ไม่มีกำหนดส่ง"}


def state_label(state: str, deadline: dt.date | None, as_of: dt.date) -> str:
    """The Thai label; a coming deadline says how many days are really left."""
    if state == "coming" and deadline is not None:
        left = (deadline - as_of).days
        return "ใกล้ถึงกำหนด (ครบกำหนดวันนี้)" if left == 0 else f"ใกล้ถึงกำหนด (อีก {left} วัน)"
    return STATES[state]


def _links(data: ReportData) -> dict[tuple[str, str], set[str]]:
    links: dict[tuple[str, str], set[str]] = {}
    for p in data.projects.to_dict("records") if len(data.projects) else []:
        for fw, code in p["indicators"]:
            links.setdefault((fw.casefold(), code.casefold()), set()).add(p["code"])
    ind = data.table("indicators")
    for r in ind.to_dict("records"):
        if r["framework"] and r["code"]:
            links.setdefault((r["framework"].casefold(), r["code"].casefold()),
                             set()).add(r["project_code"])
    return links


def _first_report(data: ReportData) -> dict[str, dt.datetime]:
    subs = data.submissions
    if subs.empty:
        return {}
    ok = subs[subs["status"] != "rejected"]
    return ok.groupby("project_code")["received_at"].min().to_dict()


def indicator_rows(data: ReportData) -> list[dict[str, Any]]:
    links, first = _links(data), _first_report(data)
    projects = {p["code"]: p for p in data.projects.to_dict("records")} if len(data.projects) \
        else {}
    heads = {g["name"]: g.get("head") or "" for g in data.plan.groups}
    frameworks = {f["code"]: f["name_th"] for f in data.plan.rows.get("frameworks", [])}
    achieved = _achieved(data)
    rows = []
    for ind in data.plan.indicators(data.fiscal_year):
        owner = data.plan.canonical_group(ind["owner_group"]) or ind["owner_group"]
        codes = sorted(c for c in links.get((ind["framework"].casefold(),
                                             ind["code"].casefold()), set())
                       if c in projects and not projects[c]["cancelled"])
        linked = [projects[c] for c in codes]
        deadline = ind.get("deadline")
        cut = dt.datetime.combine(deadline, dt.time.max) if deadline else None
        if codes:
            reported = [c for c in codes if c in first and cut and first[c] <= cut]
        else:
            owners = [p["code"] for p in projects.values() if p["group"] == owner]
            reported = [c for c in owners if c in first and cut and first[c] <= cut][:1]
        needed = max(len(codes), 1)
        if deadline is None:
            state = "none"
        elif len(reported) >= needed and deadline <= data.as_of:
            state = "met"
        elif deadline < data.as_of:
            state = "missed"
        elif deadline <= data.as_of + dt.timedelta(days=data.due_soon_days):
            state = "coming"
        else:
            state = "pending"
        done = sum(p["activities_done"] for p in linked)
        total = sum(p["activities_total"] for p in linked)
        target_sum = sum(achieved.get(c, (0, 0))[0] for c in codes)
        achieved_sum = sum(achieved.get(c, (0, 0))[1] for c in codes)
        rows.append({
            "framework": ind["framework"], "framework_name": frameworks.get(ind["framework"], ""),
            "code": ind["code"], "name": ind["name"], "owner_group": owner,
            "owner_head": heads.get(owner, ""), "target": ind.get("target") or "",
            "target_value": ind.get("target_value"), "deadline": deadline,
            "deadline_status": state,
            "deadline_status_th": state_label(state, deadline, data.as_of),
            "linked": len(codes), "reported": len(reported),
            "projects": [{"code": p["code"], "name": p["name"], "status_th": p["status_th"],
                          "progress": p["progress"], "allocated": p["allocated"],
                          "disbursed": p["disbursed"]} for p in linked],
            "project_codes": ", ".join(codes),
            "activities_done": done, "activities_total": total,
            "progress": round(100 * done / total, 2) if total else 0.0,
            "allocated": round(sum(p["allocated"] for p in linked), 2),
            "disbursed": round(sum(p["disbursed"] for p in linked), 2),
            "target_sum": target_sum, "achieved_sum": achieved_sum,
        })
    return rows


def _achieved(data: ReportData) -> dict[str, tuple[int, int]]:
    """Per project: the sums of countable target and achieved values."""
    t = data.table("targets")
    out: dict[str, tuple[int, int]] = {}
    for code, g in t.groupby("project_code") if len(t) else []:
        g = g[g["target_value"].notna()]
        out[str(code)] = (int(g["target_value"].sum()), int(g["achieved_value"].fillna(0).sum()))
    return out
