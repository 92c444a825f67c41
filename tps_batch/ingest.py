"""Ingest: collect → guard → read → validate → store → receipt → file away.

Crash safety comes from the order of effects, not from luck: the database commit comes
first (with ``receipt_done = false``); only then is the original copied into
archive/ or rejected/ under a name derived from its submission id and the receipt
written, and the submission is marked done (:mod:`tps_batch.fileaway`); inbox files are
removed at the end of the run. Each step is idempotent, and every run starts by finishing
the submissions a killed run left unfinished (an inbox file left behind is, to the next
run, a duplicate) — so a crash at any point, then a rerun, ends where an uninterrupted
run would.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from tps_batch import errors, planhistory, store, thai
from tps_batch.atomic import make_durable
from tps_batch.check import Checked, CheckTask, check_file, load_plan
from tps_batch.collect import Candidate, collect, prune_inbox, scan_inbox, sha256_of
from tps_batch.fileaway import (
    failpoint,
    finish,
    keep_copy,
    kept_rel,
    pending,
    remove_originals,
    sweep_temporaries,
)
from tps_batch.guard import GuardLimits
from tps_batch.lock import workspace_lock
from tps_batch.photos import PhotoLimits
from tps_batch.plan import stop_on_errors
from tps_batch.read import Submission
from tps_batch.settings import Settings
from tps_batch.workers import IsolatedPool, address_space_cap, prefetch, run_isolated

BATCH = 500
MIN_BATCH = 50
#: a batch is stored early once the bytes it holds (photos, annotated copies) reach this
BATCH_BYTES = 64 << 20


def batch_limit(done: int, total: int) -> int:
    """How many checked files to store at once, ``done`` of ``total`` consumed so far.

    Storing and filing away a batch overlaps the workers' reading of the next one, except
    for the last batch, which runs alone after the last file is read. So batches are
    large (fewer transactions and syncs) until the end is near, then shrink by halves, and
    the lone tail is a few dozen files instead of hundreds.
    """
    return max(MIN_BATCH, min(BATCH, (total - done) // 2))


@dataclass
class IngestResult:
    accepted: int = 0
    warnings: int = 0
    rejected: int = 0
    duplicates: int = 0
    recovered: int = 0
    changed: int = 0  # rewritten between hashing and reading: left for the next run
    waiting: int = 0  # still settling (being copied, or changed within settle_s): next run
    owner_files: int = 0  # Excel's ~$ lock files beside open workbooks: skipped, counted
    seconds: float = 0.0
    submissions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.accepted + self.warnings + self.rejected

    def summary(self, *, seconds: bool = True) -> str:
        """One line, Thai then English; without the time where the caller shows it."""
        th_time = f" · {self.seconds:.1f} วินาที" if seconds else ""
        en_time = f", {self.seconds:.1f} s" if seconds else ""
        text = (f"รับ {self.accepted} · มีคำเตือน {self.warnings} · ไม่รับ {self.rejected} · "
                f"ซ้ำ {self.duplicates}{th_time} "
                f"(accepted {self.accepted}, with warnings {self.warnings}, rejected "
                f"{self.rejected}, duplicates {self.duplicates}{en_time})")
        if self.changed:
            text += (f"; ไฟล์ถูกแก้ไขระหว่างอ่าน {self.changed} ไฟล์ จะอ่านในรอบถัดไป "
                     f"({self.changed} changed while being read, left for the next run)")
        if self.waiting:
            text += (f"; รอไฟล์นิ่ง {self.waiting} ไฟล์ จะอ่านในรอบถัดไป "
                     f"({self.waiting} still being copied or just changed, left for the next "
                     "run)")
        if self.owner_files:
            text += (f"; ข้ามไฟล์ล็อกของ Excel (~$) {self.owner_files} ไฟล์ "
                     f"({self.owner_files} Excel owner files (~$) skipped)")
        return text


def limits_of(ws: Settings) -> GuardLimits:
    return GuardLimits(max_file_mb=ws.max_file_mb, max_members=ws.max_zip_members,
                       max_member_mb=ws.max_member_mb, max_ratio=ws.max_ratio)


def checking_pool(ws: Settings | None) -> IsolatedPool:
    """The isolated workers that check files; with a workspace, each loads its plan first."""
    plan = ws.path("plan") if ws else None
    if ws is not None and ws.parse_memory_mb > 0 and not address_space_cap():
        _note_no_cap(ws)
    return IsolatedPool(check_file, workers=ws.workers if ws else 2,
                        timeout_s=ws.parse_timeout_s if ws else 30.0,
                        memory_mb=ws.parse_memory_mb if ws else 1024,
                        initializer=load_plan,
                        initargs=(str(plan) if plan and plan.is_file() else None,))


_noted: set[str] = set()


def _note_no_cap(ws: Settings) -> None:
    """Say once per workspace and process, in logs/tps.log, that workers run uncapped."""
    if str(ws.workspace) not in _noted:
        _noted.add(str(ws.workspace))
        from tps_batch.run import logger

        logger(ws).warning(
            "no RLIMIT_AS on this platform: workers are held to the time limit (%g s) and "
            "a memory watch (%d MB) instead of an address-space cap",
            ws.parse_timeout_s, ws.parse_memory_mb)


def check_many(tasks: Iterable[CheckTask], ws: Settings | None,
               pool: IsolatedPool | None = None) -> Iterator[tuple[CheckTask, Checked]]:
    """Check files in isolated workers; a worker's death or timeout becomes a finding.
    A plan the workers cannot read stops everything (:class:`TpsError`)."""
    pool = pool or checking_pool(ws)
    timeout, memory = pool.timeout_s, pool.memory_mb
    for task, outcome in run_isolated(check_file, tasks, pool=pool):
        if outcome.status == "ok":
            yield task, outcome.value
            continue
        if outcome.status == "timeout":
            finding = errors.make("parse-timeout", seconds=f"{timeout:g}")
        elif outcome.status == "crashed":
            finding = errors.make("parse-crashed", memory_mb=memory)
        else:
            finding = errors.make("corrupt-workbook", detail=outcome.error[:200])
        finding.file = Path(task.path).name
        yield task, Checked(Submission(findings=[finding]))


def _tasks(files: Iterable[tuple[Path, dt.date, str | None, int | None]],
           ws: Settings | None, *, annotate: bool) -> Iterator[CheckTask]:
    """One task per (path, day received, sha256 and size as hashed here), made as the pool
    asks for it: a run of tens of thousands of files never holds them all."""
    if ws is None:
        return (CheckTask(str(p), GuardLimits(), received=day, sha256=digest, size=size)
                for p, day, digest, size in files)
    plan = ws.path("plan")
    plan_path = str(plan) if plan.is_file() else None
    limits = limits_of(ws)
    photos = PhotoLimits(ws.max_photos, ws.photo_max_megapixels)
    return (CheckTask(str(p), limits, ws.macros, ws.fiscal_year, plan_path, day,
                      ws.far_above_factor, annotate, digest, size, photos)
            for p, day, digest, size in files)


def check_files(paths: list[Path], ws: Settings | None) -> list[tuple[Path, Submission]]:
    """``tps validate``: guard, read and validate without storing anything."""
    tasks = _tasks(((p, dt.date.today(), None, None) for p in paths), ws, annotate=False)
    got = {Path(t.path): c.submission for t, c in check_many(tasks, ws)}
    return [(p, got[p]) for p in paths]


def _remember(conn: Connection, cands: list[Candidate]) -> None:
    """Record watched files' size/mtime/hash so an untouched file is never hashed again."""
    seen = [c for c in cands if c.source == "watched"]
    paths = [c.rel for c in seen]
    for i in range(0, len(paths), 500):
        conn.execute(store.files_seen.delete().where(store.files_seen.c.path.in_(
            paths[i:i + 500])))
    if seen:
        conn.execute(store.files_seen.insert(), [
            {"path": c.rel, "size": c.size, "mtime_ns": c.mtime_ns, "sha256": c.sha256}
            for c in seen])


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


