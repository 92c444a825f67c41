"""Targets and achieved values take decimals (template 1.2): a mean satisfaction score of
4.21 is stored as such and printed the Thai way, "4.21 คะแนน", "ร้อยละ 80"."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import factories as fx
from click.testing import CliRunner

from tps_batch.cli import main
from tps_batch.spec import SPEC_1_1


def test_a_mean_score_of_4_21_is_accepted_stored_and_printed(tmp_path: Path) -> None:
    ws = fx.make_workspace(tmp_path / "ws", pdf_engine="none")
    fx.submission(ws.path("inbox") / "p01.xlsx", received=dt.datetime(2024, 1, 12, 9),
                  tables={"targets": [
        {"kind": "เชิงคุณภาพ", "description": "ความพึงพอใจของผู้เข้าร่วม", "unit": "คะแนน",
         "target_value": 4.0, "achieved_value": 4.21},
        {"kind": "เชิงปริมาณ", "description": "โรงเรียนได้รับแผน", "unit": "ร้อยละ",
         "target_value": 80, "achieved_value": 87.5}]})
    got = CliRunner().invoke(main, ["ingest", "-w", str(ws.workspace), "--json"])
    assert got.exit_code == 0 and '"accepted": 1' in got.output, got.output
    assert fx.query(ws, "select target_value, achieved_value from targets order by seq") == [
        (4.0, 4.21), (80.0, 87.5)]
    got = CliRunner().invoke(main, ["report", "-w", str(ws.workspace), "--as-of", "2024-01-20",
                                    "--format", "html", "--only", "projects"])
    assert got.exit_code == 0, got.output
    page = (ws.output_dir / "projects" / "P01.html").read_text("utf-8")
    assert "4.21 คะแนน" in page and "ร้อยละ 87.5" in page and "ร้อยละ 80" in page
    assert "80 ร้อยละ" not in page


def test_a_1_1_workbook_keeps_whole_numbers_only(tmp_path: Path) -> None:
    """1.1 declared whole numbers there; its workbooks are still read by 1.1's rules."""
    ws = fx.make_workspace(tmp_path / "ws")
    book = fx.submission(tmp_path / "old.xlsx", spec=SPEC_1_1, tables={"targets": [
        {"kind": "เชิงคุณภาพ", "description": "ความพึงพอใจ", "unit": "คะแนน",
         "target_value": 4, "achieved_value": 4.21}]})
    got = CliRunner().invoke(main, ["validate", str(book), "-w", str(ws.workspace), "--json"])
    assert '"wrong-type"' in got.output and got.exit_code == 1
