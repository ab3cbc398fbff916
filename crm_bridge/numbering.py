"""Which numbers the contact centre may dial out to (a callback, a dunning call): the Chinese
national numbering plan, pure.

Dialable without asking: mobiles (``1[3-9]`` + 9 digits), fixed lines (``0`` + a 2- or 3-digit
area code + a 7- or 8-digit subscriber number) and the free / shared-cost service numbers
400 and 800 (10 digits). ``+86`` and ``0086`` are China and read as the national number.
Refused unless a prefix of the number is allow-listed (a setting): international numbers (``00``
or ``+`` and another country code), premium-rate and value-added information services (the
carriers' 160 / 168 voice-information lines, 1259x service-provider lines, the 95xxx / 96xxx
short service numbers, 106 SMS service codes, the 179xx / 193 carrier-selection prefixes),
short numbers (emergency 110 / 119 / 120 / 122 and the carriers' own), and anything else.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Final


class NumberKind(StrEnum):
    MOBILE = "mobile"
    FIXED = "fixed"
    SERVICE = "service"  # 400 / 800
    PREMIUM = "premium-rate"
    INTERNATIONAL = "international"
    SHORT = "short"
    INVALID = "invalid"


DIALABLE: Final = frozenset({NumberKind.MOBILE, NumberKind.FIXED, NumberKind.SERVICE})
_DIGITS = re.compile(r"\+?[0-9]{1,32}")
_PLAN: Final = (
    (NumberKind.PREMIUM, re.compile(r"(?:160|168|1259|106|179|193|95|96)[0-9]*")),
    (NumberKind.MOBILE, re.compile(r"1[3-9][0-9]{9}")),
    (NumberKind.SERVICE, re.compile(r"[48]00[0-9]{7}")),
    (NumberKind.PREMIUM, re.compile(r"0(?:10|2[0-9]|[3-9][0-9]{2})(?:160|168)[0-9]*")),
    (NumberKind.FIXED, re.compile(r"0(?:10|2[0-9]|[3-9][0-9]{2})[1-9][0-9]{6,7}")),
    (NumberKind.SHORT, re.compile(r"[0-9]{3,6}")),
)


@dataclass(frozen=True)
class Verdict:
    """What the plan says of a number: its kind, the national form, and whether to dial it."""

    number: str
    national: str
    kind: NumberKind
    allowed: bool

    @property
    def reason(self) -> str:
        return f"{self.kind.value} number" + ("" if self.allowed else " refused")


def national(number: str) -> str:
    """``+86…`` / ``0086…`` as the national number; any other text as it is."""
    for prefix in ("+86", "0086"):
        if number.startswith(prefix):
            rest = number[len(prefix) :]
            # +86 10 6552 1234: a fixed line dialled from abroad drops its trunk prefix 0
            fixed = rest[:1] in "023456789" or rest.startswith("10")
            return "0" + rest if rest and fixed else rest
    return number


def kind_of(number: str) -> NumberKind:
    if not _DIGITS.fullmatch(number):
        return NumberKind.INVALID
    local = national(number)
    if local.startswith(("+", "00")):
        return NumberKind.INTERNATIONAL
    return next((kind for kind, rule in _PLAN if rule.fullmatch(local)), NumberKind.INVALID)


def check(number: str, allowed_prefixes: Iterable[str] = ()) -> Verdict:
    """The plan's verdict on ``number``; a number starting with an allow-listed prefix (as
    written, or in its national form) is dialable whatever its kind, if it is digits."""
    kind = kind_of(number)
    local = national(number)
    listed = kind is not NumberKind.INVALID and any(
        prefix and (number.startswith(prefix) or local.startswith(prefix))
        for prefix in allowed_prefixes
    )
    return Verdict(number, local, kind, kind in DIALABLE or listed)
