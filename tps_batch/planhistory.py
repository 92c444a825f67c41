"""Every version of the action plan, kept in the dataset.

The planning group edits plan.xlsx all year: projects are added or cancelled, allocations
amended, indicators renumbered. A report "as of" a past date must use the plan as it
stood then, so each version a command sees is stored (its bytes, by hash) with the time
it was first seen. A version with errors is kept too (it is what the run saw), but a
report never uses one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tps_batch import store
from tps_batch.errors import TpsError
from tps_batch.plan import Plan, read_plan
from tps_batch.settings import Settings


@dataclass
class PlanFile:
    """The plan workbook as read now: its bytes, their hash and what checking found."""

    path: Path
    data: bytes
    sha256: str
    plan: Plan


def read_current(ws: Settings) -> PlanFile:
    """Read the workspace's plan.xlsx once (bytes, hash, typed rows and findings)."""
    path = ws.path("plan")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        read_plan(path)  # raises the clear "plan not found" error
        raise
    except OSError as exc:
        raise TpsError(f"อ่านไฟล์แผนปฏิบัติการไม่ได้: {exc}",
                       f"cannot read the action plan: {exc}", exit_code=2) from None
    return PlanFile(path, data, hashlib.sha256(data).hexdigest(), read_plan(path, data))


def record(engine: Engine, current: PlanFile, *, now: dt.datetime | None = None) -> int:
    """Store this version unless it is already known; returns its id."""
    pv = store.plan_versions
    with engine.begin() as conn:
        found = conn.execute(sa.select(pv.c.id).where(pv.c.sha256 == current.sha256)).scalar()
        if found is not None:
            return int(found)
        findings = current.plan.findings
        return int(conn.execute(pv.insert().values(
            sha256=current.sha256,
            first_seen_at=(now or dt.datetime.now()).replace(microsecond=0),
            file_name=current.path.name, size=len(current.data),
            errors=sum(f.severity == "error" for f in findings),
            warnings=sum(f.severity == "warning" for f in findings),
            content=current.data)).inserted_primary_key[0])


def plan_as_of(engine: Engine, ws: Settings, as_of: dt.date) -> Plan:
    """The plan as it stood at the end of ``as_of``: the latest error-free version first
    seen by then. The file as it is now is recorded first (so an as-of of today uses it);
    before the first recorded version, the earliest one is the best evidence there is."""
    current = read_current(ws)
    record(engine, current)
    pv = store.plan_versions
    cutoff = dt.datetime.combine(as_of, dt.time.max)
    ok = pv.c.errors == 0
    with engine.connect() as conn:
        row = conn.execute(sa.select(pv.c.sha256, pv.c.content).where(
            ok, pv.c.first_seen_at <= cutoff)
            .order_by(pv.c.first_seen_at.desc(), pv.c.id.desc()).limit(1)).first()
        if row is None:
            row = conn.execute(sa.select(pv.c.sha256, pv.c.content).where(ok)
                               .order_by(pv.c.first_seen_at, pv.c.id).limit(1)).first()
    if row is None or row.sha256 == current.sha256:
        return current.plan
    return read_plan(current.path, bytes(row.content))


def versions(engine: Engine) -> list[dict[str, object]]:
    """The recorded versions, oldest first (without their bytes)."""
    pv = store.plan_versions
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(
            sa.select(pv.c.id, pv.c.sha256, pv.c.first_seen_at, pv.c.file_name, pv.c.size,
                      pv.c.errors, pv.c.warnings).order_by(pv.c.first_seen_at, pv.c.id))]
