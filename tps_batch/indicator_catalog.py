"""The plan's indicator catalog, typed: rounds, scales and the checks ``tps plan check`` runs.

The plan sheet ``ตัวชี้วัด`` declares each indicator per fiscal year; this module turns a row
into :class:`tps_batch.indicator_status.Indicator` (the rules' input) and finds what would
make a row unusable, by sheet and cell. Columns added after plan 1.0 (owner, unit, kind,
scale, direction, rounds, system) are optional: an old plan reads its indicators as numbers,
higher is better, one round at the ``deadline`` column.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from tps_batch import errors, thai
from tps_batch.errors import Finding
from tps_batch.indicator_status import Indicator, Round

if TYPE_CHECKING:
    from tps_batch.plan import Plan

#: The round of an indicator reported once, at the catalog's ``deadline`` column.
ONCE = "รอบเดียว"
NUMERIC = ("number", "percent", "score")


def key(framework: str | None, code: str | None) -> str:
    """'ITA', 'O16' → 'ITA:O16': how a workbook names an indicator (one identity)."""
    return f"{(framework or '').strip()}:{(code or '').strip()}"


def match(text: str | None) -> str:
    """A spelling-insensitive key of 'framework:code' text (spaces, case)."""
    return "".join((text or "").split()).casefold()


def split_list(text: str | None) -> list[str]:
    return [p.strip() for p in (text or "").split(";") if p.strip()]


def kind_of(row: dict[str, Any]) -> str:
    return row.get("kind") or "number"


def direction_of(row: dict[str, Any]) -> str:
    kind = kind_of(row)
    if kind in ("level", "yes_no"):
        return "level"
    return row.get("direction") or "higher"


def rounds_of(plan: Plan, row: dict[str, Any]) -> list[Round]:
    """The indicator's rounds in deadline order: its named calendar periods (their due
    dates), or one round at its ``deadline``; names the calendar lacks are left out (the
    plan check reports them)."""
    names = split_list(row.get("rounds"))
    if not names:
        return [Round(ONCE, row["deadline"])] if row.get("deadline") else []
    due = {match(c["period"]): c for c in plan.calendar(row["fiscal_year"])}
    out = [Round(due[match(n)]["period"], due[match(n)]["due"]) for n in names
           if match(n) in due]
    return sorted(out, key=lambda r: r.deadline)


def target_of(row: dict[str, Any]) -> float | str | None:
    kind = kind_of(row)
    if kind == "yes_no":
        return "ใช่"
    if kind == "level":
        return (row.get("target") or "").strip() or None
    value = row.get("target_value")
    return float(value) if value is not None else None


def to_indicator(plan: Plan, row: dict[str, Any]) -> Indicator:
    """A catalog row as the status rules' :class:`Indicator`."""
    return Indicator(
        framework=row["framework"], code=row["code"], name=row["name"], kind=kind_of(row),
        direction=direction_of(row), target=target_of(row),
        scale=tuple(split_list(row.get("scale"))), rounds=tuple(rounds_of(plan, row)),
        unit=row.get("unit") or ("ร้อยละ" if kind_of(row) == "percent" else ""),
        fy_start=thai.fiscal_year_bounds(row["fiscal_year"])[0])


def due_in(plan: Plan, row: dict[str, Any], round_name: str) -> bool:
    return any(match(r.name) == match(round_name) for r in rounds_of(plan, row))


def round_names(plan: Plan, fiscal_year: int) -> list[str]:
    """Every round some indicator of the year is reported in, in deadline order."""
    seen: dict[str, dt.date] = {}
    for row in plan.indicators(fiscal_year):
        for r in rounds_of(plan, row):
            seen.setdefault(r.name, r.deadline)
    return sorted(seen, key=lambda n: seen[n])


def check_catalog(plan: Plan, findings: list[Finding]) -> None:
    """What makes a catalog row unfollowable: a level target off its scale, a level kind
    without a scale, a round the calendar lacks, no target or no deadline at all."""
    from tps_batch.plan import DIRECTIONS, INDICATOR_KINDS, P_CALENDAR, P_INDICATORS

    t = P_INDICATORS

    def at(r: dict[str, Any], col: str, code: str, **params: Any) -> None:
        c = t.column(col)
        findings.append(errors.make(code, sheet=t.sheet, cell=f"{t.letter(col)}{r['_row']}",
                                    table=t.key, row=r["_row"], label_th=c.label_th,
                                    label_en=c.label_en, **params))

    flagged = {f.cell for f in findings if f.sheet == t.sheet}  # one finding per mistake
    for r in plan.rows.get("indicators", []):
        name = key(r["framework"], r["code"])
        kind = kind_of(r)
        if f"{t.letter('kind')}{r['_row']}" in flagged:
            continue
        scale = split_list(r.get("scale"))
        if kind == "level":
            target = (r.get("target") or "").strip()
            if not scale:
                at(r, "scale", "plan-indicator-no-scale")
            elif target and target not in scale:
                at(r, "target", "plan-indicator-level-target", value=target,
                   scale=" < ".join(scale))
        elif kind in NUMERIC and r.get("target_value") is None:
            at(r, "target_value", "plan-indicator-no-target", value=name)
        if kind in ("level", "yes_no") and r.get("direction") not in (None, "level"):
            k = next(c for c in INDICATOR_KINDS if c.key == kind)
            d = next(c for c in DIRECTIONS if c.key == r["direction"])
            at(r, "direction", "plan-indicator-direction", value=name, kind_th=k.th,
               kind_en=k.en, direction_th=d.th, direction_en=d.en)
        periods = {match(c["period"]) for c in plan.calendar(r["fiscal_year"])}
        names = split_list(r.get("rounds"))
        for n in names:
            if match(n) not in periods:
                at(r, "rounds", "plan-unknown-reference", value=n,
                   target_th=f"ชีต{P_CALENDAR.sheet} ปี {r['fiscal_year']}",
                   target_en=f"the sheet {P_CALENDAR.sheet} for FY {r['fiscal_year']}")
        if not names and not r.get("deadline"):
            at(r, "deadline", "plan-indicator-no-deadline", value=name)
