"""Read a workbook's cells into typed values through the spec (python-calamine), with the
layout of the template version its ``_meta`` sheet names (see :data:`tps_batch.spec.LAYOUTS`).

Reading never raises on bad cells: each cell that can't become its declared type gives
a finding and a ``None`` value, so one run reports every problem of a file at once.
Text is trimmed and NFC-normalised with zero-width and non-breaking spaces removed,
whole floats become ints, and Thai dates and digits go through :mod:`tps_batch.thai`.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tps_batch import errors, formulas, thai
from tps_batch import spec as spec_mod
from tps_batch.errors import Finding
from tps_batch.formulas import FormulaCell
from tps_batch.spec import META_SHEET, TEMPLATE_ID, TYPE_NAMES, WorkbookSpec, choice_key, col_letter
from tps_batch.textid import match_key

Grid = list[list[Any]]

# zero-width characters, and control characters no database takes (PostgreSQL refuses NUL)
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad\x00-\x08\x0b\x0c\x0e-\x1f]")
#: Whole numbers must fit a 32-bit column (a 13-digit ID in a count cell is a mistake).
MAX_INT = 2**31 - 1
MAX_AMOUNT = 1e12  # baht: far above any office budget, well inside a double's exact range
_SPACES = re.compile("[\u00a0\u2007\u202f\u3000\t]")


def clean_text(value: str, *, multiline: bool = False) -> str:
    """NFC, no zero-width characters, NBSP → space, trimmed (inner newlines kept if asked)."""
    if value.isprintable():  # the usual cell: no control, zero-width or odd space characters
        text = unicodedata.normalize("NFC", value)  # returns ``value`` itself when already NFC
        if text[:1] == " " or text[-1:] == " " or "  " in text:
            return " ".join(text.split())
        return text
    text = unicodedata.normalize("NFC", value)
    text = _INVISIBLE.sub("", text)
    text = _SPACES.sub(" ", text).replace("\r\n", "\n").replace("\r", "\n")
    if multiline:
        lines = [" ".join(line.split()) for line in text.split("\n")]
        return "\n".join(line for line in lines if line).strip()
    return " ".join(text.split())


def is_blank(value: Any) -> bool:
    if value is None:
        return True
    if not isinstance(value, str):
        return False
    if value.isprintable():  # its only whitespace is " " (see clean_text)
        return not value.strip(" ")
    return clean_text(value) == ""


@dataclass
class Place:
    """Where a value came from, for findings."""

    sheet: str
    cell: str
    label_th: str
    label_en: str
    table: str | None = None
    row: int | None = None
    column: str | None = None

    def finding(self, code: str, **params: Any) -> Finding:
        return errors.make(code, sheet=self.sheet, cell=self.cell, table=self.table,
                           row=self.row, column=self.column, label_th=self.label_th,
                           label_en=self.label_en, **params)


class TableCell:
    """A table cell's :class:`Place`, built only when a finding needs it: a nightly run
    reads hundreds of thousands of cells and reports a handful."""

    __slots__ = ("index", "row", "table")

    def __init__(self, table: Any, index: int, row: int) -> None:
        self.table, self.index, self.row = table, index, row  # row: 1-based

    def place(self) -> Place:
        t, col, r = self.table, self.table.columns[self.index], self.row
        return Place(t.sheet, f"{col_letter(t.first_col + self.index)}{r}",
                     f"{t.label_th} แถว {r} {col.label_th}", f"{t.label_en} row {r} {col.label_en}",
                     t.key, r, col.key)

    def finding(self, code: str, **params: Any) -> Finding:
        return self.place().finding(code, **params)


def _show(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "…"


def convert(value: Any, typ: str, choices: tuple, place: Place | TableCell,
            findings: list[Finding], fiscal_year: int | None = None) -> Any:
    """One cell → its typed value (or None plus a finding)."""
    if is_blank(value):
        return None
    if isinstance(value, FormulaCell):  # a formula whose value was never saved, or an error
        code = "formula-error" if value.error else "formula-without-value"
        findings.append(place.finding(code, value=value.error or ""))
        return None
    if isinstance(value, float) and value.is_integer() and typ not in ("date",):
        value = int(value)
    try:
        if typ in ("text", "longtext"):
            if isinstance(value, (dt.date, dt.datetime, dt.time, float, int)) and not \
                    isinstance(value, bool):  # e.g. =NOW() in a text cell: say what is kept
                text = value.isoformat() if hasattr(value, "isoformat") else str(value)
                kind = ("วันที่", "date") if hasattr(value, "isoformat") else ("ตัวเลข", "number")
                findings.append(place.finding("text-was-number", value=_show(text),
                                              kind_th=kind[0], kind_en=kind[1]))
                return text
            return clean_text(str(value), multiline=typ == "longtext")
        if typ == "choice":
            key = choice_key(choices, clean_text(str(value)))
            if key is None:
                near = _nearest(choices, str(value))
                if near:
                    findings.append(place.finding("not-in-choices-near", value=_show(value),
                                                  suggestion=near))
                else:
                    findings.append(place.finding("not-in-choices", value=_show(value),
                                                  choices=", ".join(c.th for c in choices)))
            return key
        if typ == "date":
            try:
                return thai.parse_date(clean_text(value) if isinstance(value, str) else value,
                                       fiscal_year=fiscal_year)
            except thai.DateParseError as exc:
                code = "ambiguous-date" if exc.ambiguous else "bad-date"
                findings.append(place.finding(code, value=_show(value),
                                              reason_th=exc.reason_th, reason_en=exc.reason_en))
                return None
        if isinstance(value, (dt.date, dt.datetime, dt.time, dt.timedelta, bool)):
            raise ValueError(value)
        number = thai.parse_number(clean_text(value) if isinstance(value, str) else value)
        if typ == "int":
            if isinstance(number, float) or abs(number) > MAX_INT:
                raise ValueError(number)
            return number
        if abs(number) > MAX_AMOUNT:
            raise ValueError(number)
        if typ == "money":
            return round(float(number), 2)
        return float(number)  # percent, decimal
    except ValueError:
        th, en = TYPE_NAMES[typ]
        findings.append(place.finding("wrong-type", value=_show(value), type_th=th, type_en=en))
        return None


def _nearest(choices: tuple, value: str) -> str | None:
    """The one choice a mistyped value is close to (e.g. ดำเนินการเสร็จแล้ว → ดำเนินการแล้ว)."""
    import difflib

    key = match_key(value)
    scored = sorted(((difflib.SequenceMatcher(None, key, match_key(c.th)).ratio(), c.th)
                     for c in choices), reverse=True)
    if scored and scored[0][0] >= 0.75 and (len(scored) == 1 or scored[1][0] < scored[0][0]):
        return scored[0][1]
    return None


def _code_digits(values: dict[str, Any], tables: dict[str, list[dict[str, Any]]]) -> None:
    """Codes are matched with Thai digits read as Arabic, and stored so (P๒๕๖๗ is P2567)."""
    for key, value in values.items():
        if key.endswith("code") and isinstance(value, str):
            values[key] = thai.to_arabic_digits(value)
    for rows in tables.values():
        for row in rows:
            for key, value in row.items():
                if key.endswith("code") and isinstance(value, str):
                    row[key] = thai.to_arabic_digits(value)


def cell_at(grid: Grid, row: int, col: int) -> Any:
    """0-based access that treats cells beyond the used range as empty."""
    if row < len(grid):
        cells = grid[row]
        if col < len(cells):
            return cells[col]
    return None


def read_fields(grids: dict[str, Grid], spec: WorkbookSpec, findings: list[Finding],
                fiscal_year: int | None = None) -> dict[str, Any]:
    """Header fields, each from its layout's declared cell."""
    values: dict[str, Any] = {}
    for f in spec.fields:
        raw = cell_at(grids.get(f.sheet, []), f.row - 1, f.col_index)
        place = Place(f.sheet, f.cell, f.label_th, f.label_en)
        values[f.key] = convert(raw, f.type, f.choices, place, findings, fiscal_year)
        if values[f.key] is None and f.required and is_blank(raw):
            findings.append(place.finding("missing-required"))
    return values


