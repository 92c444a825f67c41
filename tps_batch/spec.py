"""The standard project workbook, declared once per template version.

Each template version has its own layout (:class:`WorkbookSpec`): every header field at
its literal cell, every table at its declared title row and first column. The template
writer lays cells out from a layout, the reader picks the layout named by the workbook's
``_meta`` sheet, the validator points findings at that layout's cells, the dataset keeps
the union of every layout's fields and columns, and ``tps spec --json`` publishes the
current layout so that other tools can fill or read the same workbooks.

A new template version is a new layout declared beside the old ones (usually
``SPEC_x.evolve("…", …)``) and one line in :data:`LAYOUTS`; the newest registered layout
is the current one. Never edit a released layout: offices still send its workbooks.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any, Literal

TEMPLATE_ID = "tps-project-report"
META_SHEET = "_meta"

FieldType = Literal["text", "longtext", "int", "money", "date", "choice", "percent"]
TYPES: tuple[str, ...] = ("text", "longtext", "int", "money", "date", "choice", "percent")
#: How each type is named in a finding ("… is not a whole number").
TYPE_NAMES: dict[str, tuple[str, str]] = {
    "text": ("ข้อความ", "text"), "longtext": ("ข้อความ", "text"),
    "int": ("จำนวนเต็ม", "a whole number"), "money": ("จำนวนเงิน (บาท)", "an amount in baht"),
    "date": ("วันที่", "a date"), "choice": ("ค่าในรายการ", "a listed value"),
    "percent": ("ร้อยละ", "a percentage"),
}


@dataclass(frozen=True)
class Choice:
    """A listed value: the Thai label is what the cell shows, the key is what is stored."""

    key: str
    th: str
    en: str

    @property
    def label(self) -> str:
        return self.th


def choice_key(choices: tuple[Choice, ...], value: str) -> str | None:
    """Map a cell's text to a choice key: the Thai label, the English label or the key."""
    norm = " ".join(value.split()).casefold()
    for c in choices:
        if norm in (c.th.casefold(), c.en.casefold(), c.key.casefold(),
                    " ".join(c.th.split()).casefold()):
            return c.key
    return None


def choice_label(choices: tuple[Choice, ...], key: str | None) -> str:
    for c in choices:
        if c.key == key:
            return c.th
    return key or ""


_CELL = re.compile(r"([A-Z]{1,3})([1-9][0-9]{0,6})")


def parse_cell(ref: str) -> tuple[int, int]:
    """"C4" → (3, 2): 0-based row and column, as the reader's grids index them."""
    m = _CELL.fullmatch(ref)
    if m is None:
        raise ValueError(f"not a cell reference: {ref!r}")
    col = 0
    for ch in m.group(1):
        col = col * 26 + ord(ch) - 64
    return int(m.group(2)) - 1, col - 1


def col_letter(index: int) -> str:
    """0-based column index → Excel letters (0 → A, 26 → AA)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _find(items: Iterable[Any], key: str) -> Any:
    for item in items:
        if item.key == key:
            return item
    raise KeyError(key)


@dataclass(frozen=True)
class Column:
    key: str
    label_th: str
    label_en: str
    type: FieldType
    required: bool = False
    choices: tuple[Choice, ...] = ()
    width: float = 16
    help_th: str = ""


@dataclass(frozen=True)
class Field:
    """A single header cell at its declared ``cell``; the template puts the Thai label two
    cells to its left and the English one beside it, so a field never sits in A or B."""

    key: str
    label_th: str
    label_en: str
    type: FieldType
    required: bool = False
    choices: tuple[Choice, ...] = ()
    sheet: str = ""
    cell: str = ""
    help_th: str = ""

    @cached_property
    def _rc(self) -> tuple[int, int]:
        return parse_cell(self.cell)

    @property
    def row(self) -> int:  # 1-based
        return self._rc[0] + 1

    @property
    def col_index(self) -> int:  # 0-based
        return self._rc[1]


@dataclass(frozen=True)
class Table:
    """Rows of like items on one sheet, read from ``first_row`` until the first blank row.

    Declared by its ``title_row`` (1-based) and ``first_col`` (0-based); the rest follows
    one fixed convention: a note under the title, Thai then English column headers, data.
    """

    key: str
    label_th: str
    label_en: str
    sheet: str
    columns: tuple[Column, ...]
    max_rows: int
    first_col: int = 0  # 0-based index of the table's first column on its sheet
    title_row: int = 1
    help_th: str = ""

    @property
    def header_row(self) -> int:
        """Row of the Thai column headers (English headers sit one row below)."""
        return self.title_row + 2

    @property
    def first_row(self) -> int:
        return self.header_row + 2

    @property
    def last_row(self) -> int:
        return self.first_row + self.max_rows - 1

    def letter(self, key: str) -> str:
        return col_letter(self.first_col + self.columns.index(self.column(key)))

    def column(self, key: str) -> Column:
        return _find(self.columns, key)

    def evolve(self, *, add_columns: Iterable[Column] = (), drop_columns: Iterable[str] = (),
               **changes: Any) -> Table:
        """This table with columns appended or dropped and any declared attribute changed."""
        gone = set(drop_columns)
        columns = tuple(c for c in self.columns if c.key not in gone) + tuple(add_columns)
        return replace(self, columns=columns, **changes)


@dataclass(frozen=True)
class SignoffRole:
    """One signature block of the form: who signs, and the header fields that hold the
    signer's name, position and date (stored as one ``signoffs`` row per role)."""

    key: str
    label_th: str
    label_en: str
    name_field: str
    position_field: str
    date_field: str

    @property
    def fields(self) -> tuple[str, str, str]:
        return self.name_field, self.position_field, self.date_field


