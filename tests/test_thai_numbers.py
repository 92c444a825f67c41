"""Tests for tps_batch.thai's numbers: Thai digits in amounts, baht, counts, Excel's Thai
formats, measures with their units, and Thai dictionary order."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tps_batch import thai
from tps_batch.thai import (
    EXCEL_TH_DIGITS_FORMAT,
    excel_th_date_format,
    format_baht,
    format_number,
    parse_number,
    to_thai_digits,
)

# --- numbers and amounts ------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    (12, 12),
    (12.0, 12),
    (12.5, 12.5),
    (Decimal("12.00"), 12),
    (Decimal("12.25"), 12.25),
    ("12", 12),
    ("12.0", 12),
    ("1,234", 1234),
    ("1,234,567.50", 1234567.5),
    ("๑,๒๓๔.๕๐", 1234.5),
    ("1,000 บาท", 1000),
    ("1,000บาท", 1000),
    ("฿1,000.25", 1000.25),
    ("54%", 54),
    ("54.5 %", 54.5),
    ("  20000  ", 20000),
    ("\u00a01 234 567\u00a0", 1234567),
    ("-1,234.00", -1234),
    ("\u22121,234", -1234),
    ("- 5", -5),
    ("+5", 5),
    (".5", 0.5),
    ("0", 0),
])
def test_parse_number_accepts(value: object, expected: float) -> None:
    result = parse_number(value)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize("value", [
    "สองพัน", "1,2,3.4.5", "1.2.3", "1,23", "1,000,00", "12 34", "", "   ", "บาท", "%",
    "--5", "1e5", "1234,567", "1,2345", "12 บาท 50", "50%%", "abc", True, False, None, float("nan"),
    float("inf"), Decimal("NaN"), [1], "1,000.",
])
def test_parse_number_refuses(value: object) -> None:
    with pytest.raises(ValueError):
        parse_number(value)


@pytest.mark.parametrize(("amount", "text"), [
    (1234567.5, "1,234,567.50"),
    (1234567, "1,234,567.00"),
    (0, "0.00"),
    (-1234, "-1,234.00"),
    (-0.001, "0.00"),                              # never "-0.00"
    (2.675, "2.68"),                               # half up on the written decimal
    (0.005, "0.01"),
    (999.999, "1,000.00"),
    (Decimal("1000.125"), "1,000.13"),
    (1_100_000, "1,100,000.00"),
])
def test_format_baht(amount: float | Decimal, text: str) -> None:
    assert format_baht(amount) == text
    assert format_baht(amount, thai_digits=True) == to_thai_digits(text)
    assert parse_number(format_baht(amount)) == parse_number(text)


def test_format_baht_examples() -> None:
    assert format_baht(1234.5, thai_digits=True) == "๑,๒๓๔.๕๐"
    assert format_baht(None) == ""


@pytest.mark.parametrize(("value", "error"), [
    (True, TypeError), ("12", TypeError), (float("nan"), ValueError), (float("inf"), ValueError),
])
def test_format_baht_refuses(value: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        format_baht(value)


@pytest.mark.parametrize(("number", "text"), [
    (1234567, "1,234,567"),
    (12.0, "12"),
    (0, "0"),
    (-1000, "-1,000"),
    (1234.5, "1,234.5"),
    (Decimal("1500.50"), "1,500.5"),
    (None, ""),
])
def test_format_number(number: float | Decimal | None, text: str) -> None:
    assert format_number(number) == text


# --- Excel number formats -----------------------------------------------------------------

@pytest.mark.parametrize(("style", "fmt"), [
    ("short", "[$-107041E]d mmm yyyy"),
    ("long", "[$-107041E]d mmmm yyyy"),
])
def test_excel_formats(style: str, fmt: str) -> None:
    assert excel_th_date_format(style) == fmt
    assert EXCEL_TH_DIGITS_FORMAT == "[$-D07041E]d mmm yyyy"


def test_excel_format_default_and_unknown_style() -> None:
    assert excel_th_date_format() == "[$-107041E]d mmm yyyy"
    with pytest.raises(ValueError):
        excel_th_date_format("medium")


def test_dictionary_order_of_the_seed_offices_groups() -> None:
    """Code point order puts กลุ่มนิเทศ before กลุ่มนโยบาย (ิ U+0E34 < โ U+0E42); the dictionary
    reads นโยบาย as น + ย + โ (a consonant alone comes before a consonant with a vowel)."""
    names = ["หน่วยตรวจสอบภายใน", "กลุ่มนิเทศ ติดตามและประเมินผลการจัดการศึกษา",
             "กลุ่มอำนวยการ", "กลุ่มนโยบายและแผน", "กลุ่มกฎหมายและคดี"]
    assert thai.sorted_thai(names) == [
        "กลุ่มกฎหมายและคดี", "กลุ่มนโยบายและแผน",
        "กลุ่มนิเทศ ติดตามและประเมินผลการจัดการศึกษา", "กลุ่มอำนวยการ", "หน่วยตรวจสอบภายใน"]
    assert sorted(names)[1].startswith("กลุ่มนิเทศ")  # what code point order did


@pytest.mark.parametrize(("before", "after"), [
    ("ไก่", "ขวด"),      # ไ sorts by ก, which comes before ข
    ("ขวด", "ใคร"),      # ใ sorts by ค
    ("กา", "เกม"),       # the same consonant: า before เ in the vowel order
    ("เกม", "แกง"), ("แกง", "โกง"), ("โกง", "ไก่"),
    ("กา", "ก่า"), ("ก่า", "ก้า"), ("ก้า", "กาก"),  # tone marks only break ties
    ("นางสาว ก", "นายก"),                            # ง before ย in the alphabet
    ("นาย สมชาย", "นายสมชาย ก"),                     # spaces do not count
])
def test_dictionary_order_pairs(before: str, after: str) -> None:
    assert thai.sort_key(before) < thai.sort_key(after)
    assert thai.sorted_thai([after, before]) == [before, after]


def test_sort_key_sees_through_typing_variants() -> None:
    assert thai.sort_key("กลุ่มอำนวยการ") == thai.sort_key("กลุ่มอ\u0e4d\u0e32นวยการ")
    assert thai.sort_key("กลุ่ม  นโยบาย") == thai.sort_key("กลุ่ม นโยบาย")


@pytest.mark.parametrize(("value", "unit", "text"), [
    (80, "ร้อยละ", "ร้อยละ 80"), (4.21, "คะแนน", "4.21 คะแนน"), (120, "คน", "120 คน"),
    (4, "ระดับ", "ระดับ 4"), (1500, None, "1,500"), (None, "คน", ""), (80.0, "ร้อยละ", "ร้อยละ 80"),
])
def test_format_measure_puts_the_unit_where_thai_does(value, unit, text) -> None:
    assert thai.format_measure(value, unit) == text
