"""E-mail intake: attachments in the office mailbox become inbox files, each exactly once.

Crash safety comes from the order of effects, as in ingest: attachments are written
(atomically, fsynced) into a hidden staging folder of the inbox, which collect ignores; one
DB transaction records the message in ``mail_messages`` (unique Message-ID, or a hash of
the raw message) with each file's origin in ``incoming``; then the staged files are renamed
into the inbox; only then is the message moved out of the IMAP folder. Each run first
finishes what a killed run left (recorded staged files are renamed, unrecorded ones
deleted), and a recorded message still in the folder is only moved, never saved again.
Every message of the folder is looked at, not only UNSEEN ones: a clerk who opens the
mailbox in webmail marks messages read, and they must still be taken in.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import email
import email.policy
import email.utils
import hashlib
import imaplib
import mimetypes
import os
import re
import ssl
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tps_batch import store
from tps_batch.atomic import atomic_path
from tps_batch.lock import workspace_lock
from tps_batch.mailout import OWN_HEADER, TIMEOUT_S, password
from tps_batch.settings import Settings

STAGING = ".tps-mail"   # inside the inbox (same filesystem: renames are atomic); hidden
NAME_BYTES = 150        # every filesystem takes 255-byte names; room left for "-2", prefixes
TOO_LARGE_FACTOR = 10   # attachments over this × max_file_mb are not written at all
MIB = 1024 * 1024
_RESERVED = re.compile(r"(con|prn|aux|nul|conin\$|conout\$|com[0-9¹²³]|lpt[0-9¹²³])", re.I)


@dataclass
class FetchResult:
    messages: int = 0                                   # messages looked at in the folder
    saved: list[Path] = field(default_factory=list)     # files put into the inbox
    skipped: int = 0                                    # already taken by an earlier run
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        n, s, k, e = self.messages, len(self.saved), self.skipped, len(self.errors)
        return (f"อีเมล {n} ฉบับ · บันทึกไฟล์ {s} · รับไปแล้ว {k} · ผิดพลาด {e} "
                f"(messages {n}, files saved {s}, already taken {k}, errors {e})")


def mail_in_enabled(ws: Settings) -> bool:
    return bool(ws.imap_host)


# --- file names ------------------------------------------------------------------------------

def fit_name(stem: str, suffix: str, limit: int = NAME_BYTES) -> str:
    """``stem + suffix`` cut to ``limit`` UTF-8 bytes (Thai is 3 a letter), keeping the suffix
    and never splitting a character or leaving a base letter without its marks."""
    room = limit - len(suffix.encode())
    if len(stem.encode()) > room:
        cut = stem.encode()[:max(room, 0)].decode("utf-8", "ignore")
        while cut and unicodedata.category(stem[len(cut)])[0] == "M":
            cut = cut[:-1]
        stem = cut.rstrip(" .") or "attachment"
    return stem + suffix


def safe_attachment_name(name: str | None, content_type: str = "") -> str:
    """An inbox file name safe everywhere: one path component, not hidden (collect skips
    those), not a Windows device name, at most NAME_BYTES bytes with its extension."""
    text = re.split(r"[\\/]", unicodedata.normalize("NFC", name or ""))[-1]
    text = re.sub(r'[\x00-\x1f\x7f<>:"|?*]+', "_", text).strip(" .~\t")
    stem, dot, ext = text.rpartition(".")
    if not (dot and stem and re.fullmatch(r"[A-Za-z0-9]{1,10}", ext)):
        guessed = mimetypes.guess_extension(content_type or "") if content_type else None
        stem, ext = text, (guessed or ".bin").lstrip(".")
    stem = stem.strip(" .") or "attachment"
    if _RESERVED.fullmatch(stem.split(".")[0].strip()):
        stem = "_" + stem
    return fit_name(stem, "." + ext)


def unique_name(name: str, taken: set[str]) -> str:
    """``name``, or ``name-2``, ``name-3``…: distinct even on case-insensitive disks."""
    stem, dot, ext = name.rpartition(".")
    candidate, n = name, 1
    while candidate.casefold() in taken:
        n += 1
        candidate = fit_name(stem, f"-{n}{dot}{ext}")
    taken.add(candidate.casefold())
    return candidate


def _mailbox(name: str) -> str:
    """A folder name as IMAP wants it: modified UTF-7 (RFC 3501 5.1.3), quoted."""
    def utf7(m: re.Match[str]) -> str:
        if m.group() == "&":
            return "&-"
        raw = base64.b64encode(m.group().encode("utf-16-be")).decode()
        return "&" + raw.rstrip("=").replace("/", ",") + "-"

    text = re.sub(r"&|[^ -~]+", utf7, name).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


# --- the mailbox -----------------------------------------------------------------------------

def _connect(ws: Settings, secret: str) -> imaplib.IMAP4:
    """Log in. "plain" sends the password in clear: for a loopback test server only."""
    ctx = ssl.create_default_context()
    if ws.imap_security == "ssl":
        imap: imaplib.IMAP4 = imaplib.IMAP4_SSL(ws.imap_host, ws.imap_port, ssl_context=ctx,
                                                timeout=TIMEOUT_S)
    else:
        imap = imaplib.IMAP4(ws.imap_host, ws.imap_port, timeout=TIMEOUT_S)
    try:
        if ws.imap_security == "starttls":
            imap.starttls(ctx)
        imap.login(ws.imap_user, secret)
        typ, data = imap.capability()  # imaplib keeps the pre-login list (no MOVE in it)
        if typ == "OK" and data and data[-1]:
            imap.capabilities = tuple(data[-1].decode().upper().split())
    except BaseException:
        with contextlib.suppress(OSError):
            imap.shutdown()
        raise
    return imap


def _fetch(imap: imaplib.IMAP4, uid: bytes, items: str) -> tuple[bytes, bytes | None] | None:
    """(the FETCH response line, its literal) for one message; None when it is gone."""
    typ, data = imap.uid("FETCH", uid, items)
    if typ != "OK":
        raise imaplib.IMAP4.error(f"FETCH {uid.decode()} failed: {data!r}")
    meta, literal = b"", None
    for piece in data:
        if isinstance(piece, tuple):
            meta += piece[0]
            literal = piece[1] if literal is None else literal
        elif isinstance(piece, bytes):
            meta += piece
    return (meta, literal) if meta else None


class _Mover:
    """Moves handled messages to the processed folder (created on first use): MOVE if the
    server has it, else COPY + \\Deleted + EXPUNGE; if neither works, at least \\Seen."""

    def __init__(self, imap: imaplib.IMAP4, folder: str) -> None:
        self.imap, self.folder, self.ready = imap, _mailbox(folder), False

    def __call__(self, uid: bytes) -> bool:
        imap = self.imap
        if not self.ready:
            imap.create(self.folder)  # NO when it exists already: fine
            self.ready = True
        if "MOVE" in imap.capabilities:
            if imap.uid("MOVE", uid, self.folder)[0] == "OK":
                return True
        elif imap.uid("COPY", uid, self.folder)[0] == "OK":
            imap.uid("STORE", uid, "+FLAGS.SILENT", r"(\Deleted)")
            if "UIDPLUS" in imap.capabilities:
                imap.uid("EXPUNGE", uid)
            else:
                imap.expunge()
            return True
        imap.uid("STORE", uid, "+FLAGS.SILENT", r"(\Seen)")
        return False


def fetch_mail(ws: Settings, engine: Engine) -> FetchResult:
    """Save the attachments of every message in ``imap_folder`` into the inbox, then move
    the message away. Server and network problems are reported in ``errors`` (the run goes
    on with the drop folder); only a missing password raises."""
    result = FetchResult()
    if not mail_in_enabled(ws):
        return result
    secret = password(ws, "imap")
    with workspace_lock(ws.workspace):
        _recover(ws, engine, result)
        try:
            imap = _connect(ws, secret)
        except (imaplib.IMAP4.error, OSError) as exc:
            result.errors.append(f"เชื่อมต่อ IMAP ไม่ได้ / cannot log in to IMAP "
                                 f"{ws.imap_host}:{ws.imap_port}: {exc}")
            return result
        try:
            _fetch_all(ws, engine, imap, result)
        except (imaplib.IMAP4.error, OSError) as exc:  # connection lost: the rest waits
            result.errors.append(f"หยุดรับอีเมล / mail intake stopped: {type(exc).__name__}: "
                                 f"{exc}")
        finally:
            _close(imap)
            with contextlib.suppress(OSError):
                (ws.path("inbox") / STAGING).rmdir()  # only when empty
    return result


def _close(imap: imaplib.IMAP4) -> None:
    """Log out politely; a connection that is already gone is just dropped."""
    try:
        imap.logout()
    except (imaplib.IMAP4.error, OSError):
        with contextlib.suppress(OSError):
            imap.shutdown()


def _fetch_all(ws: Settings, engine: Engine, imap: imaplib.IMAP4, result: FetchResult) -> None:
    typ, data = imap.select(_mailbox(ws.imap_folder))
    if typ != "OK":
        raise imaplib.IMAP4.error(f"cannot open folder {ws.imap_folder}: {data!r}")
    typ, data = imap.uid("SEARCH", "ALL")
    if typ != "OK":
        raise imaplib.IMAP4.error(f"SEARCH failed: {data!r}")
    move = _Mover(imap, ws.imap_processed_folder)
    inbox = ws.path("inbox")
    inbox.mkdir(parents=True, exist_ok=True)
    taken = {p.name.casefold() for p in inbox.iterdir()}
    for uid in (data[0] or b"").split():
        result.messages += 1
        try:
            _one(ws, engine, imap, uid, move, taken, result)
        except (imaplib.IMAP4.abort, OSError):
            raise
        except Exception as exc:  # noqa: BLE001 - one odd message must not stop the others
            result.errors.append(f"อีเมล UID {uid.decode()} / message UID {uid.decode()}: "
                                 f"{type(exc).__name__}: {exc}")


def _known(engine: Engine, key: str) -> bool:
    m = store.mail_messages
    with engine.connect() as conn:
        return conn.execute(sa.select(m.c.id).where(m.c.message_id == key)).first() is not None


def _moved(engine: Engine, key: str) -> None:
    m = store.mail_messages
    with engine.begin() as conn:
        conn.execute(m.update().where(m.c.message_id == key).values(moved_at=_now()))


def _one(ws: Settings, engine: Engine, imap: imaplib.IMAP4, uid: bytes, move: _Mover,
         taken: set[str], result: FetchResult) -> None:
    got = _fetch(imap, uid, "(RFC822.SIZE INTERNALDATE BODY.PEEK[HEADER])")
    if got is None:
        return
    meta, header = got
    msg = email.message_from_bytes(header or b"", policy=email.policy.default)
    key = str(msg.get("Message-ID") or "").strip()
    if key and _known(engine, key):
        result.skipped += 1
    else:
        stamp = imaplib.Internaldate2tuple(meta)
        arrived = dt.datetime.fromtimestamp(time.mktime(stamp)) if stamp else _date_of(msg)
        limit = ws.max_file_mb * MIB * TOO_LARGE_FACTOR
        found = re.search(rb"RFC822\.SIZE (\d+)", meta)
        size = int(found.group(1)) if found else 0
        raw = header or b""
        if size <= limit * 1.4 + MIB:  # else (base64 is 4/3): keep the header, skip the body
            got = _fetch(imap, uid, "(BODY.PEEK[])")
            if got is None or got[1] is None:
                return
            raw, size = got[1], 0
            msg = email.message_from_bytes(raw, policy=email.policy.default)
        key = key or "sha256:" + hashlib.sha256(raw).hexdigest()
        if key.startswith("sha256:") and _known(engine, key):
            result.skipped += 1
        else:
            assert isinstance(msg, EmailMessage)
            result.saved += _save(ws, engine, msg, key, arrived, taken, limit, size)
    if move(uid):
        _moved(engine, key)


def _date_of(msg: EmailMessage) -> dt.datetime:
    try:
        sent = email.utils.parsedate_to_datetime(str(msg.get("Date", "")))
        return sent.astimezone().replace(tzinfo=None) if sent.tzinfo else sent
    except (TypeError, ValueError):
        return _now()


def _now() -> dt.datetime:
    return dt.datetime.now().replace(microsecond=0)


# --- one message: stage, record, place ---------------------------------------------------------

def _attachments(msg: EmailMessage) -> Iterator[EmailMessage]:
    """Parts a person attached, also inside forwarded messages; not the body text, not images
    embedded in the HTML body (a signature logo must not earn a rejection receipt), and not
    our own mail quoted back (a bounced receipt must not resubmit its annotated copy).
    A loop, not recursion: a hostile nesting depth must not raise RecursionError."""
    stack: list[Any] = [msg]
    while stack:
        part = stack.pop()
        if part is not msg and part.get(OWN_HEADER):
            continue
        if part.is_multipart():
            stack.extend(reversed(part.get_payload()))
            continue
        disposition = part.get_content_disposition()
        if disposition != "attachment" and (not part.get_filename() or (
                disposition == "inline" and part.get_content_maintype() == "image"
                and part.get("Content-ID"))):
            continue
        yield part


def _too_large_text(name: str, size: int, limit_mb: float) -> bytes:
    return (f"ไฟล์แนบ \"{name}\" มีขนาด {size / MIB:.1f} MB เกินกำหนด {limit_mb:g} MB มาก "
            "ระบบจึงไม่ได้เก็บไฟล์นี้ กรุณาส่งไฟล์ที่เล็กลง หรือวางไฟล์ในโฟลเดอร์กลางของสำนักงาน\n"
            f"The attachment \"{name}\" is {size / MIB:.1f} MB, far over the {limit_mb:g} MB "
            "limit, so it was not kept. Please send a smaller file, or put it in the office's "
            "shared folder.\n").encode()


def _save(ws: Settings, engine: Engine, msg: EmailMessage, key: str, arrived: dt.datetime,
          taken: set[str], limit: float, skipped_size: int) -> list[Path]:
    """Stage every attachment, record the message and the files' origin, then place them.
    ``skipped_size`` is the size of a message too large to download (only its header)."""
    inbox = ws.path("inbox")
    staging = inbox / STAGING
    digest = hashlib.sha256(key.encode()).hexdigest()[:24]
    stamp = arrived.timestamp()
    files: list[dict[str, Any]] = []

    def stage(original: str, name: str, data: bytes, size: int, reason: str | None) -> None:
        staged = f"{digest}-{len(files)}{Path(name).suffix}"
        with atomic_path(staging / staged) as tmp:
            tmp.write_bytes(data)
            os.utime(tmp, (stamp, stamp))  # collect's order and fallback time: arrival
        files.append({"name": original, "saved": unique_name(name, taken), "staged": staged,
                      "size": size, "reason": reason})

    auto = (str(msg.get("Auto-Submitted", "no")).strip().lower() not in ("", "no")
            or msg.get_content_type() == "multipart/report")  # bounces, autoreplies
    if skipped_size:  # only the header was downloaded; the placeholder tells the sender why
        subject = re.sub(r"[\\/]", "_", str(msg.get("Subject") or "message"))
        name = safe_attachment_name(f"{subject}.eml")
        stage(name, fit_name(name, ".too-large.txt"),
              _too_large_text(name, skipped_size, limit / MIB), skipped_size, "too-large")
    elif not auto:
        for part in _attachments(msg):
            original = part.get_filename() or ""
            name = safe_attachment_name(original, part.get_content_type())
            data = part.get_payload(decode=True) or b""
            if len(data) > limit:
                stage(original, fit_name(name, ".too-large.txt"),
                      _too_large_text(name, len(data), limit / MIB), len(data), "too-large")
            else:
                stage(original, name, data, len(data), None)
    sender = email.utils.parseaddr(str(msg.get("From", "")))[1]
    subject = re.sub(r"[\r\n]+", " ", str(msg.get("Subject", "")))
    detail = {"sender": sender, "message_id": str(msg.get("Message-ID") or "").strip() or None,
              "subject": subject, "date": str(msg.get("Date", "")) or None}
    status = "staged" if files else ("auto-submitted" if auto else "no-attachments")
    try:
        with engine.begin() as conn:
            conn.execute(store.mail_messages.insert().values(
                message_id=key, sender=sender, subject=subject, received_at=arrived,
                files=files, status=status, handled_at=_now()))
            for f in files:
                rel = _rel(ws, inbox / f["saved"])
                conn.execute(store.incoming.delete().where(store.incoming.c.path == rel))
                conn.execute(store.incoming.insert().values(
                    path=rel, source="email", detail=detail, received_at=arrived))
    except sa.exc.IntegrityError:  # recorded meanwhile by another process: it owns the files
        for f in files:
            (staging / f["staged"]).unlink(missing_ok=True)
        return []
    return _place(ws, engine, key, files, taken) if files else []


def _rel(ws: Settings, path: Path) -> str:
    """The path as collect records it (see :func:`tps_batch.workspace.rel`): the two must
    match for ingest to find where an inbox file came from."""
    from tps_batch.workspace import rel

    return rel(ws, path)


def _place(ws: Settings, engine: Engine, key: str, files: list[dict[str, Any]],
           taken: set[str]) -> list[Path]:
    """Rename staged files into the inbox (idempotent) and mark the message saved."""
    inbox = ws.path("inbox")
    placed = []
    for f in files:
        staged = inbox / STAGING / f["staged"]
        if not staged.exists():
            continue  # placed by an earlier attempt (and maybe ingested since)
        final = inbox / f["saved"]
        if final.exists():  # someone dropped a file of that name since the commit
            new = unique_name(f["saved"], taken | {p.name.casefold() for p in inbox.iterdir()})
            with engine.begin() as conn:
                conn.execute(store.incoming.update()
                             .where(store.incoming.c.path == _rel(ws, final))
                             .values(path=_rel(ws, inbox / new)))
                f["saved"], final = new, inbox / new
                _set_files(conn, key, files, "staged")
        os.replace(staged, final)
        placed.append(final)
    _fsync_dir(inbox)
    with engine.begin() as conn:
        _set_files(conn, key, files, "saved")
    return placed


def _set_files(conn: Any, key: str, files: list[dict[str, Any]], status: str) -> None:
    m = store.mail_messages
    conn.execute(m.update().where(m.c.message_id == key).values(files=files, status=status))


def _fsync_dir(path: Path) -> None:
    """Make the renames durable (not every OS can fsync a directory)."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _recover(ws: Settings, engine: Engine, result: FetchResult) -> None:
    """Finish what a killed run left: place staged files of recorded messages, then drop
    staged files no record knows (written before a commit that never happened)."""
    m = store.mail_messages
    with engine.connect() as conn:
        rows = conn.execute(sa.select(m.c.message_id, m.c.files)
                            .where(m.c.status == "staged")).all()
    inbox = ws.path("inbox")
    taken = {p.name.casefold() for p in inbox.iterdir()} if inbox.is_dir() else set()
    for row in rows:
        result.saved += _place(ws, engine, row.message_id, list(row.files or []), taken)
    staging = inbox / STAGING
    if staging.is_dir():
        for leftover in staging.iterdir():
            leftover.unlink(missing_ok=True)
