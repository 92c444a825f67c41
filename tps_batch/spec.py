"""The standard project workbook, declared once.

This spec is the single source of truth for แบบรายงานผลการดำเนินงานโครงการ: the template
generator lays cells out from it, the reader maps cells to typed values through it, the
validator checks types and choices with it, and ``tps spec --json`` publishes it so that
other tools can fill or read the same workbooks. Change the layout here and bump
``TEMPLATE_VERSION``; keep older versions readable by listing them in
``SUPPORTED_VERSIONS``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

TEMPLATE_ID = "tps-project-report"
TEMPLATE_VERSION = "1.1"
#: Versions the reader still accepts; older than current gives a warning only.
SUPPORTED_VERSIONS = ("1.0", "1.1")
META_SHEET = "_meta"

FieldType = Literal["text", "longtext", "int", "money", "date", "choice", "percent"]
TYPES: tuple[str, ...] = ("text", "longtext", "int", "money", "date", "choice", "percent")
#: How each type is named in a finding ("… is not a whole number").
TYPE_NAMES: dict[str, tuple[str, str]] = {
    "text": ("ข้อความ", "text"),
    "longtext": ("ข้อความ", "text"),
    "int": ("จำนวนเต็ม", "a whole number"),
    "money": ("จำนวนเงิน (บาท)", "an amount in baht"),
    "date": ("วันที่", "a date"),
    "choice": ("ค่าในรายการ", "a listed value"),
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
    """A single header cell: label in column A/B, value in column C of its sheet."""

    key: str
    label_th: str
    label_en: str
    type: FieldType
    required: bool = False
    choices: tuple[Choice, ...] = ()
    sheet: str = ""
    row: int = 0
    help_th: str = ""

    @property
    def cell(self) -> str:
        return f"{VALUE_COLUMN}{self.row}"


@dataclass(frozen=True)
class Table:
    """Rows of like items on one sheet, read from ``first_row`` until the first blank row."""

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
        for i, col in enumerate(self.columns):
            if col.key == key:
                return col_letter(self.first_col + i)
        raise KeyError(key)

    def column(self, key: str) -> Column:
        for col in self.columns:
            if col.key == key:
                return col
        raise KeyError(key)


@dataclass(frozen=True)
class WorkbookSpec:
    template_id: str
    version: str
    sheets: tuple[tuple[str, str], ...]  # (sheet name, English title) in workbook order
    fields: tuple[Field, ...]
    tables: tuple[Table, ...]
    extra: dict[str, Any] = field(default_factory=dict)

    def field(self, key: str) -> Field:
        for f in self.fields:
            if f.key == key:
                return f
        raise KeyError(key)

    def table(self, key: str) -> Table:
        for t in self.tables:
            if t.key == key:
                return t
        raise KeyError(key)

    def fields_on(self, sheet: str) -> list[Field]:
        return [f for f in self.fields if f.sheet == sheet]

    def tables_on(self, sheet: str) -> list[Table]:
        return [t for t in self.tables if t.sheet == sheet]

    def to_json(self) -> dict[str, Any]:
        """The public JSON shape of ``tps spec --json``."""
        def choices(items: tuple[Choice, ...]) -> dict[str, Any]:
            if not items:
                return {}
            return {"choices": [c.th for c in items],
                    "choice_keys": {c.th: c.key for c in items}}

        return {
            "template": {"id": self.template_id, "version": self.version,
                         "meta_sheet": META_SHEET},
            "fields": [
                {"key": f.key, "label_th": f.label_th, "label_en": f.label_en,
                 "type": f.type, "required": f.required, "sheet": f.sheet, "cell": f.cell,
                 **choices(f.choices)}
                for f in self.fields
            ],
            "tables": [
                {"key": t.key, "label_th": t.label_th, "label_en": t.label_en,
                 "sheet": t.sheet, "first_row": t.first_row, "max_rows": t.max_rows,
                 "columns": [
                     {"key": c.key, "label_th": c.label_th, "label_en": c.label_en,
                      "type": c.type, "required": c.required, "column": t.letter(c.key),
                      **choices(c.choices)}
                     for c in t.columns
                 ]}
                for t in self.tables
            ],
        }


def col_letter(index: int) -> str:
    """0-based column index → Excel letters (0 → A, 26 → AA)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


