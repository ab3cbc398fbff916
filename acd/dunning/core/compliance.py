"""The compliance engine: may this target be dialled now? Asked before every single dial, with
facts the dialer re-read from the CRM just before; every answer carries a human-readable reason
for the log ("skipped: paid 2026-11-20").

``decide(facts, campaign, attempts_so_far, now)`` applies these checks in this order; the first
that fails gives the decision:

1. campaign state: only a running campaign dials (stopped / completed: final);
2. schedule: the customer's local date is a calling day (between the start and end dates, an
   allowed weekday, not a holiday); after the end date: final;
3. premium still unpaid: no paid date (final: "skipped: paid 2026-11-20"), the policy neither
   cancelled nor lapsed (final), no closing disposition (paid, disputed, refused) on an earlier
   attempt of this campaign (final), no open promise to pay (its date not passed yet: wait for
   the next day), and the policy still matches the target rule (final);
4. the number: not on the do-not-call list, not blacklisted, not opted out, not reported as a
   wrong number on any campaign's attempt (all final);
5. calling hours: the customer's local time is inside the window;
6. attempt caps: no attempt in progress on the policy or the number; fewer attempts than the
   campaign's maximum per policy (final); after a retryable outcome, fewer attempts ended that
   way than its rule allows (final); fewer attempts on the number in the customer's local day
   than the daily maximum (any campaign: a person's phone rings at most that often a day);
7. retry delay: the last attempt's end + the delay for its outcome has passed.

``not_before`` is the earliest instant at which every time-based check (2, 3's promise, 5, 6's
daily cap, 7) passes together: the next window opening at or after the latest of now, the
retry time, the next local midnight when today's cap is used up, and the day after a promised
date. ``final`` means the target will never be dialled in this campaign (drop it);
``dial=False`` with neither ``final`` nor ``not_before`` means ask again later (an attempt in
progress, a paused campaign).

Besides its English ``reason`` (the log's), a decision carries ``params``: the facts its reason
names, as strings (dates and instants ISO, the customer's wall times ``HH:MM``), so the console
says the same in the reader's language from ``check`` and ``params`` without parsing the
sentence. A check with several causes names its cause in ``params["kind"]``.

``attempts_so_far`` may hold more than needed (the dialer passes the campaign's attempts on the
policy and every campaign's attempts on the number): each check picks its own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from acd.dunning.core import schedule as sch
from acd.dunning.core.model import (
    CLOSING,
    ENDED_STATES,
    Attempt,
    Campaign,
    PromiseToPay,
    Target,
    TargetFacts,
)
from crm_bridge import numbering
from crm_bridge.vocab import CampaignState, Disposition, PolicyStatus


class Check(StrEnum):
    """Which check decided: a stable code for logs, counters and the console."""

    DIAL = "dial"
    CAMPAIGN_STATE = "campaign-state"
    SCHEDULE = "schedule"
    PAID = "paid"
    POLICY_CLOSED = "policy-closed"
    PROMISED = "promised"
    TARGET_RULE = "target-rule"
    DO_NOT_CALL = "do-not-call"
    BLACKLISTED = "blacklisted"
    OPTED_OUT = "opted-out"
    WRONG_NUMBER = "wrong-number"
    CALLING_HOURS = "calling-hours"
    IN_PROGRESS = "in-progress"
    POLICY_CAP = "policy-cap"
    OUTCOME_CAP = "outcome-cap"
    DAILY_CAP = "daily-cap"
    RETRY_DELAY = "retry-delay"
    NUMBER_PLAN = "number-plan"


@dataclass(frozen=True)
class Decision:
    dial: bool
    reason: str
    not_before: datetime | None = None  # UTC; when to ask again
    check: Check = Check.DIAL
    final: bool = False  # never in this campaign
    params: Mapping[str, str] = field(default_factory=dict)  # what ``reason`` names


@dataclass(frozen=True)
class _Ctx:
    """One decision's inputs, derived once."""

    campaign: Campaign
    target: Target
    facts: TargetFacts | None
    now: datetime  # UTC
    tz: ZoneInfo
    mine: tuple[Attempt, ...]  # this campaign, this policy, by seq
    on_number: tuple[Attempt, ...]  # any campaign, this number
    today: int  # attempts on the number in the customer's local day
    promise: PromiseToPay | None  # the latest one, from the CRM or an attempt
    retry_at: datetime | None  # the last attempt's end + its retry delay
    earliest: datetime  # every time-based check passes from here on, calling hours aside

    def skip(
        self, check: Check, why: str, params: Mapping[str, str], *, final: bool = False
    ) -> Decision:
        """A refusal; unless ``final``, ``not_before`` is the first window opening at or after
        ``earliest`` (final after all when no window is left)."""
        params = {"zone": self.tz.key, **params}
        if final:
            return Decision(False, f"skipped: {why}", None, check, True, params)
        opens = sch.next_open(self.campaign.schedule, self.tz, self.earliest)
        if opens is None:
            why = f"skipped: {why}; no calling window left"
            return Decision(False, why, None, check, True, params)
        why = f"skipped: {why}; next try {sch.describe(opens, self.tz)}"
        return Decision(False, why, opens, check, False, params)


