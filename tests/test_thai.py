"""Tests for tps_batch.thai: B.E. dates, Thai digits, fiscal years and amounts."""

from __future__ import annotations

import datetime as dt

import pytest

from tps_batch.thai import (
    MONTHS_LONG,
    MONTHS_SHORT,
    THAI_DIGITS,
    DateParseError,
    be_year,
    fiscal_quarter_of,
    fiscal_year_bounds,
    fiscal_year_of,
    format_date_long,
    format_date_short,
    parse_date,
    quarter_bounds,
    quarter_label,
    to_arabic_digits,
    to_thai_digits,
)

D = dt.date
JAN15 = D(2019, 1, 15)


def days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(n) for n in range((last - first).days + 1)]


# --- digits and month names ---------------------------------------------------------------

@pytest.mark.parametrize(("thai_text", "arabic"), [
    ("๐๑๒๓๔๕๖๗๘๙", "0123456789"),
    ("๑๕ มกราคม ๒๕๖๒", "15 มกราคม 2562"),
    ("งบ ๑,๒๓๔.๕๐ บาท", "งบ 1,234.50 บาท"),
    ("no digits", "no digits"),
    ("", ""),
])
def test_digits_both_ways(thai_text: str, arabic: str) -> None:
    assert to_arabic_digits(thai_text) == arabic
    assert to_thai_digits(arabic) == thai_text


def test_digit_constant_is_in_order() -> None:
    assert THAI_DIGITS == "๐๑๒๓๔๕๖๗๘๙"
    assert [to_arabic_digits(ch) for ch in THAI_DIGITS] == [str(n) for n in range(10)]


@pytest.mark.parametrize(("index", "long", "short"), [
    (0, "มกราคม", "ม.ค."), (1, "กุมภาพันธ์", "ก.พ."), (2, "มีนาคม", "มี.ค."),
    (3, "เมษายน", "เม.ย."), (4, "พฤษภาคม", "พ.ค."), (5, "มิถุนายน", "มิ.ย."),
    (6, "กรกฎาคม", "ก.ค."), (7, "สิงหาคม", "ส.ค."), (8, "กันยายน", "ก.ย."),
    (9, "ตุลาคม", "ต.ค."), (10, "พฤศจิกายน", "พ.ย."), (11, "ธันวาคม", "ธ.ค."),
])
def test_month_names(index: int, long: str, short: str) -> None:
    assert len(MONTHS_LONG) == len(MONTHS_SHORT) == 12
    assert (MONTHS_LONG[index], MONTHS_SHORT[index]) == (long, short)
    assert parse_date(f"1 {long} 2562") == parse_date(f"1 {short} 2562") == D(2019, index + 1, 1)