BLANK_RUN = 3  # this many blank rows in a row end a table (fewer are skipped, with a warning)
_SCAN = 12  # how far above and below its place a moved header is looked for


def _header_matches(grid: Grid, table: Any, row0: int) -> bool:
    """Whether 0-based ``row0`` holds the table's Thai headers and the next its English."""
    for i, col in enumerate(table.columns):
        th = cell_at(grid, row0, table.first_col + i)
        en = cell_at(grid, row0 + 1, table.first_col + i)
        if not (_label_is(th, col.label_th) or _label_is(en, col.label_en)):
            return False
    return True


def _label_is(cell: Any, label: str) -> bool:
    if not isinstance(cell, str):
        return False
    if cell == label or cell == label + " *":  # as the template wrote it: the usual case
        return True
    return match_key(cell).rstrip(" *") == match_key(label)


def check_header(grid: Grid, table: Any, findings: list[Finding]) -> bool:
    """A table is read only under its own headers: a row inserted above it or a column
    moved would otherwise shift every value into the wrong column, silently."""
    h0 = table.header_row - 1
    if _header_matches(grid, table, h0):
        return True
    for delta in sorted(range(-_SCAN, _SCAN + 1), key=abs):
        if delta and h0 + delta >= 0 and _header_matches(grid, table, h0 + delta):
            findings.append(errors.make(
                "layout-moved", sheet=table.sheet, table=table.key,
                cell=f"{col_letter(table.first_col)}{h0 + delta + 1}", label_th=table.label_th,
                label_en=table.label_en, expected_row=table.header_row, found_row=h0 + delta + 1,
                what_th="แทรกแถว" if delta > 0 else "ลบแถว",
                what_en=f"{abs(delta)} row(s) {'inserted' if delta > 0 else 'deleted'}"))
            return False
    for i, col in enumerate(table.columns):
        th = cell_at(grid, h0, table.first_col + i)
        if not _label_is(th, col.label_th) and not _label_is(
                cell_at(grid, h0 + 1, table.first_col + i), col.label_en):
            findings.append(errors.make(
                "layout-changed", sheet=table.sheet, table=table.key,
                cell=f"{col_letter(table.first_col + i)}{table.header_row}",
                label_th=table.label_th, label_en=table.label_en,
                at_cell=f"{col_letter(table.first_col + i)}{table.header_row}",
                value=_show(th if th is not None else ""), expected=col.label_th))
            return False
    return True  # pragma: no cover - some column differed above


