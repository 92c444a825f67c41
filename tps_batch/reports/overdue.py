"""Overdue list: what is late as of the date, grouped by work group and person to call.

Six kinds, each one row per item with the days it is overdue: late activities, projects
past their end without a final report, plan projects with no report for a period whose
deadline has passed, rejected submissions not yet resubmitted, disbursement behind the
cumulative quarterly target (per project, per group, office total), indicator reports
past their deadline, and indicator results not marked entered into ITA, e-MES or KRS by
their round's deadline (the hand-off sheets list them).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from tps_batch import thai
from tps_batch.reports.baselines import baseline_rows
from tps_batch.reports.completeness import covering_reports, expected_projects
from tps_batch.reports.data import OPEN_ACTIVITY, ReportData, activity_status_th, target_quarter
from tps_batch.reports.indicators import indicator_rows

KINDS = {
    "late-activity": ("กิจกรรมเลยกำหนด", "Activity past its planned end"),
    "no-final-report": ("สิ้นสุดโครงการแล้วแต่ยังไม่ส่งรายงานฉบับสมบูรณ์",
                        "Project ended without a final report"),
    "missing-report": ("ยังไม่ส่งรายงานตามกำหนด", "No report by the reporting deadline"),
    "rejected-not-resubmitted": ("ไฟล์ไม่ผ่านและยังไม่ส่งใหม่", "Rejected, not resubmitted"),
    "disbursement-behind": ("เบิกจ่ายต่ำกว่าเป้าหมาย", "Disbursement behind target"),
    "indicator-overdue": ("รายงานตัวชี้วัดเลยกำหนด", "Indicator report past deadline"),
    "indicator-not-entered": ("ยังไม่บันทึกผลตัวชี้วัดในระบบ", "Result not entered into its system"),
    "rescheduled": ("เลื่อนกำหนดกิจกรรม", "Activity rescheduled past its baseline"),
    "rescheduled-without-reason": ("เปลี่ยนวันตามแผนโดยไม่ระบุการเลื่อนและเหตุผล",
                                   "Planned dates changed without postponement and reason"),
    "activity-removed": ("กิจกรรมหายไปจากรายงานฉบับล่าสุด",
                         "Activity missing from the latest report"),
}
COLUMNS = ["group", "person", "kind", "kind_th", "project_code", "project_name", "item",
           "due", "days_overdue", "detail"]


def _row(kind: str, group: str, person: str, due: dt.date, as_of: dt.date, *,
         code: str = "", name: str = "", item: str = "", detail: str = "") -> dict[str, Any]:
    return {"group": group, "person": person or "-", "kind": kind, "kind_th": KINDS[kind][0],
            "project_code": code, "project_name": name, "item": item, "due": due,
            # 0 for a quarter's target whose date has not come: behind it, not yet late
            "days_overdue": max((as_of - due).days, 0), "detail": detail}


def overdue_rows(data: ReportData,
                 indicators: list[dict[str, Any]] | None = None) -> pd.DataFrame:
    """The overdue list; ``indicators``: the run's :func:`indicator_rows`, if already made."""
    as_of, rows = data.as_of, []
    projects = data.projects
    live = projects[~projects["cancelled"]] if len(projects) else projects
    by_code = {r["code"]: r for r in live.to_dict("records")}
    moved = baseline_rows(data, by_code)
    shown = {(m["project_code"], m["key"]) for m in moved}
    acts = data.table("activities")
    for a in acts.to_dict("records"):
        p = by_code.get(a["project_code"])
        end = a["planned_end"]
        if p and end and end < as_of and a["status"] in OPEN_ACTIVITY \
                and (p["code"], _key(a["name"])) not in shown:
            rows.append(_row("late-activity", p["group"], p["owner"], end, as_of,
                             code=p["code"], name=p["name"], item=a["name"],
                             detail=activity_status_th(a["status"])))
    for m in moved:
        p = by_code[m["project_code"]]
        rows.append(_row(m["kind"], p["group"], p["owner"], m["due"], as_of, code=p["code"],
                         name=p["name"], item=m["activity"], detail=m["detail"]))
    for p in by_code.values():
        if p["planned_end"] < as_of and p["report_kind"] != "final":
            rows.append(_row("no-final-report", p["group"], p["owner"], p["planned_end"], as_of,
                             code=p["code"], name=p["name"],
                             item="รายงานฉบับสมบูรณ์", detail=p["report_kind_th"]))
    rows += _missing_reports(data)
    rows += _rejected(data, by_code)
    rows += _disbursement(data, live)
    for ind in indicator_rows(data) if indicators is None else indicators:
        if ind["deadline_status"] == "missed":
            rows.append(_row("indicator-overdue", ind["owner_group"], ind["owner_head"],
                             ind["deadline"], as_of, code=f"{ind['framework']} {ind['code']}",
                             name=ind["name"], item="รายงานผลตัวชี้วัด",
                             detail=f"{ind['round']}: ยังไม่รายงานผล"))
        elif not_entered(ind, as_of):
            rows.append(_row("indicator-not-entered", ind["owner_group"], ind["owner_head"],
                             ind["deadline"], as_of, code=f"{ind['framework']} {ind['code']}",
                             name=ind["name"], item=f"บันทึกผลในระบบ {ind['system']}",
                             detail=f"{ind['round']}: ผล {ind['result_text']} ยังไม่บันทึกในระบบ "
                                    f"{ind['system']} (not entered into {ind['system']})"))
    # groups and people in Thai dictionary order, the longest overdue first
    rows.sort(key=lambda r: (thai.sort_key(r["group"]), thai.sort_key(r["person"]),
                             -r["days_overdue"], r["kind"], r["project_code"],
                             thai.sort_key(r["item"])))
    return pd.DataFrame(rows, columns=COLUMNS)


