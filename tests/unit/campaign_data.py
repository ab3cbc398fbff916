"""Builders of campaign literals for the dunning unit tests (plain data, no I/O)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from acd.dunning.core.model import (
    Attempt,
    CallingHours,
    Campaign,
    Phone,
    PolicyFacts,
    PromiseToPay,
    RetryPolicy,
    RetryRule,
    Schedule,
    Target,
    TargetFacts,
    TargetRule,
)
from crm_bridge.vocab import CampaignState, Disposition, PolicyStatus, Product

SHANGHAI = "Asia/Shanghai"
LONDON = "Europe/London"
EVERY_DAY = frozenset(range(7))
WEEKDAYS = frozenset(range(5))


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def campaign(
    *,
    weekdays: frozenset[int] = EVERY_DAY,
    hours: CallingHours | None = None,
    retry: RetryPolicy | None = None,
    state: CampaignState = CampaignState.RUNNING,
    start: date = date(2026, 1, 1),
    end: date = date(2026, 12, 31),
    holidays: frozenset[date] = frozenset(),
    rule: TargetRule | None = None,
) -> Campaign:
    return Campaign(
        id="dun-nov",
        name="November dunning",
        rule=rule or TargetRule(min_days_overdue=5, min_amount=Decimal("100")),
        schedule=Schedule(start, end, weekdays, hours or CallingHours(), holidays),
        retry=retry or RetryPolicy(),
        state=state,
    )


def target(time_zone: str = SHANGHAI, **changes: Any) -> Target:
    base = Target(
        customer_id=11,
        policy_id=1001,
        policy_number="P-1001",
        number="13800138000",
        amount_due=Decimal("580.00"),
        due_date=date(2026, 10, 1),
        days_overdue=50,
        time_zone=time_zone,
        product=Product.AUTO,
        region="north",
    )
    return replace(base, **changes)


def facts(tgt: Target | None = None, **changes: Any) -> TargetFacts:
    return replace(TargetFacts(tgt or target(), PolicyStatus.OVERDUE), **changes)


def attempt(
    seq: int,
    started: datetime,
    disposition: Disposition | None = Disposition.NO_ANSWER,
    *,
    seconds: int = 30,
    policy_id: int = 1001,
    number: str = "13800138000",
    campaign_id: str = "dun-nov",
    promise: PromiseToPay | None = None,
) -> Attempt:
    ended = None if disposition is None else started + timedelta(seconds=seconds)
    return Attempt(campaign_id, policy_id, seq, number, started, ended, disposition, promise)


def policy_facts(policy_id: int, **changes: Any) -> PolicyFacts:
    base = PolicyFacts(
        policy_id=policy_id,
        policy_number=f"P-{policy_id}",
        product=Product.AUTO,
        premium=Decimal("580.00"),
        due_date=date(2026, 10, 1),
        status=PolicyStatus.OVERDUE,
        customer_id=policy_id + 10_000,
        region="north",
        time_zone=SHANGHAI,
        phones=(Phone(f"1380000{policy_id:04d}"),),
    )
    return replace(base, **changes)


def retries(
    delays: Sequence[timedelta],
    *,
    max_each: int = 3,
    per_policy: int = 6,
    per_day: int = 2,
) -> RetryPolicy:
    """A retry policy with these delays after busy, no answer, failed, machine, abandoned."""
    busy, no_answer, failed, machine, abandoned = (RetryRule(d, max_each) for d in delays)
    return RetryPolicy(busy, no_answer, failed, machine, abandoned, per_policy, per_day)


def quick_retries(delay: timedelta = timedelta(minutes=10), per_day: int = 2) -> RetryPolicy:
    return retries((delay,) * 5, per_day=per_day)


ALL_DAY = CallingHours(time(0, 0), time(23, 59))
