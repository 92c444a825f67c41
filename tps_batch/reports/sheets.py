"""Excel sheets of each report, declared as data for :func:`excel_report.write_excel`.

A column or sheet that shows a field or table of the project workbook is named by the
spec (:func:`tps_batch.reports.project.label`), so renaming it in a new layout renames it
here; the reports' own figures (totals, rates, counts) keep their names below.
"""

from __future__ import annotations

from typing import Any

from tps_batch.excel_report import XChart, XColumn, XSheet
from tps_batch.reports.data import ReportData
from tps_batch.reports.project import label, labels

C = XColumn


def S(key: str, name: str, typ: str = "text", width: float | None = None) -> XColumn:
    """Column ``name`` headed by the label of spec field ``key`` (or ``"table.column"``)."""
    th, en = label(key)
    return XColumn(name, th, en, typ, width)


def _records(frame: Any) -> list[dict[str, Any]]:
    return frame.to_dict("records") if len(frame) else []


def indicator_sheets(rows: list[dict[str, Any]]) -> list[XSheet]:
    """Per framework: each indicator's target and latest result in its own unit, status
    and trend (values are never added across indicators), then the counts by status."""
    from tps_batch.indicator_status import STATUSES
    from tps_batch.reports.indicators import framework_counts

    cols = [C("framework", "กรอบ", "Framework"), C("code", "รหัส", "Code"),
            C("name", "ตัวชี้วัด", "Indicator", width=50),
            C("owner_group", "กลุ่มที่รับผิดชอบ", "Owner group", width=36),
            C("owner_person", "ผู้รับผิดชอบ", "Responsible person", width=24),
            C("unit", "หน่วยนับ", "Unit"),
            C("target_text", "ค่าเป้าหมาย", "Target"),
            C("result_text", "ผลล่าสุด", "Latest result"),
            C("round", "รอบ", "Round"),
            C("status_th", "สถานะ", "Status", width=20),
            C("trend_text", "แนวโน้มตามรอบ", "Trend over rounds", width=36),
            C("deadline", "กำหนดส่ง", "Deadline", "date"),
            C("reported_at", "วันที่ได้รับผล", "Reported at", "date"),
            C("system", "ระบบที่รายงาน", "Reported to"),
            C("entered_on", "วันที่บันทึกในระบบ", "Entered on", "date"),
            C("project_codes", "โครงการที่เกี่ยวข้อง", "Linked projects", width=30),
            C("progress", "ความก้าวหน้าโครงการ (%)", "Projects' progress (%)", "percent")]
    frameworks = list(dict.fromkeys(r["framework"] for r in rows))
    shown = [{**r, "reported_at": r["reported_at"].date() if hasattr(r["reported_at"], "date")
              else r["reported_at"]} for r in rows]
    sheets = [XSheet(f"ตัวชี้วัด {fw}", f"ตัวชี้วัดกรอบ {fw}", cols,
                     [r for r in shown if r["framework"] == fw]) for fw in frameworks]
    counts = [C("framework", "กรอบ", "Framework"),
              C("indicators", "ตัวชี้วัด", "Indicators", "int"),
              *(C(k, th, en, "int") for k, (th, en) in STATUSES.items())]
    sheets.append(XSheet("สรุปตามกรอบ", "จำนวนตัวชี้วัดตามสถานะ แยกตามกรอบ", counts,
                         framework_counts(rows), totals=["indicators", *STATUSES]))
    return sheets


def overdue_sheets(frame: Any) -> list[XSheet]:
    cols = [C("group", "กลุ่ม", "Group", width=36), C("person", "ผู้รับผิดชอบ", "Person"),
            C("kind_th", "ประเภท", "Kind", width=30),
            C("project_code", "รหัส", "Code"), C("project_name", "โครงการ", "Project", width=40),
            C("item", "รายการ", "Item", width=36), C("due", "กำหนด", "Due", "date"),
            C("days_overdue", "เกินกำหนด (วัน)", "Days overdue", "int"),
            C("detail", "รายละเอียด", "Detail", width=24)]
    counts = frame.groupby("group", sort=False).size().reset_index(name="count") \
        if len(frame) else frame  # the list's order: Thai dictionary order
    return [
        XSheet("รายการเลยกำหนด", "รายการที่เลยกำหนด", cols, _records(frame)),
        XSheet("สรุปตามกลุ่ม", "จำนวนรายการเลยกำหนดตามกลุ่ม",
               [C("group", "กลุ่ม", "Group", width=50), C("count", "จำนวน", "Count", "int")],
               _records(counts), totals=["count"],
               charts=[XChart("bar", "รายการเลยกำหนดตามกลุ่ม", "group", ["count"])]),
    ]


