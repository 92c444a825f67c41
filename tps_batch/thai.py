"""Thai conventions: Buddhist-Era dates, Thai digits, fiscal years and baht amounts.

Work groups type dates and numbers every way a Thai clerk can: real Excel dates, dates
typed with the B.E. year into a date cell, text with Thai digits or abbreviated months.
Reading is lenient where the meaning is certain and refuses, with a Thai and an English
reason, where it is not: an ambiguous or impossible date becomes a finding, never a guess.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import re
import unicodedata
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

THAI_DIGITS = "๐๑๒๓๔๕๖๗๘๙"
_TO_ARABIC = str.maketrans(THAI_DIGITS, "0123456789")
_TO_THAI = str.maketrans("0123456789", THAI_DIGITS)

BE_OFFSET = 543
MIN_CE_YEAR, MAX_CE_YEAR = 1857, 2157
MIN_BE_YEAR, MAX_BE_YEAR = MIN_CE_YEAR + BE_OFFSET, MAX_CE_YEAR + BE_OFFSET


def is_be_year(value: object) -> bool:
    """A whole Buddhist-Era year this module can work with (e.g. a fiscal year cell)."""
    return isinstance(value, int) and not isinstance(value, bool) and \
        MIN_BE_YEAR <= value <= MAX_BE_YEAR
EXCEL_MAX_SERIAL = 2958465  # 9999-12-31, the last date Excel can hold

MONTHS_LONG = (
    "มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน",
    "กรกฎาคม", "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม",
)
MONTHS_SHORT = (
    "ม.ค.", "ก.พ.", "มี.ค.", "เม.ย.", "พ.ค.", "มิ.ย.",
    "ก.ค.", "ส.ค.", "ก.ย.", "ต.ค.", "พ.ย.", "ธ.ค.",
)
_MONTHS_EN = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)

# LCID form (calendar 07 = Thai Buddhist, locale 041E = Thai): Excel shows B.E. years and,
# unlike "[$-th-TH,107]", LibreOffice keeps it when it re-saves the workbook.
_EXCEL_FORMATS = {"short": "[$-107041E]d mmm yyyy", "long": "[$-107041E]d mmmm yyyy"}
EXCEL_TH_DIGITS_FORMAT = "[$-D07041E]d mmm yyyy"

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))


def to_arabic_digits(s: str) -> str:
    """Replace Thai digits ๐–๙ by 0–9, so one parser serves both."""
    return s.translate(_TO_ARABIC)


def to_thai_digits(s: str) -> str:
    """Replace 0–9 by Thai digits, for documents printed in the official style."""
    return s.translate(_TO_THAI)


def _clean(s: str) -> str:
    """Arabic digits, no zero-width characters, runs of any whitespace (NBSP too) as one space."""
    return " ".join(to_arabic_digits(s).translate(_ZERO_WIDTH).split())


def _month_key(name: str) -> str:
    return re.sub(r"[\s.\-]", "", name).lower()


def _build_month_lookup() -> dict[str, int]:
    """Every spelling a clerk uses: long, abbreviated, colloquial, one common typo, English."""
    lookup: dict[str, int] = {}
    for number, (long, short, english) in enumerate(
        zip(MONTHS_LONG, MONTHS_SHORT, _MONTHS_EN, strict=True), start=1
    ):
        colloquial = re.sub(r"(คม|ยน|พันธ์)$", "", long)  # มกรา, กุมภา, เมษา ...
        for name in (long, short, colloquial, english, english[:3]):
            lookup[_month_key(name)] = number
    lookup.update({"กรกฏาคม": 7, "กรกฏา": 7, "กุมภาพันธ": 2, "sept": 9})  # ฏ for ฎ is common
    return lookup


_MONTHS = _build_month_lookup()

_TIME_RE = re.compile(r"(?:T|\s)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:\s*น\.)?$")
_PREFIX_RE = re.compile(r"^วันที่\s*")
_NUMERIC_RE = re.compile(r"^(\d{4}|\d{1,2})\s*([/.\-])\s*(\d{1,2})\s*\2\s*(\d{4}|\d{1,2})$")
_WORDS_RE = re.compile(r"^(\d{1,2})\s*(\D+?)\s*(\d{4}|\d{2})$")
_ERA_RE = re.compile(r"([พค])\.?\s*ศ\.?$")


class DateParseError(ValueError):
    """A date that cannot be read: impossible, out of range, or (``ambiguous``) two readings.

    Carries a Thai and an English reason, because the reason goes to clerks on a receipt.
    """

    def __init__(self, reason_th: str, reason_en: str, *, ambiguous: bool = False) -> None:
        super().__init__(f"{reason_th} ({reason_en})")
        self.reason_th = reason_th
        self.reason_en = reason_en
        self.ambiguous = ambiguous


def _unparseable(text: str) -> DateParseError:
    return DateParseError(f"อ่าน '{text}' เป็นวันที่ไม่ได้", f"'{text}' is not a recognisable date")


def _out_of_range(year: int, era: str | None = None) -> DateParseError:
    be_range, ce_range = f"พ.ศ. {MIN_BE_YEAR}–{MAX_BE_YEAR}", f"ค.ศ. {MIN_CE_YEAR}–{MAX_CE_YEAR}"
    shown = {"BE": f"พ.ศ. {year}", "CE": f"ค.ศ. {year}"}.get(era or "", str(year))
    allowed = {"BE": be_range, "CE": ce_range}.get(era or "", f"{be_range} หรือ {ce_range}")
    return DateParseError(f"ปี {shown} อยู่นอกช่วงที่รับได้ ({allowed})",
                          f"year {year}{' ' + era if era else ''} is outside"
                          f" {MIN_BE_YEAR}–{MAX_BE_YEAR} BE / {MIN_CE_YEAR}–{MAX_CE_YEAR} CE")


def _check_month(month: int) -> None:
    if not 1 <= month <= 12:
        raise DateParseError(f"ไม่มีเดือนที่ {month}", f"there is no month {month}")


def _make_date(ce_year: int, month: int, day: int, *, be: bool) -> dt.date:
    """Build the date or explain, in the era the writer used, why it does not exist."""
    length = calendar.monthrange(ce_year, month)[1]
    if 1 <= day <= length:
        return dt.date(ce_year, month, day)
    if month == 2 and day == 29:
        th = f"พ.ศ. {ce_year + BE_OFFSET}" if be else f"ค.ศ. {ce_year}"
        en = f"{ce_year + BE_OFFSET} BE ({ce_year} CE)" if be else str(ce_year)
        raise DateParseError(f"ปี {th} ไม่ใช่ปีอธิกสุรทิน เดือนกุมภาพันธ์มี 28 วัน",
                             f"{en} is not a leap year: February has 28 days")
    if 1 <= day <= 31:
        raise DateParseError(f"เดือน{MONTHS_LONG[month - 1]}มี {length} วัน ไม่มีวันที่ {day}",
                             f"{_MONTHS_EN[month - 1]} has {length} days, there is no day {day}")
    raise DateParseError(f"ไม่มีวันที่ {day}", f"there is no day {day}")


def _from_real_date(d: dt.date) -> dt.date:
    """A real date; years 2400–2700 are B.E. years typed into a Gregorian date cell."""
    if MIN_BE_YEAR <= d.year <= MAX_BE_YEAR:
        return _make_date(d.year - BE_OFFSET, d.month, d.day, be=True)
    if MIN_CE_YEAR <= d.year <= MAX_CE_YEAR:
        return d
    raise _out_of_range(d.year)


def _from_serial(serial: float) -> dt.date:
    """An Excel 1900-system serial, keeping Excel's fictitious 29 Feb 1900 (serial 60) out."""
    if not 1 <= serial <= EXCEL_MAX_SERIAL:  # NaN fails this too
        raise DateParseError(f"เลข {serial} ไม่ใช่วันที่ของ Excel (ต้องอยู่ระหว่าง 1 ถึง {EXCEL_MAX_SERIAL})",
                             f"{serial} is not an Excel date serial (1 to {EXCEL_MAX_SERIAL})")
    days = math.floor(serial)  # the fraction is the time of day
    if days == 60:
        raise DateParseError("วันที่ 29 ก.พ. 1900 ไม่มีจริง (ข้อผิดพลาดของ Excel)",
                             "29 February 1900 does not exist (Excel's leap-year bug)")
    base = dt.date(1899, 12, 30) if days > 60 else dt.date(1899, 12, 31)
    return _from_real_date(base + dt.timedelta(days=days))


