"""Mail against real servers: Dovecot intake (safe names, exactly once across drops and
crashes), receipts and reminders through aiosmtpd (sent once, retried after a failure)."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import imaplib
from collections import Counter
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import Any

import factories as fx
import mailservers
import pytest
import sqlalchemy as sa
from mailservers import Dovecot, SmtpServer, dovecot, dovecot_server, smtp_server  # noqa: F401

from tps_batch import mail, mailin, store
from tps_batch.errors import TpsError
from tps_batch.ingest import ingest
from tps_batch.mailin import fetch_mail
from tps_batch.mailout import send_receipts, send_reminders
from tps_batch.plan import write_plan
from tps_batch.settings import Settings

PROCESSED = "TPS-processed"
THAI_NAME = ("รายงานผลการดำเนินงานโครงการพัฒนาคุณภาพการศึกษา" * 8)[:300] + ".xlsx"


def mail_ws(path: Path, monkeypatch: pytest.MonkeyPatch, *, imap: Dovecot | None = None,
            smtp: SmtpServer | None = None, **overrides: Any) -> Settings:
    values: dict[str, Any] = {"max_file_mb": 0.1, "mail_from": "tps@office.example"}
    if imap is not None:
        monkeypatch.setenv("TPS_TEST_IMAP_PASSWORD", imap.password)
        values.update(imap_host="127.0.0.1", imap_port=imap.port, imap_security="plain",
                      imap_user=imap.user, imap_password_env="TPS_TEST_IMAP_PASSWORD")
    if smtp is not None:
        values.update(smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_security="plain")
    return fx.make_workspace(path, **{**values, **overrides})


def workbook(tmp_path: Path, day: int, **values: Any) -> bytes:
    """A distinct filled workbook (its as-of day differs), as bytes."""
    path = tmp_path / "made" / f"{day}-{len(values)}.xlsx"
    path.parent.mkdir(exist_ok=True)
    return fx.submission(path, values={"as_of": dt.date(2024, 1, day), **values}).read_bytes()


def message(sender: str, subject: str, attachments: list[tuple[str, bytes]], *,
            message_id: bool = True, logo: bool = False) -> EmailMessage:
    """A message as a mail client sends it; ``logo``: an HTML body with an embedded image."""
    msg = EmailMessage()
    msg["From"] = f"ครูทดสอบ <{sender}>"
    msg["To"] = "tps@office.example"
    msg["Subject"] = subject
    msg["Date"] = "Mon, 15 Jan 2024 09:30:00 +0700"
    if message_id:
        msg["Message-ID"] = make_msgid(domain="school.example")
    msg.set_content("ส่งรายงานครับ")
    if logo:
        msg.add_alternative("<p>ส่งรายงานครับ <img src='cid:logo'></p>", subtype="html")
        msg.get_payload()[1].add_related(b"\x89PNG logo", "image", "png", cid="<logo>",
                                         disposition="inline", filename="image001.png")
    for name, data in attachments:
        maintype, subtype = (("application", "pdf") if name.endswith(".pdf") else
                             ("application", "octet-stream"))
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def db_rows(ws: Settings, table: sa.Table) -> list[dict[str, Any]]:
    engine = store.connect(ws.db_url)
    with engine.connect() as conn:
        rows = [dict(r._mapping) for r in conn.execute(sa.select(table))]
    engine.dispose()
    return rows


def fetch(ws: Settings) -> mailin.FetchResult:
    engine = store.connect(ws.db_url)
    try:
        return fetch_mail(ws, engine)
    finally:
        engine.dispose()


def inbox_files(ws: Settings) -> list[Path]:
    return sorted(p for p in ws.path("inbox").iterdir() if p.is_file())


# --- names (no server) -------------------------------------------------------------------------

@pytest.mark.parametrize(("given", "expected"), [
    ("../../etc/passwd.xlsx", "passwd.xlsx"), ("..\\..\\boot.ini.xlsx", "boot.ini.xlsx"),
    ("CON.xlsx", "_CON.xlsx"), ("nul.xlsx", "_nul.xlsx"), ("com1.tar.gz", "_com1.tar.gz"),
    (".hidden.xlsx", "hidden.xlsx"), ("~$lock.xlsx", "$lock.xlsx"), ("a:b*?.xlsx", "a_b_.xlsx"),
    ("", "attachment.bin"), ("..", "attachment.bin"), ("report", "report.bin"),
    ("ราย\nงาน.xlsx", "ราย_งาน.xlsx"),
])
def test_safe_attachment_name(given: str, expected: str) -> None:
    assert mailin.safe_attachment_name(given) == expected


def test_long_thai_name_is_cut_by_bytes_keeping_the_extension() -> None:
    name = mailin.safe_attachment_name(THAI_NAME)
    assert name.endswith(".xlsx") and len(name.encode()) <= mailin.NAME_BYTES
    assert THAI_NAME.startswith(name.removesuffix(".xlsx"))
    taken: set[str] = set()
    names = [mailin.unique_name(name, taken) for _ in range(12)]
    assert len({n.casefold() for n in names}) == 12
    assert all(len(n.encode()) <= mailin.NAME_BYTES and n.endswith(".xlsx") for n in names)
    assert mailin.unique_name("Report.XLSX", {"report.xlsx"}) == "Report-2.XLSX"


def test_passwords_and_sender_come_from_settings(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TPS_IMAP_PASSWORD", raising=False)
    ws = fx.make_workspace(tmp_path / "ws", imap_host="127.0.0.1", smtp_host="127.0.0.1")
    engine = store.connect(ws.db_url)
    with pytest.raises(TpsError, match="TPS_IMAP_PASSWORD") as caught:
        fetch_mail(ws, engine)
    assert "รหัสผ่าน" in caught.value.message_th
    with pytest.raises(TpsError, match="mail_from"):
        send_receipts(ws, engine)
    (tmp_path / "ws" / "imap.secret").write_text("s3cret\n")
    ws2 = fx.make_workspace(tmp_path / "ws", imap_password_file="imap.secret")
    assert mail.password(ws2, "imap") == "s3cret"
    monkeypatch.setenv("TPS_IMAP_PASSWORD", "from-env")
    assert mail.password(ws2, "imap") == "from-env"
    engine.dispose()


def test_unreachable_servers_are_reported_not_raised(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TPS_IMAP_PASSWORD", "x")
    closed = mailservers.free_port()  # nothing listens there
    ws = fx.make_workspace(tmp_path / "ws", imap_host="127.0.0.1", imap_port=closed,
                           imap_security="plain", smtp_host="127.0.0.1", smtp_port=closed,
                           smtp_security="plain", mail_from="TPS <tps@office.example>")
    engine = store.connect(ws.db_url)
    result = fetch_mail(ws, engine)
    assert result.errors and "IMAP" in result.errors[0] and result.saved == []
    sent = send_reminders(ws, engine, [{"group": fx.GROUP_A, "due": dt.date(2024, 3, 1),
                                        "days_overdue": 1}], today=dt.date(2024, 3, 2))
    assert (sent.sent, sent.failed) == (0, 1) and sent.errors
    engine.dispose()


# --- 1. intake ---------------------------------------------------------------------------------

def test_fetch_saves_every_attachment_safely_once(tmp_path: Path, dovecot: Dovecot,  # noqa: F811
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    ws = mail_ws(tmp_path / "ws", monkeypatch, imap=dovecot)
    wb = [workbook(tmp_path, d) for d in range(1, 6)]
    pdf, junk = b"%PDF-1.4\n% not a workbook\n", b"CON is a device on Windows"
    medium, big = b"x" * 200_000, b"y" * 1_200_000        # over max_file_mb; over 10x
    huge = b"z" * 2_600_000  # too large to even download: only its header is read
    msgs = [
        message("alice@school.example", "รายงาน P01", [("รายงาน P01.xlsx", wb[0])], logo=True),
        message("bob@school.example", "two of the same name",
                [("report.xlsx", wb[1]), ("report.xlsx", wb[2])]),
        message("eve@school.example", "traversal", [("../../etc/passwd.xlsx", wb[3])]),
        message("con@school.example", "device name", [("CON.xlsx", junk)]),
        message("thai@school.example", "ชื่อยาว", [(THAI_NAME, wb[4])]),
        message("pdf@school.example", "pdf", [("แผนงาน.pdf", pdf)]),
        message("none@school.example", "no attachment", []),
        message("big@school.example", "big", [("medium.xlsx", medium), ("big.xlsx", big)]),
        message("huge@school.example", "huge", [("huge.xlsx", huge)]),
        message("noid@school.example", "no message-id", [("noid.pdf", pdf + b"2")],
                message_id=False),
    ]
    dovecot.append(*msgs)
    engine = store.connect(ws.db_url)
    with engine.begin() as conn:  # left by an earlier file of that name: replaced, not kept
        conn.execute(store.incoming.insert().values(path="inbox/passwd.xlsx", source="email",
                                                    detail={"sender": "stale@example.org"}))
    engine.dispose()

    result = fetch(ws)
    assert result.errors == [] and result.messages == len(msgs) and result.skipped == 0
    inbox = ws.path("inbox")
    files = inbox_files(ws)
    assert sorted(result.saved) == files and len(files) == 11
    names = [p.name for p in files]
    assert len({n.casefold() for n in names}) == len(names)
    for path in files:
        assert path.resolve().parent == inbox.resolve()
        assert len(path.name.encode()) <= mailin.NAME_BYTES
        assert not path.name.startswith((".", "~"))
    assert not (tmp_path / "etc").exists() and not (ws.workspace / "etc").exists()
    assert {"รายงาน P01.xlsx", "report.xlsx", "report-2.xlsx", "passwd.xlsx", "_CON.xlsx",
            "แผนงาน.pdf", "medium.xlsx", "big.xlsx.too-large.txt", "noid.pdf"} <= set(names)
    assert "image001.png" not in names
    thai = next(n for n in names if n.startswith("รายงานผล"))
    assert thai.endswith(".xlsx") and THAI_NAME.startswith(thai.removesuffix(".xlsx"))
    huge_note = next(n for n in names if n.startswith("huge"))
    assert huge_note.endswith(".too-large.txt")
    content = Counter(sha(p.read_bytes()) for p in files)
    for data in (*wb, junk, pdf, medium, pdf + b"2"):
        assert content[sha(data)] == 1  # each attachment exactly once
    assert "far over" in (inbox / "big.xlsx.too-large.txt").read_text("utf-8")

    incoming = {r["path"]: r for r in db_rows(ws, store.incoming)}
    assert set(incoming) == {f"inbox/{n}" for n in names}
    row = incoming["inbox/passwd.xlsx"]
    assert row["source"] == "email" and row["detail"]["sender"] == "eve@school.example"
    assert row["detail"]["message_id"] == msgs[2]["Message-ID"]
    assert row["detail"]["subject"] == "traversal"
    # received = when the office server got it (INTERNALDATE), not the sender's Date header
    assert abs(row["received_at"] - dt.datetime.now()) < dt.timedelta(hours=1)
    assert incoming["inbox/noid.pdf"]["detail"]["message_id"] is None
    recorded = db_rows(ws, store.mail_messages)
    assert len(recorded) == len(msgs) and all(r["moved_at"] for r in recorded)
    by_sender = {r["sender"]: r for r in recorded}
    assert by_sender["none@school.example"]["status"] == "no-attachments"
    assert by_sender["big@school.example"]["files"][1]["reason"] == "too-large"
    assert by_sender["noid@school.example"]["message_id"].startswith("sha256:")
    assert dovecot.messages("INBOX") == [] and len(dovecot.messages(PROCESSED)) == len(msgs)

    again = fetch(ws)
    assert (again.messages, again.saved, again.errors) == (0, [], [])
    assert inbox_files(ws) == files


def test_fetched_files_are_ingested_once_as_email(tmp_path: Path, dovecot: Dovecot,  # noqa: F811
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    ws = mail_ws(tmp_path / "ws", monkeypatch, imap=dovecot)
    wb = [workbook(tmp_path, d) for d in (1, 2)]
    dovecot.append(message("alice@school.example", "P01", [("p01.xlsx", wb[0])]),
                   message("bob@school.example", "P01 again", [("p01.xlsx", wb[1]),
                                                                ("notes.pdf", b"%PDF-1.4\n")]))
    assert len(fetch(ws).saved) == 3
    first = ingest(ws)
    assert first.total == 3 and first.duplicates == 0
    assert fetch(ws).saved == [] and ingest(ws).total == 0
    subs = db_rows(ws, store.submissions)
    assert len(subs) == 3 and len({s["sha256"] for s in subs}) == 3
    assert all(s["source"] == "email" for s in subs)
    senders = Counter(s["source_detail"]["sender"] for s in subs)
    assert senders == {"alice@school.example": 1, "bob@school.example": 2}
    assert inbox_files(ws) == []


# --- 2. dropped connection, crash ----------------------------------------------------------------

@pytest.mark.parametrize("drop_at", [("MOVE", 2), ("FETCH", 4)])
def test_dropped_connection_loses_and_duplicates_nothing(
        tmp_path: Path, dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
        drop_at: tuple[str, int]) -> None:
    ws = mail_ws(tmp_path / "ws", monkeypatch, imap=dovecot)
    data = [f"%PDF-1.4 file {i}\n".encode() for i in range(3)]
    dovecot.append(*(message(f"s{i}@school.example", f"m{i}", [(f"f{i}.pdf", d)])
                     for i, d in enumerate(data)))
    command, nth = drop_at
    original = imaplib.IMAP4.uid
    calls = Counter[str]()

    def flaky(self: imaplib.IMAP4, cmd: str, *args: Any) -> Any:
        calls[cmd.upper()] += 1
        if cmd.upper() == command and calls[command] == nth:
            self.shutdown()  # the line really goes down
            raise imaplib.IMAP4.abort("connection dropped (test)")
        return original(self, cmd, *args)

    monkeypatch.setattr(imaplib.IMAP4, "uid", flaky)
    broken = fetch(ws)
    assert broken.errors and 1 <= len(broken.saved) <= 2
    monkeypatch.setattr(imaplib.IMAP4, "uid", original)
    rerun = fetch(ws)
    assert rerun.errors == []
    assert len(broken.saved) + len(rerun.saved) == 3
    assert Counter(sha(p.read_bytes()) for p in inbox_files(ws)) == {sha(d): 1 for d in data}
    assert dovecot.messages("INBOX") == [] and len(dovecot.messages(PROCESSED)) == 3
    assert len(db_rows(ws, store.incoming)) == 3


@pytest.mark.parametrize("kill_in", ["_rel", "_place"])  # before / after the DB commit
def test_killed_run_then_rerun_saves_each_file_once(
        tmp_path: Path, dovecot: Dovecot, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
        kill_in: str) -> None:
    ws = mail_ws(tmp_path / "ws", monkeypatch, imap=dovecot)
    data = [b"%PDF-1.4 a\n", b"%PDF-1.4 b\n"]
    dovecot.append(message("a@school.example", "a", [("a.pdf", data[0]), ("b.pdf", data[1])]))

    def killed(*_args: Any, **_kwargs: Any) -> Any:
        raise KeyboardInterrupt  # stands for SIGKILL: nothing after this point runs

    with monkeypatch.context() as patch:
        patch.setattr(mailin, kill_in, killed)
        with pytest.raises(KeyboardInterrupt):
            fetch(ws)
    assert inbox_files(ws) == []  # staged only: nothing visible to ingest yet
    rerun = fetch(ws)
    assert rerun.errors == [] and len(rerun.saved) == 2
    assert sorted(sha(p.read_bytes()) for p in inbox_files(ws)) == sorted(map(sha, data))
    assert not (ws.path("inbox") / mailin.STAGING).exists()
    assert len(db_rows(ws, store.mail_messages)) == 1
    assert dovecot.messages("INBOX") == [] and len(dovecot.messages(PROCESSED)) == 1


def test_server_without_move_gets_copy_and_expunge(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    server = Dovecot(capability="IMAP4rev1 LITERAL+ UIDPLUS").start()
    try:
        ws = mail_ws(tmp_path / "ws", monkeypatch, imap=server,
                     imap_processed_folder="รับแล้ว TPS")
        server.append(message("a@school.example", "a", [("a.pdf", b"%PDF-1.4\n")]))
        result = fetch(ws)
        assert result.errors == [] and len(result.saved) == 1
        assert server.messages("INBOX") == []
        assert len(server.messages(mailin._mailbox("รับแล้ว TPS").strip('"'))) == 1
    finally:
        server.stop()


# --- 3. receipts ---------------------------------------------------------------------------------

def test_receipts_go_back_to_each_sender_once(
        tmp_path: Path, dovecot: Dovecot, smtp_server: SmtpServer,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    ws = mail_ws(tmp_path / "ws", monkeypatch, imap=dovecot, smtp=smtp_server)
    good = workbook(tmp_path, 3)
    bad = workbook(tmp_path, 4, project_code="P99")  # a cell finding: annotated copy
    msgs = [message("alice@school.example", "good", [("good.xlsx", good)]),
            message("bob@school.example", "bad", [("bad.xlsx", bad)]),
            message("carol@school.example", "pdf", [("plan.pdf", b"%PDF-1.4\n")])]
    dovecot.append(*msgs)
    fetch(ws)
    ingest(ws)
    engine = store.connect(ws.db_url)
    result = send_receipts(ws, engine)
    assert (result.sent, result.failed, result.errors) == (3, 0, [])
    got = {rcpt[0]: msg for rcpt, msg in smtp_server.received}
    assert set(got) == {"alice@school.example", "bob@school.example", "carol@school.example"}
    subs = {s["source_detail"]["sender"]: s for s in db_rows(ws, store.submissions)}
    for original in msgs:
        sender = original["From"].addresses[0].addr_spec
        reply, sub = got[sender], subs[sender]
        assert reply["To"] == sender and reply["From"] == "tps@office.example"
        assert reply["In-Reply-To"] == original["Message-ID"]
        assert reply["Auto-Submitted"] == "auto-replied"
        assert reply["Subject"].startswith(f"[TPS] ใบตอบรับ: {sub['file_name']} — ")
        assert reply.get_body(("html",)).get_content().count("ใบตอบรับ") >= 1
        assert sub["file_name"] in reply.get_body(("plain",)).get_content()
        attached = [a.get_filename() for a in reply.iter_attachments()]
        assert attached == ([Path(sub["annotated_path"]).name] if sub["annotated_path"] else [])
    assert "รับแล้ว / Accepted" in got["alice@school.example"]["Subject"]
    assert "ไม่รับ" in got["bob@school.example"]["Subject"]
    assert subs["bob@school.example"]["annotated_path"]
    assert not subs["carol@school.example"]["annotated_path"]  # rejected by the guard
    bob_xlsx = next(got["bob@school.example"].iter_attachments())
    assert bob_xlsx.get_content()[:2] == b"PK"

    assert send_receipts(ws, engine).sent == 0 and len(smtp_server.received) == 3

    dovecot.append(message("dave@school.example", "late", [("late.xlsx", workbook(tmp_path, 5))]))
    fetch(ws)
    ingest(ws)
    smtp_server.stop()
    down = send_receipts(ws, engine)
    assert (down.sent, down.failed) == (0, 1) and down.errors
    smtp_server.start()
    up = send_receipts(ws, engine)
    assert (up.sent, up.failed) == (1, 0)
    assert [r[0] for r, _ in smtp_server.received].count("dave@school.example") == 1
    assert len(db_rows(ws, store.mail_sent)) == 4
    engine.dispose()


# --- 4. reminders --------------------------------------------------------------------------------

def test_reminders_once_a_day_to_heads_with_an_address(
        tmp_path: Path, smtp_server: SmtpServer,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    ws = mail_ws(tmp_path / "ws", monkeypatch, smtp=smtp_server)
    rows = copy.deepcopy(fx.PLAN_ROWS)
    rows["groups"][1]["email"] = None
    write_plan(ws.path("plan"), rows)

    def item(group: str, code: str, what: str, days: int) -> dict[str, Any]:
        return {"group": group, "person": "นางสาวสมศรี ใจดี", "kind": "late-activity",
                "kind_th": "กิจกรรมเลยกำหนด", "project_code": code, "project_name": "โครงการ",
                "item": what, "due": dt.date(2024, 3, 1), "days_overdue": days,
                "detail": "<b>ยังไม่เสร็จ</b>"}

    items = [item(fx.GROUP_A, "P01", "ประชุมเชิงปฏิบัติการจัดทำแผน", 14),
             item("กลุ่มแผน", "P03", "จัดพิมพ์และเผยแพร่แผน", 30),  # an alias of group A
             item(fx.GROUP_B, "P02", "นิเทศโรงเรียน", 7)]
    engine = store.connect(ws.db_url)
    day = dt.date(2024, 3, 15)
    first = send_reminders(ws, engine, items, today=day)
    assert (first.sent, first.skipped, first.failed) == (1, 1, 0)
    [(rcpt, msg)] = smtp_server.received
    assert rcpt == ["plan@example.org"] and msg["Auto-Submitted"] == "auto-generated"
    html = msg.get_body(("html",)).get_content()
    text = msg.get_body(("plain",)).get_content()
    for body in (html, text):
        assert "ประชุมเชิงปฏิบัติการจัดทำแผน" in body and "จัดพิมพ์และเผยแพร่แผน" in body
        assert "P01" in body and "P03" in body and "นิเทศโรงเรียน" not in body
    assert "&lt;b&gt;" in html and "<b>ยังไม่เสร็จ" not in html  # autoescaped
    assert "line-height" in html and "นางวางแผน ดีเลิศ" in html
    assert html.index("จัดพิมพ์") < html.index("ประชุมเชิง")  # most overdue first

    again = send_reminders(ws, engine, items, today=day)
    assert again.sent == 0 and len(smtp_server.received) == 1
    nextday = send_reminders(ws, engine, items, today=day + dt.timedelta(days=1))
    assert nextday.sent == 1 and len(smtp_server.received) == 2
    engine.dispose()


# --- 5. the whole nightly cycle ------------------------------------------------------------

def test_two_nightly_runs_take_each_message_once_and_mail_once(
        tmp_path: Path, dovecot: Dovecot, smtp_server: SmtpServer,  # noqa: F811
        monkeypatch: pytest.MonkeyPatch) -> None:
    from tps_batch.run import last_runs, run_cycle

    ws = mail_ws(tmp_path / "ws", monkeypatch, imap=dovecot, smtp=smtp_server,
                 pdf_engine="none")
    dovecot.append(message("alice@school.example", "P01", [("p01.xlsx", workbook(tmp_path, 8))]),
                   message("bob@school.example", "bad", [("bad.xlsx", workbook(
                       tmp_path, 9, project_code="P99"))]))
    first = run_cycle(ws, as_of=dt.date(2024, 3, 1))
    assert first.outcome == "ok", [(s.name, s.error) for s in first.stages]
    assert [s.name for s in first.stages] == ["mail-in", "ingest", "report", "mail-out"]
    assert first.counts["accepted"] + first.counts["rejected"] == 2
    second = run_cycle(ws, as_of=dt.date(2024, 3, 1))
    assert second.outcome == "ok" and second.counts["mail_files"] == 0
    assert len(db_rows(ws, store.submissions)) == 2
    to = Counter(r[0] for r, _ in smtp_server.received)
    assert to["alice@school.example"] == 1 and to["bob@school.example"] == 1
    # group heads in the plan get today's overdue items once, however many runs
    heads = {g["email"] for g in fx.PLAN_ROWS["groups"]}
    assert {r for r in to if r in heads} and all(to[h] <= 1 for h in heads)
    assert [r["outcome"] for r in last_runs(ws)] == ["ok", "ok"]
