"""``tps status``: what a planning officer checks in the morning."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from tps_batch import store
from tps_batch.collect import walk
from tps_batch.errors import TpsError
from tps_batch.plan import read_plan
from tps_batch.run import last_runs
from tps_batch.scheduler import next_slot, utc_now
from tps_batch.settings import Settings


def workspace_status(ws: Settings, *, limit: int = 5) -> dict[str, Any]:
    inbox = ws.path("inbox")
    waiting = sum(1 for _ in walk(inbox)) if inbox.is_dir() else 0  # what ingest would take
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
        "inbox_waiting": waiting, "plan": plan_info,
        "dataset": {"submissions": sum(by_status.values()), **by_status,
                    "current_projects": current},
        "next_run": next_slot(utc_now(), ws.run_time, ws.timezone).isoformat(),
        "runs": last_runs(ws, limit),
    }
