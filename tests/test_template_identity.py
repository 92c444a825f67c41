"""Workbooks that are not the standard template, or an older or unknown version of it."""

from __future__ import annotations

from pathlib import Path

import factories as fx
import pytest
import xlsxwriter

from tps_batch.read import read_submission
from tps_batch.spec import META_SHEET, SPEC, SUPPORTED_VERSIONS


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
