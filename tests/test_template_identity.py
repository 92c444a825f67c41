"""Workbooks that are not the standard template, or an older or unknown version of it; and
templates written now are cell for cell those release c067db1 wrote."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import factories as fx
import pytest
import xlsxwriter

from tps_batch.read import read_submission
from tps_batch.spec import META_SHEET, SPEC, SPEC_1_1, SUPPORTED_VERSIONS
from tps_batch.template import write_workbook

FIXTURES = Path(__file__).parent / "fixtures" / "c067db1"


def plain_workbook(path: Path, meta: dict[str, str] | None) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    wb.add_worksheet("โครงการ").write_string(0, 0, "รายงานโครงการ")
    if meta is not None:
        sheet = wb.add_worksheet(META_SHEET)
        for r, (k, v) in enumerate(meta.items()):
            sheet.write_string(r, 0, k)
            sheet.write_string(r, 1, v)
    wb.close()
    return path


@pytest.mark.parametrize(("meta", "code", "cell"), [
    (None, "not-standard-template", None),
    ({"template_id": "school-report", "version": "1.0"}, "unknown-template", "B1"),
    ({"template_id": SPEC.template_id, "version": "0.3"}, "unsupported-template-version", "B2"),
])
def test_not_the_standard_template(tmp_path: Path, meta, code: str, cell) -> None:
    sub = read_submission(plain_workbook(tmp_path / "x.xlsx", meta))
    assert [f.code for f in sub.findings] == [code]
    assert sub.findings[0].severity == "error" and sub.findings[0].cell == cell
    assert not sub.readable  # nothing is read from a workbook we can't trust the layout of


def test_older_supported_version_is_read_with_a_warning(tmp_path: Path) -> None:
    older = [v for v in SUPPORTED_VERSIONS if v != SPEC.version]
    assert older, "keep at least one older version readable"
    sub = read_submission(fx.submission(tmp_path / "old.xlsx", version=older[0]))
    assert [(f.code, f.severity) for f in sub.findings] == [("template-version-old", "warning")]
    assert sub.readable and sub.values["project_code"] == "P01"


def test_every_catalog_code_is_exercised_somewhere() -> None:
    """A code nobody can trigger is dead; a code no test triggers is unchecked."""
    from tps_batch.errors import CATALOG

    tests = Path(__file__).parent
    text = "".join(p.read_text("utf-8") for p in tests.glob("test_*.py"))
    text += (tests / "hostile.py").read_text("utf-8")
    missing = [code for code in CATALOG if f'"{code}"' not in text]
    assert not missing, missing


def _snapshot(path: Path) -> dict[str, Any]:
    """What a clerk and Excel see of a workbook: sheets, every cell's value, type, format,
    lock and look, dropdowns and input messages, widths, panes, protection, print setup."""
    from openpyxl import load_workbook

    wb = load_workbook(path)
    out: dict[str, Any] = {"sheets": [(ws.title, ws.sheet_state) for ws in wb]}
    for ws in wb:
        cells = {c.coordinate: (c.value, c.data_type, c.number_format, c.protection.locked,
                                c.font.b, c.font.name, c.fill.fgColor.rgb, c.alignment.wrap_text)
                 for row in ws.iter_rows() for c in row if c.value is not None or c.has_style}
        out[ws.title] = {
            "cells": cells,
            "validations": sorted((str(d.sqref), d.type, d.formula1, d.prompt, d.promptTitle)
                                  for d in ws.data_validations.dataValidation),
            "widths": {k: d.width for k, d in ws.column_dimensions.items()},
            "heights": {k: d.height for k, d in ws.row_dimensions.items() if d.height},
            "panes": (ws.freeze_panes, ws.print_title_rows, ws.protection.sheet,
                      ws.page_setup.paperSize, ws.page_setup.orientation,
                      ws.oddFooter.center.text),
        }
    return out


def _same(ours: Path, theirs: Path) -> None:
    a, b = _snapshot(ours), _snapshot(theirs)
    assert a["sheets"] == b["sheets"]
    for sheet, _state in b["sheets"]:
        for part in b[sheet]:
            assert a[sheet][part] == b[sheet][part], (sheet, part)


def test_blank_template_is_the_one_c067db1_wrote(tmp_path: Path) -> None:
    ours = write_workbook(tmp_path / "blank.xlsx", values={"fiscal_year": 2567}, spec=SPEC_1_1)
    _same(ours, FIXTURES / "template-1.1-blank.xlsx")
    mask = os.umask(0)
    os.umask(mask)
    assert ours.stat().st_mode & 0o777 == 0o666 & ~mask  # like every output, not 0600
    assert [p.name for p in tmp_path.iterdir()] == ["blank.xlsx"]  # no temp file left


def test_prefilled_template_is_the_one_c067db1_wrote(tmp_path: Path) -> None:
    """The demo's P2567-01 as that release's ``tps template`` prefilled it from the plan."""
    ours = write_workbook(tmp_path / "p.xlsx", values={
        "project_code": "P2567-01", "project_name": "โครงการพัฒนาระบบงานสารบรรณอิเล็กทรอนิกส์",
        "fiscal_year": 2567, "group": "กลุ่มอำนวยการ", "owner": "นายวรวุฒิ จันทร์เพ็ญ",
        "planned_start": dt.date(2024, 1, 9), "planned_end": dt.date(2024, 5, 26)},
        tables={"budget": [{"source": "สพฐ.", "allocated": 56000}],
                "indicators": [{"framework": "ESA-STD", "code": "1.2"},
                               {"framework": "ESA-STD", "code": "1.3"}]},
        extra_choices={"indicators.framework": ["ITA", "ESA-STD", "PA", "OBEC"]}, spec=SPEC_1_1)
    _same(ours, FIXTURES / "template-1.1-P2567-01.xlsx")
    with pytest.raises(AssertionError):  # the comparison sees a one-cell difference
        _same(write_workbook(tmp_path / "q.xlsx", values={"fiscal_year": 2566}, spec=SPEC_1_1),
              FIXTURES / "template-1.1-blank.xlsx")