# --- parse_date: accepted inputs ----------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    # real dates
    (JAN15, JAN15),
    (dt.datetime(2019, 1, 15, 13, 45), JAN15),
    (D(2562, 1, 15), JAN15),                       # B.E. year typed into a date cell
    (dt.datetime(2562, 1, 15, 8, 0), JAN15),
    (D(2563, 2, 28), D(2020, 2, 28)),
    (D(2400, 1, 1), D(1857, 1, 1)),
    (D(2700, 12, 31), D(2157, 12, 31)),
    (D(1857, 1, 1), D(1857, 1, 1)),
    (D(2157, 12, 31), D(2157, 12, 31)),
    # Excel serials (1900 system)
    (43480, JAN15),
    (43480.0, JAN15),
    (43480.99, JAN15),                             # the fraction is the time of day
    (43831, D(2020, 1, 1)),
    (43890, D(2020, 2, 29)),
    (44197, D(2021, 1, 1)),
    (1, D(1900, 1, 1)),
    (59, D(1900, 2, 28)),
    (61, D(1900, 3, 1)),
    ((D(2562, 1, 15) - D(1899, 12, 30)).days, JAN15),  # B.E. date stored as a serial
    # Thai text forms
    ("15 ม.ค. 2562", JAN15),
    ("15 ม.ค 2562", JAN15),
    ("15 มค 2562", JAN15),
    ("15 มกราคม 2562", JAN15),
    ("15 มกราคม พ.ศ. 2562", JAN15),
    ("15 มกราคม พ.ศ 2562", JAN15),
    ("15 มกราคม พศ 2562", JAN15),
    ("วันที่ 15 มกราคม พ.ศ. 2562", JAN15),
    ("วันที่15 ม.ค. 2562", JAN15),
    ("15ม.ค.2562", JAN15),
    ("15-ม.ค.-2562", JAN15),
    ("15 มกรา 2562", JAN15),                       # colloquial
    ("15 กรกฏาคม 2562", D(2019, 7, 15)),           # common misspelling ฏ for ฎ
    ("15 ม.ค. 62", JAN15),
    ("15 ม.ค. พ.ศ. 62", JAN15),
    ("15 ม.ค. พ.ศ. 05", D(1962, 1, 15)),           # explicit พ.ศ. settles 00–39
    ("15 มกราคม ค.ศ. 2019", JAN15),
    ("15 ม.ค. 2019", JAN15),                       # 4-digit C.E. year in Thai form
    ("15 Jan 2019", JAN15),
    ("๑๕ มกราคม ๒๕๖๒", JAN15),
    ("๑๕ ม.ค. ๖๒", JAN15),
    # numeric forms: day/month/year
    ("15/01/2562", JAN15),
    ("15-01-2562", JAN15),
    ("15.01.2562", JAN15),
    ("15/1/62", JAN15),
    ("15 / 01 / 2562", JAN15),
    ("15/01/2019", JAN15),
    ("๑๕/๐๑/๒๕๖๒", JAN15),
    ("1/10/40", D(1997, 10, 1)),                   # 40 is the first 2-digit B.E. year
    ("31/12/99", D(2056, 12, 31)),
    ("12/01/2562", D(2019, 1, 12)),                # never month/day when both fit
    # ISO, C.E. and B.E.
    ("2019-01-15", JAN15),
    ("2562-01-15", JAN15),
    ("๒๕๖๒-๐๑-๑๕", JAN15),
    ("2019-01-15T00:00:00", JAN15),
    ("2019-01-15 08:30:15", JAN15),
    ("2019/1/15", JAN15),
    # whitespace and invisible characters
    ("  15   ม.ค.   2562  ", JAN15),
    ("15\u00a0ม.ค.\u00a02562", JAN15),
    ("1\u200b5 ม.ค.\u200b 2562", JAN15),
    ("\ufeff15/01/2562\n", JAN15),
    ("15\u200c/01/2562\t", JAN15),
    # range limits and leap days
    ("1 ม.ค. 2400", D(1857, 1, 1)),
    ("31/12/2700", D(2157, 12, 31)),
    ("1/1/1857", D(1857, 1, 1)),
    ("31/12/2157", D(2157, 12, 31)),
    ("29 ก.พ. 2563", D(2020, 2, 29)),
    ("29/02/2020", D(2020, 2, 29)),
    ("29 ก.พ. 2543", D(2000, 2, 29)),              # 2000 is a leap year (div. by 400)
    ("30 เม.ย. 2562", D(2019, 4, 30)),
    ("31 ธ.ค. 2562", D(2019, 12, 31)),
])
def test_parse_date_accepts(value: object, expected: dt.date) -> None:
    result = parse_date(value)
    assert result == expected
    assert type(result) is dt.date


# --- parse_date: refusals -----------------------------------------------------------------