def _two_digit_year(yy: int, month: int, era: str | None,
                    fiscal_year: int | None) -> tuple[int, bool]:
    """Resolve a 2-digit year to (CE year, written as BE?), or refuse as ambiguous."""
    if era == "BE" or (era is None and yy >= 40):
        return 2500 + yy - BE_OFFSET, True
    if era == "CE":
        raise DateParseError(f"ปี ค.ศ. '{yy:02d}' ไม่ระบุศตวรรษ กรุณาใช้ปี 4 หลัก",
                             f"two-digit CE year '{yy:02d}' has no century; write 4 digits",
                             ambiguous=True)
    if fiscal_year is not None:
        readings = [(1957 + yy, True), (2000 + yy, False)]  # 25yy BE, or 20yy CE
        near = [r for r in readings
                if abs(r[0] + BE_OFFSET + (month >= 10) - fiscal_year) <= 1]
        if len(near) == 1:
            return near[0]
    raise DateParseError(
        f"ปี '{yy:02d}' กำกวม อาจเป็น พ.ศ. 25{yy:02d} หรือ ค.ศ. 20{yy:02d} กรุณาใช้ปี พ.ศ. 4 หลัก",
        f"two-digit year '{yy:02d}' could be 25{yy:02d} BE or 20{yy:02d} CE; write 4 digits",
        ambiguous=True)


