"""The plain data of outbound dunning campaigns: a campaign (who to call, when, how fast, how
often), a target (one overdue policy and the number to ring), an attempt and its disposition.

The CRM's own vocabulary is reused (``crm_bridge.vocab``: products, policy status, languages,
phone kinds, and the campaign modes, states and dispositions the CRM stores); a promise to pay
has the CRM's ``PaymentPromise`` fields (amount, promised date).

Times: every ``datetime`` here is timezone-aware (a naive one is refused); dates and weekdays of
a schedule, calling hours and "per day" caps are read in the *customer's* local time zone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from crm_bridge.vocab import (
    CampaignMode,
    CampaignState,
    Disposition,
    Language,
    PhoneKind,
    PolicyStatus,
    Product,
)


class CampaignError(ValueError):
    """A campaign, target or attempt that cannot be; ``code`` is stable (API 422)."""

    code = "campaign-invalid"


ENDED_STATES = frozenset({CampaignState.STOPPED, CampaignState.COMPLETED})


# A person answered (the abandon rate's denominator; an agent was needed in progressive mode).
REACHED = frozenset(
    {
        Disposition.PAID,
        Disposition.PROMISED,
        Disposition.DISPUTED,
        Disposition.WRONG_NUMBER,
        Disposition.REFUSED,
        Disposition.ABANDONED,
    }
)
# Tried again after the retry policy's delay, up to its maximum attempts.
RETRYABLE = frozenset(
    {
        Disposition.NO_ANSWER,
        Disposition.BUSY,
        Disposition.FAILED,
        Disposition.MACHINE,
        Disposition.ABANDONED,
    }
)
# The policy is not called again in this campaign (a wrong number: not on that number).
CLOSING = frozenset({Disposition.PAID, Disposition.DISPUTED, Disposition.REFUSED})

_CAMPAIGN_ID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise CampaignError(message)


def _aware(at: datetime, what: str) -> None:
    _check(at.tzinfo is not None and at.utcoffset() is not None, f"{what} must carry a time zone")


def check_time_zone(name: str) -> ZoneInfo:
    """The zone named ``name`` (IANA, e.g. ``Asia/Shanghai``); :class:`CampaignError` if none."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise CampaignError(f"unknown time zone {name!r}") from None


def _listed(values: frozenset[str]) -> str:
    return ", ".join(sorted(values))


def attempt_id(campaign_id: str, policy_id: int, seq: int) -> str:
    """``"dunning-nov:1001:3"``: the third attempt on policy 1001 in campaign dunning-nov.

    Derived, never drawn: a restarted dialer computes the same id for the same attempt, so
    claiming it twice (insert-if-absent) is how a repeat is refused."""
    return f"{campaign_id}:{policy_id}:{seq}"


# ---- the campaign -------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetRule:
    """Policies overdue at least ``min_days_overdue`` days with at least ``min_amount`` due; an
    empty ``products`` / ``regions`` set means any."""

    min_days_overdue: int = 1
    min_amount: Decimal = Decimal("0.01")
    products: frozenset[Product] = frozenset()
    regions: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        _check(self.min_days_overdue >= 0, "min_days_overdue must be 0 or more")
        _check(self.min_amount >= 0, "min_amount must be 0 or more")

    def mismatch(self, target: Target) -> str | None:
        """Why ``target`` is not (or no longer) one of this rule's; ``None`` when it is."""
        if target.days_overdue < self.min_days_overdue:
            return f"{target.days_overdue} days overdue, under {self.min_days_overdue}"
        if target.amount_due < self.min_amount:
            return f"{target.amount_due:.2f} due, under {self.min_amount:.2f}"
        if self.products and target.product not in self.products:
            return f"product {target.product} is not one of {_listed(self.products)}"
        if self.regions and target.region not in self.regions:
            return f"region {target.region} is not one of {_listed(self.regions)}"
        return None


