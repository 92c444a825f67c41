"""Ingest end to end: receipts, filing away, supersede, dedupe, watched folders, lock."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path

import factories as fx
import pgserver
import pytest
from click.testing import CliRunner

from tps_batch.cli import main
from tps_batch.ingest import MIN_BATCH, ingest
from tps_batch.lock import workspace_lock

rows, sha = fx.query, fx.sha


@pytest.mark.backends
def test_accept_reject_receipt_and_file_away(ws) -> None:
    inbox = ws.path("inbox")
    good = fx.submission(inbox / "good.xlsx")
    bad = fx.submission(inbox / "bad.xlsx", values={"project_code": "P99", "as_of":
                                                    dt.date(2024, 1, 11)})
    digests = {sha(good): "accepted", sha(bad): "rejected"}
    result = ingest(ws)
    assert (result.accepted, result.warnings, result.rejected) == (1, 0, 1)
    assert list(inbox.iterdir()) == []
    stored = rows(ws, "select sha256, status, kept_path, receipt_path, "
                                "annotated_path, receipt_done from submissions")
    assert {r[0]: r[1] for r in stored} == digests
    for digest, status, kept, receipt, annotated, done in stored:
        kept_path = ws.workspace / kept
        assert kept_path.parts[-3] == ("rejected" if status == "rejected" else "archive")
        assert sha(kept_path) == digest  # the original, byte for byte
        assert (ws.workspace / receipt).is_file() and done
        assert (annotated is not None) == (status == "rejected")
    # the annotated copy marks the cell, with the message as a comment
    from openpyxl import load_workbook

    from tps_batch.spec import SPEC

    annotated = next(r[4] for r in stored if r[1] == "rejected")
    f = SPEC.field("project_code")
    cell = load_workbook(ws.workspace / annotated)[f.sheet][f.cell]
    assert "unknown-project" in cell.comment.text and "P99" in cell.comment.text
    assert cell.fill.fgColor.rgb.endswith("FFC7CE")
    html = (ws.workspace / next(r[3] for r in stored if r[1] == "rejected")).read_text("utf-8")
    assert "unknown-project" in html and "ไม่พบรหัสโครงการ" in html


@pytest.mark.backends
def test_supersede_keeps_history_and_dedupe(ws) -> None:
    inbox = ws.path("inbox")
    first = fx.submission(inbox / "first.xlsx")
    copy = inbox / "copy-of-first.xlsx"
    shutil.copyfile(first, copy)
    ingest(ws)
    # the same content twice: stored once, the other gets its own row and receipt
    got = rows(ws, "select id, status, duplicate_of, receipt_path from submissions order by id")
    assert [(r[0], r[1], r[2]) for r in got] == [(1, "accepted", None), (2, "duplicate", 1)]
    receipt = (ws.workspace / got[1][3]).read_text("utf-8")
    assert "000001" in receipt and "same content as one already sent" in receipt
    assert rows(ws, "select count(*) from problems") == [(1,)]  # its content once
    assert not copy.exists() and not first.exists()
    assert len(list(ws.path("archive").rglob("*.xlsx"))) == 2  # both originals kept
    stored_name = rows(ws, "select file_name from submissions where id = 1")[0][0]
    later = fx.submission(inbox / "second.xlsx", values={"as_of": dt.date(2024, 1, 12)},
                          tables={"problems": [{"text": "ปัญหาใหม่"}]})
    ingest(ws)
    subs = rows(ws, "select id, file_name, is_current, superseded_by "
                              "from submissions where status != 'duplicate' order by id")
    assert subs == [(1, stored_name, 0, 3), (3, "second.xlsx", 1, None)]
    current = rows(ws, "select p.text from problems p join submissions s "
                                 "on s.id = p.submission_id where s.is_current")
    assert current == [("ปัญหาใหม่",)]
    assert rows(ws, "select count(*) from problems") == [(2,)]  # history kept
    # an older report arriving late does not take over
    fx.submission(inbox / "late.xlsx", values={"as_of": dt.date(2024, 1, 5)})
    ingest(ws)
    assert rows(ws, "select file_name from submissions where is_current") == \
        [("second.xlsx",)]
    assert later.exists() is False


@pytest.mark.backends
def test_the_store_keeps_what_was_read(ws, tmp_path: Path) -> None:
    """Store level, on each backend: a batch comes back as inserted — ids in the items'
    order, Thai text, dates, baht with satang, whole numbers, the JSON of an e-mail origin,
    arrival times to the second — the latest data date is current and supersedes the
    others, a rejected file keeps its findings and no content, and duplicates are found
    past the 500-hash chunks."""
    import sqlalchemy as sa

    from tps_batch import errors, store
    from tps_batch.read import read_submission

    def read(name: str, **values: object) -> store.Incoming:
        path = fx.submission(tmp_path / name, values=values, tables={
            "activities": fx.activity(budget_spent=1_100_000.25, target_reached=1_234,
                                      name="นิเทศ ติดตาม ๒๐ โรงเรียน")})
        return store.Incoming(
            file_name=name, sha256=sha(path), size=path.stat().st_size, source="email",
            source_path=f"inbox/{name}", received_at=dt.datetime(2024, 1, 12, 9, 30, 15),
            submission=read_submission(path), fiscal_year=fx.FY,
            source_detail={"sender": "ครู@example.org", "subject": "รายงาน ไตรมาส ๑",
                           "files": ["ก.xlsx"]})

    items = [read("new.xlsx", as_of=dt.date(2024, 1, 12)), read("old.xlsx"),
             read("bad.xlsx", as_of=dt.date(2024, 1, 13))]
    items[2].submission.findings.append(errors.Finding(
        "bad-date", "error", "วันที่ไม่ถูกต้อง", "not a date", sheet="ข้อมูลโครงการ",
        cell="C9", row=9))
    engine = store.connect(ws.db_url)
    try:
        with engine.begin() as conn:
            heads = store.insert_many(conn, items)
        new, old, bad = (h["id"] for h in heads)
        assert [h["file_name"] for h in heads] == ["new.xlsx", "old.xlsx", "bad.xlsx"]
        with engine.connect() as conn:
            subs = {r.file_name: r for r in conn.execute(sa.select(store.submissions))}
            project = conn.execute(sa.select(store.projects)
                                   .where(store.projects.c.submission_id == new)).one()
            acts = store.CONTENT_TABLES["activities"]
            stored = conn.execute(sa.select(acts).where(acts.c.submission_id == new)
                                  .order_by(acts.c.seq)).all()
            content = conn.execute(sa.select(sa.func.count()).select_from(acts)
                                   .where(acts.c.submission_id == bad)).scalar()
            finding = conn.execute(sa.select(store.findings)).one()
            known = store.known_hashes(conn, [*(f"{i:064x}" for i in range(1200)),
                                              items[2].sha256])
    finally:
        engine.dispose()
    assert {n: (bool(r.is_current), r.superseded_by, r.status) for n, r in subs.items()} == {
        "new.xlsx": (True, None, "accepted"), "old.xlsx": (False, new, "accepted"),
        "bad.xlsx": (False, None, "rejected")}
    assert {n: r.id for n, r in subs.items()} == {h["file_name"]: h["id"] for h in heads}
    assert subs["new.xlsx"].received_at == dt.datetime(2024, 1, 12, 9, 30, 15)
    assert subs["new.xlsx"].source_detail == items[0].source_detail
    assert subs["new.xlsx"].as_of == dt.date(2024, 1, 12)
    wanted = items[0].submission
    for key, value in project._mapping.items():
        if key != "submission_id":
            assert value == wanted.values.get(key), key
            assert value is None or type(value) is type(wanted.values[key]), key
    assert len(stored) == len(wanted.tables["activities"])
    for row, read_row in zip(stored, wanted.tables["activities"], strict=True):
        for key, value in row._mapping.items():
            if key not in ("submission_id", "project_code", "seq"):
                assert value == read_row.get(key), key
                assert value is None or type(value) is type(read_row[key]), key
    assert stored[0].budget_spent == 1_100_000.25 and stored[0].target_reached == 1_234
    assert content == 0 and (finding.submission_id, finding.cell, finding.row) == (bad, "C9", 9)
    assert list(known) == [items[2].sha256] and known[items[2].sha256]["id"] == bad
    assert old != new


@pytest.mark.backends
def test_rejected_resubmission_keeps_the_accepted_one_current(ws) -> None:
    fx.submission(ws.path("inbox") / "ok.xlsx")
    ingest(ws)
    fx.submission(ws.path("inbox") / "broken.xlsx", values={"as_of": dt.date(2024, 1, 15),
                                                           "status": "ไม่รู้"})
    ingest(ws)
    assert rows(ws, "select file_name, status from submissions where is_current") \
        == [("ok.xlsx", "accepted")]


@pytest.mark.backends
def test_watched_folder_rereads_only_changed_content(tmp_path: Path, dataset_url: str) -> None:
    ws = fx.make_workspace(tmp_path / "ws", watched=["shared"], database_url=dataset_url)
    shared = ws.workspace / "shared" / "กลุ่มแผน"
    shared.mkdir(parents=True)
    wb = fx.submission(shared / "P01.xlsx")
    first = ingest(ws)
    assert first.accepted == 1 and wb.exists()  # a watched file stays where it is
    assert ingest(ws).total == 0
    os.utime(wb, ns=(time.time_ns(), time.time_ns() + 10**9))  # touched, same content
    again = ingest(ws)
    assert again.total == 0 and again.duplicates == 1
    assert ingest(ws).duplicates == 0  # its new mtime is remembered: not even hashed now
    fx.submission(wb, values={"as_of": dt.date(2024, 1, 14)})  # edited in place
    assert ingest(ws).accepted == 1
    assert rows(ws, "select count(*) from submissions") == [(2,)]
    assert rows(ws, "select count(*) from submissions where is_current") == [(1,)]


def test_lock_blocks_a_second_run_and_a_killed_holder_does_not(ws) -> None:
    with fx.lock_held_elsewhere(ws.workspace):
        result = CliRunner().invoke(main, ["ingest", "-w", str(ws.workspace)])
        assert result.exit_code == 1
        assert "another tps run" in result.output and "PID" in result.output
    with workspace_lock(ws.workspace):  # the stale lock file does not block
        pass
    assert CliRunner().invoke(main, ["ingest", "-w", str(ws.workspace)]).exit_code == 0


def test_batches_are_large_then_shrink_so_the_lone_tail_is_short() -> None:
    from tps_batch.ingest import BATCH, MIN_BATCH, batch_limit

    for total in (1, 49, 97, 2000, 10_000):
        sizes, pending = [], 0
        for count in range(1, total + 1):  # the loop of ingest(): one result at a time
            pending += 1
            if pending >= batch_limit(count, total):
                sizes.append(pending)
                pending = 0
        sizes += [pending] if pending else []
        assert sum(sizes) == total and max(sizes) <= BATCH
        assert sizes[-1] <= MIN_BATCH
        if total >= 4 * BATCH:
            assert sizes[:2] == [BATCH, BATCH]


@pytest.mark.backends
def test_a_failure_while_storing_stops_the_readers_and_loses_nothing(
        ws, monkeypatch: pytest.MonkeyPatch) -> None:
    """Disk full (or the database locked) in the middle of a run: the error reaches the
    caller, the reading thread and every worker are gone, the first batch (filed before
    the failure) has left the inbox, and a rerun takes every other file."""
    import multiprocessing
    import threading

    from tps_batch import ingest as ingest_module

    inbox = ws.path("inbox")
    for i in range(60):  # more than one batch, each file different
        fx.submission(inbox / f"P{i:02d}.xlsx",
                      values={"as_of": dt.date(2023, 10, 2) + dt.timedelta(days=i)})
    real = ingest_module._store_batch
    calls = []

    def disk_full(*args: object, **kwargs: object) -> object:
        calls.append(1)
        if len(calls) == 1:
            return real(*args, **kwargs)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(ingest_module, "_store_batch", disk_full)
    # a short queue: the reading thread is still at work (waiting to hand over a result)
    # when the failure comes, as it is on a big run
    monkeypatch.setattr(ingest_module, "prefetch", functools.partial(ingest_module.prefetch,
                                                                     size=2))
    with pytest.raises(OSError, match="No space"):
        ingest(ws)
    assert multiprocessing.active_children() == []
    assert not [t for t in threading.enumerate() if t.name == "tps-prefetch"]
    first = rows(ws, "select count(*) from submissions where receipt_done")[0][0]
    assert first == MIN_BATCH and len(list(inbox.iterdir())) == 60 - first
    monkeypatch.setattr(ingest_module, "_store_batch", real)
    again = ingest(ws)
    assert again.total == 60 - first and again.duplicates == 0 and list(inbox.iterdir()) == []


def test_a_file_rewritten_after_it_was_hashed_waits_for_the_next_run(
        ws, monkeypatch: pytest.MonkeyPatch) -> None:
    """The main process hashed one version, the worker read another: neither is stored
    under the other's hash; the file stays for the next run, which takes it whole."""
    from tps_batch import ingest as ingest_module

    inbox = ws.path("inbox")
    fx.submission(inbox / "P01.xlsx")
    late = fx.submission(inbox / "P02.xlsx", values={"as_of": dt.date(2024, 1, 14)})
    real = ingest_module.sha256_of
    monkeypatch.setattr(ingest_module, "sha256_of", lambda path: (
        hashlib.sha256(b"the version before").hexdigest() if Path(path) == late
        else real(path)))
    first = ingest(ws)
    assert (first.accepted, first.changed) == (1, 1) and late.exists()
    assert "changed while being read" in first.summary()
    monkeypatch.setattr(ingest_module, "sha256_of", real)
    assert ingest(ws).accepted == 1 and not late.exists()
    assert rows(ws, "select file_name, sha256 from submissions where file_name = "
                              "'P02.xlsx'") == [("P02.xlsx", sha(ws.path("archive") / "2567" /
                                                                 "000002-P02.xlsx"))]


