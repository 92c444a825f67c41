"""The dataset as it stood on an as-of date, as pandas frames joined with the plan.

Every report starts here, so every report agrees on what "current" means: among the
accepted submissions *received by the as-of date*, a project's current one is the one
with the latest (data date, received time, id). That is what lets a report be
regenerated exactly as it stood on a past date, whatever arrived since.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import sqlalchemy as sa

from tps_batch import store, thai
from tps_batch.plan import Plan, project_indicator_links
from tps_batch.planhistory import plan_as_of
from tps_batch.settings import Settings
from tps_batch.spec import ACTIVITY_STATUSES, PROJECT_STATUSES, REPORT_KINDS, choice_label

OPEN_ACTIVITY = ("not_started", "in_progress", "postponed")


@dataclass
class ReportData:
    office_name: str
    fiscal_year: int
    as_of: dt.date
    plan: Plan
    projects: pd.DataFrame          # one row per plan project, with its current submission
    submissions: pd.DataFrame       # every submission received by as_of
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)  # current content tables

    _by_sid: dict[str, dict[int, list[dict[str, Any]]]] = field(default_factory=dict)
    _projects_by_code: dict[str, dict[str, Any]] = field(default_factory=dict)
    contexts: dict[str, dict[str, Any]] = field(default_factory=dict)  # per-project pages

    def table(self, key: str) -> pd.DataFrame:
        return self.tables[key]

    def project(self, code: str) -> dict[str, Any]:
        if not self._projects_by_code:
            self._projects_by_code = {r["code"]: r for r in self.projects.to_dict("records")}
        return self._projects_by_code[code]

    def rows_of(self, key: str, sid: int) -> list[dict[str, Any]]:
        """One submission's rows of a table (indexed once per table, not scanned per call)."""
        if key not in self._by_sid:
            index: dict[int, list[dict[str, Any]]] = {}
            for r in self.tables[key].to_dict("records"):
                index.setdefault(r["submission_id"], []).append(r)
            self._by_sid[key] = index
        return [dict(r) for r in self._by_sid[key].get(sid, [])]

    @property
    def fy_bounds(self) -> tuple[dt.date, dt.date]:
        return thai.fiscal_year_bounds(self.fiscal_year)

    @property
    def as_of_text(self) -> str:
        return thai.format_date_long(self.as_of)


def _frame(conn: sa.Connection, query: Any) -> pd.DataFrame:
    """Rows as Python objects (dtype=object): ints stay ints and NULL stays None, which is
    what templates and the Excel writer expect; pandas still sums and groups them."""
    result = conn.execute(query)
    return pd.DataFrame(result.fetchall(), columns=list(result.keys()), dtype=object)


def latest_ids(subs: pd.DataFrame) -> pd.Series:
    """Each project's latest accepted submission among ``subs``: the one with the latest
    (data date, received time, id) — the rule of :func:`tps_batch.store.refresh_current`."""
    ok = subs[subs["status"] != "rejected"].copy()
    if ok.empty:
        return pd.Series(dtype="int64")
    ok["_as_of"] = ok["as_of"].fillna(dt.date.min)
    ok = ok.sort_values(["project_code", "_as_of", "received_at", "id"])
    return ok.groupby("project_code")["id"].last()


def load(ws: Settings, as_of: dt.date) -> ReportData:
    """Read the plan and the dataset as of ``as_of`` (end of that day)."""
    fy = ws.fiscal_year
    engine = store.connect(ws.db_url)
    try:
        plan = plan_as_of(engine, ws, as_of)  # the plan as it stood on that day
        cutoff = dt.datetime.combine(as_of, dt.time.max)
        s = store.submissions
        with engine.connect() as conn:
            subs = _frame(conn, sa.select(s).where(s.c.fiscal_year == fy, s.c.received_at <= cutoff)
                          .order_by(s.c.id))
            current = latest_ids(subs)
            ids = [int(i) for i in current.tolist()]
            tables = {}
            stored = sa.and_(s.c.fiscal_year == fy, s.c.received_at <= cutoff,
                             s.c.status != "rejected")
            for key in ["projects", *store.CONTENT_TABLES, "signoffs"]:
                t = store.metadata.tables[key]
                # a join, not an IN list: the id list can be longer than SQL parameters allow
                frame = _frame(conn, sa.select(t).join(s, s.c.id == t.c.submission_id)
                               .where(stored))
                if key == "budget":
                    tables["_all_budget"] = frame  # history, for disbursement by quarter
                frame = frame[frame["submission_id"].isin(ids)]
                sort = ["submission_id"] + (["seq"] if "seq" in frame.columns else [])
                tables[key] = frame.sort_values(sort).reset_index(drop=True)
    finally:
        engine.dispose()
    subs["is_current_asof"] = subs["id"].isin(ids)
    data = ReportData(ws.office_name, fy, as_of, plan, _projects(plan, tables, subs, as_of),
                      subs, tables)
    return data