Stored = tuple[list[dict[str, Any]], dict[int, list[errors.Finding]]]


def _incoming(ws: Settings, conn: Connection, cand: Candidate, sub: Submission,
              duplicate_of: dict[str, Any] | None = None) -> store.Incoming:
    """What is stored of one file: what reading made of it, and where it really came from
    (an e-mail's sender and arrival, recorded when it was put in the inbox)."""
    origin = _origin(conn, cand)
    return store.Incoming(
        file_name=cand.path.name, sha256=cand.sha256, size=cand.size,
        source=origin["source"] if origin else cand.source, source_path=cand.rel,
        received_at=(origin and origin["received_at"]) or cand.received_at,
        submission=sub, fiscal_year=ws.fiscal_year,
        source_detail=origin["detail"] if origin else None, duplicate_of=duplicate_of)


def _store_batch(ws: Settings, engine: Engine, batch: list[tuple[Candidate, Checked]],
                 result: IngestResult) -> tuple[list[int], dict[int, bytes], Stored]:
    """One transaction for the whole batch; returns the ids, the annotated copies, and the
    rows and findings as stored (so that filing them away needn't read them back)."""
    with engine.begin() as conn:
        items = [_incoming(ws, conn, cand, checked.submission) for cand, checked in batch]
        _remember(conn, [cand for cand, _ in batch])
        rows = store.insert_many(conn, items, kept_path=lambda sid, item: kept_rel(
            ws, sid, store.status_of(item.submission.findings), item.file_name))
        sids = [r["id"] for r in rows]
        failpoint("inserted")
    failpoint("committed")
    annotated = {}
    for sid, (cand, checked) in zip(sids, batch, strict=True):
        sub = checked.submission
        status = store.status_of(sub.findings)
        result.accepted += status == "accepted"
        result.warnings += status == "accepted-with-warnings"
        result.rejected += status == "rejected"
        result.submissions.append({"id": sid, "file": cand.path.name, "status": status,
                                   "project_code": sub.values.get("project_code"),
                                   "errors": sum(f.severity == "error" for f in sub.findings),
                                   "warnings": sum(f.severity == "warning"
                                                   for f in sub.findings)})
        if checked.annotated:
            annotated[sid] = checked.annotated
    found = {sid: checked.submission.findings for sid, (_c, checked) in zip(sids, batch,
                                                                           strict=True)}
    return sids, annotated, (rows, found)


