from datetime import date
from decimal import Decimal

import pytest

from ivr.say import say_date, say_digits, say_money, say_number, say_ordinal

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("n", "zh"),
    [
        (0, "零"),
        (1, "一"),
        (2, "二"),
        (10, "十"),
        (11, "十一"),
        (12, "十二"),
        (20, "二十"),
        (22, "二十二"),
        (99, "九十九"),
        (100, "一百"),
        (101, "一百零一"),
        (105, "一百零五"),
        (110, "一百一十"),
        (115, "一百一十五"),
        (200, "两百"),
        (222, "两百二十二"),
        (1000, "一千"),
        (1001, "一千零一"),
        (1010, "一千零一十"),
        (1100, "一千一百"),
        (1200, "一千二百"),
        (2000, "两千"),
        (2002, "两千零二"),
        (9999, "九千九百九十九"),
        (10000, "一万"),
        (10001, "一万零一"),
        (10010, "一万零一十"),
        (10200, "一万零二百"),
        (11000, "一万一千"),
        (20000, "两万"),
        (20200, "两万零二百"),
        (22000, "两万二千"),
        (100000, "十万"),
        (100010, "十万零一十"),
        (120000, "十二万"),
        (1000001, "一百万零一"),
        (2000000, "两百万"),
        (10000000, "一千万"),
        (25000000, "两千五百万"),
        (100000000, "一亿"),
        (100000001, "一亿零一"),
        (100100000, "一亿零一十万"),
        (101000000, "一亿零一百万"),
        (110000000, "一亿一千万"),
        (120000000, "一亿二千万"),
        (200000000, "两亿"),
        (1000000000000, "一万亿"),
        (1500000000000, "一万五千亿"),
        (2000000000000, "两万亿"),
        (-12, "负十二"),
        (-200, "负两百"),
    ],
)
def test_mandarin_numbers(n, zh):
    assert say_number(n, "zh") == zh


@pytest.mark.parametrize(
    ("n", "en"),
    [
        (0, "zero"),
        (7, "seven"),
        (10, "ten"),
        (13, "thirteen"),
        (20, "twenty"),
        (21, "twenty-one"),
        (99, "ninety-nine"),
        (100, "one hundred"),
        (105, "one hundred and five"),
        (110, "one hundred and ten"),
        (999, "nine hundred and ninety-nine"),
        (1000, "one thousand"),
        (1005, "one thousand and five"),
        (1105, "one thousand one hundred and five"),
        (10200, "ten thousand two hundred"),
        (101000, "one hundred and one thousand"),
        (100000, "one hundred thousand"),
        (1000001, "one million and one"),
        (2500000, "two million five hundred thousand"),
        (200000000, "two hundred million"),
        (3000000000, "three billion"),
        (1000000000000, "one trillion"),
        (-5, "minus five"),
    ],
)
def test_english_numbers_are_british(n, en):
    assert say_number(n, "en") == en


@pytest.mark.parametrize("n", [10**16, -(10**16)])
def test_numbers_beyond_ten_thousand_trillion_are_refused(n):
    with pytest.raises(ValueError, match="too large"):
        say_number(n, "zh")


def test_the_largest_number_is_still_said():
    assert say_number(10**16 - 1, "zh").startswith("九千九百九十九万")
    assert say_number(10**16 - 1, "en").startswith("nine thousand nine hundred")


@pytest.mark.parametrize(
    ("n", "en"),
    [
        (1, "first"),
        (2, "second"),
        (3, "third"),
        (4, "fourth"),
        (5, "fifth"),
        (8, "eighth"),
        (9, "ninth"),
        (11, "eleventh"),
        (12, "twelfth"),
        (20, "twentieth"),
        (21, "twenty-first"),
        (22, "twenty-second"),
        (30, "thirtieth"),
        (31, "thirty-first"),
        (100, "one hundredth"),
        (101, "one hundred and first"),
    ],
)
def test_english_ordinals(n, en):
    assert say_ordinal(n, "en") == en


def test_mandarin_ordinals_and_refused_ordinals():
    assert say_ordinal(2, "zh") == "第二"
    assert say_ordinal(10, "zh") == "第十"
    with pytest.raises(ValueError):
        say_ordinal(0, "en")