VALUE_COLUMN = "C"

# --- listed values -----------------------------------------------------------------------
REPORT_KINDS = (
    Choice("progress", "รายงานความก้าวหน้า", "progress report"),
    Choice("final", "รายงานฉบับสมบูรณ์", "final report"),
)
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
TARGET_KINDS = (
    Choice("quantitative", "เชิงปริมาณ", "quantitative"),
    Choice("qualitative", "เชิงคุณภาพ", "qualitative"),
)
ATTACHMENT_KINDS = (
    Choice("document", "เอกสาร", "document"),
    Choice("photo", "ภาพถ่ายกิจกรรม", "activity photo"),
    Choice("link", "ลิงก์", "link"),
)

# --- sheets ------------------------------------------------------------------------------
S_PROJECT = "1 โครงการ"
S_OBJECTIVES = "2 วัตถุประสงค์ เป้าหมาย"
S_ACTIVITIES = "3 กิจกรรม"
S_BUDGET = "4 งบประมาณ ตัวชี้วัด"
S_PROBLEMS = "5 ปัญหา ข้อเสนอแนะ"
S_ATTACHMENTS = "6 เอกสารแนบ"


def _fields() -> tuple[Field, ...]:
    rows: list[tuple] = [
        # key, th, en, type, required, choices, help
        ("project_code", "รหัสโครงการ", "Project code", "text", True, (),
         "รหัสโครงการตามแผนปฏิบัติการ เช่น P2567-01"),
        ("project_name", "ชื่อโครงการ", "Project name", "text", True, (), ""),
        ("fiscal_year", "ปีงบประมาณ (พ.ศ.)", "Fiscal year (B.E.)", "int", True, (),
         "ปีงบประมาณเป็น พ.ศ. เช่น 2567"),
        ("group", "กลุ่ม/หน่วย", "Work group", "text", True, (), "ชื่อกลุ่มตามแผนปฏิบัติการ"),
        ("owner", "ผู้รับผิดชอบโครงการ", "Responsible person", "text", True, (), ""),
        ("report_kind", "ประเภทรายงาน", "Report kind", "choice", True, REPORT_KINDS, ""),
        ("as_of", "ข้อมูล ณ วันที่", "Data as of", "date", True, (),
         "วันที่ของข้อมูลในรายงานนี้ เช่น 15 ม.ค. 2567"),
        ("status", "สถานะโครงการ", "Project status", "choice", True, PROJECT_STATUSES, ""),
        ("planned_start", "วันเริ่มโครงการ (ตามแผน)", "Planned start", "date", True, (), ""),
        ("planned_end", "วันสิ้นสุดโครงการ (ตามแผน)", "Planned end", "date", True, (), ""),
        ("strategy", "สอดคล้องกับกลยุทธ์", "Strategy", "longtext", False, (), ""),
        ("rationale", "หลักการและเหตุผล", "Rationale", "longtext", False, (), ""),
        ("reporter_name", "ผู้รายงาน: ชื่อ", "Reporter: name", "text", True, (), ""),
        ("reporter_position", "ผู้รายงาน: ตำแหน่ง", "Reporter: position", "text", False, (), ""),
        ("reporter_date", "ผู้รายงาน: วันที่", "Reporter: date", "date", False, (), ""),
        ("head_name", "ผู้อำนวยการกลุ่ม: ชื่อ", "Centre/group director: name", "text", False,
         (), ""),
        ("head_position", "ผู้อำนวยการกลุ่ม: ตำแหน่ง", "Centre/group director: position", "text",
         False, (), ""),
        ("head_date", "ผู้อำนวยการกลุ่ม: วันที่", "Centre/group director: date", "date", False,
         (), ""),
        ("deputy_name", "รองผู้อำนวยการ สพท.: ชื่อ", "Deputy director: name", "text", False,
         (), ""),
        ("deputy_position", "รองผู้อำนวยการ สพท.: ตำแหน่ง", "Deputy director: position", "text",
         False, (), ""),
        ("deputy_date", "รองผู้อำนวยการ สพท.: วันที่", "Deputy director: date", "date", False,
         (), ""),
    ]
    out = []
    row = 4
    for key, th, en, typ, req, choices, help_th in rows:
        if key in ("strategy", "reporter_name"):
            row += 1  # a blank row before each section of the header sheet
        out.append(Field(key, th, en, typ, req, choices, S_PROJECT, row, help_th))
        row += 1
    return tuple(out)