def _store_and_finish(ws: Settings, engine: Engine, batch: list[tuple[Candidate, Checked]],
                      result: IngestResult, originals: list[tuple[str, str]]) -> None:
    sids, annotated, stored = _store_batch(ws, engine, batch, result)
    finish(ws, engine, sids, annotated, stored=stored, remove_later=originals)


def ingest(ws: Settings, *, progress: Callable[[int, int], None] | None = None) -> IngestResult:
    """Take every new or changed file from the sources into the dataset, with receipts."""
    started = time.monotonic()
    result = IngestResult()
    with workspace_lock(ws.workspace):
        engine = store.connect(ws.db_url)
        try:
            _ingest(ws, engine, result, progress)
        finally:
            engine.dispose()
    result.seconds = time.monotonic() - started
    return result


def _ingest(ws: Settings, engine: Engine, result: IngestResult,
            progress: Callable[[int, int], None] | None) -> None:
    """The body of :func:`ingest`, under its lock; the caller disposes of ``engine``."""
    check_plan_first(ws, engine)
    sweep_temporaries(ws)
    result.recovered = finish(ws, engine, pending(engine))
    originals: list[tuple[str, str]] = []  # inbox files to remove once all is filed
    try:
        with contextlib.ExitStack() as stack:
            inbox = scan_inbox(ws)
            result.waiting, result.owner_files = len(inbox.settling), len(inbox.owner_files)
            with engine.connect() as conn:
                candidates = collect(ws, conn, inbox)
                # the workers start (and load the plan) while this process hashes the files
                pool = stack.enter_context(checking_pool(ws)) if candidates else None
                if pool is not None:
                    pool.start()
                for cand in candidates:
                    cand.sha256 = sha256_of(cand.path)
                known = store.known_hashes(conn, [c.sha256 for c in candidates])
            fresh: dict[str, Candidate] = {}
            duplicates: list[Candidate] = []  # seen before: left by a killed run, or watched
            twins: list[Candidate] = []       # the same content sent again: its own receipt
            later: list[Candidate] = []       # identical to a file of this same run
            for cand in candidates:
                prev = known.get(cand.sha256)
                if prev is not None and (cand.source == "watched" or
                                         (cand.rel, cand.received_at) in prev["seen"]):
                    duplicates.append(cand)
                elif prev is not None and prev["status"] != "rejected":
                    twins.append(cand)
                elif cand.sha256 in fresh:  # (a resend of a rejected file is judged again)
                    later.append(cand)
                else:
                    fresh[cand.sha256] = cand
            result.duplicates = _drop_duplicates(ws, engine, duplicates, known)
            if twins:
                _store_twins(ws, engine, twins, known, result, originals)
            by_path = {str(c.path): c for c in fresh.values()}
            tasks = _tasks(((c.path, c.received_at.date(), c.sha256, c.size)
                            for c in fresh.values()), ws, annotate=True)
            total = len(fresh)
            batch: list[tuple[Candidate, Checked]] = []
            held = 0  # bytes the batch holds: photos and annotated copies
            # a plan the workers cannot read raises here, at the first file, before any store;
            # closed before the pool is (the stack unwinds in reverse), so that a failure
            # while storing stops the reading thread before its workers go
            checked_all = stack.enter_context(contextlib.closing(
                prefetch(check_many(tasks, ws, pool)))) if total else iter(())
            for count, (task, checked) in enumerate(checked_all, start=1):
                if checked.changed:  # rewritten, cut short or gone since it was hashed
                    result.changed += 1  # here: the next run takes it as it is then
                else:
                    batch.append((by_path[task.path], checked))
                    held += len(checked.annotated or b"") + sum(
                        len(p.data) for p in checked.submission.photos)
                if progress:
                    progress(count, total)
                if len(batch) >= batch_limit(count, total) or held >= BATCH_BYTES:
                    _store_and_finish(ws, engine, batch, result, originals)
                    batch, held = [], 0
            if batch:
                _store_and_finish(ws, engine, batch, result, originals)
    finally:  # last (see fileaway), and after a failure too: these were all filed
        remove_originals(originals)
        prune_inbox(ws)
    if later:  # identical to a file stored in this run, unless that one had changed
        with engine.connect() as conn:
            known = store.known_hashes(conn, [c.sha256 for c in later])
        originals = []
        try:
            _store_twins(ws, engine, [c for c in later if c.sha256 in known], known, result,
                         originals)
        finally:
            remove_originals(originals)