def read_tables(grids: dict[str, Grid], tables: tuple, findings: list[Finding],
                fiscal_year: int | None = None, *,
                headers: bool = False) -> dict[str, list[dict[str, Any]]]:
    """Rows from ``first_row`` to ``max_rows``; a blank row is skipped with a warning,
    :data:`BLANK_RUN` blank rows end the table. ``headers``: only under the table's own
    headers (a submission; the plan workbook is the office's own and keeps its headers)."""
    out: dict[str, list[dict[str, Any]]] = {}
    for table in tables:
        grid = grids.get(table.sheet, [])
        rows: list[dict[str, Any]] = []
        if headers and table.sheet in grids and not check_header(grid, table, findings):
            out[table.key] = rows
            continue
        r = table.first_row - 1
        blanks: list[int] = []
        while True:
            raws = [cell_at(grid, r, table.first_col + i) for i in range(len(table.columns))]
            if all(is_blank(v) for v in raws):
                blanks.append(r + 1)
                if len(blanks) >= BLANK_RUN or r >= len(grid):
                    break
                r += 1
                continue
            if r - (table.first_row - 1) >= table.max_rows:
                findings.append(errors.make(
                    "table-truncated", sheet=table.sheet, table=table.key, row=r + 1,
                    cell=f"{col_letter(table.first_col)}{r + 1}", label_th=table.label_th,
                    label_en=table.label_en, max_rows=table.max_rows))
                break
            for b in blanks:
                findings.append(errors.make(
                    "blank-row-skipped", sheet=table.sheet, table=table.key, row=b,
                    cell=f"{col_letter(table.first_col)}{b}", label_th=table.label_th,
                    label_en=table.label_en, at_row=b))
            blanks = []
            row: dict[str, Any] = {"_row": r + 1}
            for i, (col, raw) in enumerate(zip(table.columns, raws, strict=True)):
                place = TableCell(table, i, r + 1)
                row[col.key] = convert(raw, col.type, col.choices, place, findings, fiscal_year)
                if row[col.key] is None and col.required and is_blank(raw):
                    findings.append(place.finding("missing-required"))
            rows.append(row)
            r += 1
        out[table.key] = rows
    return out


@dataclass
class Submission:
    """What one workbook says, typed, with the findings met while reading it."""

    template_version: str | None = None
    values: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    #: which standard workbook it is (its ``_meta`` template id): the project report or
    #: the indicator result report
    template_id: str = TEMPLATE_ID
    #: pictures pasted on the attachments sheet, re-encoded (:class:`tps_batch.photos.Photo`)
    photos: list[Any] = field(default_factory=list)

    @property
    def readable(self) -> bool:
        return bool(self.values)

    @property
    def is_indicator_report(self) -> bool:
        from tps_batch.indicator_spec import TEMPLATE_ID as INDICATOR_ID

        return self.template_id == INDICATOR_ID


def template_layouts() -> dict[str, Mapping[str, WorkbookSpec]]:
    """Every standard workbook TPS takes, by the template id its ``_meta`` names → the
    layouts of its versions."""
    from tps_batch import indicator_spec

    return {TEMPLATE_ID: spec_mod.LAYOUTS, indicator_spec.TEMPLATE_ID: indicator_spec.LAYOUTS}


def _meta_template_id(meta: Grid | None) -> str:
    info = {clean_text(str(r[0])): r[1] for r in meta or [] if len(r) >= 2 and r[0] is not None}
    return clean_text(str(info.get("template_id") or ""))


