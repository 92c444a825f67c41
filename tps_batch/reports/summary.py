"""Headline figures shared by the annual report and the dashboard."""

from __future__ import annotations

from typing import Any

import pandas as pd

from tps_batch import thai
from tps_batch.reports.data import ReportData, latest_ids
from tps_batch.reports.overdue import disbursement_target
from tps_batch.spec import PROJECT_STATUSES


def status_counts(data: ReportData) -> list[dict[str, Any]]:
    """Projects by status, in the order of the status list, plus the not-yet-reported."""
    p = data.projects
    order = [(c.key, c.th) for c in PROJECT_STATUSES] + [(None, "ยังไม่รายงาน")]
    rows = []
    for key, label in order:
        n = int((p["status"] == key).sum()) if key else int((~p["has_report"] & ~p["cancelled"])
                                                             .sum())
        rows.append({"status": label, "count": n})
    return rows


def by_group(data: ReportData) -> list[dict[str, Any]]:
    p = data.projects
    rows = []
    for g in data.plan.groups:
        mine = p[p["group"] == g["name"]] if len(p) else p
        live = mine[~mine["cancelled"]] if len(mine) else mine
        alloc = float(live["allocated"].sum()) if len(live) else 0.0
        disb = float(live["disbursed"].sum()) if len(live) else 0.0
        done = int(live["activities_done"].sum()) if len(live) else 0
        total = int(live["activities_total"].sum()) if len(live) else 0
        rows.append({
            "group": g["name"], "head": g.get("head") or "", "projects": len(live),
            "reported": int(live["has_report"].sum()) if len(live) else 0,
            "completed": int((live["status"] == "completed").sum()) if len(live) else 0,
            "activities_done": done, "activities_total": total,
            "progress": round(100 * done / total, 2) if total else 0.0,
            "allocated": round(alloc, 2), "disbursed": round(disb, 2),
            "disbursed_pct": round(100 * disb / alloc, 2) if alloc else None,
        })
    return rows


def headline(data: ReportData) -> dict[str, Any]:
    p = data.projects
    live = p[~p["cancelled"]] if len(p) else p
    alloc = float(live["allocated"].sum()) if len(live) else 0.0
    disb = float(live["disbursed"].sum()) if len(live) else 0.0
    target = disbursement_target(data, None)
    return {
        "projects": len(p), "live": len(live), "cancelled": int(p["cancelled"].sum()) if len(p)
        else 0,
        "reported": int(live["has_report"].sum()) if len(live) else 0,
        "completed": int((live["status"] == "completed").sum()) if len(live) else 0,
        "allocated": round(alloc, 2), "disbursed": round(disb, 2),
        "disbursed_pct": round(100 * disb / alloc, 2) if alloc else 0.0,
        "target_quarter": thai.quarter_label(target[0]) if target else "",
        "target_pct": target[1] if target else None,
    }


def quarterly_disbursement(data: ReportData) -> list[dict[str, Any]]:
    """Cumulative target per quarter next to what was disbursed by each ended quarter.

    A disbursement figure is only known at a report's data date, so a quarter's actual is
    the total of each project's latest accepted report with data up to that quarter's end.
    """
    subs = data.submissions
    targets = {t["quarter"]: t["target_percent"]
               for t in data.plan.disbursement_targets(data.fiscal_year) if t["scope"] == "overall"}
    live = data.projects[~data.projects["cancelled"]] if len(data.projects) else data.projects
    allocated = float(live["allocated"].sum()) if len(live) else 0.0
    rows = []
    for q in (1, 2, 3, 4):
        end = thai.quarter_bounds(data.fiscal_year, q)[1]
        actual = None
        if end <= data.as_of or q == thai.fiscal_quarter_of(data.as_of):
            actual = _disbursed_by(data, subs, min(end, data.as_of), allocated)
        rows.append({"quarter": thai.quarter_label(q), "target": targets.get(q),
                     "actual": actual})
    return rows


def _disbursed_by(data: ReportData, subs: pd.DataFrame, day: Any, allocated: float) -> float:
    if subs.empty or not allocated:
        return 0.0
    ids = latest_ids(subs[subs["as_of"].notna() & (subs["as_of"] <= day)])
    budget = data.tables.get("_all_budget")
    if budget is None or ids.empty:
        return 0.0
    total = float(budget[budget["submission_id"].isin(ids)]["disbursed"].fillna(0).sum())
    return round(100 * total / allocated, 2)
