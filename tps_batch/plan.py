"""The action plan workbook: what the office approved, and the yardsticks to hold it to.

Its sheets are declared with the same :class:`~tps_batch.spec.Table` as the project
workbook, so the same writer lays them out and the same reader types their cells and
reports findings by sheet and cell. Values that change every year (indicator item
numbers, deadlines, disbursement targets) live here, never in code.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tps_batch import errors
from tps_batch.errors import Finding, TpsError, has_errors
from tps_batch.read import load_grids, read_tables
from tps_batch.spec import REPORT_KINDS, Choice, Column, Table, WorkbookSpec

PLAN_TEMPLATE_ID = "tps-action-plan"
PLAN_VERSION = "1.0"

BUDGET_TYPES = (
    Choice("recurrent", "งบประจำ", "recurrent"),
    Choice("quality", "งบพัฒนาคุณภาพการศึกษา", "education quality development"),
    Choice("investment", "งบลงทุน", "investment"),
)
TARGET_SCOPES = (Choice("overall", "ภาพรวม", "overall"), *BUDGET_TYPES)
PLAN_STATUSES = (
    Choice("approved", "อนุมัติ", "approved"),
    Choice("cancelled", "ยกเลิก", "cancelled"),
)
PERIOD_KINDS = REPORT_KINDS  # a calendar period expects one kind of report
INDICATOR_KINDS = (
    Choice("number", "จำนวน", "number"),
    Choice("percent", "ร้อยละ", "percent"),
    Choice("score", "คะแนน", "score"),
    Choice("level", "ระดับ", "level"),
    Choice("yes_no", "ใช่/ไม่ใช่", "yes/no"),
)
DIRECTIONS = (
    Choice("higher", "ยิ่งสูงยิ่งดี", "higher is better"),
    Choice("lower", "ยิ่งต่ำยิ่งดี", "lower is better"),
    Choice("level", "ถึงระดับ", "reach a level"),
)
SYSTEMS = (
    Choice("ITA", "ITA", "ITA Online"),
    Choice("e-MES", "e-MES", "e-MES (ESA office standards)"),
    Choice("KRS", "KRS", "KRS (agency performance evaluation)"),
    Choice("OBEC", "OBEC", "OBEC"),
    Choice("none", "ไม่มี", "none"),
)


def _c(key: str, th: str, en: str, typ: str, required: bool = False,
       choices: tuple[Choice, ...] = (), width: float = 16) -> Column:
    return Column(key, th, en, typ, required, choices, width)  # type: ignore[arg-type]


P_PROJECTS = Table("projects", "โครงการตามแผนปฏิบัติการ", "Approved projects", "โครงการ", (
    _c("code", "รหัสโครงการ", "Code", "text", True, width=12),
    _c("name", "ชื่อโครงการ", "Name", "text", True, width=50),
    _c("group", "กลุ่ม/หน่วย", "Group", "text", True, width=34),
    _c("owner", "ผู้รับผิดชอบ", "Responsible person", "text", True, width=24),
    _c("owner_email", "อีเมลผู้รับผิดชอบ", "Owner e-mail", "text", width=24),
    _c("budget_type", "ประเภทงบ", "Budget type", "choice", False, BUDGET_TYPES, 20),
    _c("budget_obec", "งบ สพฐ. (บาท)", "OBEC budget (THB)", "money", width=14),
    _c("budget_esa", "งบ สพป. (บาท)", "ESA budget (THB)", "money", width=14),
    _c("budget_other", "งบอื่น (บาท)", "Other budget (THB)", "money", width=14),
    _c("planned_start", "วันเริ่ม", "Planned start", "date", True, width=14),
    _c("planned_end", "วันสิ้นสุด", "Planned end", "date", True, width=14),
    _c("indicators", "ตัวชี้วัด (กรอบ:รหัส; …)", "Indicators (framework:code; …)", "text",
       width=30),
    _c("plan_status", "สถานะในแผน", "Plan status", "choice", False, PLAN_STATUSES, 12),
), max_rows=5000)
P_FRAMEWORKS = Table("frameworks", "กรอบตัวชี้วัด", "Indicator frameworks", "กรอบตัวชี้วัด", (
    _c("code", "รหัสกรอบ", "Code", "text", True, width=12),
    _c("name_th", "ชื่อกรอบ", "Name (Thai)", "text", True, width=60),
    _c("name_en", "Name", "Name (English)", "text", width=40),
), max_rows=50)
P_INDICATORS = Table("indicators", "ตัวชี้วัด (ตามปีงบประมาณ)", "Indicator catalog", "ตัวชี้วัด", (
    _c("fiscal_year", "ปีงบประมาณ", "Fiscal year", "int", True, width=10),
    _c("framework", "กรอบ", "Framework", "text", True, width=10),
    _c("code", "รหัส", "Code", "text", True, width=10),
    _c("name", "ตัวชี้วัด", "Indicator", "text", True, width=60),
    _c("owner_group", "กลุ่มที่รับผิดชอบ", "Owner group", "text", True, width=34),
    _c("target", "ค่าเป้าหมาย", "Target", "text", width=16),
    _c("target_value", "เป้าหมาย (ตัวเลข)", "Target value", "percent", width=12),
    _c("deadline", "กำหนดส่ง", "Reporting deadline", "date", width=14),
    # added with indicator results; a plan written before them reads them as empty
    _c("owner", "ผู้รับผิดชอบ", "Responsible person", "text", width=24),
    _c("unit", "หน่วยนับ", "Unit", "text", width=12),
    _c("kind", "ชนิดของค่า", "Kind", "choice", False, INDICATOR_KINDS, 14),
    _c("scale", "ระดับ (ต่ำสุดก่อน คั่นด้วย ;)", "Scale (worst first, ; separated)", "text",
       width=30),
    _c("direction", "ทิศทาง", "Direction", "choice", False, DIRECTIONS, 18),
    _c("rounds", "รอบรายงาน (งวดในปฏิทิน คั่นด้วย ;)", "Rounds (calendar periods, ; separated)",
       "text", width=30),
    _c("system", "ระบบที่รายงาน", "Reported to", "choice", False, SYSTEMS, 10),
), max_rows=2000)
P_GROUPS = Table("groups", "กลุ่ม/หน่วย", "Work groups", "กลุ่ม", (
    _c("name", "ชื่อกลุ่ม", "Group name", "text", True, width=50),
    _c("aliases", "ชื่ออื่น/ชื่อย่อ (คั่นด้วย ;)", "Aliases (; separated)", "text", width=40),
    _c("head", "ผู้อำนวยการกลุ่ม", "Head", "text", width=28),
    _c("email", "อีเมล", "E-mail", "text", width=28),
), max_rows=100)
P_CALENDAR = Table("calendar", "ปฏิทินการรายงาน", "Reporting calendar", "ปฏิทินรายงาน", (
    _c("fiscal_year", "ปีงบประมาณ", "Fiscal year", "int", True, width=10),
    _c("period", "งวด", "Period", "text", True, width=20),
    _c("kind", "ประเภทรายงาน", "Report kind", "choice", True, PERIOD_KINDS, 22),
    _c("period_end", "ข้อมูลถึงวันที่", "Period end", "date", True, width=14),
    _c("due", "กำหนดส่ง", "Due date", "date", True, width=14),
), max_rows=50)
P_TARGETS = Table("disbursement", "เป้าหมายการเบิกจ่ายสะสม", "Cumulative disbursement targets",
                  "เป้าหมายเบิกจ่าย", (
    _c("fiscal_year", "ปีงบประมาณ", "Fiscal year", "int", True, width=10),
    _c("quarter", "ไตรมาส", "Quarter", "int", True, width=8),
    _c("scope", "ประเภทงบ", "Budget type", "choice", True, TARGET_SCOPES, 24),
    _c("target_percent", "ร้อยละสะสม", "Cumulative %", "percent", True, width=12),
), max_rows=200)

#: Amended allocations: from its date on, a row replaces the project's allocation from that
#: source (the projects sheet holds the first approval). Allocations that come in several
#: rounds are recorded here, one row per round with the running total.
ALLOCATION_SOURCES = (Choice("obec", "สพฐ.", "OBEC allocation"),
                      Choice("esa", "สพป.", "ESA office's own"),
                      Choice("other", "อื่น ๆ", "other"))
P_ALLOCATIONS = Table("allocations", "การจัดสรรงบประมาณเพิ่มเติม/แก้ไข", "Allocation amendments",
                      "จัดสรรเพิ่มเติม", (
    _c("code", "รหัสโครงการ", "Project code", "text", True, width=12),
    _c("source", "แหล่งงบประมาณ", "Source", "choice", True, ALLOCATION_SOURCES, 14),
    _c("allocated", "ยอดจัดสรรรวม (บาท)", "Allocation from then on (THB)", "money", True,
       width=16),
    _c("effective", "ตั้งแต่วันที่", "Effective from", "date", True, width=14),
    _c("note", "หมายเหตุ/เลขที่หนังสือ", "Note / letter no.", "text", width=40),
), max_rows=2000)

#: Intake rules the planning group tunes. They live in the plan, not in tps.toml, because
#: the workers that judge a workbook are given the plan (and a plan version is kept).
POLICIES = (
    Choice("spending_tolerance_percent", "ความต่างที่ยอมรับได้ระหว่างค่าใช้จ่ายกิจกรรมกับยอดเบิกจ่าย (%)",
           "tolerance between activity spending and budget disbursed (%)"),
)
POLICY_DEFAULTS = {"spending_tolerance_percent": 5.0}
P_POLICY = Table("policy", "ค่ากำหนดการตรวจ", "Intake policy", "ค่ากำหนด", (
    _c("key", "รายการ", "Policy", "choice", True, POLICIES, 60),
    _c("value", "ค่า", "Value", "percent", True, width=12),
), max_rows=50)

PLAN_TABLES = (P_PROJECTS, P_GROUPS, P_FRAMEWORKS, P_INDICATORS, P_CALENDAR, P_TARGETS,
               P_ALLOCATIONS, P_POLICY)
#: Sheets added after plan 1.0: a plan written before them reads as if they were empty.
OPTIONAL_SHEETS = (P_ALLOCATIONS.sheet, P_POLICY.sheet)
SOURCE_COLUMNS = {"obec": "budget_obec", "esa": "budget_esa", "other": "budget_other"}
PLAN_SPEC = WorkbookSpec(PLAN_TEMPLATE_ID, PLAN_VERSION,
                         tuple((t.sheet, t.label_en) for t in PLAN_TABLES), (), PLAN_TABLES)


def group_key(name: str) -> str:
    """Spelling-insensitive key: the one text identity (:func:`tps_batch.textid.match_key`:
    NFC, ำ composed, zero-width characters gone, case-folded), without spaces or dots."""
    from tps_batch.textid import match_key

    return re.sub(r"[\s.]+", "", match_key(name))


@dataclass
class Plan:
    """The plan as typed rows, plus lookups the validator and reports need."""

    rows: dict[str, list[dict[str, Any]]]
    findings: list[Finding] = field(default_factory=list)
    _aliases: dict[str, str] = field(default_factory=dict)
    _by_code: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for g in self.groups:
            names = [g["name"]] + [a for a in (g.get("aliases") or "").split(";") if a.strip()]
            for n in names:
                self._aliases.setdefault(group_key(n), g["name"])

    @property
    def projects(self) -> list[dict[str, Any]]:
        return self.rows.get("projects", [])

    @property
    def groups(self) -> list[dict[str, Any]]:
        return self.rows.get("groups", [])

    def project(self, code: str | None) -> dict[str, Any] | None:
        if code is None:
            return None
        if not self._by_code:
            self._by_code.update({p["code"].casefold(): p for p in reversed(self.projects)})
        return self._by_code.get(code.strip().casefold())

    def canonical_group(self, name: str | None) -> str | None:
        """The plan's spelling of a group, whatever spelling or alias the clerk used."""
        return self._aliases.get(group_key(name)) if name else None

    def group(self, name: str | None) -> dict[str, Any] | None:
        canon = self.canonical_group(name)
        return next((g for g in self.groups if g["name"] == canon), None)

    def indicators(self, fiscal_year: int) -> list[dict[str, Any]]:
        return [i for i in self.rows.get("indicators", []) if i["fiscal_year"] == fiscal_year]

    def indicator(self, fiscal_year: int, code: str | None) -> dict[str, Any] | None:
        """The catalog row 'framework:code' names (spacing and case aside)."""
        from tps_batch.indicator_catalog import key, match

        wanted = match(code)
        return next((i for i in self.indicators(fiscal_year)
                     if match(key(i["framework"], i["code"])) == wanted), None) if code else None

    def as_indicator(self, row: dict[str, Any]) -> Any:
        """A catalog row as :class:`tps_batch.indicator_status.Indicator` (typed rounds)."""
        from tps_batch.indicator_catalog import to_indicator

        return to_indicator(self, row)

    def calendar(self, fiscal_year: int) -> list[dict[str, Any]]:
        return sorted((c for c in self.rows.get("calendar", []) if c["fiscal_year"] == fiscal_year),
                      key=lambda c: c["due"] or dt.date.max)

    def disbursement_targets(self, fiscal_year: int) -> list[dict[str, Any]]:
        return [t for t in self.rows.get("disbursement", []) if t["fiscal_year"] == fiscal_year]

    def frameworks(self) -> list[str]:
        return [f["code"] for f in self.rows.get("frameworks", [])]

    def policy(self, key: str) -> float:
        """A policy value from the plan's policy sheet (the last row wins), else its default."""
        values = [r["value"] for r in self.rows.get("policy", []) if r["key"] == key]
        return float(values[-1]) if values else POLICY_DEFAULTS[key]

    def allocation(self, code: str, on: dt.date | None = None) -> dict[str, float]:
        """The reference allocation of a project by source (obec, esa, other) on ``on``:
        the projects sheet's figures, each replaced by the latest amendment dated by then."""
        p = self.project(code)
        if p is None:
            return {}
        out = {k: float(p.get(col) or 0) for k, col in SOURCE_COLUMNS.items()}
        amendments = sorted((a for a in self.rows.get("allocations", [])
                             if a["code"].strip().casefold() == p["code"].casefold()
                             and (on is None or a["effective"] <= on)),
                            key=lambda a: (a["effective"], a["_row"]))
        for a in amendments:
            out[a["source"]] = float(a["allocated"])
        return out


