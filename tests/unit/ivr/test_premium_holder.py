"""Issue 11, finding 5: caller ID only pre-selects the customer; nothing about a policy is
spoken, and no promise accepted, before the birth date or the identity number's last four is
keyed; failed proofs count toward the verify flow's lock-out; policy numbers are read masked."""

from datetime import date
from decimal import Decimal

import pytest

from ivr.flows.premium import premium
from ivr.flows.registry import FLOWS
from ivr.flows.rules import (
    confirm_step,
    holder_confirmed,
    id_tail_keys,
    policy_tail,
    proof_digits_valid,
)
from ivr.flows.verify import verify
from ivr.handoff import ToPerson
from ivr.menu import load_menu_tree
from ivr.session import IvrSession
from tests.unit.fakes import Customer, Due, FakeChannel, FakeCrm, FakePrompts, Proof, flow_context

pytestmark = [pytest.mark.unit, pytest.mark.security]

WANG = Customer(1, "Wang Fang")
POLICY = Due(9, "PL2026001234", "auto", Decimal("3520.50"), date(2026, 11, 1), 1)
SECRETS = ("1234", "3520", "PL2026", "2026001234", "Policies with premium due", "ending")


def crm() -> FakeCrm:
    service = FakeCrm()
    service.due[1] = [POLICY]
    service.proofs[1] = Proof(date(1985, 3, 12), "123X")
    return service


def revealed(channel: FakeChannel) -> list[str]:
    return [secret for secret in SECRETS if secret in channel.heard]


def test_confirm_step_locks_on_the_shared_limit_and_gives_up_after_the_tries():
    assert confirm_step(0, 0, 3) == "ask"
    assert confirm_step(5, 2, 3) == "ask"
    assert confirm_step(6, 0, 3) == "locked"
    assert confirm_step(6, 3, 3) == "locked"
    assert confirm_step(5, 3, 3) == "give_up"


def test_a_proof_is_the_birth_date_or_the_identity_numbers_last_four():
    born = date(1985, 3, 12)
    assert holder_confirmed("19850312", born, "1235")
    assert holder_confirmed("1235", born, "1235")
    assert holder_confirmed("1230", born, "123X") and holder_confirmed("1230", born, "123x")
    assert not holder_confirmed("19850313", born, "1235")
    assert not holder_confirmed("1236", born, "1235")
    assert not holder_confirmed("19850312", None, "1235")
    assert not holder_confirmed("1235", born, "A-35")
    assert not holder_confirmed("123", born, "123")
    assert not holder_confirmed("", None, "")
    assert id_tail_keys("415X") == "4150" and id_tail_keys("P-12") is None
    assert proof_digits_valid("1234") is None and proof_digits_valid("19850312") is None
    for bad in ("1", "123456", "1985031", "198503121", "12a4"):
        assert proof_digits_valid(bad) is not None, bad


def test_policy_numbers_are_masked_to_their_last_four_digits():
    assert policy_tail("PL2026001234") == "1234"
    assert policy_tail("P-2026-0012-34") == "1234"
    assert policy_tail("12") == "12"


async def test_a_caller_id_known_caller_keying_1_then_3_without_a_proof_hears_nothing():
    service = crm()
    ctx, channel = flow_context("", service, WANG)
    ctx.io.language = None
    channel.keys.extend("13")  # Mandarin, premium due, then nothing
    session = IvrSession(channel, load_menu_tree(), FakePrompts(), ctx, FLOWS)
    handoff = await session.run()
    assert handoff.intent == "person"
    path = channel.variables["CDR(ivr_path)"]
    assert path == "language:1>main:3>premium:confirm:retries>person"
    assert revealed(channel) == [] and service.promises == []


async def test_keying_a_promise_instead_of_a_proof_records_nothing():
    service = crm()
    ctx, channel = flow_context("2#20261201#2#", service, WANG)
    with pytest.raises(ToPerson):
        await premium(ctx)
    assert revealed(channel) == [] and service.promises == []


async def test_the_right_birth_date_reads_the_policy_masked_and_takes_a_promise():
    service = crm()
    ctx, channel = flow_context("19850312#220261201#", service, WANG)
    await premium(ctx)
    assert "The policy ending one two three four" in channel.heard
    assert "PL2026" not in channel.heard and "zero zero one two" not in channel.heard
    assert service.promises == [(9, Decimal("3520.50"), date(2026, 12, 1), "inbound")]
    assert service.lookups == []
    path = channel.variables["CDR(ivr_path)"]
    assert path.startswith("premium:confirm>premium:confirmed>premium:policy:2")


async def test_the_identity_numbers_last_four_with_x_keyed_as_zero_also_proves_it():
    service = crm()
    ctx, channel = flow_context("1230#4", service, WANG)
    await premium(ctx)
    assert "The policy ending" in channel.heard


async def test_wrong_proofs_are_logged_toward_the_lock_out_then_a_person_hears_of_it():
    service = crm()
    ctx, channel = flow_context("19850313#1111#19000101#", service, WANG)
    with pytest.raises(ToPerson) as signal:
        await premium(ctx)
    assert signal.value.handoff.intent == "premium"
    assert signal.value.handoff.facts == {"identified": "no"}
    assert service.lookups == [("13800138000", "", "holder_unconfirmed")] * 3
    assert channel.heard.count("does not match our records") == 3
    assert revealed(channel) == []


async def test_a_number_locked_by_failed_badges_reveals_nothing_even_with_the_right_proof():
    service = crm()
    service.earlier_failures = 6
    ctx, channel = flow_context("19850312#1", service, WANG)
    with pytest.raises(ToPerson) as signal:
        await premium(ctx)
    assert signal.value.handoff.facts == {"lookup": "locked"}
    assert service.lookups == [("13800138000", "", "locked")]
    assert "too many failed checks" in channel.heard
    assert revealed(channel) == []


async def test_failed_proofs_lock_the_badge_look_ups_too():
    service = crm()
    service.earlier_failures = 3
    ctx, _ = flow_context("1111#2222#3333#", service, WANG)
    with pytest.raises(ToPerson):
        await premium(ctx)
    ctx, _ = flow_context("100234#", service)
    with pytest.raises(ToPerson) as signal:
        await verify(ctx)
    assert signal.value.handoff.facts["lookup"] == "locked"


async def test_a_caller_not_known_by_caller_id_who_keeps_failing_counts_toward_it_too():
    service = crm()
    ctx, channel = flow_context("1#19850312#2#19850312#3#19850312#", service)
    with pytest.raises(ToPerson) as signal:
        await premium(ctx)
    assert signal.value.handoff.facts == {"identified": "no"}
    assert [o for _, _, o in service.lookups] == ["holder_unconfirmed"] * 3
    assert revealed(channel) == []


def test_every_new_sentence_is_in_the_menu_in_both_languages():
    tree = load_menu_tree()
    for key in ("premium.ask_proof", "premium.bad_proof", "premium.wrong_proof", "premium.locked"):
        assert tree.texts[key].zh and tree.texts[key].en, key
        assert tree.texts[key] in tree.all_prompts(), key  # rendered at start-up
    policy = tree.texts["premium.policy"]
    assert "{tail}" in policy.zh and "{tail}" in policy.en and "尾号" in policy.zh
