"""Write the standard project workbook from the spec: blank, prefilled from the plan, or filled.

Everything about the layout comes from :mod:`tps_batch.spec`; this module only decides
how it looks (fonts, widths, colours) and how Excel helps the clerk (dropdowns, input
messages, protected labels, print setup). Cell values are always written with typed
writers — never ``worksheet.write`` — so text that starts with ``=`` stays text.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from tps_batch import spec as spec_mod
from tps_batch import thai
from tps_batch.atomic import atomic_path
from tps_batch.spec import META_SHEET, Choice, Field, Table, WorkbookSpec
from tps_batch.xlsxsafe import new_workbook

FONT = "TH Sarabun New"
TITLE_TH = "แบบรายงานผลการดำเนินงานโครงการ"
TITLE_EN = "Project implementation report"


class _Formats:
    """The workbook's cell formats, made once per workbook."""

    def __init__(self, wb: Any) -> None:
        base = {"font_name": FONT, "font_size": 14, "valign": "top"}
        self.title = wb.add_format({**base, "bold": True, "font_size": 18, "locked": True})
        self.note = wb.add_format({**base, "italic": True, "font_color": "#555555",
                                   "text_wrap": True})
        self.label = wb.add_format({**base, "bold": True, "bg_color": "#E8EEF7",
                                    "border": 1, "text_wrap": True})
        self.label_en = wb.add_format({**base, "font_color": "#555555", "bg_color": "#E8EEF7",
                                       "border": 1, "font_size": 12, "text_wrap": True})
        self.head = wb.add_format({**base, "bold": True, "bg_color": "#D9E2F3", "border": 1,
                                   "text_wrap": True, "align": "center"})
        self.head_en = wb.add_format({**base, "font_size": 12, "font_color": "#555555",
                                      "bg_color": "#D9E2F3", "border": 1, "text_wrap": True,
                                      "align": "center"})
        inp = {**base, "locked": False, "border": 1, "border_color": "#BFBFBF",
               "bg_color": "#FFFDE7"}
        self.by_type = self._typed(wb, inp)
        # prefilled from the plan, not to be changed (e.g. an indicator's code and target)
        self.fixed = self._typed(wb, {**inp, "locked": True, "bg_color": "#EDEDED"})

    @staticmethod
    def _typed(wb: Any, inp: dict[str, Any]) -> dict[str, Any]:
        return {
            "text": wb.add_format({**inp, "text_wrap": True}),
            "longtext": wb.add_format({**inp, "text_wrap": True}),
            "choice": wb.add_format(inp),
            "int": wb.add_format({**inp, "num_format": "#,##0"}),
            "money": wb.add_format({**inp, "num_format": "#,##0.00"}),
            "percent": wb.add_format({**inp, "num_format": "0.00"}),
            "decimal": wb.add_format({**inp, "num_format": "#,##0.##"}),
            "date": wb.add_format({**inp, "num_format": thai.excel_th_date_format("short"),
                                   "align": "left"}),
        }


def _validation(typ: str, choices: tuple[Choice, ...], label_th: str, help_th: str,
                extra_choices: Iterable[str] = ()) -> dict[str, Any]:
    """Dropdown or range check plus an input message that says what the cell wants."""
    messages = {
        "text": "พิมพ์ข้อความ", "longtext": "พิมพ์ข้อความ (ขึ้นบรรทัดใหม่ด้วย Alt+Enter)",
        "int": "ตัวเลขจำนวนเต็ม", "decimal": "ตัวเลข มีทศนิยมได้ เช่น 4.21",
        "money": "จำนวนเงินเป็นบาท เช่น 12500.50",
        "percent": "ร้อยละ 0–100", "date": "วันที่ เช่น 15/1/2567 หรือ 15 ม.ค. 2567",
        "choice": "เลือกจากรายการ",
    }
    msg = help_th or messages[typ]
    out: dict[str, Any] = {"input_title": label_th[:32], "input_message": msg[:255]}
    if typ == "choice" or extra_choices:
        items = [c.th for c in choices] or list(extra_choices)
        out.update(validate="list", source=items, error_title="ค่าไม่อยู่ในรายการ",
                   error_message="กรุณาเลือกจากรายการ (choose a listed value)")
    elif typ in ("int", "decimal", "money", "percent"):
        out.update(validate="integer" if typ == "int" else "decimal", criteria=">=", value=0,
                   error_type="warning", error_title="ตัวเลขไม่ถูกต้อง",
                   error_message="ควรเป็นตัวเลขไม่ติดลบ (a non-negative number)")
    else:
        out["validate"] = "any"
    return out