def project_indicator_links(project: Mapping[str, Any]) -> list[tuple[str, str]]:
    """'ITA:O1; STD:1.2' → [('ITA', 'O1'), ('STD', '1.2')]."""
    out = []
    for part in (project.get("indicators") or "").replace(",", ";").split(";"):
        if ":" in part:
            fw, code = part.split(":", 1)
            out.append((fw.strip(), code.strip()))
    return out


def _check_plan(rows: dict[str, list[dict[str, Any]]], findings: list[Finding]) -> None:
    """Keys unique, groups referenced by projects and indicators exist."""
    def dup(table: Table, key_cols: tuple[str, ...]) -> None:
        seen: dict[tuple, int] = {}
        col = table.column(key_cols[-1])
        for r in rows.get(table.key, []):
            key = tuple(str(r.get(k) or "").casefold() for k in key_cols)
            if key in seen:
                findings.append(errors.make(
                    "plan-duplicate-key", sheet=table.sheet,
                    cell=f"{table.letter(key_cols[-1])}{r['_row']}", table=table.key,
                    row=r["_row"], label_th=col.label_th, label_en=col.label_en,
                    value=r.get(key_cols[-1]), first_row=seen[key]))
            else:
                seen[key] = r["_row"]

    def unknown(table: Table, r: dict[str, Any], col_key: str, value: Any, target: Table) -> None:
        col = table.column(col_key)
        findings.append(errors.make(
            "plan-unknown-reference", sheet=table.sheet,
            cell=f"{table.letter(col_key)}{r['_row']}", table=table.key, row=r["_row"],
            label_th=col.label_th, label_en=col.label_en, value=value,
            target_th=f"ชีต{target.sheet}", target_en=f"the sheet {target.sheet}"))

    dup(P_PROJECTS, ("code",))
    dup(P_GROUPS, ("name",))
    dup(P_FRAMEWORKS, ("code",))
    dup(P_INDICATORS, ("fiscal_year", "framework", "code"))
    plan = Plan(rows)
    for r in rows.get("allocations", []):
        if plan.project(r["code"]) is None:
            unknown(P_ALLOCATIONS, r, "code", r["code"], P_PROJECTS)
    for table, col_key in ((P_PROJECTS, "group"), (P_INDICATORS, "owner_group")):
        for r in rows.get(table.key, []):
            if r.get(col_key) and plan.canonical_group(r[col_key]) is None:
                unknown(table, r, col_key, r[col_key], P_GROUPS)
    frameworks = {group_key(f) for f in plan.frameworks()}
    for r in rows.get("indicators", []):
        if group_key(r["framework"]) not in frameworks:
            unknown(P_INDICATORS, r, "framework", r["framework"], P_FRAMEWORKS)
    for r in rows.get("projects", []):
        for fw, _code in project_indicator_links(r):
            if group_key(fw) not in frameworks:
                unknown(P_PROJECTS, r, "indicators", fw, P_FRAMEWORKS)
    from tps_batch.indicator_catalog import check_catalog

    check_catalog(plan, findings)