@pytest.mark.parametrize(("value", "ambiguous", "reason_en"), [
    # impossible days and months
    ("31 เม.ย. 2562", False, "April has 30 days"),
    ("31/04/2562", False, "April has 30 days"),
    ("29 ก.พ. 2562", False, "not a leap year"),
    ("29/02/2019", False, "not a leap year"),
    ("29 ก.พ. 2443", False, "not a leap year"),     # 1900 is not a leap year
    ("30 ก.พ. 2563", False, "February has 29 days"),
    ("32/01/2562", False, "no day 32"),
    ("0/01/2562", False, "no day 0"),
    ("15/00/2562", False, "no month 0"),
    ("13/13/2562", False, "no month 13"),
    ("2562-13-01", False, "no month 13"),
    (D(2564, 2, 29), False, "not a leap year"),     # 2564 is leap, 2021 is not
    # unknown month / unparseable
    ("15 มกร 2562", False, "unknown month"),
    ("15 พ.ศ. 2562", False, "unknown month"),
    ("สิบห้า มกราคม 2562", False, "not a recognisable date"),
    ("abc", False, "not a recognisable date"),
    ("15/01", False, "not a recognisable date"),
    ("2562", False, "not a recognisable date"),
    ("43480", False, "not a recognisable date"),
    ("15-01/2562", False, "not a recognisable date"),
    ("15/1/5", False, "not a recognisable date"),
    ("15/01/256", False, "not a recognisable date"),
    ("15 / 2562", False, "not a recognisable date"),
    ("15-16 ม.ค. 2562", False, "not a recognisable date"),
    ("", False, "empty"),
    ("  \u00a0\u200b ", False, "empty"),
    (None, False, "empty"),
    # years outside the sane range
    ("15 ม.ค. 2300", False, "outside"),
    ("15/01/1800", False, "outside"),
    ("15/01/1856", False, "outside"),
    ("15/01/2158", False, "outside"),
    ("15/01/2399", False, "outside"),
    ("15/01/2701", False, "outside"),
    ("15 ม.ค. พ.ศ. 2019", False, "2019 BE is outside"),
    ("15 ม.ค. ค.ศ. 2562", False, "2562 CE is outside"),
    (D(2300, 1, 1), False, "outside"),
    (D(1800, 1, 1), False, "outside"),
    (D(2158, 1, 1), False, "outside"),
    # Excel serials that are not dates
    (0, False, "not an Excel date serial"),
    (0.5, False, "not an Excel date serial"),
    (-1, False, "not an Excel date serial"),
    (2958466, False, "not an Excel date serial"),
    (float("nan"), False, "not an Excel date serial"),
    (float("inf"), False, "not an Excel date serial"),
    (60, False, "29 February 1900"),
    ((D(2200, 1, 1) - D(1899, 12, 30)).days, False, "outside"),
    (True, False, "true/false"),
    ([2019, 1, 15], False, "list"),
    # ambiguous
    ("15/01/19", True, "two-digit year"),
    ("15 ม.ค. 19", True, "two-digit year"),
    ("1/1/00", True, "two-digit year"),
    ("31/12/39", True, "two-digit year"),
    ("15 ม.ค. ค.ศ. 19", True, "century"),
    ("15 ม.ค. ค.ศ. 62", True, "century"),     # ค.ศ. overrides the 40–99 B.E. rule
    ("01/15/2562", True, "month/day order"),
    ("12/31/2019", True, "month/day order"),
    ("01/15/19", True, "month/day order"),
])
def test_parse_date_refuses(value: object, ambiguous: bool, reason_en: str) -> None:
    with pytest.raises(DateParseError) as caught:
        parse_date(value)
    error = caught.value
    assert isinstance(error, ValueError)
    assert error.ambiguous is ambiguous
    assert reason_en in error.reason_en
    assert any("\u0e01" <= ch <= "\u0e5b" for ch in error.reason_th)   # a Thai reason
    assert error.reason_th in str(error) and error.reason_en in str(error)


@pytest.mark.parametrize(("text", "reason_th"), [
    ("29 ก.พ. 2562", "พ.ศ. 2562 ไม่ใช่ปีอธิกสุรทิน"),
    ("31 เม.ย. 2562", "เดือนเมษายนมี 30 วัน"),
    ("15 มกร 2562", "ไม่รู้จักชื่อเดือน 'มกร'"),
    ("15/01/19", "อาจเป็น พ.ศ. 2519 หรือ ค.ศ. 2019"),
])
def test_refusal_reasons_in_thai(text: str, reason_th: str) -> None:
    with pytest.raises(DateParseError) as caught:
        parse_date(text)
    assert reason_th in caught.value.reason_th


@pytest.mark.parametrize(("text", "fiscal_year", "expected"), [
    ("15/01/19", 2562, JAN15),
    ("15/01/19", 2563, JAN15),                     # FY 2562 is within 2563 ± 1
    ("15/10/18", 2562, D(2018, 10, 15)),           # October belongs to the next FY
    ("15 ม.ค. 20", 2563, D(2020, 1, 15)),
    ("15/01/25", 2525, D(1982, 1, 15)),            # the B.E. reading can win too
    ("15/01/62", 2520, JAN15),                     # 40–99 is always B.E.; hint not used
    ("15/01/2562", 2600, JAN15),                   # 4-digit years ignore the hint
    ("15/10/19", 2562, D(2019, 10, 15)),           # FY 2563 is within 2562 ± 1
])
def test_fiscal_year_hint_resolves_two_digit_years(text: str, fiscal_year: int,
                                                   expected: dt.date) -> None:
    assert parse_date(text, fiscal_year=fiscal_year) == expected


@pytest.mark.parametrize(("text", "fiscal_year"), [
    ("15/01/19", 2570),       # neither reading near FY 2570
    ("15/01/19", 2560),       # FY 2562 is two years away
    ("15/10/19", 2561),       # 15 Oct 2019 is FY 2563, two years away
    ("01/15/19", 2562),       # the hint does not settle month/day order
])
def test_fiscal_year_hint_leaves_far_readings_ambiguous(text: str, fiscal_year: int) -> None:
    with pytest.raises(DateParseError) as caught:
        parse_date(text, fiscal_year=fiscal_year)
    assert caught.value.ambiguous