def _write_value(ws: Any, row: int, col: int, value: Any, typ: str, fmts: _Formats,
                 fixed: bool = False) -> None:
    """Write one input cell with a typed writer (0-based row/col); ``fixed``: locked."""
    formats = fmts.fixed if fixed else fmts.by_type
    fmt = formats[typ]
    if value is None or value == "":
        ws.write_blank(row, col, None, fmt)
    elif isinstance(value, bool):
        ws.write_string(row, col, str(value), fmt)
    elif isinstance(value, (dt.date, dt.datetime)):
        if not isinstance(value, dt.datetime):
            value = dt.datetime(value.year, value.month, value.day)
        ws.write_datetime(row, col, value, formats["date"])
    elif isinstance(value, (int, float)):
        ws.write_number(row, col, value, fmt)
    else:
        ws.write_string(row, col, str(value), fmt)


def _header_sheet(ws: Any, spec: WorkbookSpec, sheet: str, values: Mapping[str, Any],
                  fmts: _Formats) -> None:
    """Each field at its declared cell, its Thai and English labels in the two cells to its
    left (columns A, B for a value in C)."""
    fields: list[Field] = spec.fields_on(sheet)
    for c in sorted({f.col_index for f in fields}):
        ws.set_column(c - 2, c - 2, 34)
        ws.set_column(c - 1, c - 1, 30)
        ws.set_column(c, c, 60)
    for f in fields:
        r, c = f.row - 1, f.col_index
        ws.write_string(r, c - 2, f.label_th + (" *" if f.required else ""), fmts.label)
        ws.write_string(r, c - 1, f.label_en, fmts.label_en)
        _write_value(ws, r, c, values.get(f.key), f.type, fmts)
        ws.data_validation(r, c, r, c, _validation(f.type, f.choices, f.label_th, f.help_th))
        if f.type == "longtext":
            ws.set_row(r, 60)
    ws.write_string(2, 0, "* ต้องกรอก (required)   ช่องสีเหลืองคือช่องกรอกข้อมูล "
                          "(yellow cells are for input)", fmts.note)


def _table(ws: Any, table: Table, rows: list[Mapping[str, Any]], fmts: _Formats,
           extra_choices: Mapping[str, list[str]], spare_rows: int | None,
           locked: frozenset[str] = frozenset()) -> None:
    c0 = table.first_col
    ws.write_string(table.title_row - 1, c0, f"{table.label_th} ({table.label_en})", fmts.title)
    if table.help_th:
        ws.write_string(table.title_row, c0, table.help_th, fmts.note)
    else:
        ws.write_string(table.title_row, c0, f"กรอกได้สูงสุด {table.max_rows} แถว เริ่มแถว "
                        f"{table.first_row} (up to {table.max_rows} rows)", fmts.note)
    hr = table.header_row - 1
    ws.set_row(hr, 42)
    for i, col in enumerate(table.columns):
        c = c0 + i
        ws.set_column(c, c, col.width)
        ws.write_string(hr, c, col.label_th + (" *" if col.required else ""), fmts.head)
        ws.write_string(hr + 1, c, col.label_en, fmts.head_en)
        first, last = table.first_row - 1, table.last_row - 1
        formatted = last if spare_rows is None else min(last, first + len(rows) + spare_rows)
        for r in range(first, formatted + 1):
            value = rows[r - first].get(col.key) if r - first < len(rows) else None
            _write_value(ws, r, c, value, col.type, fmts,
                         r - first < len(rows) and f"{table.key}.{col.key}" in locked)
        ws.data_validation(first, c, last, c, _validation(
            col.type, col.choices, col.label_th, col.help_th,
            extra_choices.get(f"{table.key}.{col.key}", ())))


