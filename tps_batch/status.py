"""``tps status``: what a planning officer checks in the morning."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from tps_batch import store, thai
from tps_batch.collect import scan_inbox
from tps_batch.errors import TpsError
from tps_batch.plan import read_plan
from tps_batch.run import last_runs
from tps_batch.scheduler import next_slot, utc_now
from tps_batch.settings import Settings


def workspace_status(ws: Settings, *, limit: int = 5) -> dict[str, Any]:
    found = scan_inbox(ws)  # everything present is counted, in exactly one of these
    waiting = len(found.ready) + len(found.settling)
    engine = store.connect(ws.db_url)
    s = store.submissions
    with engine.connect() as conn:
        by_status = dict(conn.execute(sa.select(s.c.status, sa.func.count())
                                      .group_by(s.c.status)).all())
        current = conn.execute(sa.select(sa.func.count()).where(s.c.is_current.is_(True))
                               ).scalar()
    engine.dispose()
    try:
        plan = read_plan(ws.path("plan"))
        plan_info: dict[str, Any] = {
            "file": ws.path("plan").name,
            "errors": sum(f.severity == "error" for f in plan.findings),
            "warnings": sum(f.severity == "warning" for f in plan.findings),
            "findings": [f.to_dict() for f in plan.findings]}
    except TpsError as exc:  # no plan, or unreadable: that is the status
        plan_info = {"file": ws.path("plan").name, "errors": 1, "warnings": 0,
                     "findings": [], "fatal": f"{exc.message_th} ({exc.message_en})"}
    return {
        "workspace": str(ws.workspace), "fiscal_year": ws.fiscal_year,
        "inbox_waiting": waiting,
        "inbox": {"ready": len(found.ready), "settling": len(found.settling),
                  "owner_files": len(found.owner_files), "present": found.present},
        "plan": plan_info,
        "dataset": {"submissions": sum(by_status.values()), **by_status,
                    "current_projects": current},
        "next_run": next_slot(utc_now(), ws.run_time, ws.timezone).isoformat(),
        "runs": last_runs(ws, limit),
    }


_OUTCOME_TH = {"ok": "สำเร็จ", "partial": "สำเร็จบางส่วน", "failed": "ล้มเหลว",
               "stopped": "หยุด", "running": "กำลังทำงาน"}
_COUNT_NAMES = {  # run-log counts, Thai / English
    "accepted": ("รับ", "accepted"), "warnings": ("มีคำเตือน", "with warnings"),
    "rejected": ("ไม่รับ", "rejected"), "duplicates": ("ซ้ำ", "duplicates"),
    "changed": ("เปลี่ยนระหว่างอ่าน", "changed while read"),
    "waiting": ("รอไฟล์นิ่ง", "settling"), "report_files": ("ไฟล์รายงาน", "report files"),
    "report_unchanged": ("รายงานไม่เปลี่ยน", "reports unchanged"),
    "mail_messages": ("อีเมล", "messages"), "mail_files": ("ไฟล์จากอีเมล", "mailed files"),
    "receipts_mailed": ("ใบตอบรับที่ส่ง", "receipts mailed"),
    "reminders_mailed": ("การแจ้งเตือนที่ส่ง", "reminders mailed"),
}
_STATUS_NAMES = {"accepted": ("รับ", "accepted"),
                 "accepted-with-warnings": ("รับโดยมีคำเตือน", "accepted with warnings"),
                 "rejected": ("ไม่รับ", "rejected")}


def be_time(value: Any) -> str:
    """A timestamp as Thai staff read it: "15 พ.ค. 2567 02:00" (B.E.)."""
    if value is None:
        return "…"
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        return f"{thai.format_date_short(value.date())} {value:%H:%M}"
    return thai.format_date_short(value)


def _counts(counts: dict[str, Any] | None) -> tuple[str, str]:
    known = [(k, v) for k, v in (counts or {}).items() if k in _COUNT_NAMES and v]
    return (" · ".join(f"{_COUNT_NAMES[k][0]} {v}" for k, v in known),
            ", ".join(f"{_COUNT_NAMES[k][1]} {v}" for k, v in known))


def status_lines(data: dict[str, Any]) -> list[str]:
    """``tps status`` for people: Thai with English beside, B.E. dates, no raw data."""
    box = data.get("inbox", {})
    lines = [f"กล่องรับไฟล์ / inbox: รออ่าน {data['inbox_waiting']} ไฟล์ "
             f"(ในจำนวนนี้รอไฟล์นิ่ง {box.get('settling', 0)}) · ไฟล์ล็อกของ Excel (~$) "
             f"{box.get('owner_files', 0)} — waiting {data['inbox_waiting']} "
             f"(of which settling {box.get('settling', 0)}), Excel owner files "
             f"{box.get('owner_files', 0)}"]
    d = data["dataset"]
    by = [(k, d.get(k, 0)) for k in _STATUS_NAMES]
    lines.append(f"ข้อมูล / dataset: รายงานที่รับเข้า {d['submissions']} ฉบับ ("
                 + " · ".join(f"{_STATUS_NAMES[k][0]} {v}" for k, v in by)
                 + f") โครงการที่มีข้อมูลล่าสุด {d['current_projects']} — submissions "
                 f"{d['submissions']} (" + ", ".join(f"{_STATUS_NAMES[k][1]} {v}" for k, v in by)
                 + f"), current projects {d['current_projects']}")
    lines.append(f"รอบถัดไป / next scheduled run: {be_time(data['next_run'][:16])}")
    if not data["runs"]:
        lines.append("ยังไม่เคยทำงาน / no runs yet")
    for r in data["runs"]:
        th, en = _counts(r.get("counts"))
        outcome = r["outcome"] or ""
        lines.append(f"  รอบที่ {r['id']} / run {r['id']}: {be_time(r['started_at'])} → "
                     f"{be_time(r['ended_at'])} {_OUTCOME_TH.get(outcome, outcome)} / {outcome}"
                     + (f" — {th} ({en})" if th else ""))
        if r.get("error"):
            lines.append(f"      {r['error'].splitlines()[0]}")
    return lines