@pytest.mark.parametrize("fiscal_year", [2019, 0, 2399, 2701, True])
def test_fiscal_year_hint_must_be_buddhist_era(fiscal_year: int) -> None:
    with pytest.raises(ValueError) as caught:
        parse_date("15/01/2562", fiscal_year=fiscal_year)
    assert not isinstance(caught.value, DateParseError)   # a caller's bug, not a finding


# --- formatting and round trips -----------------------------------------------------------

@pytest.mark.parametrize(("d", "short", "long"), [
    (JAN15, "15 ม.ค. 2562", "15 มกราคม พ.ศ. 2562"),
    (D(2020, 2, 29), "29 ก.พ. 2563", "29 กุมภาพันธ์ พ.ศ. 2563"),
    (D(2018, 10, 1), "1 ต.ค. 2561", "1 ตุลาคม พ.ศ. 2561"),
    (D(2024, 12, 31), "31 ธ.ค. 2567", "31 ธันวาคม พ.ศ. 2567"),
    (dt.datetime(2019, 7, 5, 23, 59), "5 ก.ค. 2562", "5 กรกฎาคม พ.ศ. 2562"),
])
def test_format_dates(d: dt.date, short: str, long: str) -> None:
    assert format_date_short(d) == short
    assert format_date_long(d) == long
    assert format_date_long(d, prefix=False) == long.replace("พ.ศ. ", "")
    assert format_date_short(d, thai_digits=True) == to_thai_digits(short)
    assert format_date_long(d, thai_digits=True) == to_thai_digits(long)


def test_format_thai_digits_example() -> None:
    assert format_date_short(JAN15, thai_digits=True) == "๑๕ ม.ค. ๒๕๖๒"
    assert format_date_long(JAN15, thai_digits=True, prefix=False) == "๑๕ มกราคม ๒๕๖๒"


@pytest.mark.parametrize("formatter", [format_date_short, format_date_long])
def test_format_none_is_empty(formatter) -> None:
    assert formatter(None) == ""
    assert formatter(None, thai_digits=True) == ""


TWO_YEARS = days(D(2019, 1, 1), D(2020, 12, 31))   # 2020 is a leap year


@pytest.mark.parametrize(("name", "render"), [
    ("short", lambda d: format_date_short(d)),
    ("short thai digits", lambda d: format_date_short(d, thai_digits=True)),
    ("long", lambda d: format_date_long(d)),
    ("long thai digits", lambda d: format_date_long(d, thai_digits=True)),
    ("long no prefix", lambda d: format_date_long(d, prefix=False)),
    ("slash B.E.", lambda d: f"{d.day:02d}/{d.month:02d}/{be_year(d)}"),
    ("ISO B.E.", lambda d: f"{be_year(d)}-{d.month:02d}-{d.day:02d}"),
    ("B.E. typed as a real date", lambda d: D(be_year(d), d.month, d.day)
     if not (d.month == 2 and d.day == 29) else d),
])
def test_round_trip_every_day_of_two_years(name: str, render) -> None:
    wrong = [d for d in TWO_YEARS if parse_date(render(d)) != d]
    assert wrong == [], f"{name}: {wrong[:5]}"
    assert len(TWO_YEARS) == 731


@pytest.mark.parametrize("year", range(1900, 2151, 25))
def test_round_trip_across_years(year: int) -> None:
    for d in (D(year, 1, 1), D(year, 2, 28), D(year, 12, 31)):
        assert parse_date(format_date_short(d)) == d
        assert parse_date(format_date_long(d, thai_digits=True)) == d


# --- fiscal years and quarters ------------------------------------------------------------

@pytest.mark.parametrize(("d", "be", "fy", "quarter"), [
    (D(2018, 9, 30), 2561, 2561, 4),
    (D(2018, 10, 1), 2561, 2562, 1),
    (D(2018, 12, 31), 2561, 2562, 1),
    (D(2019, 1, 1), 2562, 2562, 2),
    (D(2019, 3, 31), 2562, 2562, 2),
    (D(2019, 4, 1), 2562, 2562, 3),
    (D(2019, 6, 30), 2562, 2562, 3),
    (D(2019, 7, 1), 2562, 2562, 4),
    (D(2019, 9, 30), 2562, 2562, 4),               # 30 ก.ย. 2562: FY 2562 Q4
    (D(2019, 10, 1), 2562, 2563, 1),               # 1 ต.ค. 2562: FY 2563 Q1
    (D(2020, 2, 29), 2563, 2563, 2),
])
def test_fiscal_year_and_quarter_of(d: dt.date, be: int, fy: int, quarter: int) -> None:
    assert be_year(d) == be
    assert fiscal_year_of(d) == fy
    assert fiscal_quarter_of(d) == quarter


