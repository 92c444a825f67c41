"""The annotated copy: the submitter's own workbook with each flagged cell filled and a
comment in Thai and English, so the clerk fixes the file they know.

Built in the reading worker, returned as bytes, and written next to the receipt after the
commit. Two ways to build it, same result:

* the fast path (:mod:`tps_batch.xlsxpatch`) patches the zip's XML parts as text, ~1 ms;
  it covers our template and ordinary Excel/LibreOffice saves of it;
* openpyxl loads and re-saves the whole workbook, ~45 ms, which made it the largest CPU
  cost of a nightly ingest. It stays as the fallback for every file the fast path turns
  down (a sheet that already has notes, a flagged cell that doesn't exist, ...).
"""

from __future__ import annotations

import io
import logging
from collections import Counter, defaultdict
from pathlib import Path

from tps_batch.errors import Finding
from tps_batch.spec import META_SHEET
from tps_batch.xlsxpatch import Mark, mark_cells

AUTHOR = "TPS batch"
FILLS = {"error": "FFC7CE", "warning": "FFEB9C"}
MAX_TEXT = 2000  # characters of one note; the HTML receipt always has everything

# how each copy was made ("fast" / "openpyxl" / "none"): for tests and benchmarks, per process
PATHS: Counter[str] = Counter()
log = logging.getLogger(__name__)


def needs_annotation(findings: list[Finding]) -> bool:
    return any(f.sheet and f.cell and f.sheet != META_SHEET for f in findings)


def annotated_copy(original: Path | bytes, findings: list[Finding]) -> bytes | None:
    """The marked-up workbook (from the file, or from its bytes as they were read), or None
    when there is nothing to mark or neither path can handle the file (the HTML receipt
    still says everything)."""
    if not needs_annotation(findings):
        return None
    try:
        data = _fast(original, findings)
    except Exception as exc:  # noqa: BLE001 - anything the fast path can't do, openpyxl may
        log.debug("annotate %s: openpyxl fallback (%s: %s)",
                  getattr(original, "name", "<bytes>"), type(exc).__name__, exc)
    else:
        PATHS["fast"] += 1
        return data
    data = _openpyxl(original, findings)
    PATHS["openpyxl" if data is not None else "none"] += 1
    return data


def _marks(findings: list[Finding]) -> dict[tuple[str, str], tuple[str, str]]:
    """(sheet, cell) → (severity, note text): an error wins over a warning on one cell."""
    by_cell: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for f in findings:
        if f.sheet and f.cell:
            by_cell[(f.sheet, f.cell.strip().upper())].append(f)
    return {key: ("error" if any(f.severity == "error" for f in items) else "warning",
                  "\n".join(f"[{f.code}] {f.message_th}\n({f.message_en})"
                            for f in items)[:MAX_TEXT])
            for key, items in by_cell.items()}


def _fast(original: Path | bytes, findings: list[Finding]) -> bytes:
    """The copy by patching the zip; raises (:class:`~tps_batch.xlsxpatch.Unsupported` or
    whatever an odd part provokes) when the file needs openpyxl."""
    marks = {key: Mark(FILLS[severity], text)
             for key, (severity, text) in _marks(findings).items()}
    data = original if isinstance(original, bytes) else original.read_bytes()
    return mark_cells(data, marks, AUTHOR)


def _openpyxl(original: Path | bytes, findings: list[Finding]) -> bytes | None:
    """The copy by loading and re-saving with openpyxl; None if openpyxl fails anywhere."""
    import warnings

    from openpyxl import load_workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import PatternFill

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = load_workbook(io.BytesIO(original) if isinstance(original, bytes) else original,
                               keep_vba=False, rich_text=False)
        for (sheet, cell), (severity, text) in _marks(findings).items():
            if sheet in wb.sheetnames:
                c = wb[sheet][cell]
                c.fill = PatternFill("solid", fgColor=FILLS[severity])
                c.comment = Comment(text, AUTHOR, width=360, height=160)
        buffer = io.BytesIO()
        wb.save(buffer)
    except Exception:  # noqa: BLE001 - e.g. a workbook whose every sheet is hidden
        return None
    return buffer.getvalue()