def _resolve(day: int, month: int, year_text: str, era: str | None,
             fiscal_year: int | None) -> dt.date:
    _check_month(month)
    year = int(year_text)
    if len(year_text) == 2:
        ce_year, be = _two_digit_year(year, month, era, fiscal_year)
        return _make_date(ce_year, month, day, be=be)
    in_be, in_ce = MIN_BE_YEAR <= year <= MAX_BE_YEAR, MIN_CE_YEAR <= year <= MAX_CE_YEAR
    if not {"BE": in_be, "CE": in_ce}.get(era or "", in_be or in_ce):
        raise _out_of_range(year, era)
    return _make_date(year - BE_OFFSET if in_be else year, month, day, be=in_be)


def _from_text(raw: str, fiscal_year: int | None) -> dt.date:
    text = _clean(raw)
    if not text:
        raise DateParseError("ไม่มีวันที่ (ว่าง)", "the date is empty")
    text = _PREFIX_RE.sub("", _TIME_RE.sub("", text))
    m = _NUMERIC_RE.match(text)
    if m:
        first, _, middle, last = m.groups()
        if len(first) == 4 and len(last) <= 2:  # ISO order, B.E. or C.E.
            return _resolve(int(last), int(middle), first, None, fiscal_year)
        if len(first) <= 2 and len(last) in (2, 4):  # Thai order: day/month/year
            day, month = int(first), int(middle)
            if month > 12 and 1 <= day <= 12:
                raise DateParseError(
                    f"ลำดับวัน/เดือนกำกวม: ไม่มีเดือนที่ {month} อาจเขียนแบบ เดือน/วัน/ปี",
                    f"month/day order: there is no month {month}; it may be written month/day/year",
                    ambiguous=True)
            return _resolve(day, month, last, None, fiscal_year)
        raise _unparseable(raw.strip())
    m = _WORDS_RE.match(text)
    if not m or not any(ch.isalpha() for ch in m.group(2)):
        raise _unparseable(raw.strip())
    day_text, words, year_text = m.groups()
    words = words.strip(" ,-/")
    era = None
    era_match = _ERA_RE.search(words)
    if era_match:
        era = "BE" if era_match.group(1) == "พ" else "CE"
        words = words[:era_match.start()].strip(" ,-/")
    month = _MONTHS.get(_month_key(words))
    if month is None:
        raise DateParseError(f"ไม่รู้จักชื่อเดือน '{words}'", f"unknown month name '{words}'")
    return _resolve(int(day_text), month, year_text, era, fiscal_year)


def _check_fiscal_year(fiscal_year: int) -> None:
    """Fiscal years are always B.E.; a C.E. year here is a caller's bug, so fail loudly."""
    if isinstance(fiscal_year, bool) or fiscal_year not in range(MIN_BE_YEAR, MAX_BE_YEAR + 1):
        raise ValueError(f"fiscal year must be B.E. {MIN_BE_YEAR}–{MAX_BE_YEAR}: {fiscal_year!r}")


def parse_date(value: object, *, fiscal_year: int | None = None) -> dt.date:
    """Read a date from a cell value (real date, Excel serial, or Thai/ISO text).

    Returns the Gregorian date. ``fiscal_year`` (B.E.) is only a tie-breaker for two-digit
    years 00–39, which alone could be 25yy B.E. or 20yy C.E.: the reading whose fiscal
    year lies within ``fiscal_year`` ± 1 wins if exactly one does; otherwise, and without
    the hint, such a year is ambiguous. Raises :class:`DateParseError`.
    """
    if fiscal_year is not None:
        _check_fiscal_year(fiscal_year)
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return _from_real_date(value)
    if isinstance(value, bool):
        raise DateParseError("ค่าจริง/เท็จ ไม่ใช่วันที่", "a true/false value is not a date")
    if isinstance(value, (int, float)):
        return _from_serial(value)
    if isinstance(value, str):
        return _from_text(value, fiscal_year)
    if value is None:
        raise DateParseError("ไม่มีวันที่ (ว่าง)", "the date is empty")
    kind = type(value).__name__
    raise DateParseError(f"ข้อมูลชนิด {kind} ไม่ใช่วันที่", f"a {kind} value is not a date")


