"""A broken plan stops intake before any file is judged; every plan version is kept.

Cells are written by hand from the plan's layout: each sheet has its title in row 1, Thai
headers in row 3, English in row 4, data from row 5. Projects: A code, B name, C group,
J planned start, L indicators. Indicators: B framework.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import factories as fx
import openpyxl
import pytest
from click.testing import CliRunner

from tps_batch import planhistory, store
from tps_batch.cli import main
from tps_batch.plan import write_plan
from tps_batch.reports.data import load


def _run(*args: str) -> Any:
    got = CliRunner().invoke(main, list(args))
    assert got.exception is None or isinstance(got.exception, SystemExit), got.output
    return got


def _rows(change: str) -> dict[str, list[dict[str, Any]]]:
    rows = copy.deepcopy(fx.PLAN_ROWS)
    p = rows["projects"]
    if change == "duplicate-code":
        p.append({**p[0], "name": "โครงการซ้ำรหัส"})            # 4th project: row 8
    elif change == "blank-group":
        p[1]["group"] = None                                      # P02: row 6
    elif change == "unknown-group":
        p[1]["group"] = "กลุ่มที่ไม่มีในแผน"
    elif change == "unknown-framework":
        rows["indicators"][1]["framework"] = "KRS"               # 2nd indicator: row 6
    elif change == "missing-required":
        p[0]["planned_start"] = None                              # P01: row 5
    return rows


# (change, code, sheet, cell) — the finding `tps plan check` must name
CASES = [
    ("no-groups-sheet", "plan-missing-sheet", "กลุ่ม", None),
    ("duplicate-code", "plan-duplicate-key", "โครงการ", "A8"),
    ("blank-group", "missing-required", "โครงการ", "C6"),
    ("unknown-group", "plan-unknown-reference", "โครงการ", "C6"),
    ("unknown-framework", "plan-unknown-reference", "ตัวชี้วัด", "B6"),
    ("missing-required", "missing-required", "โครงการ", "J5"),
]


def _broken_workspace(tmp_path: Path, change: str) -> Path:
    ws = fx.make_workspace(tmp_path / "ws")
    plan = write_plan(ws.workspace / "plan.xlsx", _rows(change))
    if change == "no-groups-sheet":
        wb = openpyxl.load_workbook(plan)
        del wb["กลุ่ม"]
        wb.save(plan)
    return ws.workspace


@pytest.mark.parametrize(("change", "code", "sheet", "cell"), CASES)
def test_plan_check_names_the_place_and_ingest_stops(tmp_path: Path, change: str, code: str,
                                                     sheet: str, cell: str | None) -> None:
    ws = _broken_workspace(tmp_path, change)
    got = _run("plan", "check", "-w", str(ws), "--json")
    assert got.exit_code == 1
    found = json.loads(got.output)["findings"]
    assert {"code": code, "sheet": sheet, "cell": cell} in [
        {k: f[k] for k in ("code", "sheet", "cell")} for f in found]
    assert all(f["message_th"] and f["message_en"] and f["file"] == "plan.xlsx" for f in found)
    assert not [f for f in found if "{" in f["message_th"] + f["message_en"]]  # all filled

    text = _run("plan", "check", "-w", str(ws)).output
    assert f"{sheet}!{cell}" in text if cell else sheet in text

    sent = fx.submission(ws / "inbox" / "p01.xlsx")
    before = sent.read_bytes()
    got = _run("ingest", "-w", str(ws))
    assert got.exit_code == 2
    assert "no submission was judged" in got.output and code in got.output
    assert sent.read_bytes() == before  # the inbox is untouched
    assert [p.name for p in (ws / "inbox").iterdir()] == ["p01.xlsx"]
    assert fx.query(fx.settings.load(ws), "select count(*) from submissions") == [(0,)]
    assert not any((ws / "archive").rglob("*.xlsx")) and not any((ws / "rejected").rglob("*"))


def test_a_good_plan_checks_clean(tmp_path: Path) -> None:
    ws = fx.make_workspace(tmp_path / "ws")
    got = _run("plan", "check", "-w", str(ws.workspace))
    assert got.exit_code == 0 and "errors 0" in got.output


def test_run_stops_on_a_broken_plan_and_logs_it(tmp_path: Path) -> None:
    ws = _broken_workspace(tmp_path, "unknown-group")
    fx.submission(ws / "inbox" / "p01.xlsx")
    got = _run("run", "-w", str(ws), "--format", "html")
    assert got.exit_code == 2, got.output
    assert "โครงการ!C6" in got.output
    settings = fx.settings.load(ws)
    runs = fx.query(settings, "select outcome, findings from runs")
    assert len(runs) == 1 and runs[0][0] == "stopped"
    logged = runs[0][1] if isinstance(runs[0][1], list) else json.loads(runs[0][1])
    assert [(f["code"], f["cell"]) for f in logged] == [("plan-unknown-reference", "C6")]
    assert "plan-unknown-reference" in (ws / "logs" / "tps.log").read_text(encoding="utf-8")
    assert (ws / "inbox" / "p01.xlsx").is_file()
    status = json.loads(_run("status", "-w", str(ws), "--json").output)
    assert status["plan"]["errors"] == 1
    assert status["runs"][0]["outcome"] == "stopped"
    text = _run("status", "-w", str(ws)).output
    assert "โครงการ!C6" in text and "intake stops until fixed" in text


@pytest.mark.backends
def test_a_past_as_of_uses_the_plan_of_its_day(dataset_url: str, tmp_path: Path) -> None:
    ws = fx.make_workspace(tmp_path / "ws", database_url=dataset_url)
    engine = store.connect(ws.db_url)
    try:
        planhistory.record(engine, planhistory.read_current(ws),
                           now=dt.datetime(2024, 1, 10, 9, 0))
        rows = copy.deepcopy(fx.PLAN_ROWS)
        rows["projects"][0]["budget_esa"] = 80000          # P01: 50,000 → 80,000
        rows["projects"].append({**rows["projects"][1], "code": "P04",
                                 "name": "โครงการเพิ่มกลางปี", "budget_obec": 30000})
        write_plan(ws.workspace / "plan.xlsx", rows)
        planhistory.record(engine, planhistory.read_current(ws),
                           now=dt.datetime(2024, 3, 1, 9, 0))
        assert len(planhistory.versions(engine)) == 2
    finally:
        engine.dispose()

    def projects(as_of: dt.date) -> dict[str, float]:
        frame = load(ws, as_of).projects
        return dict(zip(frame["code"], frame["plan_allocated"], strict=True))

    assert projects(dt.date(2024, 2, 29)) == {"P01": 50000.0, "P02": 120000.0, "P03": 0.0}
    assert projects(dt.date(2024, 3, 1)) == {"P01": 80000.0, "P02": 120000.0, "P03": 0.0,
                                             "P04": 30000.0}
    # before the first recorded version, the earliest one is the best evidence there is
    assert set(projects(dt.date(2023, 10, 5))) == {"P01", "P02", "P03"}

    got = _run("report", "-w", str(ws.workspace), "--as-of", "2024-02-29", "--format", "html",
               "--only", "annual")
    assert got.exit_code == 0, got.output
    annual = next((ws.workspace / "output").rglob("annual.html")).read_text(encoding="utf-8")
    assert "โครงการเพิ่มกลางปี" not in annual and "50,000" in annual
    assert len(planhistory_versions(ws)) == 2  # reporting recorded nothing new


def planhistory_versions(ws: Any) -> list[Any]:
    return fx.query(ws, "select sha256 from plan_versions")
