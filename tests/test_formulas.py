"""Formula cells: one with no saved value, or whose saved value is an error, gets its own
finding at its cell, never "required but empty"; LibreOffice's re-save computes them."""

from __future__ import annotations

import subprocess
from pathlib import Path

import factories as fx
import openpyxl
import pytest

from tps_batch.read import read_submission


def _with_formulas(tmp_path: Path) -> Path:
    """The good workbook with formulas typed in by a script (openpyxl saves no values)."""
    path = fx.submission(tmp_path / "f.xlsx")
    wb = openpyxl.load_workbook(path)
    wb["1 โครงการ"]["C8"] = '="นางสาวสมศรี"&" ใจดี"'      # owner (required)
    wb["3 กิจกรรม"]["J5"] = "=1/0"                          # first activity: budget spent
    wb.save(path)
    return path


def _found(path: Path) -> dict[str, tuple[str, str]]:
    sub = read_submission(path, fiscal_year=fx.FY)
    return {f.cell: (f.code, f.sheet) for f in sub.findings if f.cell in ("C8", "J5")}


def test_formula_without_saved_value_is_its_own_finding(tmp_path: Path) -> None:
    found = _found(_with_formulas(tmp_path))
    assert found == {"C8": ("formula-without-value", "1 โครงการ"),
                     "J5": ("formula-without-value", "3 กิจกรรม")}


@pytest.mark.slow
def test_libreoffice_resave_computes_them_and_an_error_stays_an_error(tmp_path: Path) -> None:
    soffice = fx.need("soffice")
    src = _with_formulas(tmp_path)
    out = tmp_path / "lo"
    subprocess.run([soffice, "--headless", f"-env:UserInstallation={(tmp_path / 'prof').as_uri()}",
                    "--convert-to", "xlsx", "--outdir", str(out), str(src)],
                   check=True, capture_output=True, timeout=120)
    resaved = out / src.name
    assert _found(resaved) == {"J5": ("formula-error", "3 กิจกรรม")}
    sub = read_submission(resaved, fiscal_year=fx.FY)
    assert sub.values["owner"] == "นางสาวสมศรี ใจดี"
    err = next(f for f in sub.findings if f.code == "formula-error")
    assert "#DIV/0!" in err.message_en and "#DIV/0!" in err.message_th