def write_workbook(path: Path, *, values: Mapping[str, Any] | None = None,
                   tables: Mapping[str, list[Mapping[str, Any]]] | None = None,
                   extra_choices: Mapping[str, list[str]] | None = None,
                   spec: WorkbookSpec | None = None, version: str | None = None,
                   protect: bool = True, spare_rows: int | None = None,
                   locked: Iterable[str] = (),
                   title: tuple[str, str] = (TITLE_TH, TITLE_EN),
                   pictures: Mapping[str, Iterable[tuple[str, bytes]]] | None = None) -> Path:
    """Write a standard workbook (blank when ``values``/``tables`` are empty), atomically.

    The layout is ``spec`` if given, else the one registered for ``version`` (default: the
    current one); ``version`` is what ``_meta`` says. A version no layout is registered
    for is stamped on the current layout (for tests of the reader's refusal).
    ``extra_choices`` adds dropdowns to free-text columns from the plan, keyed
    ``"table.column"`` (e.g. the indicator frameworks of this year's plan).
    ``spare_rows`` limits the formatted blank rows after the data (None: up to max_rows).
    ``locked``: ``"table.column"`` cells prefilled here that the clerk may not change.
    ``title``: the workbook's Thai and English title (the project report's by default).
    ``pictures``: sheet → ``(cell, image bytes)`` pasted there, as a clerk pastes activity
    photos beside their attachment line (the demo's and the tests' photos).
    """
    values, tables, extra_choices = values or {}, tables or {}, extra_choices or {}
    if spec is None:
        spec = spec_mod.layout(version) or spec_mod.SPEC
    stamp = version or spec.version
    path = Path(path)
    with atomic_path(path) as tmp:
        wb = new_workbook(tmp)
        wb.set_properties({"title": title[0], "subject": title[1], "author": "TPS batch",
                           "comments": f"{spec.template_id} {stamp}"})
        fmts = _Formats(wb)
        for sheet, _title_en in spec.sheets:
            ws = wb.add_worksheet(sheet)
            ws.set_paper(9)  # A4
            ws.fit_to_pages(1, 0)
            ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)
            ws.set_footer("&Cหน้า &P / &N")
            if spec.fields_on(sheet):
                ws.write_string(0, 0, f"{title[0]} ({title[1]})", fmts.title)
                _header_sheet(ws, spec, sheet, values, fmts)
            else:
                ws.set_landscape()
            for table in spec.tables_on(sheet):
                _table(ws, table, list(tables.get(table.key, [])), fmts, extra_choices,
                       spare_rows, frozenset(locked))
            for cell, image in (pictures or {}).get(sheet, ()):
                ws.insert_image(cell, f"{cell}.png", {"image_data": io.BytesIO(image),
                                                      "object_position": 1})
            if spec.tables_on(sheet) and not spec.fields_on(sheet):
                first = min(t.header_row for t in spec.tables_on(sheet))
                ws.freeze_panes(first + 1, 0)
                ws.repeat_rows(first - 1, first)
            if protect:
                ws.protect("", {"format_columns": True, "format_rows": True,
                                "select_locked_cells": True, "select_unlocked_cells": True,
                                "objects": sheet in spec.picture_sheets})
        meta = wb.add_worksheet(META_SHEET)
        meta.write_string(0, 0, "template_id")
        meta.write_string(0, 1, spec.template_id)
        meta.write_string(1, 0, "version")
        meta.write_string(1, 1, stamp)
        meta.write_string(2, 0, "project_code")
        meta.write_string(2, 1, str(values.get("project_code") or ""))
        meta.hide()
        if protect:
            meta.protect()
        wb.close()
    return path
