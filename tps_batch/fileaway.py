"""After the commit: keep the original, clear the inbox, write the receipt, mark done.

Every step is idempotent and keyed by the submission id the commit gave, so a run killed
anywhere in here is finished by the next run (``pending``). Files of a batch are written
without one flush each; a single ``os.sync`` (an fsync of each where there is none, see
:func:`tps_batch.atomic.make_durable`) makes the copies durable before any inbox
file is removed, and the receipts durable before they are marked done.

Inbox originals may be removed after their submission is marked done (ingest removes
them all at the end of the run): one left behind by a kill is, to the next run, an
identical file already stored, and goes as a duplicate. Removing them last keeps
thousands of freshly freed inodes away from the files this run still creates (ext4
steps around inodes freed in the last minute, at a cost per new file).
"""

from __future__ import annotations

import hashlib
import logging
import os
import signal
import stat
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tps_batch import store
from tps_batch.atomic import atomic_write, make_durable
from tps_batch.collect import link_bytes, sha256_of
from tps_batch.errors import Finding
from tps_batch.receipt import write_html
from tps_batch.settings import Settings
from tps_batch.workspace import receipts_dir, rel, safe_name

_hits: dict[str, int] = {}
log = logging.getLogger(__name__)


def failpoint(name: str) -> None:
    """Crash-test hook: ``TPS_KILL_AT=name:n`` SIGKILLs this process at the n-th pass."""
    spec = os.environ.get("TPS_KILL_AT")
    if spec and spec.partition(":")[0] == name:
        _hits[name] = _hits.get(name, 0) + 1
        if _hits[name] == int(spec.partition(":")[2] or 1):
            os.kill(os.getpid(), signal.SIGKILL)


def kept_rel(ws: Settings, sid: int, status: str, file_name: str) -> str:
    """Where the original is kept: archive/ or rejected/, a name no other file can take."""
    folder = ws.values["rejected" if status == "rejected" else "archive"]
    stem, ext = os.path.splitext(file_name)
    ext = safe_name(ext, 12) if ext and len(ext) <= 12 else ""
    name = safe_name(stem, 80) + (f".{ext}" if ext else "")  # a long name keeps its .xlsx
    return str(Path(folder) / str(ws.fiscal_year) / f"{sid:06d}-{name}")


def pending(engine: Engine) -> list[int]:
    with engine.connect() as conn:
        return [r.id for r in conn.execute(
            sa.select(store.submissions.c.id).where(store.submissions.c.receipt_done.is_(False))
            .order_by(store.submissions.c.id))]


def sweep_temporaries(ws: Settings) -> None:
    """Half-written files of a killed run (we hold the lock, so nobody else is writing)."""
    for folder in (ws.path("archive"), ws.path("rejected"), receipts_dir(ws)):
        if folder.is_dir():
            for tmp in folder.rglob(".tmp-*"):
                tmp.unlink(missing_ok=True)


def sweep_stale_temporaries(ws: Settings) -> int:
    """At the start of every command: temp files of killed commands anywhere in the
    workspace's own folders (a SIGKILLed ``tps report`` leaves ``.tmp-*.pdf``)."""
    from tps_batch.atomic import sweep_stale

    return sweep_stale(ws.path(k) for k in ("output", "archive", "rejected", "inbox",
                                            "workbooks"))


def _load(engine: Engine, sids: list[int]) -> tuple[list[dict[str, Any]],
                                                     dict[int, list[Finding]]]:
    s, f = store.submissions, store.findings
    subs: list[dict[str, Any]] = []
    found: dict[int, list[Finding]] = {sid: [] for sid in sids}
    with engine.connect() as conn:
        for i in range(0, len(sids), 500):
            chunk = sids[i:i + 500]
            subs += [dict(r._mapping) for r in conn.execute(
                sa.select(s).where(s.c.id.in_(chunk)).order_by(s.c.id))]
            for r in conn.execute(sa.select(f).where(f.c.submission_id.in_(chunk))
                                  .order_by(f.c.id)):
                found[r.submission_id].append(Finding(
                    r.code, r.severity, r.message_th, r.message_en, sheet=r.sheet,
                    cell=r.cell, table=r.table_key, row=r.row, column=r.column_key))
    return subs, found


def _read(path: str) -> bytes | None:
    """The bytes that stand for an inbox file (a symbolic link: its target, not followed)."""
    try:
        if os.path.islink(path):
            return link_bytes(path)
        with open(path, "rb") as fh:
            return fh.read()
    except OSError:
        return None


