"""The IVR's hand-off plus the CRM's facts make the call the ACD routes."""

import pytest

from acd.core.requirements import CallerFacts, admit, queue_name
from ivr.handoff import Handoff

pytestmark = pytest.mark.unit

VIP = CallerFacts(name="陈静", vip=True, account_manager="8006")


def _admit(handoff: Handoff, facts: CallerFacts, policy: str = "reject"):
    return admit(
        call_id="c1",
        channel="PJSIP/carrier-1",
        caller_number="13800138004",
        handoff=handoff,
        facts=facts,
        now=100.0,
        default_skill="service",
        blacklist_policy=policy,
    )


def test_a_vip_keeps_tier_and_account_manager_and_the_intent_skills():
    call = _admit(Handoff("quote", skills=("sales", "auto"), language="en"), VIP).call
    assert call is not None
    assert (call.skills, call.language, call.vip, call.account_manager) == (
        ("sales", "auto"),
        "en",
        True,
        "8006",
    )
    assert (call.queue, call.enqueued_at, call.customer_name) == ("sales", 100.0, "陈静")


def test_a_hand_off_without_skills_waits_for_the_default_skill_in_mandarin():
    call = _admit(Handoff("person"), CallerFacts()).call
    assert call is not None
    assert (call.skills, call.language, call.vip, call.queue) == (
        ("service",),
        "zh",
        False,
        "service",
    )


@pytest.mark.parametrize(
    ("policy", "admitted", "vip"),
    [("reject", False, None), ("standard", True, False), ("normal", True, True)],
)
def test_blacklist_policies(policy, admitted, vip):
    facts = CallerFacts(vip=True, blacklisted=True, account_manager="8005")
    admission = _admit(Handoff("person"), facts, policy)
    assert admission.blacklisted
    assert (admission.call is not None) == admitted
    if admission.call is not None:
        assert admission.call.vip == vip
        assert (admission.call.account_manager == "8005") == vip


def test_queue_names():
    assert queue_name(("complaints",)) == "complaints"
    assert queue_name(()) == "general"
