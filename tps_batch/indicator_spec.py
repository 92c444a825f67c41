"""The indicator result report (แบบรายงานผลการดำเนินงานตามตัวชี้วัด), declared once.

The second standard workbook: one per owner group per reporting round, written prefilled
by ``tps template`` with the group's indicators due in the round, filled by the group
and returned through the same intake as project workbooks. Same machinery as the project
report (:mod:`tps_batch.layout`): the layout drives the template, the reader, validation
and ``tps spec --json --template indicator-report``; each version keeps its own layout.
"""

from __future__ import annotations

from tps_batch.layout import Column, Field, FieldType, SignoffRole, Table, WorkbookSpec

TEMPLATE_ID = "tps-indicator-report"
SHORT_NAME = "indicator-report"  # what `tps spec --template` takes
S_HEADER = "1 การรายงาน"
S_RESULTS = "2 ผลตามตัวชี้วัด"


def _f(cell: str, key: str, th: str, en: str, typ: FieldType, required: bool = False,
       help_th: str = "") -> Field:
    return Field(key, th, en, typ, required, (), S_HEADER, cell, help_th)


def _c(key: str, th: str, en: str, typ: FieldType, required: bool = False,
       width: float = 16, help_th: str = "") -> Column:
    return Column(key, th, en, typ, required, (), width, help_th)


FIELDS_1_0: tuple[Field, ...] = (
    _f("C4", "fiscal_year", "ปีงบประมาณ (พ.ศ.)", "Fiscal year (B.E.)", "int", True),
    _f("C5", "group", "กลุ่ม/หน่วย", "Work group", "text", True,
       help_th="ชื่อกลุ่มที่รับผิดชอบตัวชี้วัดตามแผนปฏิบัติการ"),
    _f("C6", "round", "รอบการรายงาน", "Reporting round", "text", True,
       help_th="เช่น รอบ 6 เดือน หรือ รอบ 12 เดือน ตามปฏิทินในแผน"),
    _f("C7", "as_of", "ข้อมูล ณ วันที่", "Data as of", "date", True),
    # row 8 is left blank: it separates the sign-off section
    _f("C9", "reporter_name", "ผู้รายงาน: ชื่อ", "Reporter: name", "text", True),
    _f("C10", "reporter_position", "ผู้รายงาน: ตำแหน่ง", "Reporter: position", "text"),
    _f("C11", "reporter_date", "ผู้รายงาน: วันที่", "Reporter: date", "date"),
)

RESULTS_1_0 = Table("results", "ผลการดำเนินงานตามตัวชี้วัด", "Indicator results", S_RESULTS, (
    _c("code", "รหัสตัวชี้วัด", "Indicator code", "text", True, 12,
       help_th="กรอบ:รหัส ตามแผน เช่น ITA:O16 (กรอกไว้ให้แล้ว)"),
    _c("name", "ตัวชี้วัด", "Indicator", "longtext", width=40),
    _c("target", "ค่าเป้าหมาย", "Target", "text", width=14,
       help_th="ค่าเป้าหมายตามแผน (กรอกไว้ให้แล้ว ไม่ต้องแก้ไข)"),
    _c("value", "ผลที่ได้ (ตัวเลข)", "Result (number)", "decimal", width=12,
       help_th="ผลเป็นตัวเลข สำหรับตัวชี้วัดที่เป็นจำนวน ร้อยละ หรือคะแนน"),
    _c("level", "ผลที่ได้ (ระดับ / ใช่-ไม่ใช่)", "Result (level / yes-no)", "text", width=14,
       help_th="ระดับตามเกณฑ์ของตัวชี้วัด เช่น ดีเยี่ยม หรือ ใช่/ไม่ใช่"),
    _c("evidence", "หลักฐาน/ผลการดำเนินงาน", "Evidence", "longtext", width=40),
    _c("evidence_link", "ลิงก์หลักฐาน", "Evidence link", "text", width=30),
    _c("entered_on", "วันที่บันทึกในระบบ", "Entered into the system on", "date", width=14,
       help_th="วันที่บันทึกผลลงระบบภายนอก (ITA, e-MES, KRS) ถ้ามี"),
    _c("entered_ref", "เลขอ้างอิงในระบบ", "System reference", "text", width=16),
    _c("problems", "ปัญหาอุปสรรค", "Problems", "longtext", width=30),
    _c("next_steps", "แนวทางพัฒนา", "Next steps", "longtext", width=30),
), max_rows=200, title_row=1, first_col=0)

SPEC_1_0 = WorkbookSpec(
    template_id=TEMPLATE_ID,
    version="1.0",
    sheets=((S_HEADER, "Report"), (S_RESULTS, "Indicator results")),
    fields=FIELDS_1_0,
    tables=(RESULTS_1_0,),
    signoffs=(SignoffRole("reporter", "ผู้รายงาน", "Reporter",
                          "reporter_name", "reporter_position", "reporter_date"),),
)

#: Every version of the indicator result report → its layout; the newest is current.
LAYOUTS: dict[str, WorkbookSpec] = {
    "1.0": SPEC_1_0,
}
SPEC = SPEC_1_0
#: Columns prefilled from the plan and protected in the template.
PREFILLED = ("code", "name", "target")