@dataclass(frozen=True)
class WorkbookSpec:
    """One layout: sheets, header fields at their cells, tables; checked when declared."""

    template_id: str
    version: str
    sheets: tuple[tuple[str, str], ...]  # (sheet name, English title) in workbook order
    fields: tuple[Field, ...]
    tables: tuple[Table, ...]
    extra: dict[str, Any] = field(default_factory=dict)
    signoffs: tuple[SignoffRole, ...] = ()

    def __post_init__(self) -> None:
        _check_layout(self)

    def field(self, key: str) -> Field:
        return _find(self.fields, key)

    def table(self, key: str) -> Table:
        return _find(self.tables, key)

    def fields_on(self, sheet: str) -> list[Field]:
        return [f for f in self.fields if f.sheet == sheet]

    def tables_on(self, sheet: str) -> list[Table]:
        return [t for t in self.tables if t.sheet == sheet]

    def evolve(self, version: str, *, add_fields: Iterable[Field] = (),
               move: Mapping[str, str] | None = None, replace_fields: Iterable[Field] = (),
               drop_fields: Iterable[str] = (), tables: Iterable[Table] = (),
               drop_tables: Iterable[str] = (),
               sheets: tuple[tuple[str, str], ...] | None = None,
               signoffs: tuple[SignoffRole, ...] | None = None) -> WorkbookSpec:
        """The next layout: this one with fields added, moved (key → new cell), replaced
        (same key) or dropped, and tables replaced (same key), added or dropped.

        Nothing moves unless ``move`` says so: every cell of the new layout is still
        written out literally. Fields are ordered by sheet, then row, then column.
        """
        by_key = {f.key: f for f in self.fields}
        for key in drop_fields:
            del by_key[key]
        for f in replace_fields:
            if f.key not in by_key:
                raise KeyError(f"replace_fields: no field {f.key!r} in {self.version}")
            by_key[f.key] = f
        for key, cell in (move or {}).items():
            by_key[key] = replace(by_key[key], cell=cell)
        for f in add_fields:
            if f.key in by_key:
                raise KeyError(f"add_fields: {f.key!r} is already in {self.version}")
            by_key[f.key] = f
        sheets = self.sheets if sheets is None else sheets
        order = {name: i for i, (name, _title) in enumerate(sheets)}
        fields = sorted(by_key.values(),
                        key=lambda f: (order.get(f.sheet, len(order)), f.row, f.col_index))
        new_tables = {t.key: t for t in tables}
        gone = set(drop_tables)
        kept = [new_tables.pop(t.key, t) for t in self.tables if t.key not in gone]
        return WorkbookSpec(self.template_id, version, sheets, tuple(fields),
                            (*kept, *new_tables.values()), dict(self.extra),
                            self.signoffs if signoffs is None else signoffs)

    def to_json(self) -> dict[str, Any]:
        """The public JSON shape of ``tps spec --json``."""
        def item(x: Field | Column, **place: Any) -> dict[str, Any]:
            out = {"key": x.key, "label_th": x.label_th, "label_en": x.label_en,
                   "type": x.type, "required": x.required, **place}
            if x.choices:
                out.update(choices=[c.th for c in x.choices],
                           choice_keys={c.th: c.key for c in x.choices})
            return out

        return {
            "template": {"id": self.template_id, "version": self.version,
                         "meta_sheet": META_SHEET},
            "fields": [item(f, sheet=f.sheet, cell=f.cell) for f in self.fields],
            "tables": [{"key": t.key, "label_th": t.label_th, "label_en": t.label_en,
                        "sheet": t.sheet, "first_row": t.first_row, "max_rows": t.max_rows,
                        "columns": [item(c, column=t.letter(c.key)) for c in t.columns]}
                       for t in self.tables],
            "signoffs": [{"key": r.key, "label_th": r.label_th, "label_en": r.label_en,
                          "name": r.name_field, "position": r.position_field,
                          "date": r.date_field} for r in self.signoffs],
        }


