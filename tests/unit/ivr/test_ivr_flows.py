from datetime import date
from decimal import Decimal

import pytest

from ivr.flows.complaint import complaint
from ivr.flows.premium import premium
from ivr.flows.rules import promise_date, verification_outcome
from ivr.flows.verify import verify
from ivr.handoff import Back, ToPerson
from tests.unit.fakes import Agent, Customer, Due, FakeCrm, Proof, flow_context

pytestmark = pytest.mark.unit

ACTIVE = Agent("FA100234", "Li Ming", "Pudong", "active", date(2027, 6, 30))
TERMINATED = Agent("FA100777", "Zhao Lei", "Minhang", "terminated", date(2027, 1, 1))
EXPIRED = Agent("FA100888", "Sun Li", "Minhang", "active", date(2026, 1, 1))
TODAY = date(2026, 11, 22)


def crm() -> FakeCrm:
    return FakeCrm(agents={a.badge_number: a for a in (ACTIVE, TERMINATED, EXPIRED)})


def test_verification_outcomes():
    assert verification_outcome(ACTIVE, TODAY) == "found_active"
    assert verification_outcome(TERMINATED, TODAY) == "found_terminated"
    assert verification_outcome(EXPIRED, TODAY) == "found_expired_licence"
    assert verification_outcome(None, TODAY) == "unknown"


def test_promise_dates():
    assert promise_date("20261122", TODAY) == TODAY
    assert promise_date("20261222", TODAY) == date(2026, 12, 22)
    assert promise_date("20261121", TODAY).key == "promise.past"  # type: ignore[union-attr]
    assert promise_date("20261223", TODAY).key == "promise.too_far"  # type: ignore[union-attr]
    assert promise_date("20261340", TODAY).key == "promise.bad_date"  # type: ignore[union-attr]


async def test_a_genuine_badge_keyed_as_digits_then_star_back():
    service = crm()
    ctx, channel = flow_context("100234#*", service)
    with pytest.raises(Back):
        await verify(ctx)
    assert service.lookups == [("13800138000", "100234", "found_active")]
    assert "Li Ming" in channel.heard and "Pudong" in channel.heard
    assert channel.variables["CDR(ivr_path)"] == "verify:badge>verify:found_active>verify:next:*"


async def test_a_terminated_badge_warns_and_is_reported():
    service = crm()
    ctx, channel = flow_context("100777#1*", service)
    with pytest.raises(Back):
        await verify(ctx)
    assert service.frauds == [("13800138000", "100777")]
    assert "no longer works for us" in channel.heard
    assert "number four one" in channel.heard


async def test_three_wrong_badges_reach_a_person_with_what_was_keyed():
    service = crm()
    ctx, _ = flow_context("111#2222#2333#", service)
    with pytest.raises(ToPerson) as signal:
        await verify(ctx)
    assert signal.value.handoff.intent == "verify-agent"
    assert signal.value.handoff.facts["badges"] == "111,222,333"
    assert [o for _, _, o in service.lookups] == ["unknown"] * 3


async def test_more_than_five_failures_in_the_hour_lock_the_menu():
    service = crm()
    service.earlier_failures = 6
    ctx, _ = flow_context("100234#", service)
    with pytest.raises(ToPerson) as signal:
        await verify(ctx)
    assert signal.value.handoff.facts["lookup"] == "locked"
    assert service.lookups[-1][2] == "locked"


async def test_premium_due_and_a_promise_in_the_past_is_refused_then_accepted():
    service = crm()
    service.due[1] = [Due(9, "P2026001", "auto", Decimal("3520.50"), date(2026, 11, 1), 1)]
    service.proofs[1] = Proof(date(1985, 3, 12), "1234")
    keys = "19850312#220261101#20261201#"
    ctx, channel = flow_context(keys, service, Customer(1, "Wang Fang"))
    await premium(ctx)
    assert service.promises == [(9, Decimal("3520.50"), date(2026, 12, 1), "inbound")]
    assert "cannot be in the past" in channel.heard


async def test_premium_identifies_the_caller_by_policy_and_birth_date():
    service = crm()
    service.holders[("2026002", "19850312")] = Customer(2, "Chen Jing")
    service.due[2] = [Due(10, "2026002", "health", Decimal("800"), date(2026, 12, 10), 2)]
    ctx, _ = flow_context("2026002#19850312#1", service)
    with pytest.raises(ToPerson) as signal:
        await premium(ctx)
    assert signal.value.handoff.intent == "pay"
    assert signal.value.handoff.skills == ("collections",)
    assert signal.value.handoff.facts == {"policy": "2026002", "amount": "800"}


async def test_a_complaint_is_recorded_ticketed_and_handed_to_complaints():
    service = crm()
    ctx, channel = flow_context("2", service)
    with pytest.raises(ToPerson) as signal:
        await complaint(ctx)
    assert service.complaints[0][0] == "claims"
    assert channel.recorded[0].startswith("/rec/complaint-test.1-")
    assert signal.value.handoff.skills == ("complaints",)
    assert signal.value.handoff.facts["ticket"] == "7001"
