"""Pure helpers for phone numbers and identity numbers."""

from __future__ import annotations

from datetime import date

_CN_PREFIXES = ("0086", "86")
_CN_MOBILE_DIGITS = 11


def phone_candidates(number: str) -> tuple[str, ...]:
    """Forms under which a caller number may be stored, most specific first.

    ``+86 138-0013-8000`` → ``("+86 138-0013-8000", "8613800138000", "13800138000")``.
    """
    raw = number.strip()
    digits = "".join(ch for ch in raw if ch.isdigit())
    candidates = [raw, digits]
    for prefix in _CN_PREFIXES:
        rest = digits.removeprefix(prefix)
        if rest != digits and len(rest) == _CN_MOBILE_DIGITS:
            candidates.append(rest)
            break
    return tuple(dict.fromkeys(c for c in candidates if c))


def mask_id_number(id_number: str, *, keep_start: int = 3, keep_end: int = 4) -> str:
    """``110101199003074578`` → ``110***********4578``; short values are fully masked."""
    if len(id_number) <= keep_start + keep_end:
        return "*" * len(id_number)
    hidden = len(id_number) - keep_start - keep_end
    return id_number[:keep_start] + "*" * hidden + id_number[-keep_end:]


_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def cn_id_check_digit(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of a PRC resident identity number."""
    if len(first17) != len(_ID_WEIGHTS) or not first17.isdigit():
        raise ValueError("expected the first 17 digits of an identity number")
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def cn_id_birth_date(id_number: str) -> date | None:
    """The birth date a PRC resident identity number carries (characters 7-14, YYYYMMDD);
    ``None`` when ``id_number`` is not one (a passport number, say)."""
    if len(id_number) != len(_ID_WEIGHTS) + 1 or not id_number[:-1].isdigit():
        return None
    try:
        return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return None
