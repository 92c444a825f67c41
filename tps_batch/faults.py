"""Faults of the machine, not of the input: a full disk, a read-only folder or database, a
database another process holds locked. Each becomes one line in Thai and English with
exit 2 instead of a traceback; nothing is half-done by then, because every output is
written whole or not at all and the database commit comes first (see ingest).
"""

from __future__ import annotations

import errno
import logging
import os
from pathlib import Path

from tps_batch.errors import TpsError

_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
_DENIED = {errno.EROFS, errno.EACCES, errno.EPERM}


def _where(exc: OSError) -> str:
    return str(exc.filename) if exc.filename else "?"


def explain(exc: BaseException) -> TpsError | None:
    """The fault as a :class:`TpsError` (exit 2), or None if it is not a known fault."""
    if isinstance(exc, TpsError):
        return exc
    if isinstance(exc, OSError) and exc.errno in _FULL:
        return TpsError(
            f"ดิสก์เต็ม เขียนไฟล์ {_where(exc)} ไม่ได้ ไม่มีข้อมูลสูญหาย "
            "กรุณาเพิ่มพื้นที่แล้วสั่งใหม่อีกครั้ง",
            f"the disk is full: cannot write {_where(exc)}; nothing was lost, free some "
            "space and run the command again", exit_code=2)
    if isinstance(exc, OSError) and exc.errno in _DENIED:
        return TpsError(
            f"เขียน {_where(exc)} ไม่ได้ (อ่านได้อย่างเดียวหรือไม่มีสิทธิ์) ไม่มีข้อมูลสูญหาย "
            "กรุณาแก้สิทธิ์ของโฟลเดอร์แล้วสั่งใหม่อีกครั้ง",
            f"cannot write {_where(exc)} (read-only or permission denied); nothing was lost, "
            "fix the folder's permissions and run the command again", exit_code=2)
    return _database_fault(exc)


def _database_fault(exc: BaseException) -> TpsError | None:
    import sqlite3

    import sqlalchemy as sa

    if isinstance(exc, sa.exc.DBAPIError):
        inner: BaseException = exc.orig if exc.orig is not None else exc
    elif isinstance(exc, sqlite3.Error):
        inner = exc
    else:
        return None
    text = str(inner).strip().splitlines()[0] if str(inner).strip() else type(inner).__name__
    low = text.lower()
    if "locked" in low or "could not obtain lock" in low or "lock timeout" in low:
        return TpsError(
            "ฐานข้อมูลถูกโปรแกรมอื่นล็อกไว้นานเกินเวลาที่รอ (db_lock_wait_s) ไม่มีข้อมูลสูญหาย "
            "กรุณาปิดโปรแกรมที่เปิดฐานข้อมูลอยู่แล้วสั่งใหม่",
            "the database is locked by another program for longer than db_lock_wait_s; "
            f"nothing was lost, close that program and run again ({text})", exit_code=2)
    if "readonly" in low or "read-only" in low or "read only" in low:
        return TpsError(
            "ฐานข้อมูลเป็นแบบอ่านได้อย่างเดียว บันทึกไม่ได้ ไม่มีข้อมูลสูญหาย "
            "กรุณาแก้สิทธิ์ของไฟล์ฐานข้อมูลและโฟลเดอร์แล้วสั่งใหม่",
            f"the database is read-only, nothing can be stored; nothing was lost, fix the "
            f"permissions of the database file and its folder and run again ({text})",
            exit_code=2)
    if "full" in low or "disk i/o" in low:
        return TpsError(
            "ดิสก์ของฐานข้อมูลเต็มหรือเขียนไม่ได้ ไม่มีข้อมูลสูญหาย กรุณาเพิ่มพื้นที่แล้วสั่งใหม่",
            f"the database's disk is full or failing; nothing was lost, free some space "
            f"and run again ({text})", exit_code=2)
    return TpsError(f"ฐานข้อมูลผิดพลาด: {text}", f"database error: {text}", exit_code=2)


def log_fault(workspace: Path | str | None, fault: TpsError, command: str) -> None:
    """One line in the workspace's logs/tps.log, where there is a workspace to log in."""
    if workspace is None:
        return
    folder = Path(workspace)
    if not (folder / "tps.toml").is_file():
        return
    try:
        os.makedirs(folder / "logs", exist_ok=True)
        handler = logging.FileHandler(folder / "logs" / "tps.log", encoding="utf-8")
    except OSError:  # the disk that is full, or read-only: the terminal line must do
        return
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    log = logging.getLogger("tps.faults")
    log.propagate = False
    log.addHandler(handler)
    try:
        log.error("%s stopped: %s (%s)", command, fault.message_th, fault.message_en)
    finally:
        log.removeHandler(handler)
        handler.close()
