"""Done means 2: a workbook an outside tool fills by key from
``tps spec --json --template indicator-report`` ingests, and its values come back exactly
in ``tps export`` and in ``indicators.json``.

Expected statuses by hand from the rules (README): OBEC 4.2 (target 94 %, rounds ไตรมาส 1
due 15 Jan 2567 and สิ้นปีงบประมาณ due 15 Oct 2567; year from 1 Oct 2566): at the Q1
deadline 106 of 380 days have gone, so the pro-rated target is 94 × 106 / 380 = 26.22 and
with the 10 % margin 23.60; 31.25 is on track. ITA O10 (yes/no, once, due 31 Jan 2567):
"ใช่" reached the target, achieved. ESA-STD 2.1 and OBEC 5.1: nothing due yet on 20 Jan.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import factories as fx
import openpyxl
from click.testing import CliRunner
from test_indicator_intake import workspace

from tps_batch.cli import main
from tps_batch.reports.indicators import JSON_KEYS


def _run(*args: str) -> str:
    got = CliRunner().invoke(main, list(args))
    assert got.exit_code == 0, got.output
    return got.output


def _fill(template: Path, spec: dict[str, Any], dest: Path, values: dict[str, Any],
          results: dict[str, dict[str, Any]]) -> Path:
    """What another tool does: open the prefilled workbook, write by key, save."""
    wb = openpyxl.load_workbook(template)
    for f in spec["fields"]:
        if f["key"] in values:
            wb[f["sheet"]][f["cell"]] = values[f["key"]]
    table = next(t for t in spec["tables"] if t["key"] == "results")
    col = {c["key"]: c["column"] for c in table["columns"]}
    ws = wb[table["sheet"]]
    for r in range(table["first_row"], table["first_row"] + table["max_rows"]):
        code = ws[f"{col['code']}{r}"].value
        for k, v in results.get(code, {}).items():
            ws[f"{col[k]}{r}"] = v
    wb.save(dest)
    stamp = dt.datetime(2024, 1, 12, 9, 0).timestamp()
    os.utime(dest, (stamp, stamp))
    return dest


def test_a_workbook_filled_by_key_comes_back_exactly(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    root = ws.workspace
    _run("template", "-w", str(root))
    folder = root / "workbooks" / "ตัวชี้วัด"
    q1 = folder / f"{fx.GROUP_A}_ไตรมาส 1.xlsx"
    once = folder / f"{fx.GROUP_A}_รอบเดียว.xlsx"
    assert sorted(p.name for p in folder.glob("*.xlsx")) == sorted([
        q1.name, once.name, f"{fx.GROUP_A}_สิ้นปีงบประมาณ.xlsx", f"{fx.GROUP_B}_รอบเดียว.xlsx"])
    spec = json.loads(_run("spec", "--json", "--template", "indicator-report"))
    assert spec["template"] == {"id": "tps-indicator-report", "version": "1.0",
                                "meta_sheet": "_meta"}
    sheet = openpyxl.load_workbook(q1)["2 ผลตามตัวชี้วัด"]
    assert [sheet["A5"].value, sheet["C5"].value, sheet["A6"].value] == [
        "OBEC:4.2", "94 ร้อยละ", None]  # only the group's indicator due in the round
    assert sheet["A5"].protection.locked and not sheet["D5"].protection.locked

    header = {"as_of": dt.date(2024, 1, 10), "reporter_name": "นางวางแผน ดีเลิศ",
              "reporter_position": "ผู้อำนวยการกลุ่ม", "reporter_date": dt.date(2024, 1, 11)}
    _fill(q1, spec, root / "inbox" / "q1.xlsx", header, {"OBEC:4.2": {
        "value": 31.25, "evidence": "รายงานการเบิกจ่าย GFMIS", "evidence_link":
        "https://example.org/gfmis-q1", "entered_on": dt.date(2024, 1, 11),
        "entered_ref": "OBEC-2567-014", "problems": "โอนจัดสรรล่าช้า",
        "next_steps": "เร่งรัดการจัดซื้อ"}})
    _fill(once, spec, root / "inbox" / "once.xlsx", header,
          {"ITA:O10": {"level": "ใช่", "evidence_link": "https://example.org/plan-2567"}})
    _run("ingest", "-w", str(root))
    assert fx.query(ws, "select file_name, status from submissions order by file_name") == [
        ("once.xlsx", "accepted"), ("q1.xlsx", "accepted")]

    _run("export", "-w", str(root), "--out", str(tmp_path / "export"))
    with open(tmp_path / "export" / "indicator_results.csv", encoding="utf-8-sig") as fh:
        exported = {r["code"]: r for r in csv.DictReader(fh)}
    assert {k: exported["OBEC:4.2"][k] for k in (
        "group_name", "round", "code", "name", "target", "value", "level", "evidence",
        "evidence_link", "entered_on", "entered_ref", "problems", "next_steps")} == {
        "group_name": fx.GROUP_A, "round": "ไตรมาส 1", "code": "OBEC:4.2",
        "name": "การเบิกจ่าย", "target": "94 ร้อยละ", "value": "31.25", "level": "",
        "evidence": "รายงานการเบิกจ่าย GFMIS", "evidence_link": "https://example.org/gfmis-q1",
        "entered_on": "2024-01-11", "entered_ref": "OBEC-2567-014",
        "problems": "โอนจัดสรรล่าช้า", "next_steps": "เร่งรัดการจัดซื้อ"}
    assert (exported["ITA:O10"]["level"], exported["ITA:O10"]["round"]) == ("ใช่", "รอบเดียว")

    _run("report", "-w", str(root), "--as-of", "2024-01-20", "--format", "json",
         "--only", "indicators")
    got = json.loads((root / "output" / "2567" / "indicators.json").read_text("utf-8"))
    assert all(tuple(o) == JSON_KEYS for o in got)
    by = {f"{o['framework']}:{o['code']}": o for o in got}
    assert by["OBEC:4.2"] == {
        "framework": "OBEC", "code": "4.2", "name": "การเบิกจ่าย", "owner_group": fx.GROUP_A,
        "unit": "ร้อยละ", "target": 94.0, "value": 31.25, "level": None, "round": "ไตรมาส 1",
        "deadline": "2024-01-15", "reported_at": "2024-01-12T09:00:00", "status": "on_track"}
    assert {k: by["ITA:O10"][k] for k in ("target", "value", "level", "round", "deadline",
                                          "status")} == {
        "target": "ใช่", "value": None, "level": "ใช่", "round": "รอบเดียว",
        "deadline": "2024-01-31", "status": "achieved"}
    assert [(by[c]["status"], by[c]["round"]) for c in ("ESA-STD:2.1", "OBEC:5.1")] == [
        ("not_due", None), ("not_due", None)]
