"""Indicator summary: per indicator, its target against its reported result, and a status.

Results come from the indicator result reports (one per owner group per round; the
current report of a group and round is its latest accepted one received by the as-of).
The status follows :mod:`tps_batch.indicator_status` (its docstring has the rules, one
sentence each). Values are never added across indicators: each keeps its own unit. Linked
projects (by the plan's ``ITA:O10; …`` or the project report's indicator table) are shown
with their progress and contribution text as supporting evidence, not as the result.

``deadline_status`` keeps the older summary's vocabulary for the annual report and the
overdue list: ``missed`` = a round's deadline passed without a result, ``met`` = a result
is in, ``coming`` = the next deadline is within ``due_soon_days``, ``pending``, ``none``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from tps_batch.indicator_catalog import key, match
from tps_batch.indicator_status import STATUSES, Result, standing
from tps_batch.reports.data import ReportData

STATES = {"met": "รายงานผลแล้ว", "missed": "เลยกำหนด", "coming": "ใกล้ถึงกำหนด",
          "pending": "ยังไม่ถึงกำหนด", "none": "ไม่มีกำหนดส่ง"}
#: the keys of indicators.json, in order (the README lists them)
JSON_KEYS = ("framework", "code", "name", "owner_group", "unit", "target", "value", "level",
             "round", "deadline", "reported_at", "status")


def state_label(state: str, deadline: dt.date | None, as_of: dt.date) -> str:
    """The Thai label; a coming deadline says how many days are really left."""
    if state == "coming" and deadline is not None:
        left = (deadline - as_of).days
        return "ใกล้ถึงกำหนด (ครบกำหนดวันนี้)" if left == 0 else f"ใกล้ถึงกำหนด (อีก {left} วัน)"
    return STATES[state]


def load_results(db_url: str, data: ReportData) -> pd.DataFrame:
    """The rows of each group's and round's current indicator report as of ``data.as_of``,
    with ``received_at`` of their report."""
    import sqlalchemy as sa

    from tps_batch import store

    subs = data.submissions
    columns = [c.name for c in store.indicator_results.columns] + ["received_at"]
    if subs.empty or "kind" not in subs.columns:
        return pd.DataFrame(columns=columns)
    ok = subs[(subs["kind"] == store.INDICATOR_KIND) & (subs["status"] != "rejected")].copy()
    if ok.empty:
        return pd.DataFrame(columns=columns)
    ok["_as_of"] = ok["as_of"].fillna(dt.date.min)
    ok = ok.sort_values(["group_name", "round", "_as_of", "received_at", "id"])
    current = ok.groupby(["group_name", "round"])["id"].last()
    ids = [int(i) for i in current.tolist()]
    received = dict(zip(ok["id"], ok["received_at"], strict=True))
    t = store.indicator_results
    engine = store.connect(db_url)
    try:
        with engine.connect() as conn:
            rows = [dict(r._mapping) for r in conn.execute(
                sa.select(t).where(t.c.submission_id.in_(ids)).order_by(t.c.submission_id,
                                                                          t.c.seq))]
    finally:
        engine.dispose()
    for r in rows:
        r["received_at"] = received[r["submission_id"]]
    return pd.DataFrame(rows, columns=columns)


def with_results(data: ReportData, ws: Any) -> ReportData:
    """``data`` carrying its indicator results and the margin setting, so that
    :func:`indicator_rows` (and whatever wraps it) takes the run's data alone."""
    if getattr(data, "indicator_results", None) is None:
        data.indicator_results = load_results(ws.db_url, data)  # type: ignore[attr-defined]
        data.indicator_margin_percent = ws.indicator_margin_percent  # type: ignore[attr-defined]
    return data


def _links(data: ReportData) -> dict[str, dict[str, str]]:
    """indicator key → linked project code → the project's contribution text."""
    links: dict[str, dict[str, str]] = {}
    for p in data.projects.to_dict("records") if len(data.projects) else []:
        for fw, code in p["indicators"]:
            links.setdefault(match(key(fw, code)), {}).setdefault(p["code"], "")
    ind = data.table("indicators")
    for r in ind.to_dict("records") if len(ind) else []:
        if r["framework"] and r["code"]:
            mine = links.setdefault(match(key(r["framework"], r["code"])), {})
            text = r.get("contribution")
            mine[r["project_code"]] = text if isinstance(text, str) else mine.get(
                r["project_code"], "")
    return links


