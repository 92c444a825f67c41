"""Findings come in the order a clerk works through the file: sheet by sheet, cell by cell."""

from __future__ import annotations

import json
from pathlib import Path

import factories as fx
from click.testing import CliRunner

from tps_batch.cli import main
from tps_batch.spec import SPEC_1_1


def test_findings_in_sheet_and_cell_order(tmp_path: Path) -> None:
    ws = fx.make_workspace(tmp_path / "ws")
    book = fx.submission(
        tmp_path / "p01.xlsx", spec=SPEC_1_1,
        values={"owner": None, "project_name": "ชื่อที่ไม่ตรงกับแผน"},  # C5: found last
        tables={"budget": [{"source": "สพป.", "allocated": 50000, "disbursed": -5}],
                "activities": fx.activity(status="ทำแล้ว", place=None)})
    got = CliRunner().invoke(main, ["validate", str(book), "-w", str(ws.workspace), "--json"])
    places = [(f["sheet"], f["cell"], f["code"])
              for f in json.loads(got.output)[0]["findings"]]
    # by hand: the file (_meta) first, then sheet 1 C8, sheet 3 H5, sheet 4 C5
    assert places[0] == ("_meta", "B2", "template-version-old")
    rest = [(s, c) for s, c, _ in places[1:]]
    assert rest == sorted(rest, key=lambda p: (p[0][0], int(p[1][1:]), p[1][0]))
    assert ("1 โครงการ", "C5") in rest and ("1 โครงการ", "C8") in rest
    assert ("3 กิจกรรม", "H5") in rest
    assert ("4 งบประมาณ ตัวชี้วัด", "C5") in rest
    assert rest.index(("1 โครงการ", "C8")) < rest.index(("3 กิจกรรม", "H5")) < \
        rest.index(("4 งบประมาณ ตัวชี้วัด", "C5"))
