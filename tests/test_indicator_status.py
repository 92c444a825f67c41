"""Indicator statuses at their boundaries. Every expected status is written by hand.

FY 2567 starts on 1 Oct 2023. Two rounds: six months due 15 Apr 2024, twelve months due
15 Oct 2024. Pro-rating: 1 Oct 2023 → 15 Apr 2024 is 197 days of the 380 to 15 Oct 2024,
so a target of 80 is 80 × 197 / 380 = 41.4737 at six months, and with the 10 % margin
the on-track line is 37.3263.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tps_batch.indicator_status import Indicator, Result, Round, standing

D = dt.date
SIX, TWELVE = Round("6 เดือน", D(2024, 4, 15)), Round("12 เดือน", D(2024, 10, 15))
PCT = Indicator("OBEC", "4.2", "ร้อยละการเบิกจ่าย", kind="percent", direction="higher",
                target=80.0, rounds=(SIX, TWELVE), unit="ร้อยละ", fy_start=D(2023, 10, 1))
LOWER = Indicator("KRS", "2", "จำนวนเรื่องร้องเรียนค้าง", kind="number", direction="lower",
                  target=5.0, rounds=(SIX, TWELVE), unit="เรื่อง", fy_start=D(2023, 10, 1))
SCALE = ("ปรับปรุง", "พอใช้", "ดี", "ดีมาก", "ดีเยี่ยม")
LEVEL = Indicator("ESA", "1.1", "การบริหารจัดการองค์การ", kind="level", direction="level",
                  target="ดีเยี่ยม", scale=SCALE, rounds=(SIX, TWELVE),
                  fy_start=D(2023, 10, 1))
ONCE = Round("ครั้งเดียว", D(2023, 11, 30))
YESNO = Indicator("ITA", "O16", "เผยแพร่แผนการจัดซื้อจัดจ้าง", kind="yes_no",
                  direction="level", target="ใช่", rounds=(ONCE,), fy_start=D(2023, 10, 1))


IN_APRIL, IN_OCTOBER = D(2024, 4, 10), D(2024, 10, 1)


def six(value: float | None = None, level: str | None = None,
        received: dt.date = IN_APRIL) -> Result:
    return Result("6 เดือน", received, value, level)


def twelve(value: float | None = None, level: str | None = None,
           received: dt.date = IN_OCTOBER) -> Result:
    return Result("12 เดือน", received, value, level)


@pytest.mark.parametrize(("ind", "results", "as_of", "expected"), [
    # no result yet: the deadline day itself is still on time, the day after is overdue
    (PCT, [], D(2024, 4, 15), "not_due"),
    (PCT, [], D(2024, 4, 16), "not_reported"),
    # exactly on target is achieved
    (PCT, [six(80.0)], D(2024, 4, 16), "achieved"),
    (PCT, [six(79.99)], D(2024, 4, 16), "on_track"),
    # the pro-rated line (37.3263) at six months
    (PCT, [six(37.33)], D(2024, 4, 16), "on_track"),
    (PCT, [six(37.32)], D(2024, 4, 16), "at_risk"),
    # the final round: on its deadline day still judged pro-rata (80 × 0.9 = 72) …
    (PCT, [six(50.0), twelve(79.9)], D(2024, 10, 15), "on_track"),
    (PCT, [six(50.0), twelve(71.9)], D(2024, 10, 15), "at_risk"),
    # … the day after, short of the target is missed
    (PCT, [six(50.0), twelve(79.9)], D(2024, 10, 16), "missed"),
    (PCT, [six(50.0), twelve(80.0)], D(2024, 10, 16), "achieved"),
    # a six-month result does not hide a missing twelve-month one
    (PCT, [six(80.0)], D(2024, 10, 16), "not_reported"),
    # a result received after the as-of date does not count yet
    (PCT, [six(80.0, received=D(2024, 4, 20))], D(2024, 4, 19), "not_reported"),
    # lower is better: exactly on target is achieved, just above is at risk, then missed
    (LOWER, [six(5.0)], D(2024, 4, 16), "achieved"),
    (LOWER, [six(5.01)], D(2024, 4, 16), "at_risk"),
    (LOWER, [six(3.0), twelve(6.0)], D(2024, 10, 16), "missed"),
    (LOWER, [six(3.0), twelve(4.0)], D(2024, 10, 16), "achieved"),
    # levels on a named scale
    (LEVEL, [six(level="ดี")], D(2024, 4, 16), "at_risk"),
    (LEVEL, [six(level="ดีเยี่ยม")], D(2024, 4, 16), "achieved"),
    (LEVEL, [six(level="ดี"), twelve(level="ดีมาก")], D(2024, 10, 16), "missed"),
    (LEVEL, [six(level="ดี"), twelve(level="ดีเยี่ยม")], D(2024, 10, 16), "achieved"),
    # yes/no, due once
    (YESNO, [], D(2023, 11, 30), "not_due"),
    (YESNO, [], D(2023, 12, 1), "not_reported"),
    (YESNO, [Result("ครั้งเดียว", D(2023, 11, 20), level="ใช่")], D(2023, 12, 1), "achieved"),
    (YESNO, [Result("ครั้งเดียว", D(2023, 11, 20), level="ไม่ใช่")], D(2023, 12, 1),
     "missed"),
])
def test_status_at_its_boundaries(ind: Indicator, results: list[Result], as_of: dt.date,
                                  expected: str) -> None:
    assert standing(ind, results, as_of).status == expected


def test_late_result_counts_and_is_marked_late() -> None:
    got = standing(YESNO, [Result("ครั้งเดียว", D(2023, 12, 5), level="ใช่")], D(2023, 12, 6))
    assert (got.status, got.late, got.round, got.deadline) == (
        "achieved", True, "ครั้งเดียว", D(2023, 11, 30))
    on_time = standing(PCT, [six(80.0, received=D(2024, 4, 15))], D(2024, 4, 16))
    assert on_time.late is False


def test_resubmission_for_a_round_supersedes_and_the_trend_lists_rounds() -> None:
    got = standing(PCT, [six(30.0, received=D(2024, 4, 1)), six(45.0, received=D(2024, 4, 9)),
                         twelve(81.0)], D(2024, 10, 16))
    assert got.status == "achieved"
    assert got.trend == [("6 เดือน", 45.0), ("12 เดือน", 81.0)]


def test_not_reported_names_the_round_and_the_next_deadline() -> None:
    got = standing(PCT, [], D(2024, 4, 16))
    assert (got.round, got.deadline, got.next_deadline) == (
        "6 เดือน", D(2024, 4, 15), D(2024, 10, 15))
    assert got.status_th == "ยังไม่รายงานผล"


def test_margin_is_policy() -> None:
    # with no margin the six-month line is the pro-rated target itself, 41.4737
    assert standing(PCT, [six(41.48)], D(2024, 4, 16), margin_percent=0).status == "on_track"
    assert standing(PCT, [six(41.47)], D(2024, 4, 16), margin_percent=0).status == "at_risk"


def test_a_closed_period_read_after_the_fact_counts_results_sent_later() -> None:
    """The six-month report, written in May, stands on 31 March: the six-month result
    sent on 10 April counts (80 of 80: achieved); read on 31 March itself it was not there
    yet (not due: its deadline is 15 April)."""
    march = D(2024, 3, 31)
    assert standing(PCT, [six(80.0)], march).status == "not_due"
    later = standing(PCT, [six(80.0)], march, received_by=D(2024, 5, 15))
    assert (later.status, later.round) == ("achieved", "6 เดือน")
    # a result received after the day it is read by still does not count
    assert standing(PCT, [six(80.0, received=D(2024, 5, 20))], march,
                    received_by=D(2024, 5, 15)).status == "not_due"