def keep_copy(kept: str, source: str, digest: str) -> str:
    """Make sure ``kept`` holds the bytes hashed ``digest``, copying them from ``source``
    (read once: hashed and copied) if need be. Returns "there" (a copy was already kept,
    e.g. by a killed run), "copied" (not yet synced: the caller syncs its batch) or
    "missing" (the source no longer holds those bytes, or is gone)."""
    if os.path.exists(kept) and sha256_of(kept) == digest:
        return "there"
    data = _read(source)
    if data is None or hashlib.sha256(data).hexdigest() != digest:
        return "missing"
    atomic_write(kept, data, fsync=False)
    failpoint("copied")
    return "copied"


def finish(ws: Settings, engine: Engine, sids: list[int],
           annotated: dict[int, bytes] | None = None, *,
           stored: tuple[list[dict[str, Any]], dict[int, list[Finding]]] | None = None,
           remove_later: list[tuple[str, str]] | None = None) -> int:
    """Finish these submissions. ``annotated`` holds the copies the workers made (a
    submission recovered from a killed run gets none: its HTML receipt lists everything,
    and no parser runs in this process). ``stored``: the rows and findings the caller just
    inserted, as :func:`_load` would read them back. ``remove_later``: collects the inbox
    originals to remove (with :func:`remove_originals`) instead of removing them now."""
    if not sids:
        return 0
    subs, found = stored if stored is not None else _load(engine, sids)
    receipts = receipts_dir(ws)
    receipts.mkdir(parents=True, exist_ok=True)
    # plain strings from here on: thousands of files, and pathlib costs more than the write
    root = str(ws.workspace)
    receipts_at, receipts_rel = str(receipts), rel(ws, receipts)

    written: list[str] = []  # for make_durable where there is no os.sync

    def one(sub: dict[str, Any]) -> tuple[tuple[str, str] | None, dict[str, Any]]:
        sid = sub["id"]
        source = os.path.join(root, sub["source_path"])
        # "missing": the original changed or vanished before it could be copied; the
        # receipt still goes out and the submission's record keeps its hash
        kept_at = os.path.join(root, sub["kept_path"])
        safe = keep_copy(kept_at, source, sub["sha256"]) != "missing"
        written.append(kept_at)
        stem = f"{sid:06d}-{safe_name(os.path.splitext(sub['file_name'])[0], 60)}"
        marked = (annotated or {}).get(sid)
        marked_name = f"{stem}-annotated.xlsx" if marked else None
        if marked is not None and marked_name:
            atomic_write(os.path.join(receipts_at, marked_name), marked, fsync=False)
            written.append(os.path.join(receipts_at, marked_name))
        written.append(os.path.join(receipts_at, f"{stem}.html"))
        write_html(os.path.join(receipts_at, f"{stem}.html"), office_name=ws.office_name,
                   submission=sub, findings=found[sid], annotated_name=marked_name)
        failpoint("receipt")
        gone = (source, sub["sha256"]) if sub["source"] != "watched" and safe else None
        return gone, {"sid": sid, "rp": os.path.join(receipts_rel, f"{stem}.html"),
                      "ap": os.path.join(receipts_rel, marked_name) if marked_name else None}

    # One after another: with the readers busy on both cores, threads here only fought over
    # the GIL (measured: more system time and a slower run with 4 threads than with none).
    results = [one(sub) for sub in subs]
    unlink = [gone for gone, _ in results if gone]
    done = [row for _, row in results]
    make_durable(written)  # copies and receipts on disk before any original leaves the inbox
    if remove_later is None:
        remove_originals(unlink)
    s = store.submissions
    with engine.begin() as conn:
        conn.execute(s.update().where(s.c.id == sa.bindparam("sid")).values(
            receipt_done=True, receipt_path=sa.bindparam("rp"),
            annotated_path=sa.bindparam("ap")), done)
    if remove_later is not None:
        remove_later += unlink
    return len(done)


def remove_originals(originals: list[tuple[str, str]]) -> None:
    """Remove inbox files whose copies are kept (and synced): only if they still hold the
    very bytes that were kept. One that cannot be removed (open elsewhere, gone) stays for
    the next run, which finds it a duplicate; it never fails the run."""
    for source, digest in originals:
        before = _stamp(source)
        data = _read(source)
        # size and mtime unchanged around the read, and the very bytes hashed: a writer
        # still appending (after the hash) keeps its file in the inbox for the next run
        if (data is not None and before is not None and _stamp(source) == before
                and before[0] == len(data) and hashlib.sha256(data).hexdigest() == digest):
            try:
                os.unlink(source)
            except OSError as exc:
                log.warning("could not remove %s from the inbox: %s", source, exc)
                continue
            failpoint("unlinked")


def _stamp(path: str) -> tuple[int, int] | None:
    try:
        st = os.lstat(path)
    except OSError:
        return None
    if stat.S_ISLNK(st.st_mode):
        return len(link_bytes(path)), st.st_mtime_ns
    return st.st_size, st.st_mtime_ns
