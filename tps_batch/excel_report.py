"""One declarative Excel writer that every report uses for its Excel output.

A report describes its sheets (:class:`XSheet`) and this module decides how they look and
print, so all reports read alike. Values only go through typed writers: text from a
workbook never becomes a formula or a link. The only formulas are our own ``SUM`` totals,
with a cached value so readers that do not calculate (python-calamine, pandas) see it.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from numbers import Real
from pathlib import Path
from typing import Any

from xlsxwriter.utility import xl_rowcol_to_cell

from tps_batch import thai
from tps_batch.atomic import atomic_path
from tps_batch.xlsxsafe import new_workbook

FONT = "TH Sarabun New"
TYPES = ("text", "int", "money", "date", "percent", "number")
CHART_KINDS = ("column", "bar", "pie", "line")
NO_DATA = "ไม่มีข้อมูล (no data)"
TOTAL_LABEL = "รวม (Total)"
MAX_CELL = 32767  # Excel's cell limit, in UTF-16 code units
LINE_PT = 22.0  # one line of TH Sarabun New 14 pt; Excel would show 21.75
CHART_W, CHART_H, CHART_GAP = 480, 288, 16  # pixels
#: A percent is stored as the fraction it is (54.25 % as 0.5425) so formulas on it are right;
#: a "number" that is whole shows as a whole number (40 projects, not 40.00).
_NUM_FORMATS = {"int": "#,##0", "money": "#,##0.00", "percent": "0.00%",
                "number": "#,##0.00"}
_THAI_MARKS = frozenset("\u0e31" + "".join(map(chr, range(0x0E34, 0x0E3B)))
                        + "".join(map(chr, range(0x0E47, 0x0E4F))))
_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class XColumn:
    """One column. ``percent`` values are 0–100 (54.5 shows "54.50%"), as reports compute
    them; the cell holds the fraction (0.545) with a percent format."""

    key: str
    header_th: str
    header_en: str
    type: str = "text"  # text | int | money | date | percent | number
    width: float | None = None  # None: fit to content


@dataclass
class XChart:
    """A native chart over the sheet's own data; series are named by their ``header_th``."""

    kind: str  # column | bar | pie | line
    title: str
    category: str  # column key for categories
    values: list[str]  # column keys, one series each
    anchor: str | None = None  # cell such as "H4"; None: to the right of the table
    stacked: bool = False


@dataclass
class XSheet:
    """One sheet: a title, typed columns and rows; optional charts, note and SUM totals."""

    name: str
    title: str
    columns: list[XColumn]
    rows: list[dict[str, Any]]
    charts: list[XChart] = field(default_factory=list)
    note: str = ""
    totals: list[str] = field(default_factory=list)


@lru_cache(maxsize=65536)
def display_width(text: str) -> int:
    """Columns ``text`` takes on screen: Thai marks and other combining marks take none,
    East Asian wide characters two; of several lines, the widest counts.

    Cached, with a fast path for Latin and Thai text: a 2,000-project report measures
    hundreds of thousands of cells, mostly the same few strings.
    """
    return max(_line_width(line) for line in str(text).split("\n"))


def _line_width(line: str) -> int:
    if line.isascii():
        return len(line)
    base = line.translate(_DROP_THAI_MARKS)
    if all(c < "\u0300" or "\u0e00" <= c <= "\u0e7f" for c in base):
        return len(base)
    return sum(map(_char_width, line))


_DROP_THAI_MARKS = dict.fromkeys(map(ord, _THAI_MARKS))


def _char_width(ch: str) -> int:
    if _is_mark(ch) or unicodedata.category(ch) in ("Cc", "Cf", "Mn", "Me"):
        return 0  # above/below marks, tone marks, controls, zero-width characters
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def _is_mark(ch: str) -> bool:
    return ch in _THAI_MARKS or unicodedata.combining(ch) != 0


def _clip(text: str, limit: int) -> str:
    """Text that fits ``limit`` UTF-16 units (Excel's unit), cut with "…", lone surrogates
    replaced, so an oversized or broken string from a workbook cannot fail the write."""
    units = text.encode("utf-16-le", "replace")
    if len(units) <= 2 * limit:
        return units.decode("utf-16-le")
    return units[: 2 * (limit - 1)].decode("utf-16-le", "ignore") + "…"


