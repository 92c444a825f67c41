"""Machine faults during intake: one line in Thai and English, exit 2, a log line, nothing
lost; a rerun with the fault removed ends as an undisturbed run would.

The disk-full and read-only cases mount a small tmpfs on archive/ (root only; skipped
elsewhere); the locked database is held by a second SQLite connection."""

from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import factories as fx
import pytest

from tps_batch.settings import Settings

N = 12


sha = fx.sha


def tps(ws: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tps_batch.cli", *args, "-w",
                           str(ws.workspace)], capture_output=True, text=True, timeout=300)


def fill(ws: Settings) -> dict[str, str]:
    """N distinct workbooks (two rejected); returns sha256 → file name."""
    out = {}
    for i in range(N):
        values = {"as_of": dt.date(2023, 11, 1) + dt.timedelta(days=i)}
        if i % 5 == 3:
            values["status"] = "สถานะแปลก"
        p = fx.submission(ws.path("inbox") / f"wb-{i:02d}.xlsx", values=values,
                          tables={"problems": [{"text": f"ปัญหาที่ {i} " + "ก" * 3000}]})
        out[sha(p)] = p.name
    return out


def end_state(ws: Settings, expected: dict[str, str]) -> None:
    """Every submission stored once, every original kept byte for byte, a receipt each."""
    got = fx.query(ws, "select sha256, file_name, kept_path, receipt_path, receipt_done "
                       "from submissions")
    assert sorted((r[0], r[1]) for r in got) == sorted(expected.items())
    for digest, _name, kept, receipt, done in got:
        assert sha(ws.workspace / kept) == digest
        assert done and (ws.workspace / receipt).is_file()
    assert not list(ws.path("inbox").iterdir())
    leftovers = [p for p in ws.workspace.rglob(".tmp-*")]
    assert leftovers == []


def one_clear_line(proc: subprocess.CompletedProcess[str], *words: str) -> None:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.startswith("ผิดพลาด: ") and "\nError: " in proc.stderr
    for w in words:
        assert w in proc.stderr


@pytest.fixture
def tmpfs_archive(tmp_path: Path) -> Iterator[tuple[Settings, Path]]:
    ws = fx.make_workspace(tmp_path / "ws")
    mnt = ws.path("archive")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=96k", "tmpfs", str(mnt)],
                          capture_output=True)
    if done.returncode:
        pytest.skip("needs root to mount a small tmpfs: " + done.stderr.decode()[:100])
    try:
        yield ws, mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], check=False)


def test_disk_full_then_rerun(tmpfs_archive: tuple[Settings, Path]) -> None:
    ws, mnt = tmpfs_archive
    expected = fill(ws)
    first = tps(ws, "ingest")
    one_clear_line(first, "ดิสก์เต็ม", "the disk is full")
    log = (ws.workspace / "logs" / "tps.log").read_text(encoding="utf-8")
    assert "tps ingest stopped: ดิสก์เต็ม" in log
    # nothing lost: each file is either still in the inbox or stored with its copy
    stored = {r[0] for r in fx.query(ws, "select sha256 from submissions")}
    inbox = {sha(p) for p in ws.path("inbox").iterdir()}
    assert stored | inbox == set(expected)
    assert not list(mnt.rglob(".tmp-*"))  # no half-written copy
    subprocess.run(["mount", "-o", "remount,size=20m", str(mnt)], check=True)
    assert tps(ws, "ingest").returncode in (0, 1)
    end_state(ws, expected)


def test_read_only_archive_then_rerun(tmpfs_archive: tuple[Settings, Path]) -> None:
    ws, mnt = tmpfs_archive
    subprocess.run(["mount", "-o", "remount,size=20m", str(mnt)], check=True)
    subprocess.run(["mount", "-o", "remount,ro", str(mnt)], check=True)
    expected = fill(ws)
    first = tps(ws, "ingest")
    one_clear_line(first, "อ่านได้อย่างเดียว", "read-only")
    assert {sha(p) for p in ws.path("inbox").iterdir()} == set(expected)  # all still there
    subprocess.run(["mount", "-o", "remount,rw", str(mnt)], check=True)
    assert tps(ws, "ingest").returncode in (0, 1)
    end_state(ws, expected)


def test_locked_database_waits_then_stops_then_rerun(tmp_path: Path) -> None:
    ws = fx.make_workspace(tmp_path / "ws", db_lock_wait_s=0.5)
    assert tps(ws, "db", "upgrade").returncode == 0
    expected = fill(ws)
    holder = sqlite3.connect(ws.workspace / "tps.sqlite", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another program writing, for as long as it likes
    try:
        ingest = tps(ws, "ingest")
        one_clear_line(ingest, "ล็อก", "locked")
        run = tps(ws, "run", "--format", "xlsx")
        one_clear_line(run, "ล็อก", "locked")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    log = (ws.workspace / "logs" / "tps.log").read_text(encoding="utf-8")
    assert "run failed before it could be recorded in the dataset" in log
    assert {sha(p) for p in ws.path("inbox").iterdir()} == set(expected)
    rerun = tps(ws, "run", "--format", "xlsx")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    end_state(ws, expected)
    assert fx.query(ws, "select count(*) from runs where outcome = 'ok'") == [(1,)]


def test_bad_database_url_is_one_line(tmp_path: Path) -> None:
    ws = fx.make_workspace(tmp_path / "ws", database_url="nosuchdb://x/y")
    fx.submission(ws.path("inbox") / "a.xlsx")
    got = tps(ws, "run")
    one_clear_line(got)
    assert len(got.stderr.strip().splitlines()) == 2  # Thai line, English line


def test_temp_files_of_killed_commands_are_swept_by_the_next(tmp_path: Path) -> None:
    ws = fx.make_workspace(tmp_path / "ws")
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        out = ws.path("output") / "2567"
        out.mkdir(parents=True)
        left = out / f".tmp-{dead.pid}-0.pdf"  # as a SIGKILLed `tps report` leaves it
        left.write_bytes(b"")
        running = out / f".tmp-{alive.pid}-0.pdf"  # another command's, still being written
        running.write_bytes(b"%PDF")
        assert tps(ws, "status").returncode == 0
        assert not left.exists() and running.exists()
    finally:
        alive.kill()
        alive.wait()
