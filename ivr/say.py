"""Text the TTS speaks for numbers, money, dates and digit strings, in the call's language.

Pure functions; the Mandarin voice reads Chinese characters, the English voice reads words.

Reading choices (tested in tests/unit/ivr/test_say.py):

* Mandarin numbers follow the standard zero rules: one 零 for any run of skipped places
  (105 一百零五, 1010 一千零一十, 10200 一万零二百, 1000001 一百万零一); a leading 一十 is
  said 十 (10 十, 12 十二, 100000 十万) but kept after another place (110 一百一十).
* 二 or 两: colloquial 两 only for the first spoken digit of the whole number when it stands
  before 百, 千, 万 or 亿 (200 两百, 2000 两千, 20000 两万, 200000000 两亿, 22000 两万二千);
  everywhere else 二 (2 二, 20 二十, 1200 一千二百, 2 元 二元).
* English numbers are British: "and" before the tens and units after a hundred, thousand or
  larger (105 "one hundred and five", 1000001 "one million and one"), tens hyphenated
  ("twenty-one"), short scale (million, billion, trillion).
* Money is yuan: Mandarin 元/角/分 ("三元五角", "三元零五分", "五角"); English counts the
  fractional part in fen ("three yuan and fifty fen", "fifty fen").
* Dates: Mandarin "二〇二六年十一月二十二日" (year digit by digit with 〇); English
  "the twenty-second of November, twenty twenty-six" (2000-2009 "two thousand and five",
  1905 "nineteen oh five", 1900 "nineteen hundred").
* Digit strings (phone, policy and badge numbers) are read one symbol at a time; Mandarin says
  幺 for 1, as Chinese operators do for numbers that are read out, so it is not confused with 七.
"""

from __future__ import annotations

import itertools
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from ivr.menu import Language

LIMIT = 10**16  # numbers are spoken for magnitudes below ten thousand trillion (一亿亿)

_ZH_DIGITS = "零一二三四五六七八九"
_ZH_PLACES = ("", "十", "百", "千")
_ZH_UNITS = ((10**8, "亿"), (10**4, "万"))

_EN_ONES = (
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
)
_EN_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_EN_SCALES = (
    (10**12, "trillion"),
    (10**9, "billion"),
    (10**6, "million"),
    (10**3, "thousand"),
    (100, "hundred"),
)
_EN_ORDINALS = {
    "one": "first",
    "two": "second",
    "three": "third",
    "five": "fifth",
    "eight": "eighth",
    "nine": "ninth",
    "twelve": "twelfth",
}
_EN_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)

_ZH_DIGIT_STRING = "零幺二三四五六七八九"
_SYMBOLS: dict[str, tuple[str, str]] = {
    "*": ("星", "star"),
    "#": ("井", "hash"),
    "+": ("加", "plus"),
}
_SEPARATORS = " -"

FEN = Decimal("0.01")


# --- numbers -------------------------------------------------------------------------------


def say_number(n: int, language: Language) -> str:
    """An integer in words; raises ValueError at or beyond ten thousand trillion."""
    if abs(n) >= LIMIT:
        raise ValueError(f"{n} is too large to say")
    if language == "zh":
        return "负" + _zh(-n, first=True) if n < 0 else _zh(n, first=True)
    return "minus " + _en(-n) if n < 0 else _en(n)


def say_ordinal(n: int, language: Language) -> str:
    """First, second, ... (第一, 第二, ...) for n >= 1."""
    if n < 1:
        raise ValueError(f"no ordinal for {n}")
    if language == "zh":
        return "第" + say_number(n, "zh")
    words = _en(n)
    cut = max(words.rfind(" "), words.rfind("-")) + 1
    return words[:cut] + _en_ordinal(words[cut:])


def _zh(n: int, *, first: bool) -> str:
    if n == 0:
        return "零"
    for unit_value, unit_name in _ZH_UNITS:
        if n >= unit_value:
            high, low = divmod(n, unit_value)
            head = "两" if first and high == 2 else _zh(high, first=first)
            return head + unit_name + _zh_tail(low, unit_value)
    return _zh_section(n, first=first)


def _zh_tail(low: int, unit_value: int) -> str:
    """What follows 万 or 亿: nothing, or the rest with one 零 when its top place is empty."""
    if low == 0:
        return ""
    gap = "零" if low < unit_value // 10 else ""
    return gap + _zh(low, first=False)


def _zh_section(n: int, *, first: bool) -> str:
    """1..9999 with 千/百/十 and one 零 for a run of empty places between spoken digits."""
    parts: list[str] = []
    pending_zero = False
    for place, char in zip((3, 2, 1, 0), f"{n:04d}", strict=True):
        digit = int(char)
        if digit == 0:
            pending_zero = bool(parts)
            continue
        if pending_zero:
            parts.append("零")
            pending_zero = False
        parts.append(_zh_digit(digit, place, leading=first and not parts) + _ZH_PLACES[place])
    return "".join(parts)


def _zh_digit(digit: int, place: int, *, leading: bool) -> str:
    if leading and place == 1 and digit == 1:
        return ""
    if leading and place >= 2 and digit == 2:
        return "两"
    return _ZH_DIGITS[digit]


def _en(n: int) -> str:
    if n < 100:
        return _en_small(n)
    words: list[str] = []
    for scale_value, scale_name in _EN_SCALES:
        if n >= scale_value:
            high, n = divmod(n, scale_value)
            words.append(f"{_en(high)} {scale_name}")
    if n:
        words.append("and " + _en_small(n))
    return " ".join(words)


