"""Ingest against hostile and odd input: bombs, lies, legacy and foreign formats, a real
spreadsheet corpus, LibreOffice re-saves, parses over their time or memory. Each file gets
a receipt; the run goes on."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import factories as fx
import hostile
import pytest

from tps_batch.ingest import ingest

rows, sha = fx.query, fx.sha

HOSTILE = [hostile.zip_bomb_xlsx, hostile.shared_string_bomb_xlsx, hostile.lying_bomb_xlsx,
           hostile.giant_range_xlsx, hostile.billion_laughs_xlsx, hostile.xxe_xlsx,
           hostile.encrypted_ole, hostile.legacy_xls, hostile.truncated_xlsx,
           hostile.macro_xlsm, hostile.pdf_as_xlsx, hostile.html_as_xlsx, hostile.empty_file,
           hostile.ods_file, hostile.xlsb_file, hostile.clean_xlsx]


@pytest.mark.backends
def test_hostile_files_each_get_a_receipt_and_the_run_goes_on(ws, tmp_path: Path) -> None:
    hdir = tmp_path / "hostile"
    hdir.mkdir()
    inbox = ws.path("inbox")
    names = []
    for build in HOSTILE:
        path = build(hdir)
        shutil.copyfile(path, inbox / path.name)
        names.append(path.name)
    fx.submission(inbox / "good.xlsx")
    result = ingest(ws)
    assert result.accepted == 1 and result.rejected == len(HOSTILE)
    stored = dict(rows(ws, "select file_name, status from submissions"))
    assert set(stored) == {*names, "good.xlsx"}
    for name in names:
        assert stored[name] == "rejected", name
        codes = [r[0] for r in rows(ws, "select f.code from findings f join "
                                    f"submissions s on s.id = f.submission_id "
                                    f"where s.file_name = '{name}'")]
        assert codes, name  # a reason, not silence
    receipts = list((ws.output_dir / "receipts").glob("*.html"))
    assert len(receipts) == len(HOSTILE) + 1
    xxe = next(r for r in receipts if "xxe" in r.name).read_text("utf-8")
    assert "root:" not in xxe  # nothing of /etc/passwd leaks into the receipt
    assert list(inbox.iterdir()) == []


@pytest.mark.backends
def test_calamine_corpus_gets_receipts(ws) -> None:
    if not fx.CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present")
    files = sorted(p for p in fx.CORPUS.iterdir() if p.is_file() and not p.name.startswith(
        "LICENSE"))
    for p in files:
        shutil.copyfile(p, ws.path("inbox") / p.name)
    ingest(ws)
    stored = rows(ws, "select file_name, status, receipt_done, "
                                "(select count(*) from findings f where f.submission_id = s.id)"
                                " from submissions s")
    names = {r[0] for r in stored}
    distinct = {sha(p) for p in files}
    # every file has its row and receipt; identical corpus files are judged once
    assert len(stored) == len(files) and names == {p.name for p in files}
    judged = [r for r in stored if r[1] != "duplicate"]
    assert len(judged) == len(distinct)
    for name, status, done, n_findings in stored:
        assert status in ("rejected", "duplicate") and done and n_findings >= 1, name
    assert list(ws.path("inbox").iterdir()) == []


@pytest.mark.slow
def test_libreoffice_resave_reads_the_same(ws, tmp_path: Path) -> None:
    from tps_batch.read import read_submission

    soffice = fx.need("soffice")
    original = fx.submission(tmp_path / "orig" / "p01.xlsx",
                             tables={"activities": fx.activity(actual_date="๑๖ ต.ค. ๒๕๖๖")})
    subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
                    "--convert-to", "xlsx", "--outdir", str(tmp_path / "lo-out"),
                    str(original)], check=True, capture_output=True, timeout=180)
    resaved = tmp_path / "lo-out" / "p01.xlsx"
    assert sha(resaved) != sha(original)
    a, b = read_submission(original), read_submission(resaved)
    assert a.findings == b.findings == []
    assert a.values == b.values
    assert a.tables == b.tables
    shutil.copyfile(resaved, ws.path("inbox") / "resaved.xlsx")
    assert ingest(ws).accepted == 1


def _template_like(path: Path, *, giant: bool = False) -> Path:
    """A workbook that passes as the standard template, whose activities sheet holds either
    400,000 cells (slow to read) or two cells spanning the whole grid (calamine allocates the
    full range and aborts its process)."""
    import xlsxwriter

    from tps_batch.spec import META_SHEET, SPEC

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = wb.add_worksheet(SPEC.table("activities").sheet)
    if giant:
        sheet.write_number(0, 0, 1)
        sheet.write_number(1_048_575, 16_383, 2)
    else:
        for r in range(40_000):
            for c in range(10):
                sheet.write_number(r, c, r * c)
    meta = wb.add_worksheet(META_SHEET)
    meta.write_string(0, 0, "template_id")
    meta.write_string(0, 1, SPEC.template_id)
    meta.write_string(1, 0, "version")
    meta.write_string(1, 1, SPEC.version)
    wb.close()
    return path


def test_a_parse_over_time_or_memory_is_a_finding(tmp_path: Path) -> None:
    ws = fx.make_workspace(tmp_path / "ws", parse_timeout_s=0.1, max_ratio=10_000.0)
    _template_like(ws.path("inbox") / "slow.xlsx")
    _template_like(ws.path("inbox") / "giant.xlsx", giant=True)
    fx.submission(ws.path("inbox") / "good.xlsx")
    result = ingest(ws)
    assert result.accepted == 1 and result.rejected == 2
    codes = dict(rows(ws, "select s.file_name, f.code from findings f join "
                                    "submissions s on s.id = f.submission_id"))
    assert codes["slow.xlsx"] == "parse-timeout"
    assert codes["giant.xlsx"] == "parse-crashed"
