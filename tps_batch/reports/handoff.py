"""Hand-off sheets: per external system (ITA, e-MES, KRS), what the planning group enters.

Each indicator the catalog reports to one of these systems, with the value and evidence
its owner group sent (the current result report of its latest round) and whether someone
marked it entered (``entered_on``, ``entered_ref``). The planning group works down the
list; a result still not entered once its round's deadline has passed is also on the
overdue list (kind ``indicator-not-entered``), by the same rule
(:func:`tps_batch.reports.overdue.not_entered`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from tps_batch.excel_report import XColumn as C
from tps_batch.excel_report import XSheet
from tps_batch.reports.overdue import HANDOFF_SYSTEMS, not_entered
from tps_batch.reports.registry import Report, register

#: entry states: label (Thai, English)
STATES = {
    "entered": ("บันทึกในระบบแล้ว", "entered"),
    "overdue": ("ยังไม่บันทึก เลยกำหนด", "not entered, past its deadline"),
    "to_enter": ("รอบันทึกในระบบ", "to enter"),
    "no_result": ("ยังไม่มีผลจากกลุ่ม", "no result from the group yet"),
}
SYSTEM_NAMES = {"ITA": "ITA Online", "e-MES": "e-MES (มาตรฐานสำนักงานเขตพื้นที่การศึกษา)",
                "KRS": "KRS (การประเมินส่วนราชการ)"}


def _date(v: Any) -> dt.date | None:
    if v is None or (not isinstance(v, (str, dt.date)) and pd.isna(v)):
        return None
    return v.date() if isinstance(v, (dt.datetime, pd.Timestamp)) else v


def handoff_rows(indicators: list[dict[str, Any]], as_of: dt.date) -> list[dict[str, Any]]:
    """One row per indicator reported to ITA, e-MES or KRS, in system then plan order."""
    out = []
    for system in HANDOFF_SYSTEMS:
        for r in indicators:
            if r["system"] != system:
                continue
            has_result = r["value"] is not None or r["level"] is not None
            entered = _date(r["entered_on"]) if has_result else None
            state = ("entered" if entered else "overdue" if not_entered(r, as_of)
                     else "to_enter" if has_result else "no_result")
            value = r["result_text"] + (f" {r['unit']}" if r["unit"] and r["value"] is not None
                                        else "") if has_result else ""
            out.append({
                "system": system, "framework": r["framework"], "code": r["code"],
                "indicator": f"{r['framework']} {r['code']}", "name": r["name"],
                "owner_group": r["owner_group"], "owner_person": r["owner_person"],
                "target_text": r["target_text"], "round": r["round"] or "",
                "deadline": r["deadline"], "value_text": value,
                "evidence": r["evidence"] if has_result else "",
                "evidence_link": r["evidence_link"] if has_result else "",
                "reported_at": _date(r["reported_at"]), "entered_on": entered,
                "entered_ref": r["entered_ref"] if entered else "",
                "state": state, "state_th": STATES[state][0], "status_th": r["status_th"]})
    return out


def by_system(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per system: its rows and how many are in each entry state."""
    out = []
    for system in HANDOFF_SYSTEMS:
        mine = [r for r in rows if r["system"] == system]
        out.append({"system": system, "name": SYSTEM_NAMES[system], "rows": mine,
                    "counts": {k: sum(r["state"] == k for r in mine) for k in STATES}})
    return out


COLUMNS = [C("indicator", "ตัวชี้วัด", "Indicator"), C("name", "ชื่อตัวชี้วัด", "Name", width=50),
           C("owner_group", "กลุ่มที่รับผิดชอบ", "Owner group", width=36),
           C("round", "รอบ", "Round"), C("deadline", "กำหนด", "Deadline", "date"),
           C("target_text", "ค่าเป้าหมาย", "Target"),
           C("value_text", "ผลที่ต้องบันทึก", "Value to enter"),
           C("evidence", "หลักฐาน", "Evidence", width=40),
           C("evidence_link", "ลิงก์หลักฐาน", "Evidence link", width=36),
           C("entered_on", "วันที่บันทึกในระบบ", "Entered on", "date"),
           C("entered_ref", "เลขอ้างอิงในระบบ", "System reference"),
           C("state_th", "สถานะการบันทึก", "Entry state", width=24)]


def handoff_sheets(rows: list[dict[str, Any]]) -> list[XSheet]:
    return [XSheet(s["system"], f"รายการบันทึกผลตัวชี้วัดในระบบ {s['name']}", COLUMNS, s["rows"])
            for s in by_system(rows)]


register(Report(
    "handoff", "รายการบันทึกผลตัวชี้วัดในระบบภายนอก", "Hand-off sheets for ITA, e-MES and KRS",
    rows=lambda ctx: handoff_rows(ctx.rows("indicators"), ctx.data.as_of),
    template="handoff.html",
    page=lambda ctx: {"systems": by_system(ctx.rows("handoff")), "states": STATES},
    sheets=lambda ctx: handoff_sheets(ctx.rows("handoff")), formats=("xlsx", "html", "pdf")))