#: the external systems a result is handed to (the hand-off sheets, one per system)
HANDOFF_SYSTEMS = ("ITA", "e-MES", "KRS")


def not_entered(ind: dict[str, Any], as_of: dt.date) -> bool:
    """A result is in, its round's deadline has passed, and no one marked it entered into
    the system that collects it (``entered_on`` empty)."""
    entered = ind.get("entered_on")
    return (ind.get("system") in HANDOFF_SYSTEMS and ind.get("round") is not None
            and (ind.get("value") is not None or ind.get("level") is not None)
            and ind.get("deadline") is not None and ind["deadline"] < as_of
            and (entered is None or (not isinstance(entered, dt.date) and pd.isna(entered))))


def _key(name: Any) -> str:
    return " ".join(str(name or "").split()).casefold()


def _missing_reports(data: ReportData) -> list[dict[str, Any]]:
    """For each project, the latest period past its deadline with no covering report."""
    out: dict[str, dict[str, Any]] = {}
    for period in data.plan.calendar(data.fiscal_year):
        if period["due"] >= data.as_of:
            continue
        covered = covering_reports(data, period)
        for p in expected_projects(data, period).to_dict("records"):
            if p["code"] not in covered:
                missed = out.get(p["code"], {}).get("_missed", 0) + 1
                out[p["code"]] = {**_row("missing-report", p["group"], p["owner"], period["due"],
                                         data.as_of, code=p["code"], name=p["name"],
                                         item=period["period"],
                                         detail=f"ขาดส่ง {missed} งวด (missed {missed})"),
                                  "_missed": missed}
    return [{k: v for k, v in r.items() if k != "_missed"} for r in out.values()]