def _check_layout(spec: WorkbookSpec) -> None:
    """Refuse a layout that collides with itself or names what isn't there: a cell read
    for two things, or a sign-off without its fields, would go wrong only in an office."""
    # (what, sheet, first row, last row, first col, last col), 0-based and inclusive
    places = [(f"the title of {s!r}", s, 0, 2, 0, 0) for s in {f.sheet for f in spec.fields}]
    places += [(f"field {f.key!r}", f.sheet, f.row - 1, f.row - 1, f.col_index - 2,
                f.col_index) for f in spec.fields]  # the two cells left hold its labels
    places += [(f"table {t.key!r}", t.sheet, t.title_row - 1, t.last_row - 1, t.first_col,
                t.first_col + len(t.columns) - 1) for t in spec.tables]
    problems = [f"{a[0]} overlaps {b[0]}" for i, a in enumerate(places) for b in places[:i]
                if a[1] == b[1] and a[2] <= b[3] and b[2] <= a[3] and a[4] <= b[5]
                and b[4] <= a[5]]
    sheets = {s for s, _ in spec.sheets}
    problems += [f"{p[0]} is on no sheet of the layout" for p in places if p[1] not in sheets]
    problems += [f"{p[0]} has no room for its labels" for p in places if p[4] < 0]
    keys = [f.key for f in spec.fields]
    for what, items in [("field", keys), ("table", [t.key for t in spec.tables]),
                        *[(f"column of {t.key!r}", [c.key for c in t.columns])
                          for t in spec.tables]]:
        problems += [f"{what} {k!r} twice" for k in sorted(set(items)) if items.count(k) > 1]
    problems += [f"sign-off {r.key!r} names unknown field {k!r}"
                 for r in spec.signoffs for k in r.fields if k not in keys]
    if problems:
        raise ValueError(f"layout {spec.template_id} {spec.version}: " + "; ".join(problems))


# --- listed values -----------------------------------------------------------------------
REPORT_KINDS = (Choice("progress", "รายงานความก้าวหน้า", "progress report"),
                Choice("final", "รายงานฉบับสมบูรณ์", "final report"))
PROJECT_STATUSES = (
    Choice("pending_budget", "รอการพิจารณางบประมาณ", "awaiting budget approval"),
    Choice("approved", "อนุมัติงบประมาณแล้ว", "budget approved"),
    Choice("not_started", "ยังไม่เริ่มดำเนินการ", "not started"),
    Choice("in_progress", "อยู่ระหว่างดำเนินการ", "in progress"),
    Choice("awaiting_disbursement", "รอการเบิกจ่าย", "awaiting disbursement"),
    Choice("completed", "ดำเนินการแล้วเสร็จ", "completed"),
    Choice("cancelled", "ยกเลิกโครงการ", "cancelled"),
)
ACTIVITY_STATUSES = (
    Choice("not_started", "ยังไม่ดำเนินการ", "not started"),
    Choice("in_progress", "อยู่ระหว่างดำเนินการ", "in progress"),
    Choice("done", "ดำเนินการแล้ว", "done"),
    Choice("postponed", "เลื่อนการดำเนินการ", "postponed"),
    Choice("cancelled", "ยกเลิก", "cancelled"),
)
BUDGET_SOURCES = (
    Choice("obec", "สพฐ.", "OBEC allocation"),
    Choice("esa", "สพป.", "ESA office's own"),
    Choice("other", "อื่น ๆ", "other"),
    Choice("none", "ไม่ใช้งบประมาณ", "no budget"),
)
TARGET_KINDS = (Choice("quantitative", "เชิงปริมาณ", "quantitative"),
                Choice("qualitative", "เชิงคุณภาพ", "qualitative"))
