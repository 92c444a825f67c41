"""Activity baselines: the planned dates an activity was first accepted with.

A late activity must not vanish because the next report moved its dates. Each activity's
baseline is the planned dates of the first accepted report (by data date, arrival, id)
that names it; a report that moves them again counts as one more move. Moving is allowed
as เลื่อนการดำเนินการ with a reason (the remarks column): the overdue list then shows it as
rescheduled, with both dates and the number of moves; otherwise it is a finding on the
list. An activity of an earlier report that the current report no longer names is listed
too. Activities are matched by name (spaces and case folded).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tps_batch import thai
from tps_batch.reports.data import OPEN_ACTIVITY, ReportData

KINDS = ("rescheduled", "rescheduled-without-reason", "activity-removed")


def _key(name: Any) -> str:
    return " ".join(str(name or "").split()).casefold()


def activity_history(data: ReportData) -> dict[str, list[tuple[dict[str, Any], list[dict]]]]:
    """Per project, its accepted reports in order, each with its activity rows."""
    subs = data.submissions
    acts = data.tables.get("_all_activities")
    if subs.empty or acts is None or acts.empty:
        return {}
    ok = subs[(subs["status"] != "rejected") & subs["project_code"].notna()].copy()
    ok["_as_of"] = ok["as_of"].fillna(dt.date.min)
    ok = ok.sort_values(["project_code", "_as_of", "received_at", "id"])
    by_sid: dict[int, list[dict[str, Any]]] = {}
    for r in acts.sort_values(["submission_id", "seq"]).to_dict("records"):
        by_sid.setdefault(int(r["submission_id"]), []).append(r)
    out: dict[str, list[tuple[dict[str, Any], list[dict]]]] = {}
    for s in ok.to_dict("records"):
        out.setdefault(str(s["project_code"]), []).append((s, by_sid.get(int(s["id"]), [])))
    return out


def baseline_rows(data: ReportData, projects: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Moved and vanished activities of ``projects`` (code → project row) as of the date.

    Returns dicts with ``project_code``, ``key`` (the matched name), ``kind`` (one of
    :data:`KINDS`), ``activity``, ``due`` (the baseline end, or the current report's data
    date for a vanished one), ``detail``, ``baseline_end``, ``planned_end`` and ``moves``.
    """
    out: list[dict[str, Any]] = []
    for code, history in activity_history(data).items():
        p = projects.get(code)
        if p is None or p.get("submission_id") is None or len(history) < 2:
            continue
        baseline: dict[str, tuple[Any, Any]] = {}
        moves: dict[str, int] = {}
        last: dict[str, tuple[Any, Any]] = {}
        names: dict[str, str] = {}
        for _sub, rows in history:
            for a in rows:
                k, dates = _key(a["name"]), (a["planned_start"], a["planned_end"])
                names.setdefault(k, a["name"])
                baseline.setdefault(k, dates)
                if k in last and last[k] != dates:
                    moves[k] = moves.get(k, 0) + 1
                last[k] = dates
        current_sub, current = history[-1]
        if int(current_sub["id"]) != int(p["submission_id"]):
            continue  # history and the report's current submission disagree: say nothing
        named = {_key(a["name"]) for a in current}
        for a in current:
            k = _key(a["name"])
            base_end = baseline[k][1]
            if not moves.get(k) or base_end is None or a["status"] not in OPEN_ACTIVITY \
                    or base_end >= data.as_of or (a["planned_start"], a["planned_end"]) \
                    == baseline[k]:
                continue
            reason = (a.get("remarks") or "").strip()
            ok = a["status"] == "postponed" and bool(reason)
            detail = (f"เลื่อนจาก {thai.format_date_short(base_end)} เป็น "
                      f"{thai.format_date_short(a['planned_end']) if a['planned_end'] else '-'}"
                      f" ({moves[k]} ครั้ง; moved {moves[k]}×)"
                      + (f" เหตุผล: {reason}" if ok else " ไม่ได้ระบุสถานะเลื่อนและเหตุผล"))
            out.append({"project_code": code, "key": k, "activity": a["name"],
                        "kind": "rescheduled" if ok else "rescheduled-without-reason",
                        "due": base_end, "detail": detail, "baseline_end": base_end,
                        "planned_end": a["planned_end"], "moves": moves[k]})
        for k, dates in baseline.items():
            if k not in named:
                due = current_sub["as_of"] or data.as_of
                out.append({"project_code": code, "key": k, "activity": names[k],
                            "kind": "activity-removed", "due": min(due, data.as_of),
                            "detail": "มีในรายงานก่อนหน้าแต่ไม่มีในรายงานฉบับล่าสุด "
                                      f"(แผนเดิมสิ้นสุด {thai.format_date_short(dates[1])})"
                                      if dates[1] else "มีในรายงานก่อนหน้าแต่ไม่มีในฉบับล่าสุด",
                            "baseline_end": dates[1], "planned_end": None,
                            "moves": moves.get(k, 0)})
    return out