def _shown(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return str(value)


def indicator_rows(data: ReportData, results: pd.DataFrame | None = None, *,
                   margin_percent: float | None = None) -> list[dict[str, Any]]:
    """One row per indicator of the year's catalog, in the plan's order. ``results``:
    :func:`load_results` (default: those :func:`with_results` attached; none: nothing
    reported); ``margin_percent`` likewise (default 10)."""
    if results is None:
        results = getattr(data, "indicator_results", None)
    if margin_percent is None:
        margin_percent = getattr(data, "indicator_margin_percent", 10.0)
    plan, as_of = data.plan, data.as_of
    links = _links(data)
    projects = {p["code"]: p for p in data.projects.to_dict("records")} if len(data.projects) \
        else {}
    heads = {g["name"]: g.get("head") or "" for g in plan.groups}
    frameworks = {f["code"]: f["name_th"] for f in plan.rows.get("frameworks", [])}
    by_code: dict[str, list[dict[str, Any]]] = {}
    for r in results.to_dict("records") if results is not None and len(results) else []:
        by_code.setdefault(match(r["code"]), []).append(r)
    rows = []
    for row in plan.indicators(data.fiscal_year):
        ind = plan.as_indicator(row)
        owner = plan.canonical_group(row["owner_group"]) or row["owner_group"]
        mine = [r for r in by_code.get(match(key(ind.framework, ind.code)), [])
                if r["group_name"] == owner]
        got = {r["round"]: r for r in mine}
        res = [Result(r["round"], pd.Timestamp(r["received_at"]).date(),
                      _num(r["value"]), _text(r["level"])) for r in mine]
        st = standing(ind, res, as_of, margin_percent=margin_percent,
                      received_by=data.received_by)
        latest = got.get(st.round) if st.result is not None else None
        deadline = st.deadline if st.deadline is not None else st.next_deadline
        state = _state(st.status, ind.rounds, st.next_deadline, as_of, data.due_soon_days)
        linked = {c: t for c, t in links.get(match(key(ind.framework, ind.code)), {}).items()
                  if c in projects and not projects[c]["cancelled"]}
        codes = sorted(linked)
        done = sum(projects[c]["activities_done"] for c in codes)
        total = sum(projects[c]["activities_total"] for c in codes)
        rows.append({
            "framework": ind.framework, "framework_name": frameworks.get(ind.framework, ""),
            "code": ind.code, "name": ind.name, "owner_group": owner,
            "owner_person": row.get("owner") or heads.get(owner, ""),
            "owner_head": heads.get(owner, ""), "unit": ind.unit, "kind": ind.kind,
            "direction": ind.direction, "system": row.get("system") or "",
            "target": ind.target, "target_text": row.get("target") or _shown(ind.target),
            "value": st.result.value if st.result else None,
            "level": st.result.level if st.result else None,
            "result_text": _shown(st.result.value if st.result and st.result.value is not None
                                  else st.result.level if st.result else None),
            "round": st.round, "deadline": deadline, "late": st.late,
            "reported_at": latest["received_at"] if latest is not None else None,
            "evidence": (latest or {}).get("evidence") or "",
            "evidence_link": (latest or {}).get("evidence_link") or "",
            "entered_on": (latest or {}).get("entered_on"),
            "entered_ref": (latest or {}).get("entered_ref") or "",
            "status": st.status, "status_th": STATUSES[st.status][0],
            "trend": st.trend,
            "trend_text": " → ".join(f"{n}: {_shown(v)}" for n, v in st.trend),
            "rounds": [r.name for r in ind.rounds], "next_deadline": st.next_deadline,
            "deadline_status": state,
            "deadline_status_th": state_label(state, st.next_deadline if state == "coming"
                                              else deadline, as_of),
            "linked": len(codes),
            "projects": [{"code": c, "name": projects[c]["name"],
                          "status_th": projects[c]["status_th"],
                          "progress": projects[c]["progress"],
                          "contribution": linked[c]} for c in codes],
            "project_codes": ", ".join(codes),
            "progress": round(100 * done / total, 2) if total else 0.0,
            "allocated": round(sum(projects[c]["allocated"] for c in codes), 2),
            "disbursed": round(sum(projects[c]["disbursed"] for c in codes), 2),
        })
    return rows


def _num(v: Any) -> float | None:
    return None if v is None or pd.isna(v) else float(v)


def _text(v: Any) -> str | None:
    return v if isinstance(v, str) else None


def _state(status: str, rounds: tuple, nxt: dt.date | None, as_of: dt.date,
           due_soon: int) -> str:
    if not rounds:
        return "none"
    if status == "not_reported":
        return "missed"
    if status != "not_due":
        return "met"
    if nxt is not None and nxt <= as_of + dt.timedelta(days=due_soon):
        return "coming"
    return "pending"


def framework_counts(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per framework, how many indicators are in each status (counts, never values)."""
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        fw = out.setdefault(r["framework"], {"framework": r["framework"],
                                             "framework_name": r["framework_name"],
                                             "indicators": 0, **dict.fromkeys(STATUSES, 0)})
        fw["indicators"] += 1
        fw[r["status"]] += 1
    return list(out.values())


def indicators_json(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """indicators.json: one object per indicator with exactly :data:`JSON_KEYS`."""
    def iso(v: Any) -> Any:
        if v is None or (not isinstance(v, str) and pd.isna(v)):
            return None
        return pd.Timestamp(v).isoformat() if isinstance(v, (dt.datetime, pd.Timestamp)) \
            else v.isoformat() if isinstance(v, dt.date) else v

    return [{"framework": r["framework"], "code": r["code"], "name": r["name"],
             "owner_group": r["owner_group"], "unit": r["unit"], "target": r["target"],
             "value": r["value"], "level": r["level"], "round": r["round"],
             "deadline": iso(r["deadline"]), "reported_at": iso(r["reported_at"]),
             "status": r["status"]} for r in rows]