def _kept_copy_restored(ws: Settings, cand: Candidate, prev: dict[str, Any],
                        restored: list[str]) -> bool:
    """Make the stored submission's kept copy from ``cand`` if it is missing (this may be
    the only original left; the copy goes into ``restored`` to be made durable); False
    when ``cand`` changed since it was hashed, so it waits for the next run."""
    if not prev.get("kept_path"):
        return True
    target = str(ws.workspace / prev["kept_path"])
    kept = keep_copy(target, str(cand.path), cand.sha256)
    if kept == "copied":
        restored.append(target)
    return kept != "missing"


def _store_twins(ws: Settings, engine: Engine, twins: list[Candidate],
                 known: dict[str, dict[str, Any]], result: IngestResult,
                 originals: list[tuple[str, str]]) -> None:
    """Files whose content is already stored, sent again: each gets its own row (status
    ``duplicate``, pointing at the stored one), its kept original and its own receipt
    saying so — never a silent drop. Filed away like any submission, so a crash midway
    ends as every other file does. The stored one's kept copy is made first if it is
    missing (this may be the only original left, as in :func:`_drop_duplicates`)."""
    batch, restored = [], []
    for cand in twins:
        prev = known[cand.sha256]
        if not _kept_copy_restored(ws, cand, prev, restored):
            continue  # changed since it was hashed: the next run takes it
        finding = errors.make(
            "duplicate-submission", receipt=f"{prev['id']:06d}", day=thai.format_date_short(
                prev["received_at"].date()), status_th=_STATUS_TH.get(prev["status"], ""),
            status_en=prev["status"])
        finding.file = cand.path.name
        batch.append((cand, Checked(Submission(findings=[finding]))))
        result.duplicates += 1
    if restored:
        make_durable(restored)
    if not batch:
        return
    with engine.begin() as conn:
        items = [_incoming(ws, conn, cand, checked.submission, known[cand.sha256])
                 for cand, checked in batch]
        rows = store.insert_many(conn, items, kept_path=lambda sid, item: kept_rel(
            ws, sid, store.DUPLICATE, item.file_name))
    sids = [r["id"] for r in rows]
    found = {sid: checked.submission.findings for sid, (_c, checked) in zip(sids, batch,
                                                                           strict=True)}
    for sid, (cand, _checked) in zip(sids, batch, strict=True):
        result.submissions.append({"id": sid, "file": cand.path.name, "status": "duplicate",
                                   "project_code": known[cand.sha256]["project_code"],
                                   "duplicate_of": known[cand.sha256]["id"]})
    finish(ws, engine, sids, {}, stored=(rows, found), remove_later=originals)


_STATUS_TH = {"accepted": "รับแล้ว", "accepted-with-warnings": "รับแล้ว (มีคำเตือน)",
              "rejected": "ไม่รับ"}


def check_plan_first(ws: Settings, engine: Engine) -> None:
    """Record the plan version this run sees, and stop (exit 2, nothing collected, the
    inbox untouched) when it has errors: every file would be judged against a broken plan.
    """
    current = planhistory.read_current(ws)
    planhistory.record(engine, current)
    stop_on_errors(current.plan)


def _drop_duplicates(ws: Settings, engine: Engine, dups: list[Candidate],
                     known: dict[str, dict[str, Any]]) -> int:
    """Files identical to a stored submission; returns how many were taken as such.

    The stored one's kept copy is made now if it is missing (the run that stored it could
    not keep it, e.g. the file changed under it: this may be the only original left). Only
    then is a duplicate recorded as seen (watched) or its origin consumed and the file
    removed (inbox). One whose hash is not stored (its twin of this run had changed and
    was left), or whose bytes changed since, is left untouched for the next run.
    """
    handled, gone, restored = [], [], []
    for cand in dups:
        prev = known.get(cand.sha256)
        if prev is None:
            continue
        if not _kept_copy_restored(ws, cand, prev, restored):
            continue  # changed since it was hashed: the next run takes it
        handled.append(cand)
        if cand.source == "inbox":
            gone.append((str(cand.path), cand.sha256))
    if restored:
        make_durable(restored)  # the restored copies before any original goes
    with engine.begin() as conn:
        _remember(conn, handled)
        for cand in handled:
            if cand.source == "inbox":
                _origin(conn, cand)
    remove_originals(gone)
    return len(handled)
