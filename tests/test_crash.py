"""Crash safety: SIGKILL `tps ingest` anywhere, rerun, and end as if nothing happened."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import factories as fx
import pytest
import sqlalchemy as sa

from tps_batch.settings import Settings

N = 50


@pytest.fixture(scope="module")
def originals(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """~50 distinct workbooks: supersessions, warnings and rejections mixed."""
    folder = tmp_path_factory.mktemp("originals")
    for i in range(N):
        values = {"as_of": dt.date(2023, 11, 1) + dt.timedelta(days=i)}
        if i % 2:
            values.update(project_code="P02", project_name="นิเทศ ติดตามการจัดการเรียนรู้",
                          group=fx.GROUP_B)
        if i % 7 == 3:
            values["status"] = "สถานะแปลก"  # rejected
        fx.submission(folder / f"wb-{i:02d}.xlsx", values=values,
                      tables={"problems": [{"text": f"ปัญหาที่ {i}"}]})
    (folder / "junk.txt").write_text("not a workbook", encoding="utf-8")
    return folder


def run_ingest(ws: Path, kill_at: str | None = None, kill_after: float | None = None) -> int:
    env = {**os.environ}
    env.pop("TPS_KILL_AT", None)
    if kill_at:
        env["TPS_KILL_AT"] = kill_at
    proc = subprocess.Popen([sys.executable, "-m", "tps_batch.cli", "ingest", "-w", str(ws)],
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if kill_after is not None:
        time.sleep(kill_after)
        proc.send_signal(signal.SIGKILL)
    _, err = proc.communicate(timeout=120)
    if proc.returncode not in (0, -signal.SIGKILL):
        print(err.decode(errors="replace"))  # shown with the failing test
    return proc.returncode


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_state(settings: Settings, originals: Path) -> None:
    ws = settings.workspace
    expected = {digest(p) for p in originals.iterdir()}
    subs = fx.query(settings, "select sha256, kept_path, receipt_path, receipt_done, status "
                              "from submissions")
    current = fx.query(settings, "select project_code, count(*) from submissions "
                                 "where is_current group by project_code")
    assert sorted(s[0] for s in subs) == sorted(expected)  # each file stored exactly once
    for sha, kept, receipt, done, _status in subs:
        assert done == 1
        assert digest(ws / kept) == sha  # the original is kept
        assert (ws / receipt).is_file()
    assert list((ws / "inbox").iterdir()) == []
    kept_files = [p for d in ("archive", "rejected") for p in (ws / d).rglob("*")
                  if p.is_file()]
    assert len(kept_files) == len(subs)  # no half-written or doubled copies
    assert all(n == 1 for _, n in current)


KILL_POINTS = ["inserted:1", "committed:1", "copied:5", "copied:33", "unlinked:12",
               "receipt:40", "time:0.9"]
#: where the dataset's state differs (mid-transaction, committed but not filed, receipts
#: half marked, anywhere — the schema's creation included): PostgreSQL runs these; the
#: others differ from "committed" only in files, which no backend touches
DATASET_KILL_POINTS = ["inserted:1", "committed:1", "receipt:40", "time:0.9"]
CASES = [pytest.param("sqlite", k, id=f"sqlite-{k}") for k in KILL_POINTS] + [
    pytest.param("postgresql", k, id=f"postgresql-{k}", marks=pytest.mark.postgresql)
    for k in DATASET_KILL_POINTS]


@pytest.mark.parametrize(("dataset_url", "kill_at"), CASES, indirect=["dataset_url"])
def test_kill_then_rerun(tmp_path: Path, originals: Path, kill_at: str,
                         dataset_url: str) -> None:
    settings = fx.make_workspace(tmp_path / "ws", database_url=dataset_url)
    ws = settings.workspace
    for p in originals.iterdir():
        shutil.copyfile(p, ws / "inbox" / p.name)
    if kill_at.startswith("time:"):
        rc = run_ingest(ws, kill_after=float(kill_at.split(":")[1]))
    else:
        rc = run_ingest(ws, kill_at=kill_at)
        assert rc == -signal.SIGKILL  # it really died at that point
    del rc
    # nothing lost even before the rerun: every original is in the inbox or kept
    kept: list[str] = []
    if dataset_url or (ws / "tps.sqlite").exists():
        try:
            kept = [r[0] for r in fx.query(settings, "select kept_path from submissions")]
        except sa.exc.DBAPIError:  # killed before the schema existed
            pass
    present = {digest(p) for p in (ws / "inbox").iterdir()} | {
        digest(ws / k) for k in kept if (ws / k).exists()}
    assert present == {digest(p) for p in originals.iterdir()}
    assert run_ingest(ws) == 0
    check_state(settings, originals)
    assert run_ingest(ws) == 0  # and a third run changes nothing
    check_state(settings, originals)
