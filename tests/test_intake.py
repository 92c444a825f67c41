"""Intake accounts for everything in the inbox: files still being copied wait, odd names
get receipts, links are not followed, Excel's owner files are counted, and an inbox file
is removed only while it still holds the bytes that were kept."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import factories as fx
import pytest
from click.testing import CliRunner

from tps_batch.cli import main
from tps_batch.ingest import ingest
from tps_batch.settings import Settings

WRITER = r"""
import sys, time
src, dst, ready, go = sys.argv[1:5]
data = open(src, "rb").read()
with open(dst, "wb") as fh:
    fh.write(data[: len(data) // 2])
    fh.flush()
    open(ready, "w").close()
    from pathlib import Path
    while not Path(go).exists():  # paused mid-copy, the file held open for writing
        time.sleep(0.05)
    fh.write(data[len(data) // 2:])
"""


sha = fx.sha


def status_json(ws: Settings) -> dict:
    got = CliRunner().invoke(main, ["status", "-w", str(ws.workspace), "--json"])
    assert got.exit_code == 0, got.output
    return json.loads(got.output)


def wait_for(path: Path, timeout: float = 30.0) -> None:
    end = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < end, f"{path.name} never appeared"
        time.sleep(0.02)


def test_half_copied_file_waits_and_is_taken_whole_next_run(tmp_path: Path) -> None:
    ws = fx.make_workspace(tmp_path / "ws", settle_s=0.5)
    src = fx.submission(tmp_path / "source.xlsx")
    dst = ws.path("inbox") / "copying.xlsx"
    ready, go = tmp_path / "ready", tmp_path / "go"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(src), str(dst), str(ready),
                               str(go)])
    try:
        wait_for(ready)
        time.sleep(0.8)  # older than settle_s: only "held open for writing" keeps it
        first = subprocess.run([sys.executable, "-m", "tps_batch.cli", "ingest", "-w",
                                str(ws.workspace)], capture_output=True, text=True, timeout=120)
        assert first.returncode == 0, first.stderr
        assert "รอไฟล์นิ่ง 1 ไฟล์" in first.stdout and "1 still being copied" in first.stdout
        assert dst.exists() and dst.stat().st_size < src.stat().st_size  # untouched
        assert fx.query(ws, "select count(*) from submissions") == [(0,)]
        assert status_json(ws)["inbox"] == {"ready": 0, "settling": 1, "owner_files": 0,
                                             "present": 1}
    finally:
        go.touch()
        writer.wait(30)
    assert sha(dst) == sha(src)  # the writer finished into a file that is still there
    time.sleep(0.6)  # past the settle time
    result = ingest(ws)
    assert (result.accepted, result.rejected, result.waiting) == (1, 0, 0)
    assert fx.query(ws, "select sha256, status from submissions") == [(sha(src), "accepted")]
    kept = fx.query(ws, "select kept_path from submissions")[0][0]
    assert sha(ws.workspace / kept) == sha(src)
    assert not dst.exists()


def test_recent_file_waits_for_settle_time(tmp_path: Path) -> None:
    ws = fx.make_workspace(tmp_path / "ws", settle_s=3600)
    fx.submission(ws.path("inbox") / "fresh.xlsx")
    result = ingest(ws)
    assert (result.total, result.waiting) == (0, 1)
    assert status_json(ws)["inbox_waiting"] == 1
    old = time.time() - 7200
    os.utime(ws.path("inbox") / "fresh.xlsx", (old, old))  # settled an hour ago
    assert ingest(ws).accepted == 1


def test_every_inbox_entry_is_accounted_for(tmp_path: Path) -> None:
    ws = fx.make_workspace(tmp_path / "ws")
    inbox = ws.path("inbox")
    fx.submission(inbox / ".hidden.xlsx")
    fx.submission(inbox / "~copy of report.xlsx", values={"project_name": "อื่น"})
    (inbox / "~$owner.xlsx").write_bytes(b"\x0bowner lock")  # Excel's owner file
    target = fx.submission(tmp_path / "elsewhere.xlsx", values={"as_of": "1 มี.ค. 2567"})
    (inbox / "link.xlsx").symlink_to(target)
    (inbox / "empty" / "deeper").mkdir(parents=True)
    assert status_json(ws)["inbox"] == {"ready": 3, "settling": 0, "owner_files": 1,
                                         "present": 4}

    result = ingest(ws)
    got = dict(fx.query(ws, "select file_name, status from submissions"))
    assert got == {".hidden.xlsx": "accepted", "~copy of report.xlsx": "accepted-with-warnings",
                   "link.xlsx": "rejected"}
    assert result.owner_files == 1
    assert fx.query(ws, "select code from findings f join submissions s on s.id = "
                        "f.submission_id where s.file_name = 'link.xlsx'") == [
        ("symlink-not-followed",)]
    # the link was not followed: what is kept is its target's name, not the target's bytes
    kept = ws.workspace / fx.query(ws, "select kept_path from submissions where file_name"
                                       " = 'link.xlsx'")[0][0]
    assert kept.read_bytes() == b"tps-symlink-not-followed\n" + os.fsencode(target)
    assert target.is_file() and sha(target) != sha(kept)
    receipts = fx.query(ws, "select receipt_path from submissions")
    assert all((ws.workspace / r).is_file() for (r,) in receipts) and len(receipts) == 3
    assert sorted(p.name for p in inbox.iterdir()) == ["~$owner.xlsx"]  # empty folders gone
    assert status_json(ws)["inbox"] == {"ready": 0, "settling": 0, "owner_files": 1,
                                         "present": 1}


def test_status_text_is_thai_with_english_and_buddhist_era(tmp_path: Path) -> None:
    ws = fx.make_workspace(tmp_path / "ws")
    fx.submission(ws.path("inbox") / "a.xlsx")
    got = CliRunner().invoke(main, ["run", "-w", str(ws.workspace), "--format", "xlsx"])
    assert got.exit_code == 0, got.output
    text = CliRunner().invoke(main, ["status", "-w", str(ws.workspace)]).output
    year = time.localtime().tm_year + 543
    assert f" {year} " in text  # B.E. run times
    assert "{" not in text and "'accepted'" not in text  # no raw dicts
    assert "รับ 1 · " in text and "(accepted 1" in text
    assert "รอบที่ 1 / run 1:" in text and "สำเร็จ / ok" in text


def test_growth_after_hashing_keeps_the_inbox_file(tmp_path: Path) -> None:
    """remove_originals compares the bytes at removal time with those kept."""
    from tps_batch.fileaway import remove_originals

    f = tmp_path / "x.xlsx"
    f.write_bytes(b"first part")
    digest = hashlib.sha256(b"first part").hexdigest()
    with open(f, "ab") as fh:
        fh.write(b" and more")
    remove_originals([(str(f), digest)])
    assert f.read_bytes() == b"first part and more"
    f.write_bytes(b"first part")
    remove_originals([(str(f), digest)])
    assert not f.exists()


@pytest.mark.parametrize("name", ["a" * 120 + ".xlsx", "รายงานผลการดำเนินงานโครงการ" * 3 + ".xlsx"])
def test_long_names_keep_their_extension_in_archive(tmp_path: Path, name: str) -> None:
    ws = fx.make_workspace(tmp_path / "ws")
    fx.submission(ws.path("inbox") / name)
    assert ingest(ws).accepted == 1
    kept = fx.query(ws, "select kept_path from submissions")[0][0]
    assert kept.endswith(".xlsx") and (ws.workspace / kept).is_file()


def test_csv_export_neutralises_formula_like_text(tmp_path: Path) -> None:
    import csv

    ws = fx.make_workspace(tmp_path / "ws")
    evil = "=cmd|' /C calc'!A0"
    fx.submission(ws.path("inbox") / "a.xlsx", tables={"problems": [{"text": evil}]})
    assert ingest(ws).total == 1
    runner = CliRunner()
    for flag, expected in (([], "'" + evil), (["--raw"], evil)):
        out = tmp_path / f"out{len(flag)}"
        got = runner.invoke(main, ["export", "-w", str(ws.workspace), "--out", str(out),
                                   *flag])
        assert got.exit_code == 0, got.output
        with open(out / "problems.csv", encoding="utf-8-sig", newline="") as fh:
            texts = [r["text"] for r in csv.DictReader(fh)]
        assert texts == [expected]