ATTACHMENT_KINDS = (Choice("document", "เอกสาร", "document"),
                    Choice("photo", "ภาพถ่ายกิจกรรม", "activity photo"),
                    Choice("link", "ลิงก์", "link"))

# --- sheets ------------------------------------------------------------------------------
S_PROJECT = "1 โครงการ"
S_OBJECTIVES = "2 วัตถุประสงค์ เป้าหมาย"
S_ACTIVITIES = "3 กิจกรรม"
S_BUDGET = "4 งบประมาณ ตัวชี้วัด"
S_PROBLEMS = "5 ปัญหา ข้อเสนอแนะ"
S_ATTACHMENTS = "6 เอกสารแนบ"


def _f(cell: str, key: str, th: str, en: str, typ: FieldType, required: bool = False,
       choices: tuple[Choice, ...] = (), help_th: str = "", sheet: str = S_PROJECT) -> Field:
    return Field(key, th, en, typ, required, choices, sheet, cell, help_th)


def _c(key: str, th: str, en: str, typ: FieldType, required: bool = False,
       choices: tuple[Choice, ...] = (), width: float = 16, help_th: str = "") -> Column:
    return Column(key, th, en, typ, required, choices, width, help_th)


# --- layout 1.1 (release c067db1; tests/fixtures/c067db1 holds workbooks it wrote) -------
SIGNOFFS_1_1 = (
    SignoffRole("reporter", "ผู้รายงาน", "Reporter",
                "reporter_name", "reporter_position", "reporter_date"),
    SignoffRole("head", "ผู้อำนวยการกลุ่ม", "Centre/group director",
                "head_name", "head_position", "head_date"),
    SignoffRole("deputy", "รองผู้อำนวยการ สพท.", "Deputy director",
                "deputy_name", "deputy_position", "deputy_date"),
)

FIELDS_1_1: tuple[Field, ...] = (
    _f("C4", "project_code", "รหัสโครงการ", "Project code", "text", True,
       help_th="รหัสโครงการตามแผนปฏิบัติการ เช่น P2567-01"),
    _f("C5", "project_name", "ชื่อโครงการ", "Project name", "text", True),
    _f("C6", "fiscal_year", "ปีงบประมาณ (พ.ศ.)", "Fiscal year (B.E.)", "int", True,
       help_th="ปีงบประมาณเป็น พ.ศ. เช่น 2567"),
    _f("C7", "group", "กลุ่ม/หน่วย", "Work group", "text", True,
       help_th="ชื่อกลุ่มตามแผนปฏิบัติการ"),
    _f("C8", "owner", "ผู้รับผิดชอบโครงการ", "Responsible person", "text", True),
    _f("C9", "report_kind", "ประเภทรายงาน", "Report kind", "choice", True, REPORT_KINDS),
    _f("C10", "as_of", "ข้อมูล ณ วันที่", "Data as of", "date", True,
       help_th="วันที่ของข้อมูลในรายงานนี้ เช่น 15 ม.ค. 2567"),
    _f("C11", "status", "สถานะโครงการ", "Project status", "choice", True, PROJECT_STATUSES),
    _f("C12", "planned_start", "วันเริ่มโครงการ (ตามแผน)", "Planned start", "date", True),
    _f("C13", "planned_end", "วันสิ้นสุดโครงการ (ตามแผน)", "Planned end", "date", True),
    # row 14 is left blank: it separates the narrative section
    _f("C15", "strategy", "สอดคล้องกับกลยุทธ์", "Strategy", "longtext"),
    _f("C16", "rationale", "หลักการและเหตุผล", "Rationale", "longtext"),
    # row 17 is left blank: it separates the sign-off section
    _f("C18", "reporter_name", "ผู้รายงาน: ชื่อ", "Reporter: name", "text", True),
    _f("C19", "reporter_position", "ผู้รายงาน: ตำแหน่ง", "Reporter: position", "text"),
    _f("C20", "reporter_date", "ผู้รายงาน: วันที่", "Reporter: date", "date"),
    _f("C21", "head_name", "ผู้อำนวยการกลุ่ม: ชื่อ", "Centre/group director: name", "text"),
    _f("C22", "head_position", "ผู้อำนวยการกลุ่ม: ตำแหน่ง", "Centre/group director: position",
       "text"),
    _f("C23", "head_date", "ผู้อำนวยการกลุ่ม: วันที่", "Centre/group director: date", "date"),
    _f("C24", "deputy_name", "รองผู้อำนวยการ สพท.: ชื่อ", "Deputy director: name", "text"),
    _f("C25", "deputy_position", "รองผู้อำนวยการ สพท.: ตำแหน่ง", "Deputy director: position",
       "text"),
    _f("C26", "deputy_date", "รองผู้อำนวยการ สพท.: วันที่", "Deputy director: date", "date"),
)