def completeness_sheets(frame: Any) -> list[XSheet]:
    cols = [C("period", "งวด", "Period"), C("group", "กลุ่ม", "Group", width=44),
            C("expected", "ต้องส่ง", "Expected", "int"),
            C("received", "ส่งแล้ว", "Received", "int"),
            C("on_time", "ส่งทันกำหนด", "On time", "int"),
            C("rate", "อัตราการส่ง (%)", "Reporting rate (%)", "percent"),
            C("on_time_rate", "ส่งทันกำหนด (%)", "On-time rate (%)", "percent"),
            C("due", "กำหนดส่ง", "Due", "date"), C("state", "สถานะ", "State")]
    sheets = []
    for period, g in (frame.groupby("period", sort=False) if len(frame) else []):
        rows = _records(g)
        groups_only = [r for r in rows if not r["group"].startswith("รวม")]
        sheets.append(XSheet(str(period), f"ความครบถ้วนและทันเวลา {period}", cols,
                             groups_only + [r for r in rows if r["group"].startswith("รวม")],
                             charts=[XChart("bar", f"อัตราการส่งรายงาน {period} (%)", "group",
                                            ["rate", "on_time_rate"])]))
    return sheets or [XSheet("ความครบถ้วน", "ความครบถ้วนและทันเวลา", cols, [])]


