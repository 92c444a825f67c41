"""The six-month report (รายงานผลการดำเนินงานรอบ 6 เดือน, ``tps report --only six-month``).

The annual report's generator with its own title: the same template, chapters, สารบัญ,
charts and workbook, built by the annual report's own ``page`` and ``sheets`` from the
reports on the fiscal year's first half: those whose data date is at most the second
quarter's end (31 March), received by the run's as-of (the quarter's reports arrive in
April). Every figure, its data date included, is the half year's. It is written once the
run's as-of has passed that day; before, nothing is written and the dashboard does not
list it.

The ITA pack's six-month document reads the same data (:func:`half_year`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

from tps_batch import thai
from tps_batch.reports.registry import Report, RunContext, get, register

NAME = "six-month"
TITLE_TH = "รายงานผลการดำเนินงานรอบ 6 เดือน"
TITLE_EN = "Six-month report"


def half_year_end(fiscal_year: int) -> dt.date:
    """The second quarter's last day: 31 March of the fiscal year."""
    return thai.quarter_bounds(fiscal_year, 2)[1]


def half_year(ctx: RunContext) -> RunContext | None:
    """The run's office as of the second quarter's end, from the reports on that period
    received by the run's as-of (loaded once a run, its aggregations its own), or None
    while the run's as-of has not passed that day."""
    from tps_batch.reports.data import load

    end = half_year_end(ctx.data.fiscal_year)
    if ctx.data.as_of <= end:
        return None
    return ctx.once("half-year", lambda: RunContext(
        ctx.ws, load(ctx.ws, end, received_by=ctx.data.as_of), ctx.out))


def _register() -> Report:
    annual = get("annual")
    page = annual.page
    assert page is not None

    def six_month_page(ctx: RunContext) -> dict[str, Any]:
        start = thai.fiscal_year_bounds(ctx.data.fiscal_year)[0]
        return {**page(ctx), "half_year": {"start": start, "end": ctx.data.as_of}}

    return register(replace(annual, name=NAME, title_th=TITLE_TH, title_en=TITLE_EN,
                            page=six_month_page, context=half_year))


_register()
