"""Receipts: what the submitter gets back — an HTML page in Thai and English (the annotated
copy of their workbook is made by :mod:`tps_batch.annotate`)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from tps_batch.atomic import atomic_write
from tps_batch.errors import Finding
from tps_batch.render import render_html

STATUS_TEXT = {
    "accepted": ("รับแล้ว", "Accepted"),
    "accepted-with-warnings": ("รับแล้ว มีข้อควรตรวจสอบ", "Accepted with warnings"),
    "rejected": ("ไม่รับ กรุณาแก้ไขแล้วส่งใหม่", "Rejected: please fix and send again"),
    "duplicate": ("ซ้ำกับไฟล์ที่ส่งไว้แล้ว ไม่ได้บันทึกข้อมูลซ้ำ",
                  "Same content as a file already sent: nothing stored twice"),
}
#: the receipt's title by the workbook's kind (submissions.kind); a project report by default
TITLES = {
    "indicator": ("ใบตอบรับรายงานผลการดำเนินงานตามตัวชี้วัด", "Indicator result report receipt"),
}
TITLE = ("ใบตอบรับรายงานผลการดำเนินงานโครงการ", "Submission receipt")


def write_html(path: Path | str, *, office_name: str, submission: dict[str, Any],
               findings: list[Finding], annotated_name: str | None) -> Path | str:
    th, en = STATUS_TEXT[submission["status"]]
    kind = submission.get("kind")
    title_th, title_en = TITLES.get(kind, TITLE) if isinstance(kind, str) else TITLE
    html = render_html("receipt.html", office_name=office_name, sub=submission,
                       title_th=title_th, title_en=title_en,
                       is_indicator=kind == "indicator",
                       status_th=th, status_en=en, findings=findings,
                       annotated_name=annotated_name,
                       generated=dt.datetime.now().replace(microsecond=0))
    atomic_write(path, html.encode("utf-8"), fsync=False)  # the caller syncs the batch
    return path