def annual_sheets(data: ReportData, head: dict[str, Any], groups: list[dict[str, Any]],
                  statuses: list[dict[str, Any]], indicators: list[dict[str, Any]],
                  quarters: list[dict[str, Any]]) -> list[XSheet]:
    summary = [{"item": k, "value": v} for k, v in (
        ("โครงการทั้งหมด (projects)", head["projects"]),
        ("โครงการที่ดำเนินการ (active)", head["live"]),
        ("รายงานแล้ว (reported)", head["reported"]),
        ("ดำเนินการแล้วเสร็จ (completed)", head["completed"]),
        ("งบประมาณที่ได้รับ (allocated, THB)", head["allocated"]),
        ("เบิกจ่ายแล้ว (disbursed, THB)", head["disbursed"]),
        ("ร้อยละการเบิกจ่าย (disbursed %)", head["disbursed_pct"]))]
    project_cols = [S("project_code", "code"), S("project_name", "name", width=48),
                    S("group", "group", width=36), S("owner", "owner"),
                    S("status", "status_th", width=22),
                    S("report_kind", "report_kind_th", width=20),
                    S("as_of", "data_as_of", "date"),
                    C("progress", "ความก้าวหน้า (%)", "Progress (%)", "percent"),
                    C("allocated", "งบประมาณ (บาท)", "Allocated (THB)", "money"),
                    C("disbursed", "เบิกจ่าย (บาท)", "Disbursed (THB)", "money"),
                    C("disbursed_pct", "เบิกจ่าย (%)", "Disbursed (%)", "percent")]
    fw_rows = []
    for fw in dict.fromkeys(r["framework"] for r in indicators):
        mine = [r for r in indicators if r["framework"] == fw]
        fw_rows.append({"framework": fw, "indicators": len(mine),
                        "met": sum(r["deadline_status"] == "met" for r in mine),
                        "missed": sum(r["deadline_status"] == "missed" for r in mine),
                        "allocated": sum(r["allocated"] for r in mine)})
    return [
        XSheet("สรุปผู้บริหาร", "บทสรุปสำหรับผู้บริหาร",
               [C("item", "รายการ", "Item", width=44), C("value", "ค่า", "Value", "number")],
               summary),
        XSheet(label("status")[0], "จำนวนโครงการตามสถานะ",
               [S("status", "status", width=30), C("count", "จำนวน", "Count", "int")],
               statuses, totals=["count"],
               charts=[XChart("pie", "โครงการตามสถานะ", "status", ["count"])]),
        XSheet("ตามกลุ่ม", "ผลการดำเนินงานตามกลุ่ม",
               [C("group", "กลุ่ม", "Group", width=50), C("projects", "โครงการ", "Projects", "int"),
                C("reported", "รายงานแล้ว", "Reported", "int"),
                C("completed", "เสร็จแล้ว", "Completed", "int"),
                C("progress", "ความก้าวหน้า (%)", "Progress (%)", "percent"),
                C("allocated", "งบประมาณ (บาท)", "Allocated (THB)", "money"),
                C("disbursed", "เบิกจ่าย (บาท)", "Disbursed (THB)", "money"),
                C("disbursed_pct", "เบิกจ่าย (%)", "Disbursed (%)", "percent")],
               groups, totals=["projects", "reported", "completed", "allocated", "disbursed"],
               charts=[XChart("bar", "ร้อยละการเบิกจ่ายตามกลุ่ม", "group", ["disbursed_pct"])]),
        XSheet("ตามกรอบตัวชี้วัด", "ผลตามกรอบตัวชี้วัด",
               [C("framework", "กรอบ", "Framework"),
                C("indicators", "ตัวชี้วัด", "Indicators", "int"),
                C("met", "ส่งทันกำหนด", "Met", "int"), C("missed", "เลยกำหนด", "Missed", "int"),
                C("allocated", "งบประมาณ (บาท)", "Allocated (THB)", "money")], fw_rows,
               totals=["indicators", "met", "missed"]),
        XSheet("เบิกจ่ายรายไตรมาส", "การเบิกจ่ายสะสมเทียบเป้าหมาย",
               [C("quarter", "ไตรมาส", "Quarter"),
                C("target", "เป้าหมายสะสม (%)", "Target (%)", "percent"),
                C("actual", "เบิกจ่ายสะสม (%)", "Actual (%)", "percent")], quarters,
               charts=[XChart("column", "การเบิกจ่ายสะสมเทียบเป้าหมาย (%)", "quarter",
                              ["target", "actual"])]),
        XSheet("รายโครงการ", "รายโครงการ", project_cols, _records(data.projects),
               totals=["allocated", "disbursed"]),
        XSheet("ปัญหาและข้อเสนอแนะ", "ปัญหาอุปสรรคและข้อเสนอแนะ",
               [C("group", "กลุ่ม", "Group", width=36), C("project_code", "รหัส", "Code"),
                C("kind", "ประเภท", "Kind"), C("text", "ข้อความ", "Text", width=70)],
               _problems(data)),
        XSheet("ภาคผนวกงบประมาณ", "ภาคผนวก งบประมาณตามแหล่งงบ",
               [C("project_code", "รหัส", "Code"), S("budget.source", "source_th"),
                S("budget.allocated", "allocated", "money"),
                S("budget.disbursed", "disbursed", "money"),
                C("remaining", "คงเหลือ (บาท)", "Remaining (THB)", "money")],
               budget_lines(data), totals=["allocated", "disbursed", "remaining"]),
    ]


def _problems(data: ReportData) -> list[dict[str, Any]]:
    groups = dict(zip(data.projects["code"], data.projects["group"], strict=True)) \
        if len(data.projects) else {}
    out = []
    for key in ("problems", "suggestions"):
        kind = labels()["tables"][key]["th"]
        for r in _records(data.table(key)):
            out.append({"group": groups.get(r["project_code"], ""), "project_code":
                        r["project_code"], "kind": kind, "text": r["text"]})
    return sorted(out, key=lambda r: (r["group"], r["project_code"], r["kind"]))


def budget_lines(data: ReportData) -> list[dict[str, Any]]:
    from tps_batch.spec import BUDGET_SOURCES, choice_label

    out = []
    for r in _records(data.table("budget")):
        alloc, disb = r["allocated"] or 0.0, r["disbursed"] or 0.0
        out.append({"project_code": r["project_code"],
                    "source_th": choice_label(BUDGET_SOURCES, r["source"]),
                    "allocated": alloc, "disbursed": disb, "remaining": round(alloc - disb, 2)})
    return out