@dataclass(frozen=True)
class CallingHours:
    """A window within one local day: ``start`` included, ``end`` excluded (no overnight)."""

    start: time = time(9, 0)
    end: time = time(20, 0)

    def __post_init__(self) -> None:
        _check(self.start < self.end, "calling hours must start before they end, in one day")
        _check(self.start.tzinfo is None and self.end.tzinfo is None, "hours are local times")

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True)
class Schedule:
    """Dates (both included), weekdays (0 = Monday) and holidays are the customer's local ones."""

    start_date: date
    end_date: date
    weekdays: frozenset[int] = frozenset(range(5))
    hours: CallingHours = field(default_factory=CallingHours)
    holidays: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        _check(self.start_date <= self.end_date, "a schedule must start on or before its end")
        _check(self.end_date < date.max, "a schedule needs a real end date")
        _check(bool(self.weekdays), "a schedule needs at least one weekday")
        _check(self.weekdays <= frozenset(range(7)), "weekdays are 0 (Monday) to 6 (Sunday)")


@dataclass(frozen=True)
class Caps:
    max_channels: int = 10  # concurrent outbound channels of the campaign
    max_calls_per_second: float = 2.0  # call starts; see pacing.RateWindow

    def __post_init__(self) -> None:
        _check(self.max_channels >= 1, "max_channels must be at least 1")
        _check(self.max_calls_per_second > 0, "max_calls_per_second must be above 0")


@dataclass(frozen=True)
class RetryRule:
    """After an attempt ends this way, retry ``delay`` after its end, as long as fewer than
    ``max_attempts`` of the policy's attempts ended this way."""

    delay: timedelta
    max_attempts: int

    def __post_init__(self) -> None:
        _check(self.delay >= timedelta(0), "a retry delay cannot be negative")
        _check(self.max_attempts >= 1, "max_attempts must be at least 1")


@dataclass(frozen=True)
class RetryPolicy:
    busy: RetryRule = RetryRule(timedelta(minutes=10), 3)
    no_answer: RetryRule = RetryRule(timedelta(hours=2), 3)
    failed: RetryRule = RetryRule(timedelta(minutes=30), 2)
    machine: RetryRule = RetryRule(timedelta(hours=4), 2)
    abandoned: RetryRule = RetryRule(timedelta(hours=24), 1)
    max_attempts_per_policy: int = 6  # in the campaign, whatever the outcomes
    max_attempts_per_number_per_day: int = 2  # in the customer's local day, every campaign

    def __post_init__(self) -> None:
        _check(self.max_attempts_per_policy >= 1, "max_attempts_per_policy must be at least 1")
        _check(self.max_attempts_per_number_per_day >= 1, "max attempts per day must be >= 1")

    def rule_for(self, disposition: Disposition) -> RetryRule | None:
        """The rule after ``disposition``; ``None`` when it is not retried."""
        rules = {
            Disposition.BUSY: self.busy,
            Disposition.NO_ANSWER: self.no_answer,
            Disposition.FAILED: self.failed,
            Disposition.MACHINE: self.machine,
            Disposition.ABANDONED: self.abandoned,
        }
        return rules.get(disposition)


@dataclass(frozen=True)
class AbandonPolicy:
    """Progressive mode's abandon-rate control (see ``acd.dunning.core.pacing``)."""

    target: float = 0.02  # overdial only while confidently below this
    ceiling: float = 0.03  # never above: dial 0 from ``ceiling - hold_margin``
    hold_margin: float = 0.005
    confidence_z: float = 1.645  # one-sided 95 %
    max_overdial_ratio: float = 1.3  # calls in flight per ready agent; 1.0 = strict progressive
    window_calls: int = 500  # the abandon rate is over the last N answered calls ...
    window_seconds: float = 3600.0  # ... answered within this long (so a hold can end)
    prior_answer_rate: float = 0.3  # the seeded prior of the answer probability ...
    prior_weight: float = 20.0  # ... worth this many dials
    answer_window: int = 200  # finished dials the answer probability is estimated from

    def __post_init__(self) -> None:
        _check(0 < self.target <= self.ceiling < 1, "need 0 < abandon target <= ceiling < 1")
        _check(0 <= self.hold_margin < self.ceiling, "hold_margin must be below the ceiling")
        _check(self.confidence_z >= 0, "confidence_z cannot be negative")
        _check(1.0 <= self.max_overdial_ratio <= 2.0, "max_overdial_ratio must be 1.0 to 2.0")
        _check(self.window_calls >= 1 and self.window_seconds > 0, "the window cannot be empty")
        _check(0 < self.prior_answer_rate < 1, "prior_answer_rate must be between 0 and 1")
        _check(self.prior_weight > 0 and self.answer_window >= 1, "prior_weight, answer_window")

    @property
    def hold_at(self) -> float:
        return self.ceiling - self.hold_margin