Gate = Callable[[_Ctx], Decision | None]


# ---- the checks, in order -----------------------------------------------------------------


def _state(c: _Ctx) -> Decision | None:
    state = c.campaign.state
    if state is CampaignState.RUNNING:
        return None
    why = f"skipped: campaign {c.campaign.id} is {state}"
    final = state in ENDED_STATES
    return Decision(False, why, None, Check.CAMPAIGN_STATE, final, {"state": state.value})


def _calendar(c: _Ctx) -> Decision | None:
    day = sch.local_date(c.now, c.tz)
    schedule = c.campaign.schedule
    kind = sch.day_kind(schedule, day)
    if kind is None:
        return None
    problem = sch.day_problem(schedule, day)
    params = {
        "kind": kind.value,
        "day": day.isoformat(),
        "start": schedule.start_date.isoformat(),
        "end": schedule.end_date.isoformat(),
    }
    final = day > schedule.end_date
    return c.skip(Check.SCHEDULE, f"{problem} in {c.tz.key}", params, final=final)


def _paid_in_crm(c: _Ctx) -> Decision | None:
    if c.facts is None:  # the hopper's view: checked again by decide
        return None
    if c.facts.paid_date is not None:
        paid = c.facts.paid_date.isoformat()
        return c.skip(Check.PAID, f"paid {paid}", {"date": paid}, final=True)
    status = c.facts.policy_status
    if status in (PolicyStatus.CANCELLED, PolicyStatus.LAPSED):
        policy = c.target.policy_number
        params = {"kind": "status", "policy": policy, "status": status.value}
        return c.skip(Check.POLICY_CLOSED, f"policy {policy} is {status}", params, final=True)
    return None


def _closed_by_attempt(c: _Ctx) -> Decision | None:
    for attempt in c.mine:
        if attempt.disposition in CLOSING:
            why = f"{attempt.disposition} on attempt {attempt.seq} ({attempt.id})"
            params = {
                "kind": "attempt",
                "disposition": str(attempt.disposition),
                "seq": str(attempt.seq),
                "attempt": attempt.id,
            }
            return c.skip(Check.POLICY_CLOSED, why, params, final=True)
    return None


def _promised(c: _Ctx) -> Decision | None:
    if c.promise is None or c.promise.promised_date < sch.local_date(c.now, c.tz):
        return None
    promise = c.promise
    params = {"amount": f"{promise.amount:.2f}", "date": promise.promised_date.isoformat()}
    return c.skip(Check.PROMISED, f"promised {promise}", params)


def _rule(c: _Ctx) -> Decision | None:
    mismatch = c.campaign.rule.mismatch(c.target)
    if mismatch is None:
        return None
    return c.skip(Check.TARGET_RULE, mismatch, _rule_params(c), final=True)


def _rule_params(c: _Ctx) -> dict[str, str]:
    rule, target = c.campaign.rule, c.target
    if target.days_overdue < rule.min_days_overdue:
        days, least = str(target.days_overdue), str(rule.min_days_overdue)
        return {"kind": "days-overdue", "value": days, "min": least}
    if target.amount_due < rule.min_amount:
        due, least = f"{target.amount_due:.2f}", f"{rule.min_amount:.2f}"
        return {"kind": "amount", "value": due, "min": least}
    if rule.products and target.product not in rule.products:
        return {"kind": "product", "value": str(target.product)}
    return {"kind": "region", "value": str(target.region)}


