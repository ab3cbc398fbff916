"""The compliance engine with literals: paid since scheduling, calling hours in two time zones,
DST, retry delays, caps per outcome / policy / number and local day, and every other check."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest

from acd.dunning.core.compliance import Check, decide, timing
from acd.dunning.core.model import CallingHours, PromiseToPay, RetryPolicy, RetryRule
from acd.dunning.core.targets import select_targets
from crm_bridge.vocab import CampaignState, Disposition, PolicyStatus
from tests.unit.campaign_data import (
    ALL_DAY,
    LONDON,
    SHANGHAI,
    WEEKDAYS,
    attempt,
    campaign,
    facts,
    policy_facts,
    quick_retries,
    target,
    utc,
)

pytestmark = pytest.mark.unit

FRIDAY_NOON_SH = utc(2026, 11, 20, 4)  # 12:00 CST


# ---- paid between scheduling and dialling -------------------------------------------------


def test_a_policy_paid_after_scheduling_is_never_dialled_and_the_paid_date_is_the_reason() -> None:
    camp = campaign()
    scheduled_at = utc(2026, 11, 18, 2)
    (chosen,) = select_targets(camp.rule, [policy_facts(1001)], scheduled_at)
    assert timing(camp, chosen, [], FRIDAY_NOON_SH).dial  # the hopper would offer it ...

    reread = facts(chosen, paid_date=date(2026, 11, 20))  # ... but it was paid meanwhile
    decision = decide(reread, camp, [], FRIDAY_NOON_SH)

    assert not decision.dial
    assert decision.reason == "skipped: paid 2026-11-20"
    assert decision.check is Check.PAID
    assert decision.final and decision.not_before is None


def test_an_unpaid_policy_inside_its_window_is_dialled_with_the_reason() -> None:
    decision = decide(facts(), campaign(), [], FRIDAY_NOON_SH)
    assert decision.dial and decision.check is Check.DIAL
    assert decision.reason.startswith("dial: attempt 1 on policy P-1001 to 13800138000")
    assert "12:00 CST" in decision.reason


def test_paid_is_checked_before_the_number_and_the_calling_hours() -> None:
    reread = facts(paid_date=date(2026, 11, 19), do_not_call=True)
    decision = decide(reread, campaign(), [], utc(2026, 11, 20, 15))  # 23:00 CST
    assert decision.check is Check.PAID


# ---- calling hours in the customer's time zone --------------------------------------------


def test_one_instant_is_outside_hours_in_shanghai_and_inside_them_in_london() -> None:
    camp = campaign(weekdays=WEEKDAYS)
    now = utc(2026, 11, 20, 13)  # Friday: 21:00 in Shanghai, 13:00 in London

    shanghai = decide(facts(target(SHANGHAI)), camp, [], now)
    london = decide(facts(target(LONDON)), camp, [], now)

    assert not shanghai.dial and shanghai.check is Check.CALLING_HOURS
    assert shanghai.not_before == utc(2026, 11, 23, 1)  # Monday 09:00 CST: the weekend skipped
    assert "2026-11-20 21:00 CST (Friday)" in shanghai.reason
    assert "09:00-20:00" in shanghai.reason
    assert "next try 2026-11-23 09:00 CST (Monday)" in shanghai.reason
    assert london.dial


def test_before_the_window_opens_not_before_is_the_opening_in_each_zone() -> None:
    now = utc(2026, 11, 20, 0, 30)  # 08:30 CST, 00:30 GMT
    shanghai = decide(facts(target(SHANGHAI)), campaign(), [], now)
    london = decide(facts(target(LONDON)), campaign(), [], now)
    assert shanghai.not_before == utc(2026, 11, 20, 1)
    assert london.not_before == utc(2026, 11, 20, 9)
    assert decide(facts(target(SHANGHAI)), campaign(), [], utc(2026, 11, 20, 1)).dial


def test_the_window_end_is_excluded() -> None:
    at_end = decide(facts(target(LONDON)), campaign(), [], utc(2026, 11, 20, 20))
    assert at_end.check is Check.CALLING_HOURS
    assert at_end.not_before == utc(2026, 11, 21, 9)


# ---- DST ----------------------------------------------------------------------------------


def test_dst_end_in_london_opens_at_nine_gmt_not_eight() -> None:
    # Saturday 24 Oct 2026 20:30 BST; clocks go back at 02:00 BST on Sunday 25 Oct.
    now = utc(2026, 10, 24, 19, 30)
    decision = decide(facts(target(LONDON)), campaign(), [], now)
    assert decision.check is Check.CALLING_HOURS
    assert decision.not_before == utc(2026, 10, 25, 9)  # 09:00 GMT; a naive +1 day gives 08:00
    assert "20:30 BST" in decision.reason and "09:00 GMT (Sunday)" in decision.reason


def test_dst_end_during_the_repeated_hour() -> None:
    now = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 01:30 GMT, the second 01:30 that night
    decision = decide(facts(target(LONDON)), campaign(), [], now)
    assert decision.not_before == utc(2026, 10, 25, 9)


def test_the_same_utc_time_is_inside_before_dst_ends_and_outside_after() -> None:
    before = decide(facts(target(LONDON)), campaign(), [], utc(2026, 10, 23, 8, 30))  # 09:30 BST
    after = decide(facts(target(LONDON)), campaign(), [], utc(2026, 10, 26, 8, 30))  # 08:30 GMT
    assert before.dial
    assert after.check is Check.CALLING_HOURS and after.not_before == utc(2026, 10, 26, 9)


def test_dst_start_in_london_opens_at_nine_bst() -> None:
    now = utc(2026, 3, 28, 21)  # Saturday 21:00 GMT; clocks go forward at 01:00 GMT Sunday
    decision = decide(facts(target(LONDON)), campaign(), [], now)
    assert decision.not_before == utc(2026, 3, 29, 8)  # 09:00 BST


def test_a_retry_delay_across_the_dst_change_is_elapsed_time() -> None:
    retry = RetryPolicy(no_answer=RetryRule(timedelta(hours=3), 3))
    hours = CallingHours(time(0, 0), time(23, 59))
    camp = campaign(retry=retry, hours=hours)
    ended = utc(2026, 10, 24, 23, 50)  # 00:50 BST on the 25th ...
    first = attempt(1, ended - timedelta(seconds=30))
    decision = decide(facts(target(LONDON)), camp, [first], utc(2026, 10, 25, 1))
    assert decision.not_before == utc(2026, 10, 25, 2, 50)  # ... + 3 h = 02:50 GMT, not 03:50


# ---- retries ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "delay"),
    [
        (Disposition.BUSY, timedelta(minutes=10)),
        (Disposition.NO_ANSWER, timedelta(hours=2)),
        (Disposition.FAILED, timedelta(minutes=30)),
        (Disposition.MACHINE, timedelta(hours=4)),
    ],
)
def test_a_retry_waits_for_the_configured_delay_after_the_last_end(
    outcome: Disposition, delay: timedelta
) -> None:
    camp = campaign()
    first = attempt(1, utc(2026, 11, 20, 1, 0), outcome, seconds=40)  # 09:00 CST
    assert first.ended_at is not None
    ready = first.ended_at + delay

    early = decide(facts(), camp, [first], ready - timedelta(seconds=1))
    assert not early.dial and early.check is Check.RETRY_DELAY
    assert early.not_before == ready
    assert f"attempt 1 ended {outcome}" in early.reason

    on_time = decide(facts(), camp, [first], ready)
    assert on_time.dial and "attempt 2" in on_time.reason


def test_a_retry_due_after_the_window_closes_waits_for_the_next_opening() -> None:
    camp = campaign(retry=RetryPolicy(no_answer=RetryRule(timedelta(hours=2), 3)))
    late = attempt(1, utc(2026, 11, 20, 11, 0))  # 19:00 CST; retry at 21:00, after hours
    decision = decide(facts(), camp, [late], utc(2026, 11, 20, 11, 30))
    assert decision.check is Check.RETRY_DELAY
    assert decision.not_before == utc(2026, 11, 21, 1)  # 09:00 CST next day


def test_the_retries_of_an_outcome_stop_at_its_maximum() -> None:
    camp = campaign(retry=RetryPolicy(busy=RetryRule(timedelta(minutes=10), 2)))
    busy = [attempt(n, utc(2026, 11, 19, n), Disposition.BUSY) for n in (1, 2)]
    decision = decide(facts(), camp, busy, FRIDAY_NOON_SH)
    assert decision.check is Check.OUTCOME_CAP and decision.final
    assert decision.reason == "skipped: 2 attempts ended busy, max 2"


def test_other_outcomes_do_not_use_up_an_outcomes_maximum() -> None:
    camp = campaign(retry=RetryPolicy(busy=RetryRule(timedelta(minutes=10), 2)))
    history = [
        attempt(1, utc(2026, 11, 18, 2), Disposition.BUSY),
        attempt(2, utc(2026, 11, 19, 2), Disposition.NO_ANSWER),
    ]
    assert decide(facts(), camp, history, FRIDAY_NOON_SH).dial


def test_the_attempts_on_a_policy_stop_at_the_campaign_maximum() -> None:
    camp = campaign(retry=RetryPolicy(max_attempts_per_policy=3, busy=RetryRule(timedelta(0), 9)))
    history = [attempt(n, utc(2026, 11, n, 2), Disposition.BUSY) for n in (1, 2, 3)]
    decision = decide(facts(), camp, history, FRIDAY_NOON_SH)
    assert decision.check is Check.POLICY_CAP and decision.final


def test_an_attempt_in_progress_blocks_another_without_a_time() -> None:
    running = attempt(1, utc(2026, 11, 20, 3, 59), None)
    decision = decide(facts(), campaign(), [running], FRIDAY_NOON_SH)
    assert decision.check is Check.IN_PROGRESS
    assert not decision.final and decision.not_before is None
    assert "dun-nov:1001:1" in decision.reason


def test_an_attempt_in_progress_on_the_same_number_for_another_policy_blocks_too() -> None:
    other = attempt(1, utc(2026, 11, 20, 3, 59), None, policy_id=2002, campaign_id="other")
    assert decide(facts(), campaign(), [other], FRIDAY_NOON_SH).check is Check.IN_PROGRESS


# ---- attempts per number per local day ----------------------------------------------------


def test_the_daily_cap_resets_at_the_customers_local_midnight_in_shanghai() -> None:
    camp = campaign(hours=ALL_DAY, retry=quick_retries(per_day=2))
    day = [attempt(1, utc(2026, 11, 20, 1)), attempt(2, utc(2026, 11, 20, 2))]  # 09:00, 10:00 CST

    capped = decide(facts(), camp, day, utc(2026, 11, 20, 15))  # 23:00 CST, same UTC date
    assert capped.check is Check.DAILY_CAP
    assert "2 attempts on 13800138000 on 2026-11-20 in Asia/Shanghai, max 2" in capped.reason
    assert capped.not_before == utc(2026, 11, 20, 16)  # 00:00 CST on the 21st

    assert decide(facts(), camp, day, utc(2026, 11, 20, 16)).dial


def test_the_daily_cap_follows_the_local_day_not_the_utc_day_in_london_summer() -> None:
    camp = campaign(hours=ALL_DAY, retry=quick_retries(per_day=2))
    # 00:10 and 00:20 BST on Saturday 11 July are still 10 July in UTC.
    night = [attempt(1, utc(2026, 7, 10, 23, 10)), attempt(2, utc(2026, 7, 10, 23, 20))]
    tgt = target(LONDON)

    later = decide(facts(tgt), camp, night, utc(2026, 7, 11, 10))  # 11:00 BST, same local day
    assert later.check is Check.DAILY_CAP
    assert later.not_before == utc(2026, 7, 11, 23)  # 00:00 BST on 12 July
    assert decide(facts(tgt), camp, night, utc(2026, 7, 11, 23)).dial


def test_the_daily_cap_counts_every_campaigns_attempts_on_the_number() -> None:
    camp = campaign(hours=ALL_DAY, retry=quick_retries(per_day=2))
    elsewhere = [
        attempt(1, utc(2026, 11, 20, 1), policy_id=7, campaign_id="renewals"),
        attempt(2, utc(2026, 11, 20, 2), policy_id=7, campaign_id="renewals"),
    ]
    assert decide(facts(), camp, elsewhere, FRIDAY_NOON_SH).check is Check.DAILY_CAP


def test_a_capped_day_and_a_later_retry_give_the_later_of_the_two() -> None:
    camp = campaign(retry=quick_retries(delay=timedelta(hours=26), per_day=1))
    first = attempt(1, utc(2026, 11, 20, 1))  # 09:00 CST; retry 11:00 CST on the 21st
    decision = decide(facts(), camp, [first], FRIDAY_NOON_SH)
    assert decision.check is Check.DAILY_CAP
    assert decision.not_before == utc(2026, 11, 21, 3) + timedelta(seconds=30)


# ---- the campaign, the schedule, the policy, the number -----------------------------------


@pytest.mark.parametrize(
    ("state", "final"),
    [(CampaignState.PAUSED, False), (CampaignState.DRAFT, False), (CampaignState.STOPPED, True)],
)
def test_only_a_running_campaign_dials(state: CampaignState, final: bool) -> None:
    decision = decide(facts(), campaign(state=state), [], FRIDAY_NOON_SH)
    assert decision.check is Check.CAMPAIGN_STATE and decision.final is final
    assert decision.reason == f"skipped: campaign dun-nov is {state}"


def test_before_the_start_date_waits_for_its_first_window() -> None:
    camp = campaign(start=date(2026, 11, 23))
    decision = decide(facts(), camp, [], FRIDAY_NOON_SH)
    assert decision.check is Check.SCHEDULE
    assert decision.not_before == utc(2026, 11, 23, 1)
    assert "before the campaign starts" in decision.reason


def test_after_the_end_date_in_the_customers_zone_is_final() -> None:
    camp = campaign(end=date(2026, 11, 20))
    decision = decide(facts(), camp, [], utc(2026, 11, 20, 17))  # 01:00 CST on the 21st
    assert decision.check is Check.SCHEDULE and decision.final
    # ... while in London it is still the 20th (17:00 GMT), inside the window:
    assert decide(facts(target(LONDON)), camp, [], utc(2026, 11, 20, 17)).dial


def test_a_weekend_and_a_holiday_are_skipped() -> None:
    camp = campaign(weekdays=WEEKDAYS, holidays=frozenset({date(2026, 11, 23)}))
    saturday = decide(facts(), camp, [], utc(2026, 11, 21, 4))
    assert saturday.check is Check.SCHEDULE and "Saturday" in saturday.reason
    assert saturday.not_before == utc(2026, 11, 24, 1)  # Monday is a holiday: Tuesday 09:00


@pytest.mark.parametrize(
    ("changes", "check"),
    [
        ({"do_not_call": True}, Check.DO_NOT_CALL),
        ({"blacklisted": True}, Check.BLACKLISTED),
        ({"opted_out": True}, Check.OPTED_OUT),
        ({"policy_status": PolicyStatus.CANCELLED}, Check.POLICY_CLOSED),
        ({"policy_status": PolicyStatus.LAPSED}, Check.POLICY_CLOSED),
    ],
)
def test_the_number_and_the_policy_flags_are_final(changes: dict[str, Any], check: Check) -> None:
    decision = decide(facts(**changes), campaign(), [], FRIDAY_NOON_SH)
    assert decision.check is check and decision.final and not decision.dial
    assert decision.reason.startswith("skipped: ")


def test_the_do_not_call_reason_names_the_number() -> None:
    decision = decide(facts(do_not_call=True), campaign(), [], FRIDAY_NOON_SH)
    assert decision.reason == "skipped: 13800138000 is on the do-not-call list"


@pytest.mark.parametrize("closing", [Disposition.DISPUTED, Disposition.REFUSED, Disposition.PAID])
def test_a_closing_disposition_ends_the_policys_attempts(closing: Disposition) -> None:
    first = attempt(1, utc(2026, 11, 19, 2), closing)
    decision = decide(facts(), campaign(), [first], FRIDAY_NOON_SH)
    assert decision.check is Check.POLICY_CLOSED and decision.final
    assert decision.reason == f"skipped: {closing} on attempt 1 (dun-nov:1001:1)"


def test_a_wrong_number_is_not_rung_again_for_any_policy() -> None:
    wrong = attempt(1, utc(2026, 11, 19, 2), Disposition.WRONG_NUMBER, policy_id=2002)
    decision = decide(facts(), campaign(), [wrong], FRIDAY_NOON_SH)
    assert decision.check is Check.WRONG_NUMBER and decision.final


def test_an_open_promise_waits_for_the_day_after_its_date() -> None:
    promise = PromiseToPay(Decimal("580.00"), date(2026, 11, 25))
    decision = decide(facts(promise=promise), campaign(), [], FRIDAY_NOON_SH)
    assert decision.check is Check.PROMISED and not decision.final
    assert decision.reason.startswith("skipped: promised 580.00 by 2026-11-25")
    assert decision.not_before == utc(2026, 11, 26, 1)


def test_a_promise_made_on_an_attempt_counts_too_and_a_broken_one_is_chased() -> None:
    promise = PromiseToPay(Decimal("300.00"), date(2026, 11, 21))
    made = attempt(1, utc(2026, 11, 19, 2), Disposition.PROMISED, promise=promise)
    waiting = decide(facts(), campaign(), [made], FRIDAY_NOON_SH)
    assert waiting.check is Check.PROMISED and waiting.not_before == utc(2026, 11, 22, 1)
    assert decide(facts(), campaign(), [made], utc(2026, 11, 22, 1)).dial


def test_a_policy_that_no_longer_matches_the_rule_is_dropped() -> None:
    smaller = facts(target(amount_due=Decimal("40.00")))
    decision = decide(smaller, campaign(), [], FRIDAY_NOON_SH)
    assert decision.check is Check.TARGET_RULE and decision.final
    assert decision.reason == "skipped: 40.00 due, under 100.00"


def test_a_naive_now_is_refused() -> None:
    from acd.dunning.core.model import CampaignError

    with pytest.raises(CampaignError):
        decide(facts(), campaign(), [], datetime(2026, 11, 20, 4))


def test_timing_ignores_the_crm_facts_decide_checks() -> None:
    camp = campaign()
    assert timing(camp, target(), [], FRIDAY_NOON_SH).dial
    assert not decide(facts(opted_out=True), camp, [], FRIDAY_NOON_SH).dial


# ---- the facts a reason names, for the console's translations ----------------------------


def test_a_decision_names_its_facts_in_params_beside_the_english_reason() -> None:
    paid = decide(facts(paid_date=date(2026, 11, 20)), campaign(), [], FRIDAY_NOON_SH)
    assert paid.params == {"zone": "Asia/Shanghai", "date": "2026-11-20"}

    dial = decide(facts(), campaign(), [], FRIDAY_NOON_SH)
    assert dial.params == {
        "seq": "1",
        "policy": "P-1001",
        "number": "13800138000",
        "local": "12:00",
        "zone": "Asia/Shanghai",
        "start": "09:00",
        "end": "20:00",
    }

    promise = PromiseToPay(Decimal("580.00"), date(2026, 11, 25))
    promised = decide(facts(promise=promise), campaign(), [], FRIDAY_NOON_SH)
    assert (promised.params["amount"], promised.params["date"]) == ("580.00", "2026-11-25")

    smaller = decide(facts(target(amount_due=Decimal("40.00"))), campaign(), [], FRIDAY_NOON_SH)
    assert smaller.params == {
        "zone": "Asia/Shanghai",
        "kind": "amount",
        "value": "40.00",
        "min": "100.00",
    }


def test_a_day_that_is_not_a_calling_day_names_its_kind() -> None:
    saturday = utc(2026, 11, 21, 4)
    decision = decide(facts(), campaign(weekdays=WEEKDAYS), [], saturday)
    assert decision.check is Check.SCHEDULE
    assert (decision.params["kind"], decision.params["day"]) == ("weekday", "2026-11-21")
