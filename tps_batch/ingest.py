"""Ingest: collect → guard → read → validate → store → receipt → file away.

Crash safety comes from the order of effects, not from luck: the database commit comes
first (with ``receipt_done = false``); only then is the original copied into
archive/ or rejected/ under a name derived from its submission id, the inbox file
removed and the receipt written, and finally the submission is marked done. Each step is
idempotent, and every run starts by finishing the submissions a killed run left
unfinished — so a crash at any point, then a rerun, ends where an uninterrupted run would.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from tps_batch import errors, store
from tps_batch.atomic import atomic_copy
from tps_batch.collect import Candidate, collect, sha256_of
from tps_batch.errors import Finding
from tps_batch.guard import GuardLimits
from tps_batch.lock import workspace_lock
from tps_batch.plan import read_plan
from tps_batch.read import Submission, guard_and_read
from tps_batch.receipt import write_annotated, write_html
from tps_batch.settings import Settings
from tps_batch.validate import validate
from tps_batch.workers import run_isolated
from tps_batch.workspace import safe_name

BATCH = 200
_hits: dict[str, int] = {}


def _failpoint(name: str) -> None:
    """Crash-test hook: ``TPS_KILL_AT=name:n`` SIGKILLs this process at the n-th pass."""
    spec = os.environ.get("TPS_KILL_AT")
    if spec and spec.partition(":")[0] == name:
        _hits[name] = _hits.get(name, 0) + 1
        if _hits[name] == int(spec.partition(":")[2] or 1):
            os.kill(os.getpid(), signal.SIGKILL)


@dataclass
class IngestResult:
    accepted: int = 0
    warnings: int = 0
    rejected: int = 0
    duplicates: int = 0
    recovered: int = 0
    seconds: float = 0.0
    submissions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.accepted + self.warnings + self.rejected

    def summary(self) -> str:
        return (f"รับ {self.accepted} · มีคำเตือน {self.warnings} · ไม่รับ {self.rejected} · "
                f"ซ้ำ {self.duplicates} · {self.seconds:.1f} วินาที "
                f"(accepted {self.accepted}, with warnings {self.warnings}, rejected "
                f"{self.rejected}, duplicates {self.duplicates}, {self.seconds:.1f} s)")


def limits_of(ws: Settings) -> GuardLimits:
    return GuardLimits(max_file_mb=ws.max_file_mb, max_members=ws.max_zip_members,
                       max_member_mb=ws.max_member_mb, max_ratio=ws.max_ratio)


def read_many(paths: list[Path], ws: Settings | None, *, fiscal_year: int | None = None,
              ) -> Iterable[tuple[Path, Submission]]:
    """Read files in isolated workers; a worker's death or timeout becomes a finding."""
    limits = limits_of(ws) if ws else GuardLimits()
    macros = ws.macros if ws else "warn"
    timeout = ws.parse_timeout_s if ws else 30.0
    memory = ws.parse_memory_mb if ws else 1024
    tasks = [(str(p), limits, macros, fiscal_year) for p in paths]
    for task, outcome in run_isolated(guard_and_read, tasks, workers=ws.workers if ws else 2,
                                      timeout_s=timeout, memory_mb=memory):
        if outcome.status == "ok":
            sub = outcome.value
        elif outcome.status == "timeout":
            sub = Submission(findings=[errors.make("parse-timeout", seconds=f"{timeout:g}")])
        elif outcome.status == "crashed":
            sub = Submission(findings=[errors.make("parse-crashed", memory_mb=memory)])
        else:
            sub = Submission(findings=[errors.make("corrupt-workbook",
                                                   detail=outcome.error[:200])])
        yield Path(task[0]), sub


def check_files(paths: list[Path], ws: Settings | None) -> list[tuple[Path, Submission]]:
    """``tps validate``: guard, read and validate without storing anything."""
    plan = read_plan(ws.path("plan")) if ws and ws.path("plan").is_file() else None
    out = []
    for path, sub in read_many(paths, ws, fiscal_year=ws.fiscal_year if ws else None):
        fy = ws.fiscal_year if ws else sub.values.get("fiscal_year")
        if isinstance(fy, int) and 2400 <= fy <= 2700:  # without a workspace: the file's own
            validate(sub, plan, fiscal_year=fy, received=dt.date.today(),
                     far_factor=ws.far_above_factor if ws else 3.0)
        for f in sub.findings:
            f.file = path.name
        out.append((path, sub))
    order = {p: i for i, p in enumerate(paths)}
    return sorted(out, key=lambda item: order.get(item[0], 0))


