"""Finding 1 of issue 11, the dialer's side: a campaign target whose number the national
numbering plan refuses (premium-rate, international, short, not a number) is never dialled in
the campaign, unless an operator allow-listed its prefix."""

from __future__ import annotations

import pytest

from acd.dunning.core.compliance import Check, number_plan
from tests.unit.campaign_data import target

pytestmark = [pytest.mark.unit, pytest.mark.security]


@pytest.mark.parametrize(
    "number", ["16812345", "+442071234567", "0012125551234", "95555", "139,60", "139&PJSIP/9001"]
)
def test_a_number_the_plan_refuses_is_skipped_for_good(number: str) -> None:
    decision = number_plan(target(number=number))
    assert decision is not None
    assert (decision.dial, decision.final, decision.check) == (False, True, Check.NUMBER_PLAN)
    assert number in decision.reason


def test_mobiles_fixed_lines_and_allow_listed_prefixes_are_dialled() -> None:
    assert number_plan(target(number="13800138000")) is None
    assert number_plan(target(number="01065521234")) is None
    assert number_plan(target(number="00852912345678"), ("00852",)) is None
