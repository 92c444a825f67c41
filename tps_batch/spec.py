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
How a layout is declared and checked (:class:`Field`, :class:`Table`, ``evolve`` …) is
:mod:`tps_batch.layout`; this module only declares.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any

# The machinery moved to tps_batch.layout; "re-export" names stay importable from here.
from tps_batch.layout import (
    META_SHEET,  # noqa: F401  re-export
    TYPE_NAMES,  # noqa: F401  re-export
    TYPES,  # noqa: F401  re-export
    Choice,
    Column,
    Field,
    FieldType,
    SignoffRole,
    Table,
    WorkbookSpec,
    choice_key,  # noqa: F401  re-export
    choice_label,  # noqa: F401  re-export
    col_letter,  # noqa: F401  re-export
    parse_cell,  # noqa: F401  re-export
)

TEMPLATE_ID = "tps-project-report"


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
    SignoffRole("head", "ผู้อำนวยการศูนย์", "Centre/group director",
                "head_name", "head_position", "head_date"),
    SignoffRole("deputy", "รองผู้อำนวยการสำนักงานเขตพื้นที่การศึกษา", "Deputy director",
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

# --- layout 1.2 (issue 12): decimal targets, and what became of a finished project's money --
UNSPENT_ACTIONS = (Choice("saved", "ประหยัดงบประมาณ (เงินเหลือจ่าย)", "saved"),
                   Choice("returned", "ส่งคืนงบประมาณ", "returned"))
_TARGETS_1_2 = replace(SPEC_1_1.table("targets"), columns=tuple(
    replace(c, type="decimal") if c.key in ("target_value", "achieved_value") else c
    for c in SPEC_1_1.table("targets").columns))
# and the attachments sheet takes pasted activity photos (1.1 protected every object)
_ATTACHMENTS_1_2 = SPEC_1_1.table("attachments").evolve(help_th=(
    "วางภาพถ่ายกิจกรรมทางขวาของแถวที่ระบุชื่อภาพ (คอลัมน์ D เป็นต้นไป) ภาพจะพิมพ์ในภาคผนวก"
    "ของรายงานโครงการ (paste activity photos right of their line, from column D)"))
SPEC_1_2 = SPEC_1_1.evolve("1.2", tables=(_TARGETS_1_2, _ATTACHMENTS_1_2),
                           picture_sheets=(S_ATTACHMENTS,), add_fields=(
    # row 27 is left blank: it separates the closing section
    _f("C28", "unspent_action", "งบประมาณคงเหลือ: การดำเนินการ", "Unspent budget: what was done",
       "choice", choices=UNSPENT_ACTIONS,
       help_th="เมื่อโครงการแล้วเสร็จและมีงบประมาณเหลือ: ประหยัดงบประมาณ หรือ ส่งคืน"),
    _f("C29", "unspent_amount", "งบประมาณคงเหลือ: จำนวนเงิน (บาท)", "Unspent budget: amount (THB)",
       "money"),
))

# --- the registry ------------------------------------------------------------------------
#: Every template version the reader accepts → its layout. The newest is the current one
#: (templates are written with it); older ones are read with their own cells and warned.
LAYOUTS: dict[str, WorkbookSpec] = {
    # 1.0 never had a layout of its own: the first release already wrote the 1.1 cells.
    # Workbooks stamped "1.0" are read with that very layout (the same object, not a copy).
    "1.0": SPEC_1_1,
    "1.1": SPEC_1_1,
    "1.2": SPEC_1_2,
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