def _c(key: str, th: str, en: str, typ: FieldType, required: bool = False,
       choices: tuple[Choice, ...] = (), width: float = 16, help_th: str = "") -> Column:
    return Column(key, th, en, typ, required, choices, width, help_th)


TABLES: tuple[Table, ...] = (
    Table("objectives", "วัตถุประสงค์", "Objectives", S_OBJECTIVES,
          (_c("text", "วัตถุประสงค์", "Objective", "longtext", True, width=70),),
          max_rows=20),
    Table("targets", "เป้าหมาย", "Targets", S_OBJECTIVES, (
        _c("kind", "ประเภทเป้าหมาย", "Kind", "choice", True, TARGET_KINDS, 14),
        _c("description", "เป้าหมาย", "Target", "longtext", True, width=48),
        _c("unit", "หน่วยนับ", "Unit", "text", width=12),
        _c("target_value", "ค่าเป้าหมาย", "Target value", "int", width=12),
        _c("achieved_value", "ผลที่ได้", "Achieved", "int", width=12),
    ), max_rows=30, first_col=2),
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
    ), max_rows=60),
    Table("budget", "สรุปงบประมาณ", "Budget", S_BUDGET, (
        _c("source", "แหล่งงบประมาณ", "Source", "choice", True, BUDGET_SOURCES, 18),
        _c("allocated", "ได้รับจัดสรร (บาท)", "Allocated (THB)", "money", True, width=16),
        _c("disbursed", "เบิกจ่ายแล้ว (บาท)", "Disbursed (THB)", "money", width=16),
    ), max_rows=10),
    Table("indicators", "ตัวชี้วัดที่เกี่ยวข้อง", "Indicator links", S_BUDGET, (
        _c("framework", "กรอบตัวชี้วัด", "Framework", "text", True, width=14),
        _c("code", "รหัสตัวชี้วัด", "Indicator code", "text", True, width=14),
        _c("contribution", "การดำเนินงานที่สนับสนุนตัวชี้วัด", "Contribution", "longtext",
           width=44),
    ), max_rows=20, first_col=4),
    Table("problems", "ปัญหาอุปสรรค", "Problems and obstacles", S_PROBLEMS,
          (_c("text", "ปัญหาอุปสรรค", "Problem", "longtext", True, width=60),), max_rows=20),
    Table("suggestions", "ข้อเสนอแนะ", "Suggestions", S_PROBLEMS,
          (_c("text", "ข้อเสนอแนะ", "Suggestion", "longtext", True, width=60),), max_rows=20,
          first_col=2),
    Table("attachments", "เอกสารแนบ", "Attachments", S_ATTACHMENTS, (
        _c("kind", "ประเภท", "Kind", "choice", True, ATTACHMENT_KINDS, 16),
        _c("name", "ชื่อเอกสาร/ภาพ", "Name", "text", True, width=44),
        _c("link", "ลิงก์ (ถ้ามี)", "Link (if any)", "text", width=44),
    ), max_rows=40),
)

SPEC = WorkbookSpec(
    template_id=TEMPLATE_ID,
    version=TEMPLATE_VERSION,
    sheets=(
        (S_PROJECT, "Project"),
        (S_OBJECTIVES, "Objectives and targets"),
        (S_ACTIVITIES, "Activities"),
        (S_BUDGET, "Budget and indicators"),
        (S_PROBLEMS, "Problems and suggestions"),
        (S_ATTACHMENTS, "Attachments"),
    ),
    fields=_fields(),
    tables=TABLES,
)


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