def _en_small(n: int) -> str:
    if n < 20:
        return _EN_ONES[n]
    tens, ones = divmod(n, 10)
    return _EN_TENS[tens] + (f"-{_EN_ONES[ones]}" if ones else "")


def _en_ordinal(word: str) -> str:
    if word in _EN_ORDINALS:
        return _EN_ORDINALS[word]
    if word.endswith("y"):
        return word[:-1] + "ieth"
    return word + "th"


# --- money ---------------------------------------------------------------------------------


def say_money(amount: Decimal, language: Language) -> str:
    """Yuan, rounded half-up to the fen; negative or non-finite amounts raise ValueError."""
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"cannot say {amount} yuan")
    fen_total = int(amount.quantize(FEN, rounding=ROUND_HALF_UP) * 100)
    yuan, fen = divmod(fen_total, 100)
    if language == "zh":
        return _zh_money(yuan, *divmod(fen, 10))
    return _en_money(yuan, fen)


def _zh_money(yuan: int, jiao: int, fen: int) -> str:
    if yuan == 0 and jiao == 0 and fen == 0:
        return "零元"
    text = say_number(yuan, "zh") + "元" if yuan else ""
    if jiao:
        text += _ZH_DIGITS[jiao] + "角"
    elif fen and yuan:
        text += "零"
    if fen:
        text += _ZH_DIGITS[fen] + "分"
    return text


def _en_money(yuan: int, fen: int) -> str:
    fen_text = f"{_en(fen)} fen"
    if yuan == 0:
        return fen_text if fen else "zero yuan"
    yuan_text = f"{_en(yuan)} yuan"
    return f"{yuan_text} and {fen_text}" if fen else yuan_text


# --- dates ---------------------------------------------------------------------------------


def say_date(d: date, language: Language) -> str:
    if language == "zh":
        year = "".join("〇" if c == "0" else _ZH_DIGITS[int(c)] for c in str(d.year))
        return f"{year}年{say_number(d.month, 'zh')}月{say_number(d.day, 'zh')}日"
    month = _EN_MONTHS[d.month - 1]
    return f"the {say_ordinal(d.day, 'en')} of {month}, {_en_year(d.year)}"


def _en_year(year: int) -> str:
    century, rest = divmod(year, 100)
    if year < 1000 or year % 1000 < 10:
        return _en(year)
    if rest == 0:
        return f"{_en(century)} hundred"
    if rest < 10:
        return f"{_en(century)} oh {_en(rest)}"
    return f"{_en(century)} {_en(rest)}"


# --- digit strings -------------------------------------------------------------------------


def say_digits(digits: str, language: Language) -> str:
    """Read digits, Latin letters, * # + one at a time; spaces and hyphens are skipped.

    English separates every symbol with a space ("F A one zero zero"); Mandarin runs digits
    together ("幺三八") and puts a space on each side of a letter ("F A 幺零零").
    """
    tokens = [_digit_token(c, language) for c in digits if c not in _SEPARATORS]
    if not tokens:
        raise ValueError("no digits to say")
    if language == "en":
        return " ".join(tokens)
    text = tokens[0]
    for previous, token in itertools.pairwise(tokens):
        text += (" " if previous.isascii() or token.isascii() else "") + token
    return text


def _digit_token(char: str, language: Language) -> str:
    if char.isascii() and char.isdigit():
        return _ZH_DIGIT_STRING[int(char)] if language == "zh" else _EN_ONES[int(char)]
    if char.isascii() and char.isalpha():
        return char.upper()
    if char in _SYMBOLS:
        zh, en = _SYMBOLS[char]
        return zh if language == "zh" else en
    raise ValueError(f"cannot say {char!r} in a digit string")


# --- fragments -----------------------------------------------------------------------------
# As Asterisk's own Say applications do, a spoken number, amount, date or digit string is
# played as a row of short pre-rendered files, one per word of a closed vocabulary (Mandarin:
# one per character, 一 十 百 千 万 元 角 分 年 月 日 ...; English: one per word, "twenty", "one",
# "yuan", "November" ...), so a live call needs no TTS for it.

_ZH_FRAGMENTS = "零一二三四五六七八九十百千万亿两元角分年月日〇幺负第星井加"
_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _en_vocabulary() -> frozenset[str]:
    numbers = [*_EN_ONES, *filter(None, _EN_TENS), *(name for _, name in _EN_SCALES)]
    ordinals = [_en_ordinal(word) for word in numbers]
    symbols = [en for _, en in _SYMBOLS.values()]
    extra = ["and", "minus", "yuan", "fen", "the", "of", "oh"]
    return frozenset([*numbers, *ordinals, *_EN_MONTHS, *symbols, *extra, *_LETTERS])


VOCABULARY: dict[Language, frozenset[str]] = {
    "zh": frozenset([*_ZH_FRAGMENTS, *_LETTERS]),
    "en": _en_vocabulary(),
}


def fragments(spoken: str, language: Language) -> tuple[str, ...] | None:
    """The vocabulary words that say ``spoken`` (what say_number, say_money, say_date,
    say_digits return) one after the other; None when a word is not in the vocabulary."""
    if language == "zh":
        words = [c for c in spoken if not c.isspace()]
    else:
        words = spoken.replace("-", " ").replace(",", " ").split()
    if not words or any(word not in VOCABULARY[language] for word in words):
        return None
    return tuple(words)
