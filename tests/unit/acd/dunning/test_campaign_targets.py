"""The target rule as a filter, the call order, and the hopper: deterministic, one attempt per
number at a time, and a dialer that restarts anywhere neither loses nor repeats an attempt."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from acd.dunning.core.compliance import Check, decide
from acd.dunning.core.model import Attempt, Campaign, Phone, Target, TargetRule, attempt_id
from acd.dunning.core.targets import (
    days_overdue,
    fill_hopper,
    number_for,
    priority_key,
    select_targets,
    target_of,
    why_not,
)
from crm_bridge.vocab import Disposition, PhoneKind, PolicyStatus, Product
from tests.unit.campaign_data import (
    ALL_DAY,
    LONDON,
    SHANGHAI,
    attempt,
    campaign,
    facts,
    policy_facts,
    retries,
    utc,
)

pytestmark = pytest.mark.unit

NOW = utc(2026, 11, 20, 4)  # Friday 12:00 CST
RULE = TargetRule(min_days_overdue=5, min_amount=Decimal("100"))


# ---- the rule and the order ---------------------------------------------------------------


def test_the_rule_keeps_unpaid_overdue_policies_with_enough_due() -> None:
    policies = [
        policy_facts(1),
        policy_facts(2, paid_date=date(2026, 11, 19)),
        policy_facts(3, status=PolicyStatus.CANCELLED),
        policy_facts(4, blacklisted=True),
        policy_facts(5, phones=()),
        policy_facts(6, due_date=date(2026, 11, 17)),  # 3 days overdue
        policy_facts(7, premium=Decimal("99.99")),
        policy_facts(8, status=PolicyStatus.ACTIVE),  # past due, status not caught up yet
    ]
    assert [t.policy_id for t in select_targets(RULE, policies, NOW)] == [1, 8]
    reasons = [why_not(RULE, facts_, NOW) for facts_ in policies]
    assert reasons == [
        None,
        "paid 2026-11-19",
        "policy P-3 is cancelled",
        "customer 10004 is blacklisted",
        "customer 10005 has no phone",
        "3 days overdue, under 5",
        "99.99 due, under 100.00",
        None,
    ]


def test_products_and_regions_narrow_the_rule() -> None:
    rule = replace(RULE, products=frozenset({Product.HEALTH}), regions=frozenset({"south"}))
    policies = [
        policy_facts(1),
        policy_facts(2, product=Product.HEALTH),
        policy_facts(3, product=Product.HEALTH, region="south"),
    ]
    assert [t.policy_id for t in select_targets(rule, policies, NOW)] == [3]
    assert why_not(rule, policies[0], NOW) == "product auto is not one of health"
    assert why_not(rule, policies[1], NOW) == "region north is not one of south"


def test_days_overdue_count_on_the_customers_calendar() -> None:
    evening = utc(2026, 11, 15, 17)  # already the 16th in Shanghai, still the 15th in London
    assert days_overdue(date(2026, 11, 10), evening, SHANGHAI) == 6
    assert days_overdue(date(2026, 11, 10), evening, LONDON) == 5
    rule = replace(RULE, min_days_overdue=6)
    both = [
        policy_facts(1, due_date=date(2026, 11, 10)),
        policy_facts(2, due_date=date(2026, 11, 10), time_zone=LONDON),
    ]
    assert [t.policy_id for t in select_targets(rule, both, evening)] == [1]


def test_most_overdue_first_then_the_larger_amount_then_the_policy() -> None:
    policies = [
        policy_facts(1, due_date=date(2026, 10, 1), premium=Decimal("200")),
        policy_facts(2, due_date=date(2026, 9, 1), premium=Decimal("150")),
        policy_facts(3, due_date=date(2026, 10, 1), premium=Decimal("900")),
        policy_facts(4, due_date=date(2026, 10, 1), premium=Decimal("200")),
    ]
    assert [t.policy_id for t in select_targets(RULE, policies, NOW)] == [2, 3, 1, 4]


def test_the_number_is_the_first_mobile_then_home_then_work() -> None:
    phones = (Phone("0105551", PhoneKind.WORK), Phone("0105552", PhoneKind.HOME))
    assert number_for(phones) == "0105552"
    assert number_for((*phones, Phone("13900000001"), Phone("13900000002"))) == "13900000001"
    assert number_for(()) is None


# ---- the hopper ---------------------------------------------------------------------------


def targets_for(*policy_ids: int, shared_number: str | None = None) -> list[Target]:
    chosen = []
    for policy_id in policy_ids:
        phones = (Phone(shared_number),) if shared_number else (Phone(f"1390000{policy_id:04d}"),)
        found = target_of(policy_facts(policy_id, phones=phones), NOW)
        assert found is not None
        chosen.append(found)
    return chosen


def test_the_hopper_offers_due_targets_in_order_with_derived_attempt_ids() -> None:
    camp = campaign()
    targets = targets_for(1, 2, 3)
    history = [
        attempt(1, utc(2026, 11, 19, 2), Disposition.BUSY, policy_id=2, number=targets[1].number)
    ]
    hopper = fill_hopper(camp, targets, history, NOW, size=10)
    assert [(c.target.policy_id, c.seq, c.attempt_id) for c in hopper.ready] == [
        (1, 1, "dun-nov:1:1"),
        (2, 2, "dun-nov:2:2"),
        (3, 1, "dun-nov:3:1"),
    ]
    assert all(c.reason.startswith("dial: ") for c in hopper.ready)


def test_the_hopper_rings_one_number_once_at_a_time() -> None:
    shared = targets_for(1, 2, shared_number="13800000000")
    hopper = fill_hopper(campaign(), shared, [], NOW, size=10)
    assert [c.target.policy_id for c in hopper.ready] == [1]
    claimed = attempt(1, NOW, None, policy_id=1, number="13800000000")
    assert fill_hopper(campaign(), shared, [claimed], NOW, size=10).ready == ()


def test_the_hopper_says_when_the_next_target_comes_due_and_which_are_done() -> None:
    camp = campaign()
    targets = targets_for(1, 2)
    history = [
        attempt(
            1, NOW - timedelta(minutes=5), Disposition.BUSY, policy_id=1, number=targets[0].number
        ),
        attempt(
            1, NOW - timedelta(hours=1), Disposition.REFUSED, policy_id=2, number=targets[1].number
        ),
    ]
    hopper = fill_hopper(camp, targets, history, NOW, size=10)
    assert hopper.ready == ()
    assert hopper.next_due == NOW - timedelta(minutes=5) + timedelta(seconds=30, minutes=10)
    assert hopper.finished == (2,)


def test_the_hopper_stops_at_its_size_and_ignores_the_input_order() -> None:
    camp = campaign()
    targets = targets_for(1, 2, 3, 4, 5)
    first = fill_hopper(camp, targets, [], NOW, size=2)
    again = fill_hopper(camp, list(reversed(targets)), [], NOW, size=2)
    assert first == again
    assert [c.target.policy_id for c in first.ready] == [1, 2]


def test_an_attempt_id_names_campaign_policy_and_attempt_number() -> None:
    assert attempt_id("dun-nov", 1001, 3) == "dun-nov:1001:3"
    assert attempt(3, NOW).id == "dun-nov:1001:3"


# ---- restarts: nothing lost, nothing repeated ---------------------------------------------

ZONES = (SHANGHAI, LONDON, "America/New_York")
OUTCOMES = (
    Disposition.BUSY,
    Disposition.NO_ANSWER,
    Disposition.FAILED,
    Disposition.MACHINE,
    Disposition.ABANDONED,
    Disposition.REFUSED,
    Disposition.WRONG_NUMBER,
)


class Store:
    """The persisted attempts; ``claim`` is an insert-if-absent on the attempt id."""

    def __init__(self) -> None:
        self.rows: dict[str, Attempt] = {}

    def claim(self, row: Attempt) -> None:
        assert row.id not in self.rows, f"attempt {row.id} repeated"
        self.rows[row.id] = row

    def finish(self, ident: str, at: datetime, disposition: Disposition) -> None:
        row = self.rows[ident]
        self.rows[ident] = replace(row, ended_at=max(at, row.started_at), disposition=disposition)

    def check(self) -> None:
        seqs: dict[int, list[int]] = {}
        busy_policies: list[int] = []
        busy_numbers: list[str] = []
        for row in self.rows.values():
            seqs.setdefault(row.policy_id, []).append(row.seq)
            if row.in_progress:
                busy_policies.append(row.policy_id)
                busy_numbers.append(row.number)
        for numbers in seqs.values():
            assert sorted(numbers) == list(range(1, len(numbers) + 1))  # none lost
        assert len(busy_policies) == len(set(busy_policies))
        assert len(busy_numbers) == len(set(busy_numbers))  # no number rings twice at once


@settings(max_examples=150, deadline=None)
@given(
    policies=st.lists(st.tuples(st.integers(0, 3), st.sampled_from(ZONES)), min_size=1, max_size=8),
    ops=st.lists(
        st.tuples(
            st.sampled_from(("tick", "dial", "crash")), st.integers(0, 200), st.integers(0, 99)
        ),
        max_size=60,
    ),
    size=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)
def test_a_restarted_dialer_neither_loses_nor_repeats_an_attempt(
    policies: list[tuple[int, str]], ops: list[tuple[str, int, int]], size: int, seed: int
) -> None:
    rng = random.Random(seed)
    camp = campaign(
        hours=ALL_DAY,
        retry=retries(
            [timedelta(minutes=rng.randint(0, 30)) for _ in range(5)],
            per_policy=5,
            per_day=4,
        ),
    )
    pool = [f"1370000000{n}" for n in range(4)]
    targets = []
    for policy_id, (number, zone) in enumerate(policies, start=1):
        facts_ = policy_facts(policy_id, phones=(Phone(pool[number]),), time_zone=zone)
        found = target_of(facts_, NOW)
        assert found is not None
        targets.append(found)
    store = Store()
    now = NOW
    for op, minutes, roll in ops:
        now += timedelta(minutes=minutes)
        if op == "crash":  # the restart's recovery: calls of a dead controller count as failed
            for row in list(store.rows.values()):
                if row.in_progress:
                    store.finish(row.id, now, Disposition.FAILED)
        elif op == "dial":
            _dial_round(camp, targets, store, now, size, rng, crash_after=roll % 3 == 0)
        store.check()


def _dial_round(
    camp: Campaign,
    targets: list[Target],
    store: Store,
    now: datetime,
    size: int,
    rng: random.Random,
    *,
    crash_after: bool,
) -> None:
    rows = list(store.rows.values())
    hopper = fill_hopper(camp, targets, rows, now, size)
    rng.shuffle(rows)
    assert fill_hopper(camp, list(reversed(targets)), rows, now, size) == hopper  # deterministic
    for candidate in hopper.ready:
        reread = facts(candidate.target)
        decision = decide(reread, camp, list(store.rows.values()), now)
        assert decision.dial, decision.reason  # the hopper only offers what decide allows
        started = Attempt(
            camp.id, candidate.target.policy_id, candidate.seq, candidate.target.number, now
        )
        store.claim(started)
        if crash_after and candidate is hopper.ready[-1]:
            return  # the controller died mid-call: the attempt stays in progress until recovery
        store.finish(started.id, now + timedelta(seconds=rng.randint(0, 90)), rng.choice(OUTCOMES))


def test_a_dead_controllers_claimed_attempt_blocks_its_policy_until_recovered() -> None:
    camp = campaign()
    (only,) = targets_for(1)
    hopper = fill_hopper(camp, [only], [], NOW, size=5)
    (candidate,) = hopper.ready
    claimed = Attempt(camp.id, 1, candidate.seq, only.number, NOW)

    after_restart = fill_hopper(camp, [only], [claimed], NOW + timedelta(minutes=1), size=5)
    assert after_restart.ready == ()  # not repeated
    assert decide(facts(only), camp, [claimed], NOW).check is Check.IN_PROGRESS

    failed = replace(claimed, ended_at=NOW + timedelta(minutes=1), disposition=Disposition.FAILED)
    retry_at = NOW + timedelta(minutes=31)
    (retry,) = fill_hopper(camp, [only], [failed], retry_at, size=5).ready
    assert (retry.seq, retry.attempt_id) == (2, "dun-nov:1:2")  # not lost: the next number


def test_priority_key_is_a_total_order() -> None:
    a, b = targets_for(1, 2)
    assert priority_key(a) < priority_key(b)
