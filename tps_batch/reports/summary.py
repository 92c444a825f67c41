"""Headline figures shared by the annual report, the dashboard and ``summary.json``.

Allocations are the plan's (as amended by the as-of); a cancelled project leaves every
figure; a completed project's unspent money is savings: disbursement rates divide by the
allocation less savings (``rate_base``), so a project that finished under budget does not
pull the office's rate down.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from tps_batch import thai
from tps_batch.reports.data import ReportData, latest_ids
from tps_batch.reports.overdue import RULES_TH, disbursement_target
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
    for g in thai.sorted_thai(data.plan.groups, key=lambda g: g["name"]):
        mine = p[p["group"] == g["name"]] if len(p) else p
        live = mine[~mine["cancelled"]] if len(mine) else mine
        alloc = float(live["allocated"].sum()) if len(live) else 0.0
        disb = float(live["disbursed"].sum()) if len(live) else 0.0
        base = float(live["rate_base"].sum()) if len(live) else 0.0
        done = int(live["activities_done"].sum()) if len(live) else 0
        total = int(live["activities_total"].sum()) if len(live) else 0
        rows.append({
            "group": g["name"], "head": g.get("head") or "", "projects": len(live),
            "reported": int(live["has_report"].sum()) if len(live) else 0,
            "completed": int((live["status"] == "completed").sum()) if len(live) else 0,
            "activities_done": done, "activities_total": total,
            "progress": round(100 * done / total, 2) if total else 0.0,
            "allocated": round(alloc, 2), "disbursed": round(disb, 2),
            "savings": round(alloc - base, 2),
            "disbursed_pct": round(100 * disb / base, 2) if base else None,
        })
    return rows


SOURCES_TH = {"obec": "สพฐ.", "esa": "สพป.", "other": "อื่น ๆ"}


def by_source(data: ReportData) -> list[dict[str, Any]]:
    """Office totals by budget source: the plan's allocation against what was disbursed."""
    p = data.projects
    live = p[~p["cancelled"]] if len(p) else p
    rows = []
    for key, label in SOURCES_TH.items():
        alloc = float(live[f"allocated_{key}"].sum()) if len(live) else 0.0
        disb = float(live[f"disbursed_{key}"].sum()) if len(live) else 0.0
        rows.append({"source": key, "source_th": label, "allocated": round(alloc, 2),
                     "disbursed": round(disb, 2),
                     "disbursed_pct": round(100 * disb / alloc, 2) if alloc else None})
    unfunded = float(live["disbursed_none"].sum()) if len(live) else 0.0
    if unfunded:  # spent under "no budget": shown, never hidden in another source
        rows.append({"source": "none", "source_th": "ไม่ใช้งบประมาณ", "allocated": 0.0,
                     "disbursed": round(unfunded, 2), "disbursed_pct": None})
    return rows


def headline(data: ReportData) -> dict[str, Any]:
    p = data.projects
    live = p[~p["cancelled"]] if len(p) else p
    alloc = float(live["allocated"].sum()) if len(live) else 0.0
    disb = float(live["disbursed"].sum()) if len(live) else 0.0
    base = float(live["rate_base"].sum()) if len(live) else 0.0
    target = disbursement_target(data, None)
    return {
        "projects": len(p), "live": len(live), "cancelled": int(p["cancelled"].sum()) if len(p)
        else 0,
        "reported": int(live["has_report"].sum()) if len(live) else 0,
        "completed": int((live["status"] == "completed").sum()) if len(live) else 0,
        "allocated": round(alloc, 2), "disbursed": round(disb, 2),
        "savings": round(alloc - base, 2), "rate_base": round(base, 2),
        "disbursed_pct": round(100 * disb / base, 2) if base else 0.0,
        "target_quarter": thai.quarter_label(target["quarter"]) if target else "",
        "target_pct": target["percent"] if target else None,
        "target_rule": target["rule"] if target else data.target_rule,
        "target_rule_th": RULES_TH[target["rule"] if target else data.target_rule],
        "sources": by_source(data),
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
    allocated = float(live["rate_base"].sum()) if len(live) else 0.0
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
    live = set(data.projects[~data.projects["cancelled"]]["code"])
    mine = budget[budget["submission_id"].isin(ids) & budget["project_code"].isin(live)]
    total = float(mine["disbursed"].fillna(0).sum())
    return round(100 * total / allocated, 2)


def summary_json(data: ReportData, head: dict[str, Any], statuses: list[dict[str, Any]],
                 quarters: list[dict[str, Any]]) -> dict[str, Any]:
    """``summary.json``: the keys the README documents, the numbers the pages print."""
    q_now = disbursement_target(data, None)
    return {
        "office": data.office_name, "fiscal_year": data.fiscal_year,
        "as_of": data.as_of.isoformat(),
        "totals": {k: head[k] for k in ("projects", "live", "cancelled", "reported",
                                        "completed", "allocated", "disbursed", "savings",
                                        "disbursed_pct")},
        "by_source": [{k: r[k] for k in ("source", "allocated", "disbursed", "disbursed_pct")}
                      for r in head["sources"]],
        "by_status": [{"status": s["status"], "count": s["count"]} for s in statuses],
        "disbursement": {
            "quarter": q_now["quarter"] if q_now else None,
            "target_percent": q_now["percent"] if q_now else None,
            "rule": head["target_rule"],
            "by_quarter": [{"quarter": i, "target_percent": q["target"],
                            "disbursed_percent": q["actual"]}
                           for i, q in enumerate(quarters, 1)]},
    }