def _number_flags(c: _Ctx) -> Decision | None:
    if c.facts is None:
        return None
    number = c.target.number
    customer = str(c.target.customer_id)
    flags = (
        (c.facts.do_not_call, Check.DO_NOT_CALL, f"{number} is on the do-not-call list"),
        (c.facts.blacklisted, Check.BLACKLISTED, f"{number} is blacklisted"),
        (c.facts.opted_out, Check.OPTED_OUT, f"customer {customer} opted out"),
    )
    for flagged, check, why in flags:
        if flagged:
            return c.skip(check, why, {"number": number, "customer": customer}, final=True)
    return None


def _wrong_number(c: _Ctx) -> Decision | None:
    for attempt in c.on_number:
        if attempt.disposition is Disposition.WRONG_NUMBER:
            why = f"{c.target.number} is a wrong number (attempt {attempt.id})"
            params = {"number": c.target.number, "attempt": attempt.id}
            return c.skip(Check.WRONG_NUMBER, why, params, final=True)
    return None


def _hours(c: _Ctx) -> Decision | None:
    hours = c.campaign.schedule.hours
    if sch.in_window(c.campaign.schedule, c.tz, c.now):
        return None
    why = f"{sch.describe(c.now, c.tz)} in {c.tz.key} is outside calling hours {hours}"
    return c.skip(Check.CALLING_HOURS, why, _hours_params(c))


def _hours_params(c: _Ctx) -> dict[str, str]:
    hours = c.campaign.schedule.hours
    return {
        "local": sch.wall_time(c.now, c.tz),
        "zone": c.tz.key,
        "start": f"{hours.start:%H:%M}",
        "end": f"{hours.end:%H:%M}",
    }


def _in_progress(c: _Ctx) -> Decision | None:
    for attempt in (*c.mine, *c.on_number):
        if attempt.in_progress:
            why = f"skipped: attempt {attempt.id} to {attempt.number} is in progress"
            params = {"attempt": attempt.id, "number": attempt.number}
            return Decision(False, why, None, Check.IN_PROGRESS, False, params)
    return None


def _policy_cap(c: _Ctx) -> Decision | None:
    cap = c.campaign.retry.max_attempts_per_policy
    if len(c.mine) < cap:
        return None
    why = f"{len(c.mine)} attempts on the policy, max {cap}"
    params = {"count": str(len(c.mine)), "max": str(cap)}
    return c.skip(Check.POLICY_CAP, why, params, final=True)


def _outcome_cap(c: _Ctx) -> Decision | None:
    last = c.mine[-1].disposition if c.mine else None
    rule = None if last is None else c.campaign.retry.rule_for(last)
    if rule is None:
        return None
    ended = sum(1 for attempt in c.mine if attempt.disposition is last)
    if ended < rule.max_attempts:
        return None
    why = f"{ended} attempts ended {last}, max {rule.max_attempts}"
    params = {"count": str(ended), "disposition": str(last), "max": str(rule.max_attempts)}
    return c.skip(Check.OUTCOME_CAP, why, params, final=True)


def _daily_cap(c: _Ctx) -> Decision | None:
    cap = c.campaign.retry.max_attempts_per_number_per_day
    if c.today < cap:
        return None
    day = sch.local_date(c.now, c.tz).isoformat()
    why = f"{c.today} attempts on {c.target.number} on {day} in {c.tz.key}, max {cap} a day"
    params = {"count": str(c.today), "number": c.target.number, "day": day, "max": str(cap)}
    return c.skip(Check.DAILY_CAP, why, params)


def _retry_delay(c: _Ctx) -> Decision | None:
    if c.retry_at is None or c.retry_at <= c.now:
        return None
    last = c.mine[-1]
    why = (
        f"attempt {last.seq} ended {last.disposition}; retry from {sch.describe(c.retry_at, c.tz)}"
    )
    params = {
        "seq": str(last.seq),
        "disposition": str(last.disposition),
        "retry_at": sch.utc(c.retry_at).isoformat(),
    }
    return c.skip(Check.RETRY_DELAY, why, params)


def _dial(c: _Ctx) -> Decision:
    seq = next_seq(c.mine)
    where = f"{sch.describe(c.now, c.tz)} in {c.tz.key}, inside {c.campaign.schedule.hours}"
    why = f"dial: attempt {seq} on policy {c.target.policy_number} to {c.target.number}, {where}"
    params = {"seq": str(seq), "policy": c.target.policy_number, "number": c.target.number}
    return Decision(True, why, params={**params, **_hours_params(c)})