def read_plan(path: Path, data: bytes | None = None) -> Plan:
    """Read and check the plan workbook (from ``data``, its bytes, when given: a version
    kept in the dataset). A missing or unreadable file is fatal; what is wrong inside it
    is in ``Plan.findings`` (see :func:`check_plan`)."""
    if data is None and not Path(path).is_file():
        raise TpsError(f"ไม่พบไฟล์แผนปฏิบัติการ {path}", f"action plan workbook not found: {path}",
                       exit_code=2)
    findings: list[Finding] = []
    try:
        grids = load_grids(Path(path), [t.sheet for t in PLAN_TABLES], data)
    except Exception as exc:  # noqa: BLE001 - a broken plan is fatal, with its reason
        raise TpsError(f"อ่านแผนปฏิบัติการไม่ได้: {exc}", f"cannot read the action plan: {exc}",
                       exit_code=2) from None
    for t in PLAN_TABLES:
        if t.sheet not in grids and t.sheet not in OPTIONAL_SHEETS:
            findings.append(errors.make("plan-missing-sheet", sheet=t.sheet))
    rows = read_tables(grids, PLAN_TABLES, findings)
    for table in PLAN_TABLES:  # a row with a finding in a required key is unusable
        keys = [c.key for c in table.columns if c.required]
        rows[table.key] = [r for r in rows[table.key] if all(r.get(k) is not None for k in keys)]
    for g in rows["groups"]:
        g["name"] = " ".join(g["name"].split())
    _check_plan(rows, findings)
    for f in findings:
        f.file = Path(path).name
    findings.sort(key=_finding_order)
    return Plan(rows, findings)


