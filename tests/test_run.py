"""The nightly cycle, its log, status, and the scheduler's catch-up rule with a fake clock."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import factories as fx
import pytest
from click.testing import CliRunner

from tps_batch.cli import main
from tps_batch.lock import workspace_lock
from tps_batch.run import last_runs, run_cycle
from tps_batch.scheduler import Scheduler, last_slot, needs_catch_up, next_slot

BKK = ZoneInfo("Asia/Bangkok")
UTC = dt.UTC


def test_run_cycle_records_itself_and_status_shows_it(tmp_path: Path) -> None:
    ws = fx.make_workspace(tmp_path / "ws", pdf_engine="none")
    fx.submission(ws.path("inbox") / "p01.xlsx", received=dt.datetime(2024, 1, 12, 9))
    result = CliRunner().invoke(main, ["run", "-w", str(ws.workspace), "--as-of", "2024-01-20"])
    assert result.exit_code == 0, result.output
    assert "✓ รับไฟล์ / ingest" in result.output and "✓ รายงาน / report" in result.output
    # each stage's line once in Thai with English beside, the time shown once
    line = next(x for x in result.output.splitlines() if "/ ingest" in x)
    assert "accepted 1" in line and "รับ 1" in line and line.count("วินาที") == 1
    runs = last_runs(ws)
    assert runs[0]["outcome"] == "ok" and runs[0]["counts"]["accepted"] == 1
    assert (ws.output_dir / "index.html").is_file()
    log = (ws.workspace / "logs" / "tps.log").read_text("utf-8")
    assert "stage ingest ok" in log and f"run {runs[0]['id']} ended: ok" in log
    status = CliRunner().invoke(main, ["status", "-w", str(ws.workspace), "--json"])
    data = json.loads(status.output)
    assert data["runs"][0]["outcome"] == "ok" and data["inbox_waiting"] == 0
    assert data["dataset"]["accepted"] == 1 and data["dataset"]["current_projects"] == 1
    assert data["next_run"].endswith("+07:00") and "T02:00:00" in data["next_run"]


def test_a_failing_stage_does_not_stop_the_others(tmp_path: Path) -> None:
    """Mail server down: recorded as that stage's failure; ingest and reports still done."""
    ws = fx.make_workspace(tmp_path / "ws", pdf_engine="none", imap_host="127.0.0.1",
                           imap_port=1, imap_security="plain", imap_user="tps")
    os.environ["TPS_IMAP_PASSWORD"] = "x"
    try:
        fx.submission(ws.path("inbox") / "p01.xlsx", received=dt.datetime(2024, 1, 12, 9))
        result = run_cycle(ws, as_of=dt.date(2024, 1, 20))
    finally:
        del os.environ["TPS_IMAP_PASSWORD"]
    stages = {s.name: s for s in result.stages}
    assert not stages["mail-in"].ok and stages["mail-in"].error
    assert stages["ingest"].ok and stages["report"].ok
    assert result.outcome == "partial" and result.exit_code == 1
    assert last_runs(ws)[0]["error"].startswith("mail-in:")


# --- the scheduler ---------------------------------------------------------------------

@pytest.mark.parametrize(("now", "slot"), [
    (dt.datetime(2024, 5, 15, 2, 0, tzinfo=BKK), dt.datetime(2024, 5, 15, 2, 0, tzinfo=BKK)),
    (dt.datetime(2024, 5, 15, 1, 59, tzinfo=BKK), dt.datetime(2024, 5, 14, 2, 0, tzinfo=BKK)),
    # 18:59 UTC on the 14th is 01:59 in Bangkok: yesterday's slot still the latest
    (dt.datetime(2024, 5, 14, 18, 59, tzinfo=UTC), dt.datetime(2024, 5, 14, 2, 0, tzinfo=BKK)),
    (dt.datetime(2024, 5, 14, 19, 0, tzinfo=UTC), dt.datetime(2024, 5, 15, 2, 0, tzinfo=BKK)),
])
def test_last_slot_is_in_bangkok_whatever_the_clock_zone(now, slot) -> None:
    assert last_slot(now, "02:00", "Asia/Bangkok") == slot
    assert next_slot(now, "02:00", "Asia/Bangkok") == slot + dt.timedelta(days=1)


def test_catch_up_rule() -> None:
    now = dt.datetime(2024, 5, 15, 9, 0, tzinfo=BKK)  # machine switched on at 09:00
    tz = "Asia/Bangkok"
    assert needs_catch_up(None, now, "02:00", tz)
    assert needs_catch_up(dt.datetime(2024, 5, 14, 2, 0, tzinfo=BKK), now, "02:00", tz)
    assert not needs_catch_up(dt.datetime(2024, 5, 15, 2, 0, 5, tzinfo=BKK), now, "02:00", tz)
    assert not needs_catch_up(dt.datetime(2024, 5, 15, 8, 0, tzinfo=BKK), now, "02:00", tz)
    before = dt.datetime(2024, 5, 15, 1, 0, tzinfo=BKK)  # before tonight's slot
    assert not needs_catch_up(dt.datetime(2024, 5, 14, 2, 1, tzinfo=BKK), before, "02:00", tz)


def test_scheduler_catches_up_once_with_a_fake_clock(tmp_path: Path) -> None:
    ws = fx.make_workspace(tmp_path / "ws", pdf_engine="none")
    calls: list[str] = []

    def fake_run(trigger: str) -> None:
        calls.append(trigger)
        run_cycle(ws, trigger=trigger, as_of=dt.date(2024, 1, 20))

    clock = lambda: dt.datetime.now(UTC)  # noqa: E731 - the real run log has real times
    sched = Scheduler(ws, clock=clock, run=fake_run)
    assert sched.catch_up() is True and calls == ["catch-up"]  # never ran before
    assert Scheduler(ws, clock=clock, run=fake_run).catch_up() is False  # ran after the slot
    tomorrow = lambda: dt.datetime.now(UTC) + dt.timedelta(days=1)  # noqa: E731
    assert Scheduler(ws, clock=tomorrow, run=fake_run).catch_up() is True
    assert calls == ["catch-up", "catch-up"]


def test_scheduled_job_never_overlaps_a_running_cycle(tmp_path: Path) -> None:
    ws = fx.make_workspace(tmp_path / "ws", pdf_engine="none")
    with fx.lock_held_elsewhere(ws.workspace):
        sched = Scheduler(ws)
        sched.job()
        assert sched.runs == ["skipped:schedule"]
        assert last_runs(ws) == []  # nothing ran, nothing half-recorded
    with workspace_lock(ws.workspace):
        pass


def test_sigterm_stops_the_scheduler_cleanly(tmp_path: Path) -> None:
    ws = fx.make_workspace(tmp_path / "ws", pdf_engine="none")
    proc = subprocess.Popen([sys.executable, "-m", "tps_batch.cli", "schedule", "-w",
                             str(ws.workspace), "--as-of", "2024-01-20"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not last_runs(ws) or last_runs(ws)[0]["outcome"] == "running":
        assert time.monotonic() < deadline, "the catch-up run did not finish"
        assert proc.poll() is None, proc.stderr.read()
        time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "stopped" in out
    runs = last_runs(ws)
    assert [r["trigger"] for r in runs] == ["catch-up"] and runs[0]["outcome"] == "ok"
