"""Rules across cells and against the plan: what types alone can't tell.

Each rule adds findings from the catalog with the exact cell to fix; none raises. A rule
skips values that reading already flagged (they are ``None``), so one wrong cell gives
one finding, not a cascade. Cells are those of the layout the workbook was read with (its
``_meta`` version), so a finding on an older workbook points where its clerk typed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from tps_batch import errors, spec, thai
from tps_batch.errors import Finding
from tps_batch.plan import POLICY_DEFAULTS, Plan
from tps_batch.read import Submission
from tps_batch.spec import Table, WorkbookSpec


def _field_finding(layout: WorkbookSpec, key: str, code: str, **params: Any) -> Finding:
    f = layout.field(key)
    return errors.make(code, sheet=f.sheet, cell=f.cell, label_th=f.label_th,
                       label_en=f.label_en, **params)


def _cell_finding(table: Table, row: dict[str, Any], col: str, code: str,
                  **params: Any) -> Finding:
    c = table.column(col)
    return errors.make(code, sheet=table.sheet, cell=f"{table.letter(col)}{row['_row']}",
                       table=table.key, row=row["_row"], column=col,
                       label_th=f"{table.label_th} แถว {row['_row']} {c.label_th}",
                       label_en=f"{table.label_en} row {row['_row']} {c.label_en}", **params)


def _rows(layout: WorkbookSpec, sub: Submission,
          key: str) -> Iterator[tuple[Table, dict[str, Any]]]:
    rows = sub.tables.get(key, [])
    if rows:  # a table the layout doesn't have was never read: no rows to check
        table = layout.table(key)
        for row in rows:
            yield table, row


def _plan_rules(layout: WorkbookSpec, sub: Submission, plan: Plan, fiscal_year: int,
                out: list[Finding]) -> None:
    v = sub.values
    group = plan.canonical_group(v.get("group"))
    if v.get("group") and group is None:
        out.append(_field_finding(layout, "group", "unknown-group", value=v["group"]))
    if v.get("fiscal_year") is not None and v["fiscal_year"] != fiscal_year:
        out.append(_field_finding(layout, "fiscal_year", "fiscal-year-mismatch",
                                  value=v["fiscal_year"], expected=fiscal_year))
    code = v.get("project_code")
    if not code:
        return
    project = plan.project(code)
    if project is None:
        out.append(_field_finding(layout, "project_code", "unknown-project", value=code,
                                  fiscal_year=fiscal_year))
        return
    v["project_code"] = project["code"]  # the plan's spelling: "p01" is stored as "P01"
    owner_group = plan.canonical_group(project["group"]) or project["group"]
    if group and owner_group != group:
        out.append(_field_finding(layout, "group", "project-other-group", value=code,
                                  owner_group=owner_group, group=group))
    name = v.get("project_name")
    if name and " ".join(name.split()) != " ".join(project["name"].split()):
        out.append(_field_finding(layout, "project_name", "project-name-mismatch", value=name,
                                  expected=project["name"]))
    _authority_rules(layout, sub, plan, project, out)
    known = {(i["framework"].casefold(), i["code"].casefold())
             for i in plan.indicators(fiscal_year)}
    if known:
        for table, row in _rows(layout, sub, "indicators"):
            fw, ic = row.get("framework"), row.get("code")
            if fw and ic and (fw.casefold(), ic.casefold()) not in known:
                out.append(_cell_finding(table, row, "code", "unknown-indicator", value=ic,
                                         framework=fw, fiscal_year=fiscal_year))


def _authority_rules(layout: WorkbookSpec, sub: Submission, plan: Plan,
                     project: dict[str, Any], out: list[Finding]) -> None:
    """The plan's allocation, by source and as amended by the workbook's as-of, is the
    reference: a workbook may not claim another (it would move every office rate)."""
    rows = sub.tables.get("budget", [])
    if not rows or any(r.get("source") is None or (r.get("allocated") is None
                                                   and r.get("source") != "none")
                       for r in rows):
        return  # a cell reading already flagged: one finding, not two
    reference = plan.allocation(project["code"], sub.values.get("as_of"))
    claimed: dict[str, float] = {}
    first: dict[str, dict[str, Any]] = {}
    for r in rows:
        if r["source"] in reference:
            claimed[r["source"]] = claimed.get(r["source"], 0.0) + float(r["allocated"] or 0)
            first.setdefault(r["source"], r)
    table = layout.table("budget")
    for source, expected in reference.items():
        got = round(claimed.get(source, 0.0), 2)
        if abs(got - round(expected, 2)) > 0.005:
            row = first.get(source) or rows[0]
            choice = next(c for c in spec.BUDGET_SOURCES if c.key == source)
            out.append(_cell_finding(table, row, "allocated", "allocation-differs-from-plan",
                                     source=choice.th, source_en=choice.en,
                                     value=thai.format_baht(got),
                                     expected=thai.format_baht(expected)))


def _date_rules(layout: WorkbookSpec, sub: Submission, fiscal_year: int,
                received: dt.date | None, out: list[Finding]) -> None:
    v = sub.values
    start, end = v.get("planned_start"), v.get("planned_end")
    if start and end and end < start:
        out.append(_field_finding(layout, "planned_end", "end-before-start",
                                  start=thai.format_date_short(start),
                                  end=thai.format_date_short(end)))
    as_of = v.get("as_of")
    if as_of and received and as_of > received + dt.timedelta(days=1):
        out.append(_field_finding(layout, "as_of", "as-of-in-future",
                                  value=thai.format_date_short(as_of),
                                  received=thai.format_date_short(received)))
    fy_start, fy_end = thai.fiscal_year_bounds(fiscal_year)
    bounds = {"fiscal_year": fiscal_year, "fy_start": thai.format_date_short(fy_start),
              "fy_end": thai.format_date_short(fy_end)}
    if as_of and not fy_start <= as_of <= fy_end:  # it would supersede the year's reports
        out.append(_field_finding(layout, "as_of", "as-of-outside-fiscal-year",
                                  value=thai.format_date_short(as_of), **bounds))
    for table, row in _rows(layout, sub, "activities"):
        s, e = row.get("planned_start"), row.get("planned_end")
        if s and e and e < s:
            out.append(_cell_finding(table, row, "planned_end", "end-before-start",
                                     start=thai.format_date_short(s),
                                     end=thai.format_date_short(e)))
        for col in ("planned_start", "planned_end", "actual_date"):
            d = row.get(col)
            if d and not fy_start <= d <= fy_end:
                out.append(_cell_finding(table, row, col, "date-outside-fiscal-year",
                                         value=thai.format_date_short(d), **bounds))


def _money_rules(layout: WorkbookSpec, sub: Submission, far_factor: float,
                 tolerance: float, out: list[Finding]) -> None:
    for table in layout.tables:
        for row in sub.tables.get(table.key, []):
            for col in table.columns:
                value = row.get(col.key)
                numeric = col.type in ("money", "int", "decimal", "percent")
                if numeric and value is not None and value < 0:
                    out.append(_cell_finding(table, row, col.key, "negative-amount",
                                             value=value))
    for table, row in _rows(layout, sub, "budget"):
        alloc, spent = row.get("allocated"), row.get("disbursed")
        if alloc is not None and spent is not None and spent > alloc + 0.005:
            out.append(_cell_finding(table, row, "disbursed", "spent-over-allocated",
                                     spent=thai.format_baht(spent),
                                     allocated=thai.format_baht(alloc)))
    pairs = (("activities", "target_planned", "target_reached"),
             ("targets", "target_value", "achieved_value"))
    for key, planned_col, reached_col in pairs:
        for table, row in _rows(layout, sub, key):
            planned, reached = row.get(planned_col), row.get(reached_col)
            if planned and reached and planned > 0 and reached > far_factor * planned:
                out.append(_cell_finding(table, row, reached_col, "reached-far-above-planned",
                                         planned=planned, reached=reached,
                                         factor=f"{far_factor:g}"))
    budget_rows = sub.tables.get("budget", [])
    acts = sub.tables.get("activities", [])
    if budget_rows and acts and all(r.get("allocated") is not None for r in budget_rows) \
            and all(r.get("budget_planned") is not None for r in acts):
        budget_total = round(sum(r["allocated"] for r in budget_rows), 2)
        act_total = round(sum(r["budget_planned"] for r in acts), 2)
        if abs(budget_total - act_total) > 0.005:
            table = layout.table("budget")
            out.append(errors.make(
                "budget-total-mismatch", sheet=table.sheet,
                cell=f"{table.letter('allocated')}{table.first_row}", table="budget",
                budget_total=thai.format_baht(budget_total),
                activities_total=thai.format_baht(act_total)))
    _spending_rule(layout, budget_rows, acts, tolerance, out)


def _spending_rule(layout: WorkbookSpec, budget_rows: list[dict[str, Any]],
                   acts: list[dict[str, Any]], tolerance: float, out: list[Finding]) -> None:
    """What the activities say they spent should be what the budget says was disbursed."""
    if not budget_rows or not acts:
        return
    disbursed = round(sum(r.get("disbursed") or 0 for r in budget_rows), 2)
    spent = round(sum(a.get("budget_spent") or 0 for a in acts), 2)
    larger = max(disbursed, spent)
    if larger and abs(disbursed - spent) > tolerance / 100 * larger + 0.005:
        table = layout.table("budget")
        out.append(errors.make(
            "spending-differs-from-disbursed", sheet=table.sheet,
            cell=f"{table.letter('disbursed')}{table.first_row}", table="budget",
            spent=thai.format_baht(spent), disbursed=thai.format_baht(disbursed),
            tolerance=f"{tolerance:g}"))


def _status_rules(layout: WorkbookSpec, sub: Submission, out: list[Finding]) -> None:
    v = sub.values
    acts = sub.tables.get("activities", [])
    if v.get("status") == "completed":
        open_acts = [a for a in acts if a.get("status") not in ("done", "cancelled", None)]
        if open_acts:
            out.append(_field_finding(layout, "status", "completed-with-open-activities",
                                      count=len(open_acts)))
    if v.get("report_kind") == "final":
        for table, row in _rows(layout, sub, "activities"):
            if row.get("status") != "cancelled" and not row.get("result"):
                out.append(_cell_finding(table, row, "result", "final-without-results",
                                         activity=row.get("name") or row["_row"]))


def validate(sub: Submission, plan: Plan | None, *, fiscal_year: int,
             received: dt.date | None = None, far_factor: float = 3.0,
             layout: WorkbookSpec | None = None) -> list[Finding]:
    """Add the rule findings to ``sub.findings`` and return them (no plan: skip plan rules).
    ``layout`` defaults to the one registered for the workbook's template version."""
    if not sub.readable:
        return []
    if sub.is_indicator_report:
        from tps_batch import indicator_spec
        from tps_batch.indicator_intake import validate_results

        layout = layout or indicator_spec.LAYOUTS.get(sub.template_version or "") \
            or indicator_spec.SPEC
        found = validate_results(sub, plan, fiscal_year=fiscal_year, received=received,
                                 layout=layout)
        sub.findings.extend(found)
        return found
    layout = layout or spec.layout(sub.template_version) or spec.SPEC
    found: list[Finding] = []
    if plan is not None:
        _plan_rules(layout, sub, plan, fiscal_year, found)
    _date_rules(layout, sub, fiscal_year, received, found)
    tolerance = plan.policy("spending_tolerance_percent") if plan is not None \
        else POLICY_DEFAULTS["spending_tolerance_percent"]
    _money_rules(layout, sub, far_factor, tolerance, found)
    _status_rules(layout, sub, found)
    sub.findings.extend(found)
    return found
