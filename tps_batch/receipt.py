"""Receipts: what the submitter gets back — an HTML page and an annotated copy of their file.

The annotated copy is the submitter's own workbook (openpyxl keeps their formatting),
with each flagged cell filled and carrying a comment in Thai and English, so the clerk
fixes the file they already know instead of reading a list of coordinates.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path
from typing import Any

from tps_batch.atomic import atomic_path
from tps_batch.errors import Finding
from tps_batch.render import render_html
from tps_batch.spec import META_SHEET

STATUS_TEXT = {
    "accepted": ("รับแล้ว", "Accepted"),
    "accepted-with-warnings": ("รับแล้ว มีข้อควรตรวจสอบ", "Accepted with warnings"),
    "rejected": ("ไม่รับ กรุณาแก้ไขแล้วส่งใหม่", "Rejected: please fix and send again"),
}


def write_html(path: Path, *, office_name: str, submission: dict[str, Any],
               findings: list[Finding], annotated_name: str | None) -> Path:
    th, en = STATUS_TEXT[submission["status"]]
    html = render_html("receipt.html", office_name=office_name, sub=submission,
                       status_th=th, status_en=en, findings=findings,
                       annotated_name=annotated_name,
                       generated=dt.datetime.now().replace(microsecond=0))
    with atomic_path(path) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return path


def write_annotated(original: Path, path: Path, findings: list[Finding]) -> bool:
    """Copy of the submitted workbook with flagged cells marked; False when there is nothing
    to mark or openpyxl can't handle the file (the HTML receipt still says everything).

    Only called for files that passed the guard and were read as the standard template,
    so openpyxl never sees a hostile container in the main process.
    """
    import warnings

    from openpyxl import load_workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    if not any(f.sheet and f.cell and f.sheet != META_SHEET for f in findings):
        return False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = load_workbook(original, keep_vba=False, rich_text=False)
    except Exception:  # noqa: BLE001 - a file openpyxl can't open gets the HTML receipt only
        return False
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
    try:
        with atomic_path(path) as tmp:
            wb.save(tmp)
    except Exception:  # noqa: BLE001 - e.g. a workbook whose every sheet is hidden
        return False
    return True
