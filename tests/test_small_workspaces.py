"""Any size of workspace: a fresh `tps init`, one project with no submission, only cancelled
projects: every report is written (empty where it must be) and the commands exit 0."""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import factories as fx
import pytest

from tps_batch.plan import write_plan
from tps_batch.reports import generate
from tps_batch.reports.registry import reports

EVERY_REPORT = {"indicators.html", "indicators.xlsx", "overdue.html", "overdue.xlsx",
                "overdue.json", "completeness.html", "completeness.xlsx", "completeness.json",
                "annual.html", "annual.xlsx", "summary.json", "index.html"}


def _tps(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    return subprocess.run([sys.executable, "-m", "tps_batch.cli", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_init_then_run_writes_every_report(tmp_path: Path) -> None:
    """The issue's words: `tps init x && tps run -w x` exits 0 and writes every report."""
    assert _tps("init", "x", cwd=tmp_path).returncode == 0
    got = _tps("run", "-w", "x", "--format", "xlsx,html", cwd=tmp_path)
    assert got.returncode == 0, got.stdout + got.stderr
    out = next((tmp_path / "x" / "output").iterdir())
    assert EVERY_REPORT <= {p.name for p in out.iterdir()}
    items = json.loads((out / "overdue.json").read_text("utf-8"))["items"]
    assert items == []
    again = _tps("report", "-w", "x", "--format", "html", cwd=tmp_path)
    assert again.returncode == 0 and "Traceback" not in again.stderr, again.stderr


@pytest.mark.parametrize("case", ["empty-plan", "one-project", "only-cancelled"])
def test_every_report_for_a_small_plan(tmp_path: Path, case: str) -> None:
    ws = fx.make_workspace(tmp_path / "ws")
    rows = copy.deepcopy(fx.PLAN_ROWS)
    rows["allocations"] = []
    if case == "empty-plan":
        rows["projects"] = []
    elif case == "one-project":
        rows["projects"] = rows["projects"][:1]
    else:
        rows["projects"] = [{**p, "plan_status": "ยกเลิก"} for p in rows["projects"]]
    write_plan(ws.path("plan"), rows)
    result = generate(ws, as_of=dt.date(2024, 5, 15), formats=("xlsx", "html", "json"))
    assert not result.failures
    names = {p.name for p in ws.output_dir.iterdir()}
    assert EVERY_REPORT <= names, EVERY_REPORT - names
    assert len([r for r in reports() if not r.dashboard]) >= 5
    summary = json.loads((ws.output_dir / "summary.json").read_text("utf-8"))
    totals = summary["totals"]
    if case == "one-project":
        # P01 (50,000 from สพป.) has sent nothing by 15 May: it is missing and behind target
        assert (totals["projects"], totals["live"], totals["reported"]) == (1, 1, 0)
        assert (totals["allocated"], totals["disbursed"], totals["disbursed_pct"]) == \
            (50000.0, 0.0, 0.0)
        kinds = sorted(i["kind"] for i in json.loads(
            (ws.output_dir / "overdue.json").read_text("utf-8"))["items"])
        # the project, its group, the office; ITA O10 (due 31 Jan); Q1's report
        assert kinds == ["disbursement-behind", "disbursement-behind", "disbursement-behind",
                         "indicator-overdue", "missing-report"]
    else:
        assert (totals["live"], totals["allocated"], totals["disbursed_pct"]) == (0, 0.0, 0.0)
        items = json.loads((ws.output_dir / "overdue.json").read_text("utf-8"))["items"]
        # only the plan's indicator ITA O10, due 31 Jan, that its group never reported on
        assert [(i["kind"], i["indicator"]) for i in items] == [("indicator-overdue", "ITA O10")]
