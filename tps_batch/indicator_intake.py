"""Rules for the indicator result report: what types alone can't tell, against the plan.

One report per owner group per round. Each row must name an indicator of the plan's
catalog (``framework:code``), owned by the report's group and due in its round, with a
result that fits the indicator's kind: a number for number/percent/score, a level of its
scale for a level, yes or no for a yes/no item. Values the plan spells differently (group,
round, code, level) are stored in the plan's spelling, so the reports match them exactly.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from tps_batch import thai
from tps_batch.errors import Finding
from tps_batch.indicator_catalog import NUMERIC, key, kind_of, match, round_names, rounds_of
from tps_batch.indicator_status import YES
from tps_batch.plan import INDICATOR_KINDS, Plan
from tps_batch.read import Submission
from tps_batch.spec import WorkbookSpec
from tps_batch.textid import match_key

NO = ("ไม่ใช่", "ไม่มี", "ยังไม่เผยแพร่", "ยังไม่ดำเนินการ", "no", "n", "false", "0")


def validate_results(sub: Submission, plan: Plan | None, *, fiscal_year: int,
                     received: dt.date | None, layout: WorkbookSpec) -> list[Finding]:
    """The findings of one indicator result report (``sub.findings`` is not touched)."""
    from tps_batch.validate import _cell_finding, _field_finding

    out: list[Finding] = []
    v = sub.values
    as_of = v.get("as_of")
    if as_of and received and as_of > received + dt.timedelta(days=1):
        out.append(_field_finding(layout, "as_of", "as-of-in-future",
                                  value=thai.format_date_short(as_of),
                                  received=thai.format_date_short(received)))
    table = layout.table("results")
    for row in sub.tables.get("results", []):
        entered = row.get("entered_on")
        if entered and received and entered > received + dt.timedelta(days=1):
            out.append(_cell_finding(table, row, "entered_on", "indicator-entered-in-future",
                                     value=thai.format_date_short(entered),
                                     received=thai.format_date_short(received)))
    if plan is None:
        return out
    if v.get("fiscal_year") is not None and v["fiscal_year"] != fiscal_year:
        out.append(_field_finding(layout, "fiscal_year", "fiscal-year-mismatch",
                                  value=v["fiscal_year"], expected=fiscal_year))
    group = plan.canonical_group(v.get("group"))
    if v.get("group") and group is None:
        out.append(_field_finding(layout, "group", "unknown-group", value=v["group"]))
    elif group:
        v["group"] = group
    rnd = v.get("round")
    known_rounds = round_names(plan, fiscal_year)
    if rnd:
        same = [n for n in known_rounds if match(n) == match(rnd)]
        if same:
            v["round"] = rnd = same[0]
        else:
            out.append(_field_finding(layout, "round", "indicator-unknown-round", value=rnd,
                                      fiscal_year=fiscal_year,
                                      rounds=", ".join(known_rounds) or "-"))
            rnd = None
    seen: dict[str, int] = {}
    for row in sub.tables.get("results", []):
        code = row.get("code")
        if not code:
            continue
        ind = plan.indicator(fiscal_year, code)
        if ind is None:
            out.append(_cell_finding(table, row, "code", "indicator-not-in-plan", value=code,
                                     fiscal_year=fiscal_year))
            continue
        row["code"] = code = key(ind["framework"], ind["code"])
        if code in seen:
            out.append(_cell_finding(table, row, "code", "indicator-duplicate", value=code,
                                     first_row=seen[code]))
            continue
        seen[code] = row["_row"]
        owner = plan.canonical_group(ind["owner_group"]) or ind["owner_group"]
        if group and owner != group:
            out.append(_cell_finding(table, row, "code", "indicator-other-group", value=code,
                                     owner_group=owner, group=group))
        rounds = rounds_of(plan, ind)
        if rnd and not any(r.name == rnd for r in rounds):
            out.append(_cell_finding(table, row, "code", "indicator-not-due", value=code,
                                     round=rnd, rounds=", ".join(r.name for r in rounds) or "-"))
        _value_rules(table, row, ind, code, out)
    return out


def _value_rules(table: Any, row: dict[str, Any], ind: dict[str, Any], code: str,
                 out: list[Finding]) -> None:
    """The result fits the indicator's kind: a number, a level of its scale, or yes/no."""
    from tps_batch.validate import _cell_finding

    kind = kind_of(ind)
    value, level = row.get("value"), row.get("level")
    if value is None and level is None:
        out.append(_cell_finding(table, row, "value" if kind in NUMERIC else "level",
                                 "indicator-no-result", value=code))
        return
    choice = next(c for c in INDICATOR_KINDS if c.key == kind)
    if kind in NUMERIC:
        if value is None:
            col = table.column("value")
            out.append(_cell_finding(table, row, "level", "indicator-wrong-kind", value=code,
                                     kind_th=choice.th, kind_en=choice.en,
                                     column_th=col.label_th, column_en=col.label_en))
        elif kind == "percent" and not 0 <= value <= 100:
            out.append(_cell_finding(table, row, "value", "indicator-percent-out-of-range",
                                     value=f"{value:g}"))
        return
    if level is None:
        col = table.column("level")
        out.append(_cell_finding(table, row, "value", "indicator-wrong-kind", value=code,
                                 kind_th=choice.th, kind_en=choice.en,
                                 column_th=col.label_th, column_en=col.label_en))
        return
    if kind == "yes_no":
        scale = ("ใช่", "ไม่ใช่")
        said = level.strip().casefold()
        if said in YES:
            row["level"] = "ใช่"
        elif said in NO:
            row["level"] = "ไม่ใช่"
        else:
            out.append(_cell_finding(table, row, "level", "indicator-level-off-scale",
                                     value=level, scale=", ".join(scale)))
        return
    scale = [s.strip() for s in (ind.get("scale") or "").split(";") if s.strip()]
    same = [s for s in scale if match_key(s) == match_key(level)]
    if same:
        row["level"] = same[0]
    else:
        out.append(_cell_finding(table, row, "level", "indicator-level-off-scale", value=level,
                                 scale=" < ".join(scale) or "-"))