@pytest.mark.parametrize(("text", "fy", "quarter"), [
    ("30 ก.ย. 2562", 2562, 4),
    ("1 ต.ค. 2562", 2563, 1),
    ("31 ธ.ค. 2562", 2563, 1),
    ("1 ม.ค. 2563", 2563, 2),
    ("31 มี.ค. 2563", 2563, 2),
    ("1 เม.ย. 2563", 2563, 3),
    ("30 มิ.ย. 2563", 2563, 3),
    ("1 ก.ค. 2563", 2563, 4),
])
def test_fiscal_boundaries_from_thai_text(text: str, fy: int, quarter: int) -> None:
    d = parse_date(text)
    assert (fiscal_year_of(d), fiscal_quarter_of(d)) == (fy, quarter)


@pytest.mark.parametrize(("fy", "first", "last"), [
    (2562, D(2018, 10, 1), D(2019, 9, 30)),
    (2563, D(2019, 10, 1), D(2020, 9, 30)),
    (2568, D(2024, 10, 1), D(2025, 9, 30)),
])
def test_fiscal_year_bounds(fy: int, first: dt.date, last: dt.date) -> None:
    assert fiscal_year_bounds(fy) == (first, last)


@pytest.mark.parametrize(("fy", "q", "first", "last"), [
    (2562, 1, D(2018, 10, 1), D(2018, 12, 31)),
    (2562, 2, D(2019, 1, 1), D(2019, 3, 31)),
    (2562, 3, D(2019, 4, 1), D(2019, 6, 30)),
    (2562, 4, D(2019, 7, 1), D(2019, 9, 30)),
    (2563, 2, D(2020, 1, 1), D(2020, 3, 31)),
])
def test_quarter_bounds(fy: int, q: int, first: dt.date, last: dt.date) -> None:
    assert quarter_bounds(fy, q) == (first, last)


def test_every_day_lies_in_its_fiscal_year_and_quarter() -> None:
    for d in days(D(2018, 10, 1), D(2020, 9, 30)):
        fy, q = fiscal_year_of(d), fiscal_quarter_of(d)
        first, last = fiscal_year_bounds(fy)
        assert first <= d <= last
        q_first, q_last = quarter_bounds(fy, q)
        assert q_first <= d <= q_last, d


@pytest.mark.parametrize(("call", "args"), [
    (quarter_bounds, (2562, 0)),
    (quarter_bounds, (2562, 5)),
    (quarter_bounds, (2019, 1)),                   # a C.E. year passed by mistake
    (fiscal_year_bounds, (2019,)),
    (quarter_label, (0,)),
    (quarter_label, (5,)),
])
def test_fiscal_arguments_are_checked(call, args: tuple[int, ...]) -> None:
    with pytest.raises(ValueError):
        call(*args)


@pytest.mark.parametrize(("q", "label", "thai_label"), [
    (1, "ไตรมาส 1", "ไตรมาส ๑"),
    (4, "ไตรมาส 4", "ไตรมาส ๔"),
])
def test_quarter_label(q: int, label: str, thai_label: str) -> None:
    assert quarter_label(q) == label
    assert quarter_label(q, thai_digits=True) == thai_label


@pytest.mark.parametrize(("spellings", "month"), [
    (("มกรา", "Jan", "january", "ม.ค"), 1), (("กุมภา", "กุมภาพันธ", "Feb", "กพ."), 2),
    (("มีนา", "Mar", "มีค"), 3), (("เมษา", "Apr", "เมย"), 4), (("พฤษภา", "May", "พค"), 5),
    (("มิถุนา", "Jun", "มิย"), 6), (("กรกฎา", "กรกฏา", "Jul", "กค"), 7),
    (("สิงหา", "Aug", "สค"), 8), (("กันยา", "Sep", "Sept", "กย"), 9), (("ตุลา", "Oct", "ตค"), 10),
    (("พฤศจิกา", "Nov", "พย"), 11), (("ธันวา", "Dec", "December", "ธค"), 12),
])
def test_other_month_spellings(spellings: tuple[str, ...], month: int) -> None:
    # Every spelling must land on its own month: a clash in the lookup would misread dates.
    for spelling in spellings:
        assert parse_date(f"3 {spelling} 2562") == D(2019, month, 3), spelling