def _rewrite_after_hashing(monkeypatch: pytest.MonkeyPatch, victim: Path,
                           rewrite: Callable[[], object]) -> None:
    """The main process hashes ``victim``; right after, before any worker reads it, it is
    rewritten (as a clerk saving again, or a copy tool truncating first, would)."""
    from tps_batch import ingest as ingest_module

    real = ingest_module.sha256_of

    def hash_then_rewrite(path: Path) -> str:
        digest = real(path)
        if Path(path) == victim:
            rewrite()
        return digest

    monkeypatch.setattr(ingest_module, "sha256_of", hash_then_rewrite)


def test_a_file_cut_to_nothing_after_hashing_is_not_stored_as_empty(
        ws, monkeypatch: pytest.MonkeyPatch) -> None:
    inbox = ws.path("inbox")
    victim = fx.submission(inbox / "P01.xlsx")
    _rewrite_after_hashing(monkeypatch, victim, lambda: victim.write_bytes(b""))
    first = ingest(ws)
    assert (first.total, first.changed) == (0, 1)
    assert rows(ws, "select count(*) from submissions") == [(0,)]
    assert victim.exists()  # still there: the next run takes it as it is then


def test_the_twin_of_a_file_that_changed_is_not_taken_for_a_duplicate(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two identical files in a watched folder; one is rewritten after hashing, so nothing
    with their first content is stored. The twin must not be marked as seen (it would never
    be read again): the next run stores both contents."""
    ws = fx.make_workspace(tmp_path / "ws", watched=["shared"])
    shared = ws.workspace / "shared"
    shared.mkdir()
    twin_a = fx.submission(shared / "a.xlsx")
    twin_b = shared / "b.xlsx"
    twin_b.write_bytes(twin_a.read_bytes())
    _rewrite_after_hashing(monkeypatch, twin_b, lambda: fx.submission(
        twin_a, values={"as_of": dt.date(2024, 1, 14)}))
    first = ingest(ws)
    assert (first.total, first.changed, first.duplicates) == (0, 1, 0)
    monkeypatch.undo()
    second = ingest(ws)
    assert second.total == 2 and second.duplicates == 0
    assert sorted(r[0] for r in rows(ws, "select file_name from submissions")) == [
        "a.xlsx", "b.xlsx"]


@pytest.mark.backends
def test_a_duplicate_restores_a_missing_kept_copy(ws) -> None:
    """The archive lost a kept original (or the run that stored it could not keep it): an
    identical file sent again becomes the kept copy before it leaves the inbox."""
    inbox = ws.path("inbox")
    sent = fx.submission(inbox / "P01.xlsx")
    digest, data = sha(sent), sent.read_bytes()
    ingest(ws)
    [(kept,)] = rows(ws, "select kept_path from submissions")
    (ws.workspace / kept).unlink()
    (inbox / "again.xlsx").write_bytes(data)
    result = ingest(ws)
    assert result.duplicates == 1 and result.total == 0
    assert sha(ws.workspace / kept) == digest and list(inbox.iterdir()) == []
    # and the file sent again has its own row, kept copy and receipt
    [(status, kept_again)] = rows(ws, "select status, kept_path from submissions where id = 2")
    assert status == "duplicate" and sha(ws.workspace / kept_again) == digest


def test_an_inbox_file_that_cannot_be_removed_stays_for_the_next_run(
        ws, monkeypatch: pytest.MonkeyPatch) -> None:
    from tps_batch import fileaway

    inbox = ws.path("inbox")
    stuck = fx.submission(inbox / "P01.xlsx")
    fx.submission(inbox / "P02.xlsx", values={"as_of": dt.date(2024, 1, 14)})
    real = os.unlink

    def refuse(path: object, *args: object, **kwargs: object) -> None:
        if Path(str(path)) == stuck:
            raise PermissionError(13, "open in Excel")
        real(path, *args, **kwargs)

    monkeypatch.setattr(fileaway.os, "unlink", refuse)
    assert ingest(ws).accepted == 2
    assert list(inbox.iterdir()) == [stuck]
    monkeypatch.setattr(fileaway.os, "unlink", real)
    again = ingest(ws)
    assert again.duplicates == 1 and list(inbox.iterdir()) == []


def test_unreadable_plan_stops_ingest_before_anything_is_stored(ws) -> None:
    """The workers load the plan as they start; one they cannot read ends the run with its
    reason (exit 2, a set-up problem), and every inbox file waits for the next run."""
    inbox = ws.path("inbox")
    files = [fx.submission(inbox / f"P0{i}.xlsx") for i in (1, 2, 3)]
    ws.path("plan").write_bytes(b"PK\x03\x04 this is no workbook")
    result = CliRunner().invoke(main, ["ingest", "-w", str(ws.workspace)])
    assert result.exit_code == 2, result.output
    assert "อ่านแผนปฏิบัติการไม่ได้" in result.output
    assert "cannot read the action plan" in result.output
    assert sorted(inbox.iterdir()) == sorted(files)
    assert rows(ws, "select count(*) from submissions") == [(0,)]
    assert list(ws.output_dir.glob("receipts/*")) == []


@pytest.mark.postgresql
@pytest.mark.parametrize("kind", ["sql-ascii", "latin1", "no-create-privilege"])
def test_a_postgresql_database_tps_cannot_use_as_is_is_one_clear_line(
        tmp_path: Path, postgres_server: pgserver.PostgresServer, kind: str) -> None:
    """Databases an office's DBA may well hand over: one made in a C-locale cluster
    (SQL_ASCII, Debian's choice when the cluster was created without a UTF-8 locale), one
    in LATIN1, and one where the TPS role may not create tables (PostgreSQL 15 grants
    CREATE on schema public to the database owner only). Each either works, Thai text
    intact, or stops with exit 2 and one line naming the problem; never a traceback."""
    user = "tps"
    if kind == "no-create-privilege":
        name = postgres_server.create()
        user = f"clerk_{name}"
        postgres_server.admin(f'CREATE ROLE "{user}" LOGIN')
    else:
        encoding = {"sql-ascii": "SQL_ASCII", "latin1": "LATIN1"}[kind]
        name = postgres_server.create(f"ENCODING '{encoding}' TEMPLATE template0 "
                                      "LC_COLLATE 'C' LC_CTYPE 'C'")
    try:
        ws = fx.make_workspace(tmp_path / "ws",
                               database_url=postgres_server.url(name, user=user))
        fx.submission(ws.path("inbox") / "p01.xlsx")
        result = CliRunner().invoke(main, ["ingest", "-w", str(ws.workspace)])
        if result.exit_code == 0:
            assert rows(ws, "select project_name, owner from projects") == [
                (fx.GOOD_VALUES["project_name"], fx.GOOD_VALUES["owner"])]
        else:
            assert result.exit_code == 2, repr(result.exception)
            said = result.output.strip()
            assert "Traceback" not in said and len(said.splitlines()) <= 2, said
            assert ("UTF8" in said) if kind != "no-create-privilege" else (
                "CREATE" in said or "permission" in said), said
            assert len(list(ws.path("inbox").iterdir())) == 1
    finally:
        postgres_server.drop(name)


@pytest.mark.backends
def test_export_round_trips(ws, tmp_path: Path) -> None:
    import csv

    fx.submission(ws.path("inbox") / "p01.xlsx")
    ingest(ws)
    out = tmp_path / "export"
    result = CliRunner().invoke(main, ["export", "-w", str(ws.workspace), "--out", str(out)])
    assert result.exit_code == 0, result.output
    with open(out / "activities.csv", encoding="utf-8-sig") as fh:
        exported = list(csv.DictReader(fh))
    written = fx.GOOD_TABLES["activities"]
    assert len(exported) == len(written)
    for got, want in zip(exported, written, strict=True):
        assert got["name"] == want["name"]
        assert got["planned_start"] == want["planned_start"].isoformat()
        assert float(got["budget_spent"]) == want["budget_spent"]
        assert int(got["target_planned"]) == want["target_planned"]
        assert got["status"] == "done" or want["status"] != "ดำเนินการแล้ว"
    with open(out / "projects.csv", encoding="utf-8-sig") as fh:
        project = next(csv.DictReader(fh))
    assert project["project_code"] == "P01" and project["as_of"] == "2024-01-10"
    xlsx = CliRunner().invoke(main, ["export", "-w", str(ws.workspace), "--format", "xlsx",
                                     "--out", str(out)])
    assert xlsx.exit_code == 0
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(next(out.glob("*.xlsx"))))
    acts = book.get_sheet_by_name("activities").to_python()
    header = acts[0]
    assert acts[1][header.index("planned_start")] == written[0]["planned_start"]


@pytest.mark.backends
def test_validate_command_is_a_dry_run(ws, tmp_path: Path) -> None:
    good = fx.submission(tmp_path / "good.xlsx")
    bad = fx.submission(tmp_path / "bad.xlsx", values={"group": "ไม่มีกลุ่มนี้"})
    runner = CliRunner()
    ok = runner.invoke(main, ["validate", "-w", str(ws.workspace), str(good)])
    assert ok.exit_code == 0, ok.output
    res = runner.invoke(main, ["validate", "-w", str(ws.workspace), "--json", str(bad)])
    assert res.exit_code == 1
    import json

    data = json.loads(res.output)
    assert [f["code"] for f in data[0]["findings"]] == ["unknown-group"]
    assert data[0]["findings"][0]["location"].endswith("!C7")
    assert not (ws.workspace / "tps.sqlite").exists() or rows(
        ws.workspace, "select count(*) from submissions") == [(0,)]


def test_validate_without_a_workspace_checks_the_file_alone(tmp_path: Path) -> None:
    """A clerk with only the template: spec and rule checks, no plan checks."""
    bad = fx.submission(tmp_path / "bad.xlsx", values={"group": "ไม่มีกลุ่มนี้"},
                        tables={"activities": fx.activity(actual_date="31 เม.ย. 2567")})
    empty = tmp_path / "no-workspace"
    empty.mkdir()
    res = CliRunner().invoke(main, ["validate", "-w", str(empty), "--json", str(bad)])
    assert res.exit_code == 1, res.output
    import json

    codes = [f["code"] for f in json.loads(res.output)[0]["findings"]]
    # the unknown group needs a plan to be judged: the receipt says, first, that this check
    # was skipped (it is about the whole file), then the cells
    assert codes == ["plan-checks-skipped", "bad-date"]
