"""Finding 1 of issue 11: a spoofed premium-rate or international number asking for a callback
(or a campaign target) was a toll-fraud path. The national numbering plan decides what is
dialled; an operator may allow-list prefixes."""

from __future__ import annotations

import pytest

from crm_bridge.numbering import NumberKind, check, kind_of, national

pytestmark = [pytest.mark.unit, pytest.mark.security]


@pytest.mark.parametrize(
    ("number", "kind"),
    [
        ("13800138000", NumberKind.MOBILE),
        ("19912345678", NumberKind.MOBILE),
        ("+8613800138000", NumberKind.MOBILE),
        ("008613800138000", NumberKind.MOBILE),
        ("01065521234", NumberKind.FIXED),  # Beijing, 8 digits
        ("02161234567", NumberKind.FIXED),  # Shanghai
        ("075586123456", NumberKind.FIXED),  # Shenzhen, 3-digit area code
        ("05718812345", NumberKind.FIXED),  # Hangzhou
        ("+861065521234", NumberKind.FIXED),
        ("4008001000", NumberKind.SERVICE),
        ("8008201234", NumberKind.SERVICE),
        ("16812345", NumberKind.PREMIUM),  # voice information service
        ("1601234567", NumberKind.PREMIUM),
        ("0101681234", NumberKind.PREMIUM),  # 168 behind an area code
        ("12590012345", NumberKind.PREMIUM),  # service-provider voice line
        ("95555", NumberKind.PREMIUM),  # nationwide short service number
        ("96123", NumberKind.PREMIUM),
        ("10690001234", NumberKind.PREMIUM),  # SMS service code
        ("1795113800138000", NumberKind.PREMIUM),  # carrier-selection prefix
        ("0012125551234", NumberKind.INTERNATIONAL),
        ("+442071234567", NumberKind.INTERNATIONAL),
        ("00852912345678", NumberKind.INTERNATIONAL),
        ("110", NumberKind.SHORT),
        ("120", NumberKind.SHORT),
        ("10086", NumberKind.SHORT),
        ("12345678901", NumberKind.INVALID),  # 11 digits, not a mobile range
        ("1380013800", NumberKind.INVALID),  # one digit short
        ("", NumberKind.INVALID),
        ("13800138000&PJSIP/9001", NumberKind.INVALID),
        ("138,00138000", NumberKind.INVALID),
        ("13800138000\r\n", NumberKind.INVALID),
    ],
)
def test_the_plan_knows_each_kind_of_number(number: str, kind: NumberKind) -> None:
    assert kind_of(number) is kind


@pytest.mark.parametrize(
    "number", ["13800138000", "+8613800138000", "01065521234", "4008001000", "8008201234"]
)
def test_mobiles_fixed_lines_and_400_800_are_dialable(number: str) -> None:
    assert check(number).allowed


@pytest.mark.parametrize(
    "number", ["16812345", "12590012345", "95555", "0012125551234", "+442071234567", "110", ""]
)
def test_premium_rate_international_and_short_numbers_are_refused(number: str) -> None:
    verdict = check(number)
    assert not verdict.allowed and "refused" in verdict.reason


def test_an_allow_listed_prefix_is_dialable_but_never_a_non_number() -> None:
    assert check("95555", ["95555"]).allowed
    assert check("00852912345678", ["00852"]).allowed
    assert not check("00852912345678", ["001"]).allowed
    assert not check("95555&PJSIP/9001", ["95555"]).allowed
    assert not check("16812345", [""]).allowed, "an empty prefix allows nothing"


def test_plus_86_and_0086_read_as_the_national_number() -> None:
    assert national("+8613800138000") == "13800138000"
    assert national("0086106552123") == "0106552123"
    assert national("+442071234567") == "+442071234567"