TABLES_1_1: tuple[Table, ...] = (
    Table("objectives", "วัตถุประสงค์", "Objectives", S_OBJECTIVES,
          (_c("text", "วัตถุประสงค์", "Objective", "longtext", True, width=70),),
          max_rows=20, title_row=1, first_col=0),
    Table("targets", "เป้าหมาย", "Targets", S_OBJECTIVES, (
        _c("kind", "ประเภทเป้าหมาย", "Kind", "choice", True, TARGET_KINDS, 14),
        _c("description", "เป้าหมาย", "Target", "longtext", True, width=48),
        _c("unit", "หน่วยนับ", "Unit", "text", width=12),
        _c("target_value", "ค่าเป้าหมาย", "Target value", "int", width=12),
        _c("achieved_value", "ผลที่ได้", "Achieved", "int", width=12),
    ), max_rows=30, title_row=1, first_col=2),
    Table("activities", "การดำเนินงานตามกิจกรรม", "Activities", S_ACTIVITIES, (
        _c("name", "กิจกรรม", "Activity", "longtext", True, width=36),
        _c("planned_start", "เริ่ม (ตามแผน)", "Planned start", "date", True, width=14),
        _c("planned_end", "สิ้นสุด (ตามแผน)", "Planned end", "date", True, width=14),
        _c("actual_date", "วันที่ดำเนินการ", "Date carried out", "date", width=14),
        _c("place", "สถานที่", "Place", "text", width=22),
        _c("target_planned", "กลุ่มเป้าหมาย (คน) ตามแผน", "Target group planned", "int",
           width=12),
        _c("target_reached", "กลุ่มเป้าหมาย (คน) ที่ได้", "Target group reached", "int",
           width=12),
        _c("status", "สถานะ", "Status", "choice", True, ACTIVITY_STATUSES, 16),
        _c("budget_planned", "งบประมาณตามแผน (บาท)", "Budget planned (THB)", "money",
           width=14),
        _c("budget_spent", "ใช้จ่ายจริง (บาท)", "Budget spent (THB)", "money", width=14),
        _c("result", "ผลการดำเนินงาน", "Result", "longtext", width=40),
        _c("remarks", "หมายเหตุ", "Remarks", "text", width=20),
    ), max_rows=60, title_row=1, first_col=0),
    Table("budget", "สรุปงบประมาณ", "Budget", S_BUDGET, (
        _c("source", "แหล่งงบประมาณ", "Source", "choice", True, BUDGET_SOURCES, 18),
        _c("allocated", "ได้รับจัดสรร (บาท)", "Allocated (THB)", "money", True, width=16),
        _c("disbursed", "เบิกจ่ายแล้ว (บาท)", "Disbursed (THB)", "money", width=16),
    ), max_rows=10, title_row=1, first_col=0),
    Table("indicators", "ตัวชี้วัดที่เกี่ยวข้อง", "Indicator links", S_BUDGET, (
        _c("framework", "กรอบตัวชี้วัด", "Framework", "text", True, width=14),
        _c("code", "รหัสตัวชี้วัด", "Indicator code", "text", True, width=14),
        _c("contribution", "การดำเนินงานที่สนับสนุนตัวชี้วัด", "Contribution", "longtext",
           width=44),
    ), max_rows=20, title_row=1, first_col=4),
    Table("problems", "ปัญหาอุปสรรค", "Problems and obstacles", S_PROBLEMS,
          (_c("text", "ปัญหาอุปสรรค", "Problem", "longtext", True, width=60),),
          max_rows=20, title_row=1, first_col=0),
    Table("suggestions", "ข้อเสนอแนะ", "Suggestions", S_PROBLEMS,
          (_c("text", "ข้อเสนอแนะ", "Suggestion", "longtext", True, width=60),),
          max_rows=20, title_row=1, first_col=2),
    Table("attachments", "เอกสารแนบ", "Attachments", S_ATTACHMENTS, (
        _c("kind", "ประเภท", "Kind", "choice", True, ATTACHMENT_KINDS, 16),
        _c("name", "ชื่อเอกสาร/ภาพ", "Name", "text", True, width=44),
        _c("link", "ลิงก์ (ถ้ามี)", "Link (if any)", "text", width=44),
    ), max_rows=40, title_row=1, first_col=0),
)

