"""The annotated copy: the submitter's own workbook with each flagged cell filled and a
comment in Thai and English, so the clerk fixes the file they know.

Built in the reading worker (openpyxl is slow and gets the same memory and time limits as
the reader), returned as bytes, and written next to the receipt after the commit.
"""

from __future__ import annotations

import io
from collections import defaultdict
from pathlib import Path

from tps_batch.errors import Finding
from tps_batch.spec import META_SHEET


def needs_annotation(findings: list[Finding]) -> bool:
    return any(f.sheet and f.cell and f.sheet != META_SHEET for f in findings)


def annotated_copy(original: Path, findings: list[Finding]) -> bytes | None:
    """The marked-up workbook, or None when there is nothing to mark or openpyxl can't
    handle the file (the HTML receipt still says everything)."""
    import warnings

    from openpyxl import load_workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    if not needs_annotation(findings):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = load_workbook(original, keep_vba=False, rich_text=False)
    except Exception:  # noqa: BLE001 - a file openpyxl can't open gets the HTML receipt only
        return None
    fills = {"error": PatternFill("solid", fgColor="FFC7CE"),
             "warning": PatternFill("solid", fgColor="FFEB9C")}
    by_cell: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for f in findings:
        if f.sheet and f.cell and f.sheet in wb.sheetnames:
            by_cell[(f.sheet, f.cell)].append(f)
    for (sheet, cell), items in by_cell.items():
        c = wb[sheet][cell]
        severity = "error" if any(f.severity == "error" for f in items) else "warning"
        c.fill = fills[severity]
        text = "\n".join(f"[{f.code}] {f.message_th}\n({f.message_en})" for f in items)
        c.comment = Comment(text[:2000], "TPS batch", width=360, height=160)
    buffer = io.BytesIO()
    try:
        wb.save(buffer)
    except Exception:  # noqa: BLE001 - e.g. a workbook whose every sheet is hidden
        return None
    return buffer.getvalue()