@dataclass(frozen=True)
class Campaign:
    id: str
    name: str
    rule: TargetRule
    schedule: Schedule
    mode: CampaignMode = CampaignMode.PROGRESSIVE
    caps: Caps = field(default_factory=Caps)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    abandon: AbandonPolicy = field(default_factory=AbandonPolicy)
    state: CampaignState = CampaignState.DRAFT

    def __post_init__(self) -> None:
        _check(bool(_CAMPAIGN_ID.match(self.id)), "a campaign id is 1-64 of A-Z a-z 0-9 _ . -")
        _check(bool(self.name.strip()), "a campaign needs a name")


# ---- targets and attempts -----------------------------------------------------------------


@dataclass(frozen=True)
class PromiseToPay:
    amount: Decimal
    promised_date: date

    def __post_init__(self) -> None:
        _check(self.amount > 0, "a promise must be for a positive amount")

    def __str__(self) -> str:
        return f"{self.amount:.2f} by {self.promised_date.isoformat()}"


@dataclass(frozen=True)
class Phone:
    number: str
    kind: PhoneKind = PhoneKind.MOBILE


@dataclass(frozen=True)
class PolicyFacts:
    """What the CRM holds about one policy and its holder (``Policy``, ``Customer``,
    ``CustomerPhone``); ``premium`` is the period's amount due."""

    policy_id: int
    policy_number: str
    product: Product
    premium: Decimal
    due_date: date
    status: PolicyStatus
    customer_id: int
    region: str
    time_zone: str
    phones: tuple[Phone, ...] = ()
    paid_date: date | None = None
    blacklisted: bool = False
    language: Language = Language.ZH


@dataclass(frozen=True)
class Target:
    """One overdue policy and the number to ring for it, as selected by the target rule."""

    customer_id: int
    policy_id: int
    policy_number: str
    number: str
    amount_due: Decimal
    due_date: date
    days_overdue: int
    time_zone: str
    product: Product
    region: str
    language: Language = Language.ZH

    def __post_init__(self) -> None:
        check_time_zone(self.time_zone)
        _check(bool(self.number.strip()), "a target needs a number to ring")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


@dataclass(frozen=True)
class TargetFacts:
    """A target and what the CRM says *now*: re-read by the dialer just before the dial."""

    target: Target
    policy_status: PolicyStatus
    paid_date: date | None = None
    blacklisted: bool = False  # the customer or the number
    do_not_call: bool = False  # the number is on the do-not-call list
    opted_out: bool = False  # the customer asked not to be called about payments
    promise: PromiseToPay | None = None  # the latest promise on the policy, if any


@dataclass(frozen=True)
class Attempt:
    """One dial of one policy's number; ``disposition`` is ``None`` while it is in progress."""

    campaign_id: str
    policy_id: int
    seq: int  # 1, 2, ... per policy in the campaign
    number: str
    started_at: datetime
    ended_at: datetime | None = None
    disposition: Disposition | None = None
    promise: PromiseToPay | None = None  # with PROMISED only

    def __post_init__(self) -> None:
        _check(self.seq >= 1, "attempt numbers start at 1")
        _aware(self.started_at, "started_at")
        _check((self.ended_at is None) == (self.disposition is None), "an end needs an outcome")
        if self.ended_at is not None:
            _aware(self.ended_at, "ended_at")
            _check(self.ended_at >= self.started_at, "an attempt cannot end before it starts")
        promised = self.disposition is Disposition.PROMISED
        _check(promised == (self.promise is not None), "a promise goes with PROMISED only")

    @property
    def id(self) -> str:
        return attempt_id(self.campaign_id, self.policy_id, self.seq)

    @property
    def in_progress(self) -> bool:
        return self.disposition is None
