"""Who a campaign calls, in which order, and the hopper: the next attempts to make.

**Targets.** The campaign's rule (``TargetRule``) is a pure filter over the CRM's policy and
customer facts: an unpaid policy (no paid date; active or overdue, not cancelled or lapsed) of a
customer who is not blacklisted and has a phone, overdue at least N days (in the customer's
local date) with at least X due, of a listed product and region. One target per policy; its
number is the customer's first mobile, else home, else work phone, in the CRM's order.
Targets are ordered most overdue first, then larger amount first, then policy id (a total
order, so every controller sorts the same list the same way).

**The hopper** (VICIdial's word for the list of numbers about to be dialled) is recomputed from
the persisted attempts every time, never kept as a separate queue that a restart could lose or
replay. A candidate's attempt id is derived from (campaign, policy, attempt number) and the
attempt number is one past the policy's highest recorded one, so:

- an attempt is claimed by writing its row (insert-if-absent on the id) *before* the call is
  originated; a second controller, or the same one after a restart, derives the same id and its
  insert fails: no attempt is repeated;
- a claimed attempt still in progress keeps its policy and its number out of the hopper until
  the dialer records its disposition (after a restart: from AMI, or ``failed``): none is lost,
  and no number rings twice at once;
- the next attempt on a policy gets the next number, so ids never collide across retries.

A candidate is due when ``compliance.timing`` passes (schedule, calling hours, caps, retry
delay); ``compliance.decide`` with facts re-read from the CRM still runs before the dial.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from acd.dunning.core import schedule as sch
from acd.dunning.core.compliance import next_seq, timing
from acd.dunning.core.model import (
    Attempt,
    Campaign,
    Phone,
    PolicyFacts,
    Target,
    TargetRule,
    attempt_id,
    check_time_zone,
)
from crm_bridge.vocab import PhoneKind, PolicyStatus

PHONE_ORDER = (PhoneKind.MOBILE, PhoneKind.HOME, PhoneKind.WORK)
UNPAID_STATUSES = frozenset({PolicyStatus.ACTIVE, PolicyStatus.OVERDUE})


def days_overdue(due_date: date, now: datetime, time_zone: str) -> int:
    """Whole days since ``due_date`` on the customer's local calendar (negative: not yet due)."""
    return (sch.local_date(now, check_time_zone(time_zone)) - due_date).days


def number_for(phones: Sequence[Phone]) -> str | None:
    """The number to ring: the first mobile, else home, else work phone (CRM order within)."""
    for kind in PHONE_ORDER:
        for phone in phones:
            if phone.kind is kind and phone.number.strip():
                return phone.number
    return None


def target_of(facts: PolicyFacts, now: datetime) -> Target | None:
    """The policy as a target at ``now``; ``None`` when its holder has no phone."""
    number = number_for(facts.phones)
    if number is None:
        return None
    return Target(
        customer_id=facts.customer_id,
        policy_id=facts.policy_id,
        policy_number=facts.policy_number,
        number=number,
        amount_due=facts.premium,
        due_date=facts.due_date,
        days_overdue=days_overdue(facts.due_date, now, facts.time_zone),
        time_zone=facts.time_zone,
        product=facts.product,
        region=facts.region,
        language=facts.language,
    )


def why_not(rule: TargetRule, facts: PolicyFacts, now: datetime) -> str | None:
    """Why the policy is not a target of ``rule`` at ``now``; ``None`` when it is one."""
    if facts.paid_date is not None:
        return f"paid {facts.paid_date.isoformat()}"
    if facts.status not in UNPAID_STATUSES:
        return f"policy {facts.policy_number} is {facts.status}"
    if facts.blacklisted:
        return f"customer {facts.customer_id} is blacklisted"
    target = target_of(facts, now)
    if target is None:
        return f"customer {facts.customer_id} has no phone"
    return rule.mismatch(target)


def priority_key(target: Target) -> tuple[int, Decimal, int, str]:
    """Most overdue first, then larger amount, then policy id and number (a total order)."""
    return (-target.days_overdue, -target.amount_due, target.policy_id, target.number)


def select_targets(
    rule: TargetRule, policies: Iterable[PolicyFacts], now: datetime
) -> list[Target]:
    """The policies ``rule`` selects at ``now``, as targets in call order."""
    chosen = []
    for facts in policies:
        target = target_of(facts, now)
        if target is not None and why_not(rule, facts, now) is None:
            chosen.append(target)
    return sorted(chosen, key=priority_key)


# ---- the hopper ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """The next attempt on one target: claim ``attempt_id``, run ``decide``, then dial."""

    attempt_id: str
    seq: int
    target: Target
    reason: str  # compliance.timing's


@dataclass(frozen=True)
class Hopper:
    ready: tuple[Candidate, ...]  # due now, in call order, at most one per number
    next_due: datetime | None  # UTC: when the first waiting target comes due (None: full, or
    # nothing is waiting for a known time)
    finished: tuple[int, ...]  # policy ids seen to be done for good in the campaign (of the
    # targets scanned: the scan stops once ``size`` candidates are ready)


def _index(
    campaign: Campaign, attempts: Iterable[Attempt]
) -> tuple[dict[int, list[Attempt]], dict[str, list[Attempt]]]:
    by_policy: dict[int, list[Attempt]] = defaultdict(list)
    by_number: dict[str, list[Attempt]] = defaultdict(list)
    for attempt in {a.id: a for a in attempts}.values():
        if attempt.campaign_id == campaign.id:
            by_policy[attempt.policy_id].append(attempt)
        by_number[attempt.number].append(attempt)
    return by_policy, by_number


def fill_hopper(
    campaign: Campaign,
    targets: Iterable[Target],
    attempts: Iterable[Attempt],
    now: datetime,
    size: int,
) -> Hopper:
    """Up to ``size`` candidates due at ``now``, in target order; deterministic in its inputs
    (their order does not matter). ``attempts``: every persisted attempt of the campaign, and
    other campaigns' attempts on the same numbers (for the daily cap per number)."""
    by_policy, by_number = _index(campaign, attempts)
    ready: list[Candidate] = []
    waits: list[datetime] = []
    finished: list[int] = []
    taken: set[str] = set()
    for target in sorted(targets, key=priority_key):
        if len(ready) >= size:
            return Hopper(tuple(ready), None, tuple(finished))
        if target.number in taken:
            continue
        mine = by_policy.get(target.policy_id, [])
        decision = timing(campaign, target, [*mine, *by_number.get(target.number, [])], now)
        if decision.dial:
            seq = next_seq(mine)
            ident = attempt_id(campaign.id, target.policy_id, seq)
            ready.append(Candidate(ident, seq, target, decision.reason))
            taken.add(target.number)
        elif decision.final:
            finished.append(target.policy_id)
        elif decision.not_before is not None:
            waits.append(decision.not_before)
    return Hopper(tuple(ready), min(waits, default=None), tuple(finished))
