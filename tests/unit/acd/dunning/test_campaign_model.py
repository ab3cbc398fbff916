"""The campaign model refuses what cannot be, with the stable code ``campaign-invalid``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest

from acd.dunning.core.model import (
    CLOSING,
    REACHED,
    RETRYABLE,
    AbandonPolicy,
    Attempt,
    CallingHours,
    CampaignError,
    Caps,
    PromiseToPay,
    RetryPolicy,
    RetryRule,
    Schedule,
)
from crm_bridge.vocab import Disposition
from tests.unit.campaign_data import attempt, campaign, target, utc

pytestmark = pytest.mark.unit

NOW = utc(2026, 11, 20, 4)


@pytest.mark.parametrize(
    "build",
    [
        lambda: CallingHours(time(20), time(9)),
        lambda: Schedule(date(2026, 12, 1), date(2026, 11, 1)),
        lambda: Schedule(date(2026, 11, 1), date(2026, 12, 1), frozenset()),
        lambda: Schedule(date(2026, 11, 1), date(2026, 12, 1), frozenset({7})),
        lambda: Caps(max_channels=0),
        lambda: Caps(max_calls_per_second=0),
        lambda: RetryRule(timedelta(minutes=-1), 3),
        lambda: RetryRule(timedelta(minutes=1), 0),
        lambda: AbandonPolicy(target=0.04, ceiling=0.03),
        lambda: AbandonPolicy(max_overdial_ratio=3.0),
        lambda: target(time_zone="Mars/Olympus_Mons"),
        lambda: target(number=" "),
        lambda: PromiseToPay(Decimal("0"), date(2026, 11, 25)),
        lambda: Attempt("c", 1, 0, "1", NOW),
        lambda: Attempt("c", 1, 1, "1", datetime(2026, 11, 20, 4)),
        lambda: Attempt("c", 1, 1, "1", NOW, NOW, None),
        lambda: Attempt("c", 1, 1, "1", NOW, NOW - timedelta(seconds=1), Disposition.BUSY),
        lambda: Attempt("c", 1, 1, "1", NOW, NOW, Disposition.PROMISED),
        lambda: replace(campaign(), id="bad id!"),
        lambda: replace(campaign(), name=" "),
    ],
)
def test_impossible_values_are_refused(build: Callable[[], object]) -> None:
    with pytest.raises(CampaignError) as refused:
        build()
    assert refused.value.code == "campaign-invalid"


def test_the_disposition_vocabulary() -> None:
    assert [d.value for d in Disposition] == [
        "paid",
        "promised",
        "disputed",
        "wrong_number",
        "refused",
        "no_answer",
        "busy",
        "failed",
        "machine",
        "abandoned",
    ]
    assert Disposition.ABANDONED in REACHED and Disposition.ABANDONED in RETRYABLE
    assert Disposition.MACHINE not in REACHED
    assert not CLOSING & RETRYABLE


def test_each_retryable_outcome_has_a_rule_and_no_other_does() -> None:
    policy = RetryPolicy()
    assert {d for d in Disposition if policy.rule_for(d) is not None} == RETRYABLE


def test_an_attempt_knows_its_id_and_whether_it_is_in_progress() -> None:
    running = attempt(2, NOW, None)
    assert running.id == "dun-nov:1001:2" and running.in_progress
    assert not attempt(2, NOW).in_progress


def test_a_promise_reads_as_amount_and_date() -> None:
    assert str(PromiseToPay(Decimal("580"), date(2026, 11, 25))) == "580.00 by 2026-11-25"
