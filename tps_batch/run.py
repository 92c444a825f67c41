"""``tps run``: one nightly cycle — mail in → ingest → report → mail out — with a run log.

Stages are independent on purpose: a mail server that is down or a missing PDF engine is
recorded as that stage's failure and the other stages still run; nothing already stored
is rolled back. The whole cycle holds the workspace lock, so a cron job and the scheduler
can never overlap.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from tps_batch import store
from tps_batch.errors import TpsError
from tps_batch.faults import explain
from tps_batch.lock import workspace_lock
from tps_batch.settings import Settings

runs = store.runs

LOG_FILE = "logs/tps.log"


@dataclass
class StageResult:
    name: str
    ok: bool
    seconds: float
    summary: str = ""
    error: str = ""

    @property
    def label(self) -> str:
        """The stage as ``tps run`` prints it: Thai, then the English key."""
        return f"{STAGE_LABELS.get(self.name, self.name)} / {self.name}"


STAGE_LABELS = {"mail-in": "รับอีเมล", "ingest": "รับไฟล์", "report": "รายงาน",
                "mail-out": "ส่งอีเมล"}


@dataclass
class RunResult:
    run_id: int
    outcome: str
    stages: list[StageResult] = field(default_factory=list)
    counts: dict[str, Any] = field(default_factory=dict)
    dashboard: Path | None = None

    @property
    def exit_code(self) -> int:
        return 0 if self.outcome == "ok" else 1


def logger(ws: Settings) -> logging.Logger:
    """A per-workspace logger writing ``logs/tps.log`` (UTF-8, one line per event)."""
    log = logging.getLogger(f"tps.{ws.workspace}")
    if not log.handlers:
        path = ws.workspace / LOG_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(path, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
    return log


def _stage(result: RunResult, log: logging.Logger, name: str,
           fn: Callable[[], tuple[str, dict[str, Any]]]) -> None:
    started = time.monotonic()
    try:
        summary, counts = fn()
        result.counts.update(counts)
        result.stages.append(StageResult(name, True, time.monotonic() - started, summary))
        log.info("stage %s ok: %s", name, summary)
    except TpsError as exc:
        text = f"{exc.message_th} ({exc.message_en})"
        result.stages.append(StageResult(name, False, time.monotonic() - started, error=text))
        log.error("stage %s failed: %s", name, text)
    except Exception as exc:  # noqa: BLE001 - one stage's crash must not stop the others
        fault = explain(exc)  # a full disk or a locked database: one line, no traceback
        if fault is not None:
            text = f"{fault.message_th} ({fault.message_en})"
            result.stages.append(StageResult(name, False, time.monotonic() - started,
                                             error=text))
            log.error("stage %s failed: %s", name, text)
            return
        text = f"{type(exc).__name__}: {exc}"
        result.stages.append(StageResult(name, False, time.monotonic() - started, error=text))
        log.error("stage %s crashed: %s\n%s", name, text, traceback.format_exc())


def run_cycle(ws: Settings, *, as_of: dt.date | None = None, trigger: str = "manual",
              formats: tuple[str, ...] = ("xlsx", "html", "pdf", "json")) -> RunResult:
    """Run every stage once under the workspace lock; always records the run.

    ``as_of`` defaults to min(today, the fiscal year's end); JSON outputs are always
    written, whatever ``formats`` asks for, since other tools read them after each run."""
    from tps_batch.reports.data import default_as_of

    as_of = as_of or default_as_of(ws.fiscal_year)
    formats = tuple(dict.fromkeys((*formats, "json")))
    from tps_batch.ingest import ingest
    from tps_batch.reports import generate

    log = logger(ws)
    with workspace_lock(ws.workspace):
        try:  # a dataset that cannot be opened or written: the log file is the run log
            engine = store.connect(ws.db_url)
            with engine.begin() as conn:
                run_id = conn.execute(runs.insert().values(
                    started_at=dt.datetime.now().replace(microsecond=0), outcome="running",
                    trigger=trigger)).inserted_primary_key[0]
        except Exception as exc:
            fault = explain(exc)
            if fault is None:
                raise
            log.error("run failed before it could be recorded in the dataset: %s (%s)",
                      fault.message_th, fault.message_en)
            raise fault from None
        log.info("run %s started (%s)", run_id, trigger)
        result = RunResult(run_id, "running")
        try:
            from tps_batch.ingest import check_plan_first

            check_plan_first(ws, engine)  # before mail-in too: the inbox stays untouched
        except TpsError as exc:
            _stopped(engine, log, run_id, exc)
            engine.dispose()
            raise

        if ws.imap_host:
            def mail_in() -> tuple[str, dict[str, Any]]:
                from tps_batch import mail

                got = mail.fetch_mail(ws, engine)
                if got.errors:
                    raise TpsError("รับอีเมลไม่ครบ: " + "; ".join(got.errors),
                                   "mail intake incomplete: " + "; ".join(got.errors))
                return (f"อีเมล {got.messages} ฉบับ · ไฟล์แนบ {len(got.saved)} ไฟล์ "
                        f"({got.messages} messages, {len(got.saved)} files)",
                        {"mail_messages": got.messages, "mail_files": len(got.saved)})
            _stage(result, log, "mail-in", mail_in)

        def do_ingest() -> tuple[str, dict[str, Any]]:
            got = ingest(ws)
            return got.summary(seconds=False), {"accepted": got.accepted, "warnings": got.warnings,
                                   "rejected": got.rejected, "duplicates": got.duplicates,
                                   "changed": got.changed}
        _stage(result, log, "ingest", do_ingest)

        def do_report() -> tuple[str, dict[str, Any]]:
            got = generate(ws, as_of=as_of, formats=formats)
            result.dashboard = got.dashboard
            if got.failures:
                raise TpsError("สร้างรายงานไม่ครบ: " + "; ".join(got.failures[:3]),
                               f"{len(got.failures)} report file(s) failed: "
                               + "; ".join(got.failures[:3]))
            return (f"เขียน {len(got.written)} ไฟล์ · หน้ารายโครงการที่ไม่เปลี่ยน {got.skipped} "
                    f"หน้า ({len(got.written)} files written, {got.skipped} project pages "
                    "unchanged)",
                    {"report_files": len(got.written), "report_unchanged": got.skipped})
        _stage(result, log, "report", do_report)

        if ws.smtp_host:
            def mail_out() -> tuple[str, dict[str, Any]]:
                from tps_batch import mail
                from tps_batch.reports import overdue_items

                receipts = mail.send_receipts(ws, engine)
                reminders = mail.send_reminders(ws, engine, overdue_items(ws, as_of),
                                                today=dt.date.today())
                errors = receipts.errors + reminders.errors
                if errors:
                    raise TpsError("ส่งอีเมลไม่สำเร็จบางฉบับ: " + "; ".join(errors[:3]),
                                   "some mail was not sent: " + "; ".join(errors[:3]))
                return (f"ใบตอบรับ {receipts.sent} ฉบับ · แจ้งเตือน {reminders.sent} ฉบับ "
                        f"({receipts.sent} receipts, {reminders.sent} reminders)",
                        {"receipts_mailed": receipts.sent, "reminders_mailed": reminders.sent})
            _stage(result, log, "mail-out", mail_out)

        failed = [s for s in result.stages if not s.ok]
        result.outcome = "ok" if not failed else (
            "failed" if len(failed) == len(result.stages) else "partial")
        try:
            with engine.begin() as conn:
                conn.execute(runs.update().where(runs.c.id == run_id).values(
                    ended_at=dt.datetime.now().replace(microsecond=0), outcome=result.outcome,
                    counts=result.counts,
                    error="\n".join(f"{s.name}: {s.error}" for s in failed) or None))
        except Exception as exc:
            fault = explain(exc)
            if fault is None:
                raise
            result.outcome = "failed"  # the dataset took no record of it: the log has it
            log.error("run %s could not be recorded in the dataset: %s (%s)", run_id,
                      fault.message_th, fault.message_en)
        finally:
            engine.dispose()
        log.info("run %s ended: %s %s", run_id, result.outcome, result.counts)
    return result


def _stopped(engine: Any, log: logging.Logger, run_id: int, exc: TpsError) -> None:
    """Record a run that stopped before any stage (a broken plan), with its findings."""
    for f in exc.findings:
        log.error("plan %s %s %s: %s / %s", f.code, f.file, f.location, f.message_th,
                  f.message_en)
    log.error("run %s stopped: %s (%s)", run_id, exc.message_th, exc.message_en)
    with engine.begin() as conn:
        conn.execute(runs.update().where(runs.c.id == run_id).values(
            ended_at=dt.datetime.now().replace(microsecond=0), outcome="stopped",
            error=f"{exc.message_th} ({exc.message_en})",
            findings=[f.to_dict() for f in exc.findings] or None))


def last_runs(ws: Settings, limit: int = 5) -> list[dict[str, Any]]:
    engine = store.connect(ws.db_url)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(
            sa.select(runs).order_by(runs.c.id.desc()).limit(limit))]
    engine.dispose()
    return rows


def last_success(ws: Settings) -> dt.datetime | None:
    """Start time of the latest run whose cycle completed (ok or partial)."""
    engine = store.connect(ws.db_url)
    with engine.connect() as conn:
        value = conn.execute(sa.select(sa.func.max(runs.c.started_at))
                             .where(runs.c.outcome.in_(["ok", "partial"]))).scalar()
    engine.dispose()
    return value