def be_year(d: dt.date) -> int:
    """The Buddhist-Era year of a Gregorian date."""
    return d.year + BE_OFFSET


def format_date_short(d: dt.date | None, *, thai_digits: bool = False) -> str:
    """Table style, "15 ม.ค. 2562"; None (an empty cell) gives ""."""
    if d is None:
        return ""
    text = f"{d.day} {MONTHS_SHORT[d.month - 1]} {be_year(d)}"
    return to_thai_digits(text) if thai_digits else text


def format_date_long(d: dt.date | None, *, thai_digits: bool = False, prefix: bool = True) -> str:
    """Prose style, "15 มกราคม พ.ศ. 2562" (no "พ.ศ." when ``prefix`` is False); None gives ""."""
    if d is None:
        return ""
    era = "พ.ศ. " if prefix else ""
    text = f"{d.day} {MONTHS_LONG[d.month - 1]} {era}{be_year(d)}"
    return to_thai_digits(text) if thai_digits else text


def fiscal_year_of(d: dt.date) -> int:
    """The fiscal year (B.E.) a date falls in: it is named by the year it ends in, 30 Sep."""
    return be_year(d) + (1 if d.month >= 10 else 0)


def fiscal_year_bounds(fy: int) -> tuple[dt.date, dt.date]:
    """First and last day of fiscal year ``fy`` (B.E.): 1 Oct of the year before – 30 Sep."""
    _check_fiscal_year(fy)
    return dt.date(fy - BE_OFFSET - 1, 10, 1), dt.date(fy - BE_OFFSET, 9, 30)


def fiscal_quarter_of(d: dt.date) -> int:
    """Fiscal quarter 1–4: Oct–Dec is 1, Jan–Mar 2, Apr–Jun 3, Jul–Sep 4."""
    return (d.month - 10) % 12 // 3 + 1


def _check_quarter(q: int) -> None:
    if isinstance(q, bool) or q not in (1, 2, 3, 4):
        raise ValueError(f"quarter must be 1–4: {q!r}")


def quarter_bounds(fy: int, q: int) -> tuple[dt.date, dt.date]:
    """First and last day of quarter ``q`` of fiscal year ``fy`` (B.E.)."""
    _check_fiscal_year(fy)
    _check_quarter(q)
    first_month = (10, 1, 4, 7)[q - 1]
    year = fy - BE_OFFSET - (1 if q == 1 else 0)
    last_month = first_month + 2
    return (dt.date(year, first_month, 1),
            dt.date(year, last_month, calendar.monthrange(year, last_month)[1]))


def quarter_label(q: int, *, thai_digits: bool = False) -> str:
    """ "ไตรมาส 1" … "ไตรมาส 4", as reports head their columns."""
    _check_quarter(q)
    text = f"ไตรมาส {q}"
    return to_thai_digits(text) if thai_digits else text


_NUMBER_RE = re.compile(r"^[+-]?(?:(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+)$")


def _whole_to_int(x: float) -> int | float:
    if not math.isfinite(x):
        raise ValueError(f"not a finite number: {x!r}")
    return int(x) if x.is_integer() else x


def parse_number(value: object) -> int | float:
    """Read a count or amount: Thai digits, thousands separators, "บาท" or "%" suffix.

    "%" is dropped, not divided (cells hold "54%" meaning 54). Whole floats become int so
    that 12.0 compares and prints as 12. Raises ValueError for anything else, booleans
    included, and for separators in the wrong places ("1,2,3.4.5", "12 34").
    """
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return value if isinstance(value, int) else _whole_to_int(float(value))
    # Anything else that is not text (booleans included) fails the pattern below.
    text = _clean(value).replace("\u2212", "-") if isinstance(value, str) else ""
    for suffix in ("บาท", "%"):
        if text.endswith(suffix):
            text = text[: -len(suffix)].rstrip()
            break
    text = text.removeprefix("฿").strip()
    text = re.sub(r"^([+-]) ", r"\1", text)
    text = re.sub(r"(?<=\d) (?=\d)", ",", text)  # "1 234" groups like "1,234"
    if not _NUMBER_RE.match(text):
        raise ValueError(f"not a number: {value!r}")
    plain = text.replace(",", "")
    return int(plain) if "." not in plain else _whole_to_int(float(plain))