SPEC_1_1 = WorkbookSpec(
    template_id=TEMPLATE_ID,
    version="1.1",
    sheets=((S_PROJECT, "Project"), (S_OBJECTIVES, "Objectives and targets"),
            (S_ACTIVITIES, "Activities"), (S_BUDGET, "Budget and indicators"),
            (S_PROBLEMS, "Problems and suggestions"), (S_ATTACHMENTS, "Attachments")),
    fields=FIELDS_1_1,
    tables=TABLES_1_1,
    signoffs=SIGNOFFS_1_1,
)

# --- the registry ------------------------------------------------------------------------
#: Every template version the reader accepts → its layout. The newest is the current one
#: (templates are written with it); older ones are read with their own cells and warned.
LAYOUTS: dict[str, WorkbookSpec] = {
    # 1.0 never had a layout of its own: the first release already wrote the 1.1 cells.
    # Workbooks stamped "1.0" are read with that very layout (the same object, not a copy).
    "1.0": SPEC_1_1,
    "1.1": SPEC_1_1,
}


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def versions(layouts: Mapping[str, WorkbookSpec] | None = None) -> tuple[str, ...]:
    """Registered versions, oldest first (so the last one is current)."""
    return tuple(sorted(LAYOUTS if layouts is None else layouts, key=_version_key))


#: Versions the reader still accepts; older than current gives a warning only.
SUPPORTED_VERSIONS = versions()
TEMPLATE_VERSION = SUPPORTED_VERSIONS[-1]
#: The current layout: what ``tps template`` writes and ``tps spec --json`` publishes.
SPEC = LAYOUTS[TEMPLATE_VERSION]
if SPEC.version != TEMPLATE_VERSION:
    raise ValueError(f"LAYOUTS[{TEMPLATE_VERSION!r}] is layout {SPEC.version}: the newest "
                     "version must be registered with its own layout")


def layout(version: str | None,
           layouts: Mapping[str, WorkbookSpec] | None = None) -> WorkbookSpec | None:
    """The layout a workbook stamped ``version`` was written with; None if unknown."""
    return (LAYOUTS if layouts is None else layouts).get(version or "")


def _union(layouts: Mapping[str, WorkbookSpec] | None,
           items: Callable[[WorkbookSpec], Iterable[Any]]) -> tuple[Any, ...]:
    """Items (by ``key``) of every registered layout: the current layout's in its order,
    then those only older layouts had, newest first."""
    table = LAYOUTS if layouts is None else layouts
    out: dict[str, Any] = {}
    for version in reversed(versions(table)):
        for item in items(table[version]):
            out.setdefault(item.key, item)
    return tuple(out.values())


def signoff_roles(layouts: Mapping[str, WorkbookSpec] | None = None
                  ) -> tuple[SignoffRole, ...]:
    """Sign-off roles of every layout, the current layout's first."""
    return _union(layouts, lambda lay: lay.signoffs)


def stored_fields(layouts: Mapping[str, WorkbookSpec] | None = None) -> tuple[Field, ...]:
    """Header fields the dataset keeps (``projects`` columns): every layout's fields but the
    sign-off ones, the current layout's first, then those only older layouts had; so a
    field added in a new layout adds a column, and none of an old layout is ever lost."""
    signed = {key for role in signoff_roles(layouts) for key in role.fields}
    return tuple(f for f in _union(layouts, lambda lay: lay.fields) if f.key not in signed)


def stored_tables(layouts: Mapping[str, WorkbookSpec] | None = None) -> tuple[str, ...]:
    """Keys of every layout's tables, the current layout's order first."""
    return tuple(t.key for t in _union(layouts, lambda lay: lay.tables))


def stored_columns(table_key: str,
                   layouts: Mapping[str, WorkbookSpec] | None = None) -> tuple[Column, ...]:
    """A table's columns over every layout, the current layout's order first."""
    columns = _union(layouts, lambda lay: next(
        (t.columns for t in lay.tables if t.key == table_key), ()))
    if not columns:
        raise KeyError(table_key)
    return columns


#: The sign-off roles declared by the layouts (reporter, head, deputy today).
SIGNOFF_ROLES: tuple[SignoffRole, ...] = signoff_roles()