def _rejected(data: ReportData, by_code: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    subs = data.submissions
    rows = []
    if subs.empty:
        return rows
    heads = {g["name"]: g.get("head") or "" for g in data.plan.groups}
    for r in subs[subs["status"] == "rejected"].to_dict("records"):
        # an indicator report is resubmitted per group and round, a project report per code
        group = r.get("group_name") if isinstance(r.get("group_name"), str) else None
        same = ((subs["group_name"] == group) & (subs["round"] == r.get("round"))
                if group and r.get("round") and "group_name" in subs.columns
                else subs["project_code"] == r["project_code"])
        later = subs[same & (subs["status"] != "rejected")
                     & (subs["received_at"] > r["received_at"])] \
            if r["project_code"] or group else []
        if len(later):
            continue
        p = by_code.get(r["project_code"] or "")
        received = r["received_at"].date()
        group = data.plan.canonical_group(group) or group if group else None
        rows.append(_row("rejected-not-resubmitted",
                         p["group"] if p else group or "ไม่ทราบกลุ่ม (unknown group)",
                         p["owner"] if p else heads.get(group or "", ""), received, data.as_of,
                         code=r["project_code"] or "", name=p["name"] if p else "",
                         item=r["file_name"],
                         detail=f"ข้อผิดพลาด {r['errors']} รายการ (errors {r['errors']})"))
    return rows


def disbursement_target(data: ReportData, scope: str | None) -> dict[str, Any] | None:
    """The cumulative target (%) disbursement is held to on the as-of: that of the quarter
    the as-of falls in, at its end (``quarter-end``) or pro-rated by the days gone in it
    from the previous quarter's target (``pro-rated``); the setting says which."""
    q = target_quarter(data.fiscal_year, data.as_of)
    if q is None:
        return None
    targets = {(t["scope"], t["quarter"]): t["target_percent"]
               for t in data.plan.disbursement_targets(data.fiscal_year)}
    key = next((k for k in (scope, "overall") if (k, q) in targets), None)
    if key is None:
        return None
    start, end = thai.quarter_bounds(data.fiscal_year, q)
    percent, due = float(targets[(key, q)]), end
    rule = "quarter-end"
    if data.target_rule == "pro-rated" and data.as_of < end:
        before = float(targets.get((key, q - 1), 0.0)) if q > 1 else 0.0
        gone = (data.as_of - start).days + 1
        percent = round(before + (percent - before) * gone / ((end - start).days + 1), 2)
        due, rule = data.as_of, "pro-rated"
    return {"quarter": q, "percent": percent, "due": due, "rule": rule,
            "quarter_target": float(targets[(key, q)]),
            "label": f"{thai.quarter_label(q)} ≥ {percent:g}%"
                     + (" (เฉลี่ยตามวัน pro-rated)" if rule == "pro-rated" else "")}


RULES_TH = {"quarter-end": "เทียบกับเป้าหมายสะสม ณ สิ้นไตรมาสที่วันที่ข้อมูลอยู่ "
                           "(the target of the quarter the as-of falls in, at its end)",
            "pro-rated": "เทียบกับเป้าหมายเฉลี่ยตามจำนวนวันที่ผ่านไปในไตรมาสที่วันที่ข้อมูลอยู่ "
                         "(pro-rated within the quarter the as-of falls in)"}


def _disbursement(data: ReportData, live: pd.DataFrame) -> list[dict[str, Any]]:
    """Projects, groups and the office behind the target. A completed project is not: its
    unspent money is savings, left out of every rate (``rate_base``)."""
    rows: list[dict[str, Any]] = []
    overall = disbursement_target(data, None)
    if not overall or live.empty:
        return rows
    funded = live[live["rate_base"] > 0]
    for p in funded[~funded["completed"].astype(bool)].to_dict("records"):
        target = disbursement_target(data, p["budget_type"])
        if target and (p["disbursed_pct"] or 0) < target["percent"]:
            rows.append(_row("disbursement-behind", p["group"], p["owner"], target["due"],
                             data.as_of, code=p["code"], name=p["name"], item=target["label"],
                             detail=f"{p['disbursed_pct'] or 0:.2f}%"))
    heads = {g["name"]: g.get("head") or "" for g in data.plan.groups}
    for group, g in funded.groupby("group"):
        pct = 100 * g["disbursed"].sum() / g["rate_base"].sum()
        if pct < overall["percent"]:
            rows.append(_row("disbursement-behind", str(group), heads.get(str(group), ""),
                             overall["due"], data.as_of,
                             item=f"ภาพรวมกลุ่ม {overall['label']}", detail=f"{pct:.2f}%"))
    pct = 100 * funded["disbursed"].sum() / funded["rate_base"].sum() if len(funded) else 0
    if len(funded) and pct < overall["percent"]:
        rows.append(_row("disbursement-behind", "ภาพรวมสำนักงาน (office)", "", overall["due"],
                         data.as_of, item=f"ภาพรวมสำนักงาน {overall['label']}",
                         detail=f"{pct:.2f}%"))
    return rows


ACTIVITY_KINDS = ("late-activity", "rescheduled", "rescheduled-without-reason",
                  "activity-removed")
INDICATOR_KINDS = ("indicator-overdue", "indicator-not-entered")
JSON_KEYS = ("kind", "group", "person", "project_code", "activity", "indicator", "due",
             "days_overdue", "detail")


def overdue_json(data: ReportData, frame: pd.DataFrame) -> dict[str, Any]:
    """``overdue.json``: each item with exactly :data:`JSON_KEYS` (see the README)."""
    items = []
    for r in frame.to_dict("records") if len(frame) else []:
        activity = r["item"] if r["kind"] in ACTIVITY_KINDS else None
        indicator = r["project_code"] if r["kind"] in INDICATOR_KINDS else None
        code = None if indicator or not r["project_code"] else r["project_code"]
        detail = r["detail"] if activity or indicator or not r["item"] \
            else f"{r['item']}: {r['detail']}"
        items.append({"kind": r["kind"], "group": r["group"], "person": r["person"],
                      "project_code": code, "activity": activity, "indicator": indicator,
                      "due": r["due"].isoformat(), "days_overdue": int(r["days_overdue"]),
                      "detail": detail})
    return {"office": data.office_name, "fiscal_year": data.fiscal_year,
            "as_of": data.as_of.isoformat(), "items": items}