def _to_decimal(x: object) -> Decimal:
    """Exact decimal of a number as written, so 2.675 rounds to 2.68 as a clerk expects."""
    if isinstance(x, bool) or not isinstance(x, (int, float, Decimal)):
        raise TypeError(f"not a number: {x!r}")
    result = Decimal(repr(x)) if isinstance(x, float) else Decimal(x)
    if not result.is_finite():
        raise ValueError(f"not a finite number: {x!r}")
    return result


def format_baht(x: float | Decimal | None, *, thai_digits: bool = False) -> str:
    """Baht with two decimals and thousands separators, "1,234,567.50"; None gives ""."""
    if x is None:
        return ""
    amount = _to_decimal(x).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    text = f"{abs(amount) if amount == 0 else amount:,.2f}"  # never "-0.00"
    return to_thai_digits(text) if thai_digits else text


def format_number(x: float | Decimal | None, *, thai_digits: bool = False) -> str:
    """A count with thousands separators, "1,234"; fractions keep their own decimals."""
    if x is None:
        return ""
    number = _to_decimal(x)
    if number == number.to_integral_value():
        text = f"{int(number):,}"
    else:
        text = f"{number.normalize():,f}"
    return to_thai_digits(text) if thai_digits else text


def excel_th_date_format(style: str = "short") -> str:
    """Excel number format that shows a real date cell in B.E. ("short" or "long" month)."""
    try:
        return _EXCEL_FORMATS[style]
    except KeyError:
        raise ValueError(f"style must be 'short' or 'long': {style!r}") from None


# --- dictionary order ---------------------------------------------------------------------
#: Vowels written before the consonant they follow in speech: เก sorts as ก + เ.
LEADING_VOWELS = frozenset("เแโใไ")
#: Marks that only break ties (tones, ็ and ์): มา before ม่า before ม้า before มาก.
_TIE_MARKS = frozenset("\u0e47\u0e48\u0e49\u0e4a\u0e4b\u0e4c\u0e4d\u0e4e")


def _is_consonant(ch: str) -> bool:
    return "\u0e01" <= ch <= "\u0e2e"


def sort_key(text: object) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Thai dictionary order (ราชบัณฑิตยสถาน) as a sort key, for names and groups.

    Consonants in their alphabet order (their code point order), a consonant alone before
    it with a vowel (so นโยบาย before นิเทศ), a leading vowel เ แ โ ใ ไ sorted by the
    consonant after it, tone marks only as a tie-break; spaces and case fold away.
    Written here because ICU (PyICU) has no wheel to install: it is a C build on every
    office computer.
    """
    s = unicodedata.normalize("NFC", " ".join(str(text or "").split())).casefold()
    s = s.replace("\u0e4d\u0e32", "\u0e33")  # ำ typed as ํ + า
    primary: list[int] = []
    ties: list[int] = []
    i = 0
    while i < len(s):
        ch = s[i]
        if ch in LEADING_VOWELS and i + 1 < len(s) and _is_consonant(s[i + 1]):
            primary += [ord(s[i + 1]), ord(ch)]
            i += 2
            continue
        if ch in _TIE_MARKS:
            ties.append(len(primary) * 0x10000 + ord(ch))
        elif ch != " ":
            primary.append(ord(ch))
        i += 1
    return tuple(primary), tuple(ties)


def sorted_thai(items: Any, key: Any = None) -> list[Any]:
    """``items`` in Thai dictionary order (of ``key(item)``, default the item itself)."""
    return sorted(items, key=lambda x: sort_key(x if key is None else key(x)))


# --- values with their unit ------------------------------------------------------------------
#: Units written before the number in Thai: ร้อยละ 80, ระดับ 4 (others follow it: 4.21 คะแนน).
UNITS_BEFORE = ("ร้อยละ", "ระดับ")


def format_measure(value: float | Decimal | None, unit: str | None = None) -> str:
    """A target or achieved value the Thai way: "ร้อยละ 80", "4.21 คะแนน", "120 คน"."""
    if value is None:
        return ""
    number = format_number(value)
    unit = " ".join((unit or "").split())
    if not unit:
        return number
    return f"{unit} {number}" if unit in UNITS_BEFORE else f"{number} {unit}"
