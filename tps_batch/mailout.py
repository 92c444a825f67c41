"""E-mail out: receipts back to whoever e-mailed a file, daily overdue reminders to group heads.

A message counts as sent only once the SMTP server accepted it, and is recorded in
``mail_sent`` right then (one commit per message): a failure is retried by the next run,
a success is never repeated. Only a crash in the instant between the server's "250 OK"
and that commit can send one message twice — for a receipt, the lesser evil.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from tps_batch import store, thai
from tps_batch.errors import TpsError
from tps_batch.lock import workspace_lock
from tps_batch.plan import read_plan
from tps_batch.receipt import STATUS_TEXT
from tps_batch.render import render_html
from tps_batch.settings import Settings

ITEM_KEYS = ("person", "kind_th", "project_code", "project_name", "item", "days_overdue",
             "detail")  # of reports.overdue_items(), as the reminder shows them
TIMEOUT_S = 60  # a hung server must not hold the nightly run
OWN_HEADER = "X-TPS-Batch"  # on all mail we send, so intake never takes it as a submission
XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
_ADDRESS = re.compile(r"[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+")
# Refusals of one message; anything else means the connection is unusable.
_PER_MESSAGE = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused,
                smtplib.SMTPDataError, smtplib.SMTPNotSupportedError, ValueError)


@dataclass
class SendResult:
    sent: int = 0
    failed: int = 0
    skipped: int = 0  # nobody to send to (no address)
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"ส่งแล้ว {self.sent} · ส่งไม่สำเร็จ {self.failed} · ไม่มีที่อยู่ {self.skipped} "
                f"(sent {self.sent}, failed {self.failed}, no address {self.skipped})")


def mail_out_enabled(ws: Settings) -> bool:
    return bool(ws.smtp_host)


def password(ws: Settings, kind: str) -> str:
    """The IMAP or SMTP password: the env var named in settings, else the password file."""
    env, file, up = (getattr(ws, f"{kind}_password_env"),
                     getattr(ws, f"{kind}_password_file"), kind.upper())
    if env and os.environ.get(env):
        return os.environ[env]
    if not file:
        raise TpsError(f"ไม่พบรหัสผ่าน {up}: ตั้งตัวแปรสภาพแวดล้อม {env} หรือ {kind}_password_file",
                       f"no {up} password: set the environment variable {env} or "
                       f"{kind}_password_file in tps.toml")
    try:
        return ws.path(f"{kind}_password_file").read_text(encoding="utf-8").rstrip("\r\n")
    except OSError as exc:
        raise TpsError(f"อ่านไฟล์รหัสผ่าน {up} ไม่ได้: {file} ({exc.strerror})",
                       f"cannot read the {up} password file {file}: {exc.strerror}") from None


def _mail_from(ws: Settings) -> str:
    if not ws.mail_from:
        raise TpsError("ยังไม่ได้กำหนดที่อยู่ผู้ส่ง (mail_from) ใน tps.toml",
                       "mail_from is not set in tps.toml; it is needed to send mail")
    return ws.mail_from


class _Smtp:
    """One connection per call, opened on first use. After a connection failure the other
    messages fail at once instead of each waiting for a timeout; the next run retries."""

    def __init__(self, ws: Settings) -> None:
        self.ws = ws
        self.secret = password(ws, "smtp") if ws.smtp_user else ""
        self.conn: smtplib.SMTP | None = None
        self.broken: str | None = None

    def _open(self) -> smtplib.SMTP:
        """"plain" is unencrypted: for a loopback test server or a trusted local relay."""
        ws, ctx = self.ws, ssl.create_default_context()
        if ws.smtp_security == "ssl":
            conn: smtplib.SMTP = smtplib.SMTP_SSL(ws.smtp_host, ws.smtp_port, context=ctx,
                                                  timeout=TIMEOUT_S)
        else:
            conn = smtplib.SMTP(ws.smtp_host, ws.smtp_port, timeout=TIMEOUT_S)
        try:
            if ws.smtp_security == "starttls":
                conn.starttls(context=ctx)
            if ws.smtp_user:
                conn.login(ws.smtp_user, self.secret)
        except BaseException:
            conn.close()
            raise
        return conn

    def send(self, msg: EmailMessage) -> None:
        if self.broken:
            raise ConnectionError(self.broken)
        try:
            if self.conn is None:
                self.conn = self._open()
            self.conn.send_message(msg)
        except _PER_MESSAGE:
            raise
        except OSError as exc:  # smtplib's errors are OSErrors too
            self.broken = f"{type(exc).__name__}: {exc}"
            self.close()
            raise

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.conn.quit()
            except OSError:
                self.conn.close()
            self.conn = None


def _message(ws: Settings, to: list[str], subject: str, text: str, html: str | None,
             *, auto: str) -> EmailMessage:
    sender = _mail_from(ws)
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Subject"] = re.sub(r"[\r\n]+", " ", subject)
    msg["Date"] = formatdate(localtime=True)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "tps.invalid"  # no slow getfqdn()
    msg["Message-ID"] = make_msgid("tps", domain=domain)
    msg["Auto-Submitted"] = auto  # RFC 3834: autoresponders must not answer us
    msg[OWN_HEADER] = "1"
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    return msg


def _deliver(smtp: _Smtp, engine: Engine, msg: EmailMessage, result: SendResult,
             record: dict[str, Any]) -> None:
    try:
        smtp.send(msg)
    except (OSError, *_PER_MESSAGE) as exc:
        result.failed += 1
        result.errors.append(f"ส่งอีเมลถึง {msg['To']} ไม่สำเร็จ / sending to {msg['To']} "
                             f"failed: {type(exc).__name__}: {exc}")
        return
    _record(engine, record, recipient=msg["To"], message_id=msg["Message-ID"], status="sent")
    result.sent += 1


def _record(engine: Engine, record: dict[str, Any], **values: Any) -> None:
    with engine.begin() as conn:
        conn.execute(store.mail_sent.insert().values(
            **record, **values, sent_at=dt.datetime.now().replace(microsecond=0)))


# --- receipts --------------------------------------------------------------------------------

def send_receipts(ws: Settings, engine: Engine) -> SendResult:
    """Mail each finished receipt of an e-mailed file (accepted or rejected) to its sender."""
    result = SendResult()
    if not mail_out_enabled(ws):
        return result
    _mail_from(ws)
    s, sent = store.submissions, store.mail_sent
    with workspace_lock(ws.workspace):
        with engine.connect() as conn:
            done = sa.select(sent.c.submission_id).where(sent.c.kind == "receipt",
                                                         sent.c.submission_id.is_not(None))
            rows = [dict(r._mapping) for r in conn.execute(
                sa.select(s).where(s.c.source == "email", s.c.receipt_done.is_(True),
                                   s.c.id.not_in(done)).order_by(s.c.id))]
            findings = {sid: [dict(f._mapping) for f in conn.execute(
                sa.select(store.findings).where(store.findings.c.submission_id == sid)
                .order_by(store.findings.c.id))] for sid in (r["id"] for r in rows)}
        smtp = _Smtp(ws)
        try:
            for sub in rows:
                record = {"key": f"receipt:{sub['id']}", "kind": "receipt",
                          "submission_id": sub["id"]}
                detail = sub["source_detail"] or {}
                to = _ADDRESS.findall(str(detail.get("sender") or ""))[:1]
                if not to:
                    result.skipped += 1
                    _record(engine, record, status="no-recipient")
                    continue
                msg = _receipt_message(ws, to, sub, findings[sub["id"]], detail)
                _deliver(smtp, engine, msg, result, record)
        finally:
            smtp.close()
    return result


def _receipt_message(ws: Settings, to: list[str], sub: dict[str, Any],
                     found: list[dict[str, Any]], detail: dict[str, Any]) -> EmailMessage:
    th, en = STATUS_TEXT[sub["status"]]
    annotated = ws.workspace / sub["annotated_path"] if sub["annotated_path"] else None
    if annotated is not None and not annotated.is_file():
        annotated = None
    lines = [ws.office_name, "ใบตอบรับรายงานผลการดำเนินงานโครงการ / Submission receipt", "",
             f"ไฟล์ / File: {sub['file_name']}", f"เลขที่รับ / Receipt no.: {sub['id']}",
             f"รหัสโครงการ / Project: {sub['project_code'] or '-'}",
             f"ผล / Outcome: {th} / {en}",
             f"ข้อผิดพลาด / คำเตือน (errors / warnings): {sub['errors']} / {sub['warnings']}", ""]
    for i, f in enumerate(found, 1):
        where = f"{f['sheet']}!{f['cell']}" if f["sheet"] and f["cell"] else (f["sheet"] or "-")
        level = "ผิดพลาด error" if f["severity"] == "error" else "คำเตือน warning"
        lines += [f"{i}. [{level}] {where}: {f['message_th']}", f"   {f['message_en']}"]
    if annotated is not None:
        lines += ["", "แนบไฟล์ที่ทำเครื่องหมายช่องที่ต้องแก้ไข / The annotated copy is attached: "
                  f"{annotated.name}"]
    if not found:
        lines.append("ไม่พบข้อผิดพลาด ขอบคุณครับ/ค่ะ / No problems found. Thank you.")
    receipt = ws.workspace / sub["receipt_path"] if sub["receipt_path"] else None
    html = receipt.read_text(encoding="utf-8") if receipt and receipt.is_file() else None
    msg = _message(ws, to, f"[TPS] ใบตอบรับ: {sub['file_name']} — {th} / {en}",
                   "\n".join(lines) + "\n", html, auto="auto-replied")
    original = detail.get("message_id")
    if original:
        msg["In-Reply-To"] = original
        msg["References"] = original
    if annotated is not None:
        msg.add_attachment(annotated.read_bytes(), maintype=XLSX_TYPE[0],
                           subtype=XLSX_TYPE[1], filename=annotated.name)
    return msg


# --- reminders -------------------------------------------------------------------------------

def send_reminders(ws: Settings, engine: Engine, items: list[dict[str, Any]], *,
                   today: dt.date) -> SendResult:
    """One e-mail a day to each group head listing the group's overdue items. Groups without
    an e-mail address in the plan are counted in ``skipped``."""
    result = SendResult()
    if not mail_out_enabled(ws) or not items:
        return result
    _mail_from(ws)
    plan = read_plan(ws.path("plan"))
    groups: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        groups.setdefault(plan.canonical_group(item["group"]) or item["group"], []).append(item)
    sent = store.mail_sent
    with workspace_lock(ws.workspace):
        with engine.connect() as conn:
            done = set(conn.execute(sa.select(sent.c.key).where(
                sent.c.kind == "reminder", sent.c.day == today)).scalars())
        smtp = _Smtp(ws)
        try:
            for name, rows in groups.items():
                record = {"key": f"reminder:{today.isoformat()}:{name}", "kind": "reminder",
                          "group_name": name, "day": today}
                if record["key"] in done:
                    continue
                info = plan.group(name) or {}
                to = _ADDRESS.findall(str(info.get("email") or ""))
                if not to:
                    result.skipped += 1
                    continue
                msg = _reminder_message(ws, to, name, info.get("head") or "", rows, today)
                _deliver(smtp, engine, msg, result, record)
        finally:
            smtp.close()
    return result


def _day(value: Any) -> dt.date | None:
    if value is None or value != value:  # None or NaT/NaN
        return None
    return value.date() if isinstance(value, dt.datetime) else value


def _reminder_message(ws: Settings, to: list[str], group: str, head: str,
                      rows: list[dict[str, Any]], today: dt.date) -> EmailMessage:
    rows = sorted(({**{k: r.get(k) or "" for k in ITEM_KEYS}, "due": _day(r.get("due"))}
                   for r in rows), key=lambda r: -int(r["days_overdue"] or 0))
    html = render_html("reminder.html", office_name=ws.office_name, group=group, head=head,
                       items=rows, today=today)
    lines = [ws.office_name, f"เรียน {head or 'ผู้อำนวยการกลุ่ม'} ({group})", "",
             f"รายการที่เลยกำหนด ณ วันที่ {thai.format_date_long(today)} จำนวน {len(rows)} "
             f"รายการ / Overdue items as of {today.isoformat()}: {len(rows)}", ""]
    for i, r in enumerate(rows, 1):
        lines.append(f"{i}. {r['kind_th']}: {r['project_code']} {r['project_name']} — "
                     f"{r['item']} (ผู้รับผิดชอบ / person: {r['person']}; กำหนด / due "
                     f"{thai.format_date_short(r['due'])}; เลยกำหนด {r['days_overdue']} วัน / "
                     f"{r['days_overdue']} days overdue) {r['detail']}".rstrip())
    subject = (f"[TPS] รายการเลยกำหนด {len(rows)} รายการ: {group} / "
               f"{len(rows)} overdue items ({today.isoformat()})")
    return _message(ws, to, subject, "\n".join(lines) + "\n", html, auto="auto-generated")