# --- after the commit: file away, receipt, done ---------------------------------------------

def _kept_rel(ws: Settings, sid: int, status: str, file_name: str, fiscal_year: int) -> str:
    folder = "rejected" if status == "rejected" else "archive"
    dest = ws.path(folder) / str(fiscal_year) / f"{sid:06d}-{safe_name(file_name, 80)}"
    return os.path.relpath(dest, ws.workspace)


def _findings_of(conn: Connection, sid: int) -> list[Finding]:
    rows = conn.execute(sa.select(store.findings).where(store.findings.c.submission_id == sid)
                        .order_by(store.findings.c.id)).all()
    return [Finding(r.code, r.severity, r.message_th, r.message_en, sheet=r.sheet, cell=r.cell,
                    table=r.table_key, row=r.row, column=r.column_key) for r in rows]


def _finish(ws: Settings, engine: Engine, sids: list[int]) -> int:
    """Copy originals away, clear the inbox, write receipts, mark done. Idempotent."""
    done = 0
    receipts = ws.output_dir / "receipts"
    for sid in sids:
        with engine.connect() as conn:
            row = conn.execute(sa.select(store.submissions)
                               .where(store.submissions.c.id == sid)).one()
            found = _findings_of(conn, sid)
        sub = dict(row._mapping)
        kept = ws.workspace / sub["kept_path"]
        source = ws.workspace / sub["source_path"]
        if not kept.exists():
            if not source.exists() or sha256_of(source) != sub["sha256"]:
                # the original changed or vanished before it could be copied: say so, lose nothing
                # more; the receipt still goes out.
                pass
            else:
                atomic_copy(source, kept)
                _failpoint("copied")
        if sub["source"] != "watched" and kept.exists() and source.exists() \
                and sha256_of(source) == sub["sha256"]:
            source.unlink()
            _failpoint("unlinked")
        stem = f"{sid:06d}-{safe_name(Path(sub['file_name']).stem, 60)}"
        annotated = None
        if found and kept.exists() and kept.suffix.lower() in (".xlsx", ".xlsm"):
            target = receipts / f"{stem}-annotated.xlsx"
            if write_annotated(kept, target, found):
                annotated = target
        html = write_html(receipts / f"{stem}.html", office_name=ws.office_name, submission=sub,
                          findings=found, annotated_name=annotated.name if annotated else None)
        _failpoint("receipt")
        with engine.begin() as conn:
            conn.execute(store.submissions.update().where(store.submissions.c.id == sid).values(
                receipt_done=True, receipt_path=os.path.relpath(html, ws.workspace),
                annotated_path=os.path.relpath(annotated, ws.workspace) if annotated else None))
        done += 1
    return done