def check_meta(meta: Grid | None, findings: list[Finding],
               layouts: Mapping[str, WorkbookSpec] | None = None) -> str | None:
    """The template version the hidden sheet names, if a layout of ``layouts`` (default:
    the layouts of the template id it names, see :func:`template_layouts`) reads it; None
    when the file can't be read."""
    if meta is None:
        findings.append(errors.make("not-standard-template", sheet=META_SHEET))
        return None
    info = {clean_text(str(r[0])): r[1] for r in meta if len(r) >= 2 and r[0] is not None}
    template_id = clean_text(str(info.get("template_id") or ""))
    version = info.get("version")
    version = clean_text(str(version)) if version is not None else ""
    known = template_layouts()
    if template_id not in known:
        findings.append(errors.make("unknown-template", sheet=META_SHEET, cell="B1",
                                    template_id=template_id or "-"))
        return None
    layouts = known[template_id] if layouts is None else layouts
    supported = spec_mod.versions(layouts)
    if version not in supported:
        findings.append(errors.make("unsupported-template-version", sheet=META_SHEET,
                                    cell="B2", version=version or "-",
                                    supported=", ".join(supported)))
        return None
    if version != supported[-1]:
        findings.append(errors.make("template-version-old", sheet=META_SHEET, cell="B2",
                                    version=version, current=supported[-1]))
    return version


def open_workbook(path: Path, data: bytes | None = None) -> Any:
    """A python-calamine workbook, from ``data`` when the caller already holds the file's
    bytes (the guard read them)."""
    from python_calamine import CalamineWorkbook

    if data is not None:
        import io

        return CalamineWorkbook.from_filelike(io.BytesIO(data))
    return CalamineWorkbook.from_path(str(path))


def sheet_grids(wb: Any, sheets: list[str]) -> dict[str, Grid]:
    """The named sheets (those present) of an open workbook as grids from A1."""
    present = set(wb.sheet_names)
    return {name: wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
            for name in sheets if name in present}


def _close(wb: Any) -> None:
    close = getattr(wb, "close", None)
    if close:
        close()


def load_grids(path: Path, sheets: list[str], data: bytes | None = None) -> dict[str, Grid]:
    """The named sheets (those present) as grids from A1, via python-calamine; from
    ``data`` when the caller already holds the file's bytes (the guard read them)."""
    wb = open_workbook(path, data)
    try:
        return sheet_grids(wb, sheets)
    finally:
        _close(wb)


def read_guarded(path: str | Path, guarded: Any, fiscal_year: int | None) -> Submission:
    """Read a file the guard has looked at (its :class:`~tps_batch.guard.GuardResult`):
    from the very bytes the guard read, and only if it passed. Runs in a worker process
    (it may die; the run won't)."""
    if not guarded.ok:
        return Submission(findings=list(guarded.findings))
    sub = read_submission(Path(path), fiscal_year=fiscal_year, data=guarded.data)
    sub.findings[:0] = guarded.findings
    return sub


def read_submission(path: Path, *, fiscal_year: int | None = None, data: bytes | None = None,
                    layouts: Mapping[str, WorkbookSpec] | None = None) -> Submission:
    """Read one standard workbook (from ``data``, its bytes, when given) with the layout of
    the version its ``_meta`` sheet names: a 1.0 workbook is read from 1.0's cells.
    ``layouts`` defaults to :data:`tps_batch.spec.LAYOUTS`. Runs inside a worker process
    (see ingest)."""
    sub = Submission()
    try:
        wb = open_workbook(path, data)
        try:
            meta = sheet_grids(wb, [META_SHEET]).get(META_SHEET)
            if layouts is None:  # by the template id the file names
                sub.template_id = _meta_template_id(meta) or TEMPLATE_ID
                layouts = template_layouts().get(sub.template_id, spec_mod.LAYOUTS)
            sub.template_version = check_meta(meta, sub.findings, layouts)
            if sub.template_version is None:
                return sub
            layout = layouts[sub.template_version]
            grids = sheet_grids(wb, [s for s, _ in layout.sheets])
            formulas.mark(grids, path, data)
        finally:
            _close(wb)
    except Exception as exc:  # noqa: BLE001 - any parser failure is a finding, not a crash
        sub.template_version = None
        sub.findings = [f for f in sub.findings if f.sheet != META_SHEET]
        sub.findings.append(errors.make("corrupt-workbook", detail=_show(f"{exc}")))
        return sub
    sub.values = read_fields(grids, layout, sub.findings, fiscal_year)
    fy = sub.values.get("fiscal_year")
    if not thai.is_be_year(fy):
        fy = fiscal_year  # a bad year cell was already reported; don't let it steer dates
    sub.tables = read_tables(grids, layout.tables, sub.findings, fy, headers=True)
    _code_digits(sub.values, sub.tables)
    return sub
