"""The error catalog: every finding TPS can report, and the package's one exception.

Findings are *collected* into a report (a list of :class:`Finding`), never raised,
so one bad cell cannot hide the next. Only problems that stop a whole command
(no workspace, unreadable settings, a second run holding the lock) raise
:class:`TpsError`. Codes are stable kebab-case identifiers: receipts, the JSON
output and other systems key on them, so never rename one.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warning"]


class TpsError(Exception):
    """A fatal problem: the command cannot go on. Carries Thai and English text."""

    def __init__(self, message_th: str, message_en: str, *, exit_code: int = 1,
                 findings: list[Finding] | None = None) -> None:
        super().__init__(f"{message_th} ({message_en})")
        self.message_th = message_th
        self.message_en = message_en
        self.exit_code = exit_code
        self.findings = findings or []  # what made it fatal (e.g. the plan's errors)


@dataclass(frozen=True)
class ErrorType:
    """One entry of the catalog: a stable code with its severity and message templates."""

    code: str
    severity: Severity
    stage: str
    th: str
    en: str


CATALOG: dict[str, ErrorType] = {}


def _define(code: str, severity: Severity, stage: str, th: str, en: str) -> None:
    if code in CATALOG:  # pragma: no cover - guards against copy-paste while editing
        raise ValueError(f"duplicate error code {code}")
    CATALOG[code] = ErrorType(code, severity, stage, th, en)


# --- guard: before any parser sees the file -------------------------------------------
_define("file-too-large", "error", "guard",
        "ไฟล์มีขนาด {size_mb} MB เกินกำหนด {limit_mb} MB",
        "File is {size_mb} MB, over the {limit_mb} MB limit")
_define("empty-file", "error", "guard", "ไฟล์ว่างเปล่า (0 ไบต์)", "File is empty (0 bytes)")
_define("not-a-spreadsheet", "error", "guard",
        "ไฟล์นี้ไม่ใช่สมุดงาน Excel (.xlsx): {detail_th}",
        "This file is not an Excel workbook (.xlsx): {detail}")
_define("symlink-not-followed", "error", "guard",
        "ไฟล์นี้เป็นทางลัด (symbolic link) ไปยัง {target} ระบบไม่เปิดตามทางลัด "
        "กรุณาวางไฟล์จริงในโฟลเดอร์รับไฟล์",
        "This is a symbolic link to {target}; links are not followed: put the file itself "
        "in the inbox")
_define("legacy-xls", "error", "guard",
        "ไฟล์ Excel รุ่นเก่า (.xls) ไม่รองรับ กรุณาบันทึกเป็น .xlsx แล้วส่งใหม่",
        "Legacy Excel file (.xls) is not supported; save it as .xlsx and send again")
_define("encrypted-workbook", "error", "guard",
        "สมุดงานถูกตั้งรหัสผ่าน กรุณาเอารหัสผ่านออกแล้วส่งใหม่",
        "Workbook is password-protected (encrypted); remove the password and send again")
_define("opendocument-not-supported", "error", "guard",
        "ไฟล์ OpenDocument (.ods) ไม่รองรับ กรุณาบันทึกเป็น .xlsx แล้วส่งใหม่",
        "OpenDocument (.ods) is not supported; save as .xlsx and send again")
_define("xlsb-not-supported", "error", "guard",
        "ไฟล์ Excel แบบไบนารี (.xlsb) ไม่รองรับ กรุณาบันทึกเป็น .xlsx แล้วส่งใหม่",
        "Binary Excel (.xlsb) is not supported; save as .xlsx and send again")
_define("corrupt-zip", "error", "guard",
        "ไฟล์เสียหายหรือไม่ครบ (เปิดแบบ zip ไม่ได้): {detail}",
        "File is corrupt or truncated (not a readable zip): {detail}")
_define("zip-too-many-members", "error", "guard",
        "ไฟล์มีส่วนประกอบ {count} ส่วน เกินกำหนด {limit}",
        "File has {count} parts, over the limit of {limit}")
_define("zip-member-too-large", "error", "guard",
        "ส่วนประกอบ {member} ขยายได้ {size_mb} MB เกินกำหนด {limit_mb} MB (อาจเป็น zip bomb)",
        "Part {member} inflates to {size_mb} MB, over the {limit_mb} MB limit (possible zip bomb)")
_define("zip-ratio-too-high", "error", "guard",
        "ส่วนประกอบ {member} มีอัตราการบีบอัด {ratio}:1 เกินกำหนด {limit}:1 (อาจเป็น zip bomb)",
        "Part {member} has compression ratio {ratio}:1, over the {limit}:1 limit (possible zip bomb)")
_define("xml-entities", "error", "guard",
        "ส่วนประกอบ {member} มีการประกาศ DOCTYPE/ENTITY ซึ่งไม่อนุญาต",
        "Part {member} declares a DOCTYPE/ENTITY, which is not allowed")
_define("macros-present", "warning", "guard",
        "สมุดงานมีแมโคร (VBA) ระบบอ่านเฉพาะข้อมูลและไม่เรียกใช้แมโคร",
        "Workbook contains macros (VBA); only the data was read, the macros were ignored")
_define("macros-rejected", "error", "guard",
        "สมุดงานมีแมโคร (VBA) ซึ่งสำนักงานไม่รับ กรุณาบันทึกเป็น .xlsx แล้วส่งใหม่",
        "Workbook contains macros (VBA), which this office does not accept; save as .xlsx")
_define("not-standard-template", "error", "guard",
        "ไม่ใช่แบบรายงานมาตรฐาน (ไม่พบชีต {sheet}) กรุณาใช้แบบฟอร์มที่สำนักงานส่งให้",
        "Not the standard report workbook (sheet {sheet} is missing); use the office's template")
_define("unknown-template", "error", "guard",
        "แบบฟอร์ม '{template_id}' ไม่ใช่แบบรายงานผลการดำเนินงานโครงการ",
        "Template '{template_id}' is not the project report template")
_define("unsupported-template-version", "error", "guard",
        "แบบฟอร์มรุ่น {version} ไม่รองรับ (รองรับรุ่น {supported}) กรุณาดาวน์โหลดแบบฟอร์มใหม่",
        "Template version {version} is not supported (supported: {supported}); get the new template")
_define("template-version-old", "warning", "guard",
        "แบบฟอร์มรุ่น {version} เก่ากว่ารุ่นปัจจุบัน {current} ยังอ่านได้ แต่ครั้งหน้ากรุณาใช้รุ่นใหม่",
        "Template version {version} is older than {current}; still readable, use the new one next time")
_define("corrupt-workbook", "error", "guard",
        "อ่านสมุดงานไม่ได้: {detail}", "The workbook cannot be read: {detail}")
_define("parse-timeout", "error", "guard",
        "อ่านไฟล์ไม่เสร็จภายใน {seconds} วินาที (ไฟล์ใหญ่หรือซับซ้อนเกินไป)",
        "Reading did not finish within {seconds} s (file too large or complex)")
_define("parse-crashed", "error", "guard",
        "การอ่านไฟล์ล้มเหลว (ใช้หน่วยความจำเกิน {memory_mb} MB หรือไฟล์เสียหาย)",
        "Reading the file failed (over the {memory_mb} MB memory limit, or a corrupt file)")

# --- read: cells into typed values ------------------------------------------------------
_define("missing-required", "error", "read",
        "ยังไม่ได้กรอก {label_th}", "{label_en} is required but empty")
_define("wrong-type", "error", "read",
        "{label_th}: '{value}' ไม่ใช่{type_th}", "{label_en}: '{value}' is not {type_en}")
_define("bad-date", "error", "read",
        "{label_th}: '{value}' ไม่ใช่วันที่ที่ถูกต้อง ({reason_th})",
        "{label_en}: '{value}' is not a valid date ({reason_en})")
_define("ambiguous-date", "error", "read",
        "{label_th}: วันที่ '{value}' กำกวม ({reason_th})",
        "{label_en}: date '{value}' is ambiguous ({reason_en})")
_define("not-in-choices", "error", "read",
        "{label_th}: '{value}' ไม่อยู่ในรายการที่เลือกได้ ({choices})",
        "{label_en}: '{value}' is not one of the allowed values ({choices})")
_define("not-in-choices-near", "error", "read",
        "{label_th}: '{value}' ไม่อยู่ในรายการที่เลือกได้ หมายถึง '{suggestion}' หรือไม่?",
        "{label_en}: '{value}' is not one of the allowed values; did you mean '{suggestion}'?")
_define("layout-moved", "error", "read",
        "ตาราง{label_th}: หัวตารางอยู่ที่แถว {found_row} แทนที่จะเป็นแถว {expected_row} "
        "(มีการ{what_th}เหนือตาราง) ระบบจึงอ่านตารางนี้ไม่ได้ กรุณาใช้แบบฟอร์มของสำนักงาน",
        "Table {label_en}: its header is in row {found_row} instead of row {expected_row} "
        "({what_en} above the table), so the table was not read; please use the template")
_define("layout-changed", "error", "read",
        "ตาราง{label_th}: หัวคอลัมน์ {at_cell} เป็น '{value}' แทนที่จะเป็น '{expected}' "
        "(คอลัมน์ถูกย้าย เปลี่ยนชื่อ หรือแทรก) ระบบจึงอ่านตารางนี้ไม่ได้ กรุณาใช้แบบฟอร์มของสำนักงาน",
        "Table {label_en}: the column header in {at_cell} reads '{value}' instead of "
        "'{expected}' (a column was moved, renamed or inserted), so the table was not read; "
        "please use the template")
_define("blank-row-skipped", "warning", "read",
        "ตาราง{label_th}: แถว {at_row} ว่าง ข้ามไปอ่านแถวถัดไป",
        "Table {label_en}: row {at_row} is blank and was skipped")
_define("duplicate-submission", "warning", "intake",
        "ไฟล์นี้มีเนื้อหาเหมือนกับไฟล์ที่ส่งไว้แล้ว (ใบตอบรับเลขที่ {receipt}, {status_th} เมื่อ {day}) จึงไม่บันทึกข้อมูลซ้ำ",
        "This file has the same content as one already sent (receipt {receipt}, {status_en} on {day}); nothing was stored twice")
_define("formula-without-value", "error", "read",
        "{label_th}: ช่องนี้มีสูตรแต่ไม่มีค่าที่คำนวณเก็บไว้ กรุณาเปิดไฟล์ใน Excel แล้วบันทึกใหม่",
        "{label_en}: the cell holds a formula without a saved value; open the file in Excel and save it again")
_define("formula-error", "error", "read",
        "{label_th}: สูตรในช่องนี้คำนวณได้ค่าผิดพลาด {value} กรุณาแก้สูตรหรือพิมพ์ค่าแทน",
        "{label_en}: the formula in this cell gives the error {value}; fix it or type the value")
_define("text-was-number", "warning", "read",
        "{label_th}: ช่องนี้ควรเป็นข้อความ แต่มี{kind_th} จึงบันทึกเป็น '{value}'",
        "{label_en}: text was expected but the cell holds a {kind_en}; stored as '{value}'")
_define("table-truncated", "warning", "read",
        "ตาราง{label_th}มีเกิน {max_rows} แถว อ่านเฉพาะ {max_rows} แถวแรก",
        "Table {label_en} has more than {max_rows} rows; only the first {max_rows} were read")

# --- validate: rules across cells and against the plan ----------------------------------
_define("plan-checks-skipped", "warning", "plan",
        "ไม่ได้ตรวจเทียบกับแผนปฏิบัติการ (ไม่มีไฟล์แผน): {checks_th}",
        "Not checked against the action plan (no plan file): {checks_en}")
_define("unknown-group", "error", "validate",
        "ไม่พบกลุ่ม '{value}' ในแผนปฏิบัติการ", "Group '{value}' is not in the action plan")
_define("unknown-project", "error", "validate",
        "ไม่พบรหัสโครงการ '{value}' ในแผนปฏิบัติการปี {fiscal_year}",
        "Project code '{value}' is not in the action plan for FY {fiscal_year}")
_define("project-other-group", "error", "validate",
        "โครงการ {value} เป็นของ{owner_group} ไม่ใช่{group}",
        "Project {value} belongs to {owner_group}, not {group}")
_define("fiscal-year-mismatch", "error", "validate",
        "ปีงบประมาณ {value} ไม่ตรงกับปีงบประมาณที่ติดตาม ({expected})",
        "Fiscal year {value} does not match the year being followed ({expected})")
_define("end-before-start", "error", "validate",
        "{label_th}: วันสิ้นสุด {end} อยู่ก่อนวันเริ่ม {start}",
        "{label_en}: end date {end} is before start date {start}")
_define("date-outside-fiscal-year", "error", "validate",
        "{label_th}: วันที่ {value} อยู่นอกปีงบประมาณ {fiscal_year} ({fy_start} – {fy_end})",
        "{label_en}: date {value} is outside fiscal year {fiscal_year} ({fy_start} – {fy_end})")
_define("spent-over-allocated", "error", "validate",
        "{label_th}: ใช้จ่าย {spent} บาท เกินที่ได้รับ {allocated} บาท",
        "{label_en}: spent {spent} baht, more than the {allocated} baht allocated")
_define("negative-amount", "error", "validate",
        "{label_th}: จำนวน {value} ติดลบ", "{label_en}: amount {value} is negative")
_define("reached-far-above-planned", "warning", "validate",
        "{label_th}: ผลที่ได้ {reached} มากกว่าเป้าหมาย {planned} เกิน {factor} เท่า กรุณาตรวจสอบ",
        "{label_en}: reached {reached} is over {factor}× the planned {planned}; please check")
_define("budget-total-mismatch", "warning", "validate",
        "งบประมาณที่ได้รับรวม {budget_total} บาท ไม่เท่ากับงบตามกิจกรรมรวม {activities_total} บาท",
        "Allocated budget total {budget_total} baht differs from the activities' total {activities_total} baht")
_define("completed-with-open-activities", "error", "validate",
        "สถานะโครงการ 'ดำเนินการแล้วเสร็จ' แต่ยังมี {count} กิจกรรมที่ยังไม่เสร็จ",
        "Project status is 'completed' but {count} activities are not done")
_define("final-without-results", "error", "validate",
        "รายงานฉบับสมบูรณ์ต้องกรอกผลการดำเนินงานของกิจกรรม '{activity}'",
        "A final report needs the result of activity '{activity}'")
_define("project-name-mismatch", "warning", "validate",
        "ชื่อโครงการ '{value}' ไม่ตรงกับในแผน '{expected}'",
        "Project name '{value}' differs from the plan's '{expected}'")
_define("unknown-indicator", "warning", "validate",
        "ไม่พบตัวชี้วัด {framework} {value} ในแผนปี {fiscal_year}",
        "Indicator {framework} {value} is not in the plan's catalog for FY {fiscal_year}")
_define("as-of-in-future", "error", "validate",
        "วันที่ข้อมูล {value} อยู่หลังวันที่ได้รับไฟล์ {received}",
        "Data as-of date {value} is after the file was received ({received})")
_define("as-of-outside-fiscal-year", "error", "validate",
        "วันที่ข้อมูล {value} อยู่นอกปีงบประมาณ {fiscal_year} ({fy_start} – {fy_end})",
        "Data as-of date {value} is outside FY {fiscal_year} ({fy_start} – {fy_end})")
_define("allocation-differs-from-plan", "error", "validate",
        "งบประมาณแหล่ง {source} ได้รับจัดสรร {value} บาท แต่แผนปฏิบัติการอนุมัติ {expected} บาท "
        "(หากมีการจัดสรรเพิ่มหรือแก้ไข ให้กลุ่มนโยบายและแผนบันทึกในแผนก่อน)",
        "Allocation from {source_en} is {value} THB but the action plan approved {expected} THB "
        "(an amended allocation must first be recorded in the plan)")
_define("spending-differs-from-disbursed", "warning", "validate",
        "ค่าใช้จ่ายของกิจกรรมรวม {spent} บาท ต่างจากยอดเบิกจ่าย {disbursed} บาท เกินร้อยละ "
        "{tolerance}",
        "Activities spent {spent} THB in total but the budget shows {disbursed} THB disbursed, "
        "more than {tolerance}% apart")

# --- photos pasted in the attachments sheet: never refuse a report (tests/test_photos.py) ---
_define("photo-unreadable", "warning", "photos",
        "ภาพ{where_th} เปิดไม่ได้ ({detail_th}) จึงไม่ได้พิมพ์ในรายงาน "
        "กรุณาวางภาพใหม่เป็นภาพ JPEG หรือ PNG",
        "The picture {where} cannot be read ({detail}); it is left out of the report: "
        "paste it again as a JPEG or PNG picture")
_define("photo-too-large", "warning", "photos",
        "ภาพ{where_th} มีขนาด {width}×{height} จุด ({megapixels} ล้านจุด) เกินกำหนด "
        "{limit} ล้านจุด จึงไม่ได้พิมพ์ในรายงาน กรุณาย่อภาพแล้ววางใหม่",
        "The picture {where} is {width}×{height} pixels ({megapixels} megapixels), over the "
        "{limit} megapixel limit; it is left out of the report: shrink it and paste it again")
_define("photos-too-many", "warning", "photos",
        "ชีตนี้มีภาพ {count} ภาพ เกินกำหนด {limit} ภาพ "
        "ภาพตั้งแต่ภาพนี้ไป {left_out} ภาพไม่ได้พิมพ์ในรายงาน",
        "This sheet has {count} pictures, over the limit of {limit}; the {left_out} from "
        "here on are left out of the report")
_define("photos-over-budget", "warning", "photos",
        "ภาพในชีตนี้รวมกันใหญ่เกินกำหนด ({megapixels} ล้านจุด หรือ {mb} MB) ภาพ{where_th}และภาพถัดไป "
        "รวม {left_out} ภาพไม่ได้พิมพ์ในรายงาน กรุณาย่อภาพก่อนวาง",
        "The pictures on this sheet are larger in all than allowed ({megapixels} megapixels "
        "or {mb} MB); the picture {where} and those after it, {left_out} in all, are left out "
        "of the report: shrink them before pasting")

# --- indicator result report: its own stage (a case each in tests/test_indicator_intake.py) ---
_define("indicator-not-in-plan", "error", "indicator",
        "ไม่พบตัวชี้วัด '{value}' ในแผนปี {fiscal_year} (ใช้รูปแบบ กรอบ:รหัส เช่น ITA:O16)",
        "Indicator '{value}' is not in the plan's catalog for FY {fiscal_year} "
        "(write framework:code, e.g. ITA:O16)")
_define("indicator-other-group", "error", "indicator",
        "ตัวชี้วัด {value} เป็นของ {owner_group} ไม่ใช่ {group}",
        "Indicator {value} belongs to {owner_group}, not {group}")
_define("indicator-not-due", "error", "indicator",
        "ตัวชี้วัด {value} ไม่ต้องรายงานใน{round} (รอบของตัวชี้วัดนี้: {rounds})",
        "Indicator {value} is not reported in the round {round} (its rounds: {rounds})")
_define("indicator-unknown-round", "error", "indicator",
        "ไม่พบรอบการรายงาน '{value}' ในปฏิทินของแผนปี {fiscal_year} (มี: {rounds})",
        "Reporting round '{value}' is not in the plan's calendar for FY {fiscal_year} "
        "(known: {rounds})")
_define("indicator-duplicate", "error", "indicator",
        "ตัวชี้วัด {value} กรอกซ้ำกับแถว {first_row}", "Indicator {value} repeats row {first_row}")
_define("indicator-no-result", "warning", "indicator",
        "{label_th}: ยังไม่ได้กรอกผลของตัวชี้วัด {value} (นับเป็นยังไม่รายงานผล)",
        "{label_en}: no result entered for indicator {value} (counts as not reported)")
_define("indicator-wrong-kind", "error", "indicator",
        "{label_th}: ตัวชี้วัด {value} วัดเป็น{kind_th} กรุณากรอกในช่อง{column_th}",
        "{label_en}: indicator {value} is measured as {kind_en}; fill in the column {column_en}")
_define("indicator-level-off-scale", "error", "indicator",
        "{label_th}: '{value}' ไม่ใช่ระดับของตัวชี้วัดนี้ (ระดับที่ใช้ได้: {scale})",
        "{label_en}: '{value}' is not a level of this indicator (levels: {scale})")
_define("indicator-percent-out-of-range", "error", "indicator",
        "{label_th}: ร้อยละ {value} ต้องอยู่ระหว่าง 0 ถึง 100",
        "{label_en}: percentage {value} must be between 0 and 100")
_define("indicator-entered-in-future", "error", "indicator",
        "{label_th}: วันที่บันทึกในระบบ {value} อยู่หลังวันที่ได้รับไฟล์ {received}",
        "{label_en}: entered on {value}, after the file was received ({received})")

# --- plan workbook -------------------------------------------------------------------------
_define("plan-missing-sheet", "error", "plan",
        "แผนปฏิบัติการไม่มีชีต {sheet}", "The action plan workbook has no sheet {sheet}")
_define("plan-duplicate-key", "error", "plan",
        "{label_th} '{value}' ซ้ำกับแถว {first_row}", "{label_en} '{value}' repeats row {first_row}")
_define("plan-unknown-reference", "error", "plan",
        "{label_th} '{value}' ไม่มีใน{target_th}", "{label_en} '{value}' is not in {target_en}")
_define("plan-indicator-level-target", "error", "plan",
        "{label_th} '{value}' ไม่ใช่ระดับในเกณฑ์ของตัวชี้วัดนี้ ({scale})",
        "{label_en} '{value}' is not a level of this indicator's scale ({scale})")
_define("plan-indicator-no-scale", "error", "plan",
        "ตัวชี้วัดชนิดระดับต้องกำหนดระดับ (ต่ำสุดก่อน คั่นด้วย ;) เช่น ปรับปรุง;พอใช้;ดี;ดีมาก;ดีเยี่ยม",
        "A level indicator needs its scale (worst first, ; separated), e.g. "
        "ปรับปรุง;พอใช้;ดี;ดีมาก;ดีเยี่ยม")
_define("plan-indicator-no-target", "warning", "plan",
        "ตัวชี้วัด {value} ชนิดตัวเลขยังไม่มีเป้าหมาย (ตัวเลข) จึงตัดสินผลไม่ได้",
        "Numeric indicator {value} has no target value; its results cannot be judged")
_define("plan-indicator-no-deadline", "warning", "plan",
        "ตัวชี้วัด {value} ไม่มีรอบรายงานและไม่มีกำหนดส่ง จึงติดตามไม่ได้",
        "Indicator {value} has neither reporting rounds nor a deadline; it cannot be followed")
_define("plan-indicator-direction", "warning", "plan",
        "ตัวชี้วัด {value} ชนิด{kind_th} ใช้ทิศทาง 'ถึงระดับ' (กรอกไว้ '{direction_th}')",
        "Indicator {value} of kind {kind_en} reaches a level (the plan says '{direction_en}')")


@dataclass
class Finding:
    """One problem found in one place of one file."""

    code: str
    severity: Severity
    message_th: str
    message_en: str
    file: str | None = None
    sheet: str | None = None
    cell: str | None = None
    table: str | None = None
    row: int | None = None
    column: str | None = None
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def location(self) -> str:
        """Where to look, as a clerk would say it: sheet!cell, or the table row."""
        parts = []
        if self.sheet:
            parts.append(f"{self.sheet}!{self.cell}" if self.cell else self.sheet)
        elif self.cell:
            parts.append(self.cell)
        return " ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["params"] = {k: str(v) for k, v in self.params.items()}
        data["location"] = self.location
        return data


def make(code: str, *, file: str | None = None, sheet: str | None = None,
         cell: str | None = None, table: str | None = None, row: int | None = None,
         column: str | None = None, **params: Any) -> Finding:
    """Build a finding from the catalog, filling its Thai and English templates."""
    kind = CATALOG[code]
    # a template may name its own place ("… has no sheet {sheet}")
    values = _Params({"sheet": sheet or "", "cell": cell or "", **params})
    return Finding(
        code=code, severity=kind.severity,
        message_th=kind.th.format_map(values),
        message_en=kind.en.format_map(values),
        file=file, sheet=sheet, cell=cell, table=table, row=row, column=column,
        params=params,
    )


class _Params(dict):
    """Format map that leaves an unknown placeholder visible instead of failing."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity == "error" for f in findings)


def catalog_markdown() -> str:
    """The catalog as a Markdown page (docs/errors.md is generated from this)."""
    lines = [
        "# Error catalog / รายการข้อผิดพลาด",
        "",
        "Generated from `tps_batch/errors.py` by `tps errors --markdown`; do not edit by hand.",
        "",
    ]
    for stage in ("intake", "guard", "read", "validate", "photos", "indicator", "plan"):
        lines += [f"## {stage}", "", "| code | severity | ไทย | English |", "|---|---|---|---|"]
        for kind in CATALOG.values():
            if kind.stage == stage:
                th = kind.th.replace("|", "\\|")
                en = kind.en.replace("|", "\\|")
                lines.append(f"| `{kind.code}` | {kind.severity} | {th} | {en} |")
        lines.append("")
    return "\n".join(lines)