def sanitize_sheet_name(name: str, taken: set[str]) -> str:
    """A legal, unique sheet name: ≤ 31 chars, no []:*?/\\, no edge quotes; adds " (2)"…."""
    base = _BAD_SHEET_CHARS.sub("_", " ".join(str(name).split())).strip("'").strip() or "Sheet"
    if base.casefold() == "history":  # reserved by Excel
        base += "_"
    n = 1
    while True:
        suffix = f" ({n})" if n > 1 else ""
        cut = min(len(base), 31 - len(suffix))
        while 0 < cut < len(base) and _is_mark(base[cut]):
            cut -= 1  # never part a Thai consonant from its vowel or tone mark
        candidate = (base[:cut].rstrip().rstrip("'") or "Sheet") + suffix
        if candidate.casefold() not in taken:
            taken.add(candidate.casefold())
            return candidate
        n += 1


def _is_missing(value: Any) -> bool:
    """None, NaN or NaT (pandas hands us those): a blank cell."""
    return value is None or (isinstance(value, (float, dt.date)) and value != value)


def _is_number(value: Any) -> bool:
    """A finite real number (not a bool): what ``write_number`` can store."""
    if isinstance(value, bool) or not isinstance(value, (Real, Decimal)):
        return False
    return abs(value) < 1e308 if isinstance(value, int) else math.isfinite(float(value))


def _as_text(value: Any) -> str:
    """Text for a cell or for measuring: dates in B.E., amounts as the cell shows them."""
    return thai.format_date_short(value) if isinstance(value, dt.date) else str(value)


def _shown(value: Any, typ: str) -> str:
    """What the cell will display, for fitting the column width."""
    if _is_number(value) and typ in _NUM_FORMATS:
        x = float(value)
        return {"int": f"{x:,.0f}", "percent": f"{x:,.2f}%"}.get(typ, f"{x:,.2f}")
    return "" if _is_missing(value) else _as_text(value)


def _width(col: XColumn, rows: list[dict[str, Any]]) -> float:
    """Fitted width: widest header or value ×1.1 + 2, within 8–60; dates ≥ 14, money ≥ 16."""
    if col.width is not None:
        return col.width
    widest = max([display_width(col.header_th), display_width(col.header_en)]
                 + [display_width(_shown(r.get(col.key), col.type)) for r in rows])
    floor = {"date": 14, "money": 16}.get(col.type, 8)
    return max(floor, min(60.0, round(widest * 1.1 + 2, 1)))


def _lines(text: str, width: float) -> int:
    """Wrapped lines a text needs in a column (generous: Sarabun glyphs are wider than '0')."""
    per_line = max(1.0, (width - 1) * 0.8)
    return sum(max(1, math.ceil(display_width(line) / per_line)) for line in text.split("\n"))


def _height(lines: int, line_pt: float = LINE_PT) -> float:
    return min(409.0, lines * line_pt + 2)


class _Formats:
    """The workbook's formats, made once: one per column type for data and totals."""

    def __init__(self, wb: Any) -> None:
        base = {"font_name": FONT, "font_size": 14, "valign": "top"}
        self.title = wb.add_format({**base, "bold": True, "font_size": 18})
        self.sub = wb.add_format({**base, "font_color": "#444444"})
        self.note = wb.add_format({**base, "italic": True, "font_color": "#555555"})
        head = {**base, "bg_color": "#D9E2F3", "border": 1, "text_wrap": True,
                "align": "center", "valign": "vcenter"}
        self.head = wb.add_format({**head, "bold": True})
        self.head_en = wb.add_format({**head, "font_size": 12, "font_color": "#555555"})
        cell = {**base, "border": 1, "border_color": "#BFBFBF"}
        by_type = {"text": {"text_wrap": True},
                   "date": {"num_format": thai.excel_th_date_format("short"), "align": "left"}}
        by_type.update({t: {"num_format": f} for t, f in _NUM_FORMATS.items()})
        self.cell = {t: wb.add_format({**cell, **p}) for t, p in by_type.items()}
        self.total = {t: wb.add_format({**cell, **p, "bold": True, "top": 2,
                                        "bg_color": "#F2F2F2"}) for t, p in by_type.items()}