@pytest.mark.parametrize(
    ("amount", "zh", "en"),
    [
        ("10200", "一万零二百元", "ten thousand two hundred yuan"),
        ("10200.00", "一万零二百元", "ten thousand two hundred yuan"),
        ("3.5", "三元五角", "three yuan and fifty fen"),
        ("3.05", "三元零五分", "three yuan and five fen"),
        ("12.34", "十二元三角四分", "twelve yuan and thirty-four fen"),
        ("0.5", "五角", "fifty fen"),
        ("0.53", "五角三分", "fifty-three fen"),
        ("0.05", "五分", "five fen"),
        ("0", "零元", "zero yuan"),
        ("1", "一元", "one yuan"),
        ("2", "二元", "two yuan"),
        ("2000", "两千元", "two thousand yuan"),
        ("1.01", "一元零一分", "one yuan and one fen"),
        ("105.20", "一百零五元二角", "one hundred and five yuan and twenty fen"),
        ("5200.00", "五千二百元", "five thousand two hundred yuan"),
    ],
)
def test_money(amount, zh, en):
    assert say_money(Decimal(amount), "zh") == zh
    assert say_money(Decimal(amount), "en") == en


@pytest.mark.parametrize(
    ("amount", "zh"),
    [
        ("0.005", "一分"),
        ("0.004", "零元"),
        ("3.045", "三元零五分"),
        ("3.044", "三元零四分"),
        ("9.995", "十元"),
        ("1877.785", "一千八百七十七元七角九分"),
    ],
)
def test_money_rounds_half_up_to_the_fen(amount, zh):
    assert say_money(Decimal(amount), "zh") == zh


@pytest.mark.parametrize("amount", ["-0.01", "-5", "NaN", "Infinity"])
def test_negative_or_non_finite_money_is_refused(amount):
    with pytest.raises(ValueError):
        say_money(Decimal(amount), "en")


@pytest.mark.parametrize(
    ("day", "zh", "en"),
    [
        (
            date(2026, 11, 22),
            "二〇二六年十一月二十二日",
            "the twenty-second of November, twenty twenty-six",
        ),
        (date(2026, 1, 1), "二〇二六年一月一日", "the first of January, twenty twenty-six"),
        (date(2005, 3, 3), "二〇〇五年三月三日", "the third of March, two thousand and five"),
        (date(2000, 2, 29), "二〇〇〇年二月二十九日", "the twenty-ninth of February, two thousand"),
        (date(2009, 10, 10), "二〇〇九年十月十日", "the tenth of October, two thousand and nine"),
        (date(2010, 7, 4), "二〇一〇年七月四日", "the fourth of July, twenty ten"),
        (
            date(1999, 12, 31),
            "一九九九年十二月三十一日",
            "the thirty-first of December, nineteen ninety-nine",
        ),
        (date(1905, 5, 12), "一九〇五年五月十二日", "the twelfth of May, nineteen oh five"),
        (date(1900, 6, 20), "一九〇〇年六月二十日", "the twentieth of June, nineteen hundred"),
        (date(999, 8, 2), "九九九年八月二日", "the second of August, nine hundred and ninety-nine"),
    ],
)
def test_dates(day, zh, en):
    assert say_date(day, "zh") == zh
    assert say_date(day, "en") == en


@pytest.mark.parametrize(
    ("digits", "zh", "en"),
    [
        (
            "13800138000",
            "幺三八零零幺三八零零零",
            "one three eight zero zero one three eight zero zero zero",
        ),
        (
            "138-0013 8000",
            "幺三八零零幺三八零零零",
            "one three eight zero zero one three eight zero zero zero",
        ),
        ("FA100234", "F A 幺零零二三四", "F A one zero zero two three four"),
        ("fa1", "F A 幺", "F A one"),
        ("1A2", "幺 A 二", "one A two"),
        ("8001", "八零零幺", "eight zero zero one"),
        ("+86", "加八六", "plus eight six"),
        ("*#", "星井", "star hash"),
        ("0", "零", "zero"),
    ],
)
def test_digit_strings(digits, zh, en):
    assert say_digits(digits, "zh") == zh
    assert say_digits(digits, "en") == en


@pytest.mark.parametrize("digits", ["", " - ", "12.5", "１２", "一二"])
def test_unsayable_digit_strings_are_refused(digits):
    with pytest.raises(ValueError):
        say_digits(digits, "zh")