GATES: tuple[Gate, ...] = (
    _state,
    _calendar,
    _paid_in_crm,
    _closed_by_attempt,
    _promised,
    _rule,
    _number_flags,
    _wrong_number,
    _hours,
    _in_progress,
    _policy_cap,
    _outcome_cap,
    _daily_cap,
    _retry_delay,
)

# ---- deriving the context -----------------------------------------------------------------


def next_seq(policy_attempts: Sequence[Attempt]) -> int:
    """The number of the policy's next attempt: one past the highest so far (1 if none)."""
    return max((attempt.seq for attempt in policy_attempts), default=0) + 1


def retry_at(campaign: Campaign, policy_attempts: Sequence[Attempt]) -> datetime | None:
    """When the policy's last attempt may be retried (its end + its outcome's delay); ``None``
    when there is no finished last attempt or its outcome is not retried."""
    last = max(policy_attempts, key=lambda attempt: attempt.seq, default=None)
    if last is None or last.disposition is None or last.ended_at is None:
        return None
    rule = campaign.retry.rule_for(last.disposition)
    return None if rule is None else sch.utc(last.ended_at) + rule.delay


def _latest_promise(facts: TargetFacts | None, mine: Sequence[Attempt]) -> PromiseToPay | None:
    promises = [attempt.promise for attempt in mine if attempt.promise is not None]
    if facts is not None and facts.promise is not None:
        promises.append(facts.promise)
    return max(promises, key=lambda promise: promise.promised_date, default=None)


def _earliest(c: _Ctx) -> datetime:
    moments = [c.now]
    if c.retry_at is not None:
        moments.append(c.retry_at)
    if c.today >= c.campaign.retry.max_attempts_per_number_per_day:
        moments.append(sch.next_local_midnight(c.now, c.tz))
    if c.promise is not None:
        moments.append(sch.start_of_day(c.promise.promised_date + sch.ONE_DAY, c.tz))
    return max(moments)


def _context(
    campaign: Campaign,
    target: Target,
    facts: TargetFacts | None,
    attempts: Sequence[Attempt],
    now: datetime,
) -> _Ctx:
    now, tz = sch.utc(now), target.zone
    attempts = tuple({attempt.id: attempt for attempt in attempts}.values())  # once each
    mine = sorted(
        (a for a in attempts if a.campaign_id == campaign.id and a.policy_id == target.policy_id),
        key=lambda attempt: attempt.seq,
    )
    on_number = tuple(a for a in attempts if a.number == target.number)
    day = sch.local_date(now, tz)
    today = sum(1 for a in on_number if sch.local_date(a.started_at, tz) == day)
    ctx = _Ctx(
        campaign,
        target,
        facts,
        now,
        tz,
        tuple(mine),
        on_number,
        today,
        _latest_promise(facts, mine),
        retry_at(campaign, mine),
        now,
    )
    return replace(ctx, earliest=_earliest(ctx))


def _run(gates: Sequence[Gate], ctx: _Ctx) -> Decision:
    for gate in gates:
        decision = gate(ctx)
        if decision is not None:
            return decision
    return _dial(ctx)


# ---- the API ------------------------------------------------------------------------------


def decide(
    target_facts: TargetFacts,
    campaign: Campaign,
    attempts_so_far: Sequence[Attempt],
    now: datetime,
) -> Decision:
    """May ``target_facts.target`` be dialled at ``now``? See the module docstring."""
    ctx = _context(campaign, target_facts.target, target_facts, attempts_so_far, now)
    return _run(GATES, ctx)


def timing(
    campaign: Campaign, target: Target, attempts_so_far: Sequence[Attempt], now: datetime
) -> Decision:
    """``decide`` without the CRM's fresh facts (paid, do-not-call, blacklist, opt-out): what the
    hopper can know from the campaign's own records. ``decide`` still runs before the dial."""
    return _run(GATES, _context(campaign, target, None, attempts_so_far, now))


def number_plan(target: Target, allowed_prefixes: Sequence[str] = ()) -> Decision | None:
    """A number the national numbering plan refuses (premium-rate, international, short, not a
    number), unless allow-listed: never dialled in this campaign. None when it may be."""
    verdict = numbering.check(target.number, allowed_prefixes)
    if verdict.allowed:
        return None
    why = f"skipped: {target.number!r} is a {verdict.reason} by the numbering plan"
    params = {"number": target.number, "kind": verdict.kind.value}
    return Decision(False, why, None, Check.NUMBER_PLAN, True, params)
