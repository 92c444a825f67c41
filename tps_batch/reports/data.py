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
from tps_batch.plan import SOURCE_COLUMNS, Plan, project_indicator_links
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
    target_rule: str = "quarter-end"  # settings.disbursement_target
    due_soon_days: int = 14           # settings.due_soon_days
    db_url: str | None = None         # where photos are read from, when a page asks
    #: a closed period read after the fact: reports on it received up to this day count
    received_by: dt.date | None = None
    _engine: Any = field(default=None, repr=False)

    def photos_of(self, sid: int) -> list[dict[str, Any]]:
        """One submission's activity photos (JPEG bytes in ``content``), in sheet order.

        Read when a per-project page asks, one submission at a time: photos are the
        dataset's bulk, and no other report prints them. The engine is opened on the
        first call and kept until :meth:`close`."""
        if not self.db_url:
            return []
        if self._engine is None:
            self._engine = store.connect(self.db_url, migrate=False)
        with self._engine.connect() as conn:
            t = store.photos
            rows = conn.execute(sa.select(t).where(t.c.submission_id == sid).order_by(t.c.seq))
            return [dict(r._mapping) for r in rows]

    def close(self) -> None:
        """Let go of the dataset connection :meth:`photos_of` opened, if any."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None

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


def load(ws: Settings, as_of: dt.date, *, received_by: dt.date | None = None) -> ReportData:
    """Read the plan and the dataset as of ``as_of`` (end of that day).

    ``received_by`` (a later day) reads a closed period after the fact, as the six-month
    report does in April: the reports received by that day whose data date is at most
    ``as_of`` (a report on the quarter to 31 March is sent in early April)."""
    fy = ws.fiscal_year
    engine = store.connect(ws.db_url)
    try:
        plan = plan_as_of(engine, ws, as_of)  # the plan as it stood on that day
        s = store.submissions
        cutoff = dt.datetime.combine(max(as_of, received_by or as_of), dt.time.max)
        in_time = s.c.received_at <= cutoff
        if received_by is not None and received_by > as_of:  # and about the period only
            in_time = sa.and_(in_time, sa.or_(
                s.c.as_of <= as_of,
                sa.and_(s.c.as_of.is_(None),
                        s.c.received_at <= dt.datetime.combine(as_of, dt.time.max))))
        with engine.connect() as conn:
            # a duplicate repeats a stored file (its receipt says so): it counts nowhere
            subs = _frame(conn, sa.select(s).where(s.c.fiscal_year == fy, in_time,
                                                   s.c.status != store.DUPLICATE)
                          .order_by(s.c.id))
            current = latest_ids(subs)
            ids = [int(i) for i in current.tolist()]
            tables = {}
            stored = sa.and_(s.c.fiscal_year == fy, in_time, s.c.status.in_(store.STORED))
            for key in ["projects", *store.CONTENT_TABLES, "signoffs"]:
                t = store.metadata.tables[key]
                # a join, not an IN list: the id list can be longer than SQL parameters allow
                frame = _frame(conn, sa.select(t).join(s, s.c.id == t.c.submission_id)
                               .where(stored))
                if key in ("budget", "activities"):
                    tables[f"_all_{key}"] = frame  # history: by quarter, and baselines
                frame = frame[frame["submission_id"].isin(ids)]
                sort = ["submission_id"] + (["seq"] if "seq" in frame.columns else [])
                tables[key] = frame.sort_values(sort).reset_index(drop=True)
    finally:
        engine.dispose()
    subs["is_current_asof"] = subs["id"].isin(ids)
    data = ReportData(ws.office_name, fy, as_of, plan, _projects(plan, tables, subs, as_of),
                      subs, tables, target_rule=ws.disbursement_target,
                      due_soon_days=ws.due_soon_days, db_url=ws.db_url,
                      received_by=received_by if received_by and received_by > as_of else None)
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
    spent: dict[str, dict[str, float]] = {}  # code → source → disbursed
    for r in budget.to_dict("records") if len(budget) else []:
        by_source = spent.setdefault(str(r["project_code"]), {})
        by_source[r["source"]] = by_source.get(r["source"], 0.0) + float(r["disbursed"] or 0)
    for p in plan.projects:
        code = p["code"]
        group = plan.canonical_group(p["group"]) or p["group"]
        sub = headers.get(code)
        reference = plan.allocation(code, as_of)  # the plan's, as amended by the as-of
        allocated = float(sum(reference.values()))
        by_source = spent.get(code, {})
        disbursed = float(sum(by_source.values()))
        meta = current.get(code)
        status_key = sub["status"] if sub is not None else None
        cancelled = p.get("plan_status") == "cancelled" or status_key == "cancelled"
        completed = not cancelled and status_key == "completed"
        # a completed project's unspent money is savings: the rates leave it out
        savings = max(allocated - disbursed, 0.0) if completed else 0.0
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
            "plan_allocated": round(sum(float(p.get(c) or 0) for c in SOURCE_COLUMNS.values()),
                                    2),  # as first approved; ``allocated``: as amended
            "completed": completed, "savings": round(savings, 2),
            "rate_base": round(allocated - savings, 2),
            **{f"allocated_{k}": round(v, 2) for k, v in reference.items()},
            **{f"disbursed_{k}": round(by_source.get(k, 0.0), 2) for k in SOURCES},
        })
    if not rows:  # a new workspace: no projects yet, but every report still has its columns
        return pd.DataFrame(columns=[*_PROJECT_COLUMNS, "progress", "disbursed_pct"])
    frame = pd.DataFrame(rows)
    frame["progress"] = frame.apply(
        lambda r: round(100 * r["activities_done"] / r["activities_total"], 2)
        if r["activities_total"] else 0.0, axis=1)
    frame["disbursed_pct"] = frame.apply(
        lambda r: round(100 * r["disbursed"] / r["rate_base"], 2) if r["rate_base"] else None,
        axis=1)
    return frame


_PROJECT_COLUMNS = (
    "code", "name", "group", "owner", "owner_email", "budget_type", "planned_start",
    "planned_end", "indicators", "cancelled", "has_report", "submission_id", "sha256",
    "received_at", "report_kind", "report_kind_th", "data_as_of", "status", "status_th",
    "activities_total", "activities_done", "allocated", "disbursed", "plan_allocated",
    "completed", "savings", "rate_base", "allocated_obec", "allocated_esa", "allocated_other",
    "disbursed_obec", "disbursed_esa", "disbursed_other", "disbursed_none")
#: Budget sources as the workbook names them (``none``: money spent with no allocation).
SOURCES = ("obec", "esa", "other", "none")


def activity_status_th(key: str | None) -> str:
    return choice_label(ACTIVITY_STATUSES, key)


def target_quarter(fiscal_year: int, as_of: dt.date) -> int | None:
    """The fiscal quarter whose disbursement target applies on ``as_of``: the one it falls
    in (Q4 after the year's end: the year's last target stands); none before the year."""
    start, end = thai.fiscal_year_bounds(fiscal_year)
    if as_of < start:
        return None
    return 4 if as_of > end else thai.fiscal_quarter_of(as_of)


def default_as_of(fiscal_year: int, today: dt.date | None = None) -> dt.date:
    """min(today, the fiscal year's last day): a closed year's reports stand at its end."""
    return min(today or dt.date.today(), thai.fiscal_year_bounds(fiscal_year)[1])