def _projects(plan: Plan, tables: dict[str, pd.DataFrame], subs: pd.DataFrame,
              as_of: dt.date) -> pd.DataFrame:
    """Plan projects left-joined with their current submission's header and figures."""
    rows = []
    headers = {r["project_code"]: r for r in tables["projects"].to_dict("records")}
    current = {r["project_code"]: r for r in subs[subs["is_current_asof"]].to_dict("records")} \
        if len(subs) else {}
    acts = tables["activities"]
    counted_acts: dict[str, tuple[int, int]] = {}  # code → (not cancelled, done)
    if len(acts):
        live = acts[acts["status"] != "cancelled"]
        counted_acts = {str(code): (len(g), int((g["status"] == "done").sum()))
                        for code, g in live.groupby("project_code")}
    budget = tables["budget"]
    sums: dict[str, tuple[float, float]] = {}
    if len(budget):
        sums = {str(code): (float(g["allocated"].fillna(0).sum()),
                            float(g["disbursed"].fillna(0).sum()))
                for code, g in budget.groupby("project_code")}
    for p in plan.projects:
        code = p["code"]
        group = plan.canonical_group(p["group"]) or p["group"]
        sub = headers.get(code)
        plan_alloc = sum(p.get(k) or 0 for k in ("budget_obec", "budget_esa", "budget_other"))
        allocated, disbursed = sums.get(code, (float(plan_alloc), 0.0))
        meta = current.get(code)
        status_key = sub["status"] if sub is not None else None
        cancelled = p.get("plan_status") == "cancelled" or status_key == "cancelled"
        rows.append({
            "code": code, "name": p["name"], "group": group, "owner": p["owner"],
            "owner_email": p.get("owner_email"), "budget_type": p.get("budget_type"),
            "planned_start": p["planned_start"], "planned_end": p["planned_end"],
            "indicators": project_indicator_links(p), "cancelled": cancelled,
            "has_report": sub is not None,
            "submission_id": int(meta["id"]) if meta is not None else None,
            "sha256": meta["sha256"] if meta is not None else None,
            "received_at": meta["received_at"] if meta is not None else None,
            "report_kind": sub["report_kind"] if sub is not None else None,
            "report_kind_th": choice_label(REPORT_KINDS, sub["report_kind"]) if sub is not None
            else "ยังไม่รายงาน",
            "data_as_of": sub["as_of"] if sub is not None else None,
            "status": "cancelled" if cancelled else status_key,
            "status_th": "ยกเลิกโครงการ" if cancelled else (
                choice_label(PROJECT_STATUSES, status_key) if sub is not None
                else "ยังไม่รายงาน"),
            "activities_total": counted_acts.get(code, (0, 0))[0],
            "activities_done": counted_acts.get(code, (0, 0))[1],
            "allocated": round(allocated, 2), "disbursed": round(disbursed, 2),
            "plan_allocated": round(float(plan_alloc), 2),
        })
    if not rows:  # a new workspace: no projects yet, but every report still has its columns
        return pd.DataFrame(columns=[*_PROJECT_COLUMNS, "progress", "disbursed_pct"])
    frame = pd.DataFrame(rows)
    frame["progress"] = frame.apply(
        lambda r: round(100 * r["activities_done"] / r["activities_total"], 2)
        if r["activities_total"] else 0.0, axis=1)
    frame["disbursed_pct"] = frame.apply(
        lambda r: round(100 * r["disbursed"] / r["allocated"], 2) if r["allocated"] else None,
        axis=1)
    return frame


_PROJECT_COLUMNS = (
    "code", "name", "group", "owner", "owner_email", "budget_type", "planned_start",
    "planned_end", "indicators", "cancelled", "has_report", "submission_id", "sha256",
    "received_at", "report_kind", "report_kind_th", "data_as_of", "status", "status_th",
    "activities_total", "activities_done", "allocated", "disbursed", "plan_allocated")


def activity_status_th(key: str | None) -> str:
    return choice_label(ACTIVITY_STATUSES, key)


def last_quarter_end(fiscal_year: int, as_of: dt.date) -> tuple[int, dt.date] | None:
    """The latest fiscal quarter that has ended by ``as_of`` (its number and end date)."""
    found = None
    for q in (1, 2, 3, 4):
        end = thai.quarter_bounds(fiscal_year, q)[1]
        if end <= as_of:
            found = (q, end)
    return found