def _pending(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return [r.id for r in conn.execute(
            sa.select(store.submissions.c.id).where(store.submissions.c.receipt_done.is_(False))
            .order_by(store.submissions.c.id))]


def _remember(conn: Connection, cand: Candidate) -> None:
    """Record a watched file's size/mtime/hash so an untouched file is never hashed again."""
    if cand.source != "watched":
        return
    conn.execute(store.files_seen.delete().where(store.files_seen.c.path == cand.rel))
    conn.execute(store.files_seen.insert().values(path=cand.rel, size=cand.size,
                                                  mtime_ns=cand.mtime_ns, sha256=cand.sha256))


def _origin(conn: Connection, cand: Candidate) -> dict[str, Any] | None:
    """Where an inbox file really came from (e.g. e-mail), as recorded by whoever put it
    there; consumed in the transaction that stores the file, so it never outlives it."""
    if cand.source != "inbox":
        return None
    inc = store.incoming
    row = conn.execute(sa.select(inc).where(inc.c.path == cand.rel)).first()
    if row is None:
        return None
    conn.execute(inc.delete().where(inc.c.path == cand.rel))
    return dict(row._mapping)


def _store_batch(ws: Settings, engine: Engine, batch: list[tuple[Candidate, Submission]],
                 result: IngestResult) -> list[int]:
    sids = []
    with engine.begin() as conn:
        for cand, sub in batch:
            origin = _origin(conn, cand)
            item = store.Incoming(
                file_name=cand.path.name, sha256=cand.sha256, size=cand.size,
                source=origin["source"] if origin else cand.source, source_path=cand.rel,
                received_at=(origin and origin["received_at"]) or cand.received_at,
                submission=sub, fiscal_year=ws.fiscal_year,
                source_detail=origin["detail"] if origin else None)
            sid = store.insert_submission(conn, item)
            status = store.status_of(sub.findings)
            conn.execute(store.submissions.update().where(store.submissions.c.id == sid).values(
                kept_path=_kept_rel(ws, sid, status, cand.path.name, ws.fiscal_year)))
            _remember(conn, cand)
            sids.append(sid)
            _failpoint("inserted")
            result.accepted += status == "accepted"
            result.warnings += status == "accepted-with-warnings"
            result.rejected += status == "rejected"
            result.submissions.append({"id": sid, "file": cand.path.name, "status": status,
                                       "project_code": sub.values.get("project_code"),
                                       "errors": sum(f.severity == "error" for f in sub.findings),
                                       "warnings": sum(f.severity == "warning"
                                                       for f in sub.findings)})
    _failpoint("committed")
    return sids


def ingest(ws: Settings, *, progress: Callable[[int, int], None] | None = None) -> IngestResult:
    """Take every new or changed file from the sources into the dataset, with receipts."""
    started = time.monotonic()
    result = IngestResult()
    with workspace_lock(ws.workspace):
        engine = store.connect(ws.db_url)
        plan = read_plan(ws.path("plan"))
        _sweep_temporaries(ws)
        result.recovered = _finish(ws, engine, _pending(engine))
        with engine.connect() as conn:
            candidates = collect(ws, conn)
            for cand in candidates:
                cand.sha256 = sha256_of(cand.path)
            known = store.known_hashes(conn, [c.sha256 for c in candidates])
        fresh: dict[str, Candidate] = {}
        duplicates: list[Candidate] = []
        later: list[Candidate] = []  # identical to a file of this same run
        for cand in candidates:
            if cand.sha256 in known:
                duplicates.append(cand)
            elif cand.sha256 in fresh:
                later.append(cand)
            else:
                fresh[cand.sha256] = cand
        _drop_duplicates(ws, engine, duplicates, known)
        result.duplicates = len(duplicates) + len(later)
        by_path = {c.path: c for c in fresh.values()}
        batch: list[tuple[Candidate, Submission]] = []
        total, count = len(by_path), 0
        for path, sub in read_many(list(by_path), ws, fiscal_year=ws.fiscal_year):
            cand = by_path[path]
            validate(sub, plan, fiscal_year=ws.fiscal_year, received=cand.received_at.date(),
                     far_factor=ws.far_above_factor)
            for f in sub.findings:
                f.file = path.name
            batch.append((cand, sub))
            count += 1
            if progress:
                progress(count, total)
            if len(batch) >= BATCH:
                _finish(ws, engine, _store_batch(ws, engine, batch, result))
                batch = []
        if batch:
            _finish(ws, engine, _store_batch(ws, engine, batch, result))
        if later:
            with engine.connect() as conn:
                known = store.known_hashes(conn, [c.sha256 for c in later])
            _drop_duplicates(ws, engine, later, known)
        engine.dispose()
    result.seconds = time.monotonic() - started
    return result


def _sweep_temporaries(ws: Settings) -> None:
    """Half-written files of a killed run (we hold the lock, so nobody else is writing)."""
    for folder in (ws.path("archive"), ws.path("rejected"), ws.output_dir / "receipts"):
        if folder.is_dir():
            for tmp in folder.rglob(".tmp-*"):
                tmp.unlink(missing_ok=True)


def _drop_duplicates(ws: Settings, engine: Engine, dups: list[Candidate],
                     known: dict[str, dict[str, Any]]) -> None:
    """An identical file already stored: its copy is kept, so the inbox file may go."""
    with engine.begin() as conn:
        for cand in dups:
            _remember(conn, cand)
            if cand.source == "inbox":
                _origin(conn, cand)
    for cand in dups:
        if cand.source != "inbox":
            continue
        prev = known.get(cand.sha256)
        kept = ws.workspace / prev["kept_path"] if prev and prev.get("kept_path") else None
        if kept is not None and kept.exists() and cand.path.exists():
            cand.path.unlink()