def _write_cell(ws: Any, r: int, c: int, value: Any, typ: str, fmt: Any) -> None:
    """Write one value with a typed writer; what does not fit the type is written as text."""
    if _is_missing(value):
        ws.write_blank(r, c, None, fmt)
    elif typ == "date" and isinstance(value, dt.date) and value.year >= 1900:
        ws.write_datetime(r, c, dt.datetime(*value.timetuple()[:6]), fmt)  # naive, no µs
    elif typ in _NUM_FORMATS and _is_number(value):
        ws.write_number(r, c, float(value) / 100 if typ == "percent" else float(value), fmt)
    else:
        ws.write_string(r, c, _clip(_as_text(value), MAX_CELL), fmt)


def _check(sheet: XSheet) -> dict[str, int]:
    """Column index by key, after refusing a sheet that is a programming error."""
    index = {col.key: i for i, col in enumerate(sheet.columns)}
    if len(index) != len(sheet.columns) or not index:
        raise ValueError(f"sheet {sheet.name!r}: column keys must be unique and non-empty")
    if bad := [col.type for col in sheet.columns if col.type not in TYPES]:
        raise ValueError(f"sheet {sheet.name!r}: unknown column types {bad}")
    for key in sheet.totals:
        if key not in index or sheet.columns[index[key]].type not in _NUM_FORMATS:
            raise ValueError(f"totals: {key!r} is not a numeric column of {sheet.name!r}")
    for chart in sheet.charts:
        if chart.kind not in CHART_KINDS:
            raise ValueError(f"chart {chart.title!r}: unknown kind {chart.kind!r}")
        unknown = [k for k in [chart.category, *chart.values] if k not in index]
        if unknown or not chart.values or (chart.kind == "pie" and len(chart.values) != 1):
            raise ValueError(f"chart {chart.title!r}: needs known columns (a pie takes one)")
    return index


def _add_charts(wb: Any, ws: Any, name: str, sheet: XSheet, index: dict[str, int],
                head: int, first: int, last: int) -> None:
    """Native charts over this sheet's data rows; default ones stack right of the table."""
    font = {"name": FONT, "size": 14}
    stacked = 0
    for chart_def in sheet.charts:
        opts: dict[str, Any] = {"type": chart_def.kind}
        if chart_def.stacked and chart_def.kind != "pie":
            opts["subtype"] = "stacked"
        chart = wb.add_chart(opts)
        cat = index[chart_def.category]
        for key in chart_def.values:
            c = index[key]
            series: dict[str, Any] = {"name": [name, head, c],  # a reference: never parsed
                                      "categories": [name, first, cat, last, cat],
                                      "values": [name, first, c, last, c]}
            if chart_def.kind == "pie":
                series["data_labels"] = {"percentage": True, "font": font}
            chart.add_series(series)
        chart.set_title({"name": chart_def.title, "name_font": {**font, "size": 16}})
        chart.set_legend({"position": "right" if chart_def.kind == "pie" else "bottom",
                          "font": font})
        if chart_def.kind != "pie":
            value_type = sheet.columns[index[chart_def.values[0]]].type
            value_axis = {"num_font": font, "major_gridlines": {"visible": True},
                          "num_format": {"money": "#,##0", "percent": "0%"}.get(
                              value_type, "General")}
            cat_axis = {"num_font": font}
            if sheet.columns[cat].type == "date":
                cat_axis["num_format"] = thai.excel_th_date_format("short")
            x, y = (value_axis, cat_axis) if chart_def.kind == "bar" else (cat_axis, value_axis)
            chart.set_x_axis(x)
            chart.set_y_axis(y)
        chart.set_size({"width": CHART_W, "height": CHART_H})
        if chart_def.anchor:
            ws.insert_chart(chart_def.anchor, chart)
        else:
            ws.insert_chart(head, len(sheet.columns) + 1, chart,
                            {"y_offset": stacked * (CHART_H + CHART_GAP)})
            stacked += 1