def _finding_order(f: Finding) -> tuple[int, int, str]:
    sheets = [t.sheet for t in PLAN_TABLES]
    return (sheets.index(f.sheet) if f.sheet in sheets else -1, f.row or 0, f.cell or "")


def stop_on_errors(plan: Plan) -> None:
    """A plan with errors stops a run before any submission is judged against it: a
    missing groups sheet would otherwise reject every file as "unknown group"."""
    if has_errors(plan.findings):
        n = sum(f.severity == "error" for f in plan.findings)
        raise TpsError(
            f"แผนปฏิบัติการมีข้อผิดพลาด {n} รายการ ยังไม่ได้ตรวจไฟล์ใดเลย กรุณาแก้ไขแผนก่อน "
            "(ดูรายการด้านล่าง หรือสั่ง tps plan check)",
            f"the action plan has {n} error(s); no submission was judged. Fix the plan first "
            "(see below, or run tps plan check)", exit_code=2, findings=plan.findings)


def write_plan(path: Path, rows: Mapping[str, list[Mapping[str, Any]]] | None = None) -> Path:
    """An empty (or filled) plan workbook with Thai headers, same look as the templates."""
    from tps_batch.template import write_workbook

    return write_workbook(Path(path), tables=rows or {}, spec=PLAN_SPEC, protect=False,
                          spare_rows=100)
