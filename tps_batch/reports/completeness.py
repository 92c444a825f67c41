"""Completeness and timeliness per group and reporting period (DHIS2's reporting rate).

A project is *expected* to report for a period when it runs during it (a final-report
period expects every project that is not cancelled). A report *covers* a period when it
was accepted, received by the as-of date, and its data date reaches the period's end
(within a week's grace; a final period needs a final report); a final report covers every
period from its data date to the year's end, whenever it was filed (a project that ended
in March has nothing more to report for June). It is *on time* when a
covering report was received by the due date. Counting projects, not files, keeps the
rates at or below 100%: a resubmission is the same report again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from tps_batch import thai
from tps_batch.reports.data import ReportData

GRACE = dt.timedelta(days=7)
COLUMNS = ["period", "kind", "period_end", "due", "group", "expected", "received", "on_time",
           "rate", "on_time_rate", "state"]


def period_start(data: ReportData, period: dict[str, Any]) -> dt.date:
    earlier = [p["period_end"] for p in data.plan.calendar(data.fiscal_year)
               if p["period_end"] < period["period_end"]]
    return max(earlier) + dt.timedelta(days=1) if earlier else data.fy_bounds[0]


def expected_projects(data: ReportData, period: dict[str, Any]) -> pd.DataFrame:
    p = data.projects
    if p.empty:
        return p
    p = p[~p["cancelled"] & (p["planned_start"] <= period["period_end"])]
    if period["kind"] != "final":
        p = p[p["planned_end"] >= period_start(data, period)]
    return p


def _covering(data: ReportData, period: dict[str, Any]) -> pd.DataFrame:
    subs = data.submissions
    if subs.empty:
        return subs
    ok = subs[(subs["status"] != "rejected") & subs["as_of"].notna()]
    ok = ok[(ok["as_of"] >= period["period_end"] - GRACE) | (ok["report_kind"] == "final")]
    if period["kind"] == "final":
        ok = ok[ok["report_kind"] == "final"]
    return ok


def covering_reports(data: ReportData, period: dict[str, Any]) -> set[str]:
    return set(_covering(data, period)["project_code"].dropna()) if len(data.submissions) \
        else set()


def on_time_reports(data: ReportData, period: dict[str, Any]) -> set[str]:
    ok = _covering(data, period)
    if ok.empty:
        return set()
    due_end = dt.datetime.combine(period["due"], dt.time.max)
    return set(ok[ok["received_at"] <= due_end]["project_code"].dropna())


def completeness_rows(data: ReportData) -> pd.DataFrame:
    rows = []
    groups = thai.sorted_thai(g["name"] for g in data.plan.groups)
    for period in data.plan.calendar(data.fiscal_year):
        if period["period_end"] > data.as_of:
            continue
        expected = expected_projects(data, period)
        received, on_time = covering_reports(data, period), on_time_reports(data, period)
        state = "ครบกำหนดแล้ว" if period["due"] < data.as_of else "ยังไม่ถึงกำหนดส่ง"
        for group in groups:
            codes = set(expected[expected["group"] == group]["code"]) if len(expected) else set()
            rows.append(_rate_row(period, group, codes, received, on_time, state))
        codes = set(expected["code"]) if len(expected) else set()
        rows.append(_rate_row(period, "รวมทั้งสำนักงาน (office total)", codes, received, on_time,
                              state))
    return pd.DataFrame(rows, columns=COLUMNS)


def _rate_row(period: dict[str, Any], group: str, codes: set[str], received: set[str],
              on_time: set[str], state: str) -> dict[str, Any]:
    n, got, timely = len(codes), len(codes & received), len(codes & on_time)
    return {"period": period["period"], "kind": period["kind"],
            "period_end": period["period_end"], "due": period["due"], "group": group,
            "expected": n, "received": got, "on_time": timely,
            "rate": round(100 * got / n, 2) if n else None,
            "on_time_rate": round(100 * timely / n, 2) if n else None, "state": state}


JSON_KEYS = ("group", "period", "expected", "received", "on_time")


def completeness_json(data: ReportData, frame: pd.DataFrame) -> dict[str, Any]:
    """``completeness.json``: one item per group and period with exactly :data:`JSON_KEYS`
    (the office total is the group ``รวมทั้งสำนักงาน (office total)``)."""
    items = [{"group": r["group"], "period": r["period"], "expected": int(r["expected"]),
              "received": int(r["received"]), "on_time": int(r["on_time"])}
             for r in (frame.to_dict("records") if len(frame) else [])]
    return {"office": data.office_name, "fiscal_year": data.fiscal_year,
            "as_of": data.as_of.isoformat(), "items": items}