def _write_sheet(wb: Any, fmts: _Formats, sheet: XSheet, name: str, *, office_name: str,
                 report_title: str, as_of: dt.date) -> None:
    index = _check(sheet)
    ws = wb.add_worksheet(name)
    cols, rows = sheet.columns, sheet.rows
    # one title: the sheet's own; the report's name moves to the line below when it differs
    title = sheet.title or report_title
    context = "" if report_title in title else f"{report_title} · "
    top = [(title, fmts.title),
           (f"{context}{office_name}    ข้อมูล ณ วันที่ {thai.format_date_short(as_of)}",
            fmts.sub),
           *([(sheet.note, fmts.note)] if sheet.note else [])]
    for r, (text, fmt) in enumerate(top):
        ws.write_string(r, 0, _clip(text, MAX_CELL), fmt)
        ws.set_row(r, _height(1, 28.0 if r == 0 else LINE_PT))
    head = len(top)
    first = head + 2
    widths = [_width(col, rows) for col in cols]
    th_lines = en_lines = 1
    for c, (col, width) in enumerate(zip(cols, widths, strict=True)):
        ws.set_column(c, c, width)
        ws.write_string(head, c, col.header_th, fmts.head)
        ws.write_string(head + 1, c, col.header_en, fmts.head_en)
        th_lines = max(th_lines, _lines(col.header_th, width))
        en_lines = max(en_lines, _lines(col.header_en, width))
    ws.set_row(head, _height(th_lines))
    ws.set_row(head + 1, _height(en_lines, 19.0))
    for i, row in enumerate(rows):
        lines = 1
        for c, (col, width) in enumerate(zip(cols, widths, strict=True)):
            value = row.get(col.key)
            fmt = fmts.cell["int"] if col.type == "number" and _is_number(value) \
                and float(value).is_integer() else fmts.cell[col.type]
            _write_cell(ws, first + i, c, value, col.type, fmt)
            if col.type == "text" and not _is_missing(value):
                lines = max(lines, _lines(_as_text(value)[:MAX_CELL], width))
        ws.set_row(first + i, _height(lines))  # explicit, so charts beside rows keep size
    last = first + len(rows) - 1
    if not rows:
        ws.write_string(first, 0, NO_DATA, fmts.note)
        last = first
    elif sheet.totals:
        label = next((c for c, col in enumerate(cols) if col.key not in sheet.totals), None)
        for c, col in enumerate(cols):
            fmt = fmts.total[col.type]
            if col.key in sheet.totals:
                total = sum(float(r[col.key]) for r in rows if _is_number(r.get(col.key)))
                ref = f"{xl_rowcol_to_cell(first, c)}:{xl_rowcol_to_cell(last, c)}"
                ws.write_formula(last + 1, c, f"=SUM({ref})", fmt, total)
            elif c == label:
                ws.write_string(last + 1, c, TOTAL_LABEL, fmt)
            else:
                ws.write_blank(last + 1, c, None, fmt)
        ws.set_row(last + 1, _height(1))
    ws.freeze_panes(first, 0)
    ws.autofilter(head + 1, 0, last, len(cols) - 1)  # the dropdowns sit on the English line
    ws.repeat_rows(head, head + 1)
    if rows:
        _add_charts(wb, ws, name, sheet, index, head, first, last)
    ws.set_paper(9)  # A4
    charts_right = bool(rows) and any(not c.anchor for c in sheet.charts)
    if sum(widths) + (CHART_W / 7 if charts_right else 0) > 100:  # ~100 columns fit portrait
        ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.5, right=0.5, top=0.75, bottom=0.75)
    office = _clip(office_name.replace("&", "&&"), 200).rstrip("&")  # "&" starts a code
    ws.set_header(f'&C&"{FONT},Regular"{office}')
    ws.set_footer(f'&C&"{FONT},Regular"หน้า &P / &N')


def write_excel(path: Path, sheets: list[XSheet], *, office_name: str, report_title: str,
                as_of: dt.date) -> Path:
    """Write the report workbook atomically and return ``path``.

    Sheet names are made legal and unique; text is always literal, dates are real dates
    shown in B.E., money and percent (0–100) are numbers. Raises ValueError for a sheet
    definition that cannot be right (unknown type, key or chart kind).
    """
    if not sheets:
        raise ValueError("a report workbook needs at least one sheet")
    path = Path(path)
    taken: set[str] = set()
    names = [sanitize_sheet_name(s.name, taken) for s in sheets]
    for sheet in sheets:
        _check(sheet)  # fail before anything is written
    with atomic_path(path) as tmp:
        wb = new_workbook(tmp)
        wb.set_properties({"title": _clip(report_title, 255),
                           "company": _clip(office_name, 255), "author": "TPS batch"})
        fmts = _Formats(wb)
        for sheet, name in zip(sheets, names, strict=True):
            _write_sheet(wb, fmts, sheet, name, office_name=office_name,
                         report_title=report_title, as_of=as_of)
        wb.close()
    return path
