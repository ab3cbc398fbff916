"""Calling windows across DST, and the invariant of ``decide``'s ``not_before``: it is the
earliest instant the target may be dialled (dialable there, not one second earlier)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from acd.dunning.core import schedule as sch
from acd.dunning.core.compliance import decide
from acd.dunning.core.model import Attempt, CallingHours, Campaign, PromiseToPay, Schedule, Target
from crm_bridge.vocab import Disposition
from tests.unit.campaign_data import EVERY_DAY, attempt, campaign, facts, retries, target, utc

pytestmark = pytest.mark.unit

LONDON = ZoneInfo("Europe/London")
SHANGHAI = ZoneInfo("Asia/Shanghai")
YEAR = Schedule(date(2026, 1, 1), date(2026, 12, 31), EVERY_DAY)


def test_a_window_whose_start_falls_in_the_spring_gap_opens_just_after_it() -> None:
    early = Schedule(YEAR.start_date, YEAR.end_date, EVERY_DAY, CallingHours(time(1, 30), time(6)))
    opens, closes = sch.window_on(early, date(2026, 3, 29), LONDON)
    assert opens == utc(2026, 3, 29, 1, 30)  # 02:30 BST: 01:30 does not exist that day
    assert closes == utc(2026, 3, 29, 5)  # 06:00 BST


def test_a_window_start_that_occurs_twice_opens_at_the_first() -> None:
    early = Schedule(YEAR.start_date, YEAR.end_date, EVERY_DAY, CallingHours(time(1, 30), time(6)))
    opens, _ = sch.window_on(early, date(2026, 10, 25), LONDON)
    assert opens == utc(2026, 10, 25, 0, 30)  # 01:30 BST, the first of the two


def test_the_local_day_is_longer_and_shorter_on_dst_days() -> None:
    autumn = sch.next_local_midnight(utc(2026, 10, 25, 12), LONDON) - sch.start_of_day(
        date(2026, 10, 25), LONDON
    )
    spring = sch.next_local_midnight(utc(2026, 3, 29, 12), LONDON) - sch.start_of_day(
        date(2026, 3, 29), LONDON
    )
    assert autumn == timedelta(hours=25) and spring == timedelta(hours=23)


def test_next_open_is_now_inside_a_window_and_none_past_the_end() -> None:
    inside = utc(2026, 11, 20, 4)
    assert sch.next_open(YEAR, SHANGHAI, inside) == inside
    assert sch.next_open(YEAR, SHANGHAI, utc(2026, 12, 31, 12)) is None  # 20:00 CST on the 31st


def test_describe_shows_the_customers_wall_clock() -> None:
    assert sch.describe(utc(2026, 10, 24, 19, 30), LONDON) == "2026-10-24 20:30 BST (Saturday)"
    assert sch.describe(utc(2026, 11, 20, 13), SHANGHAI) == "2026-11-20 21:00 CST (Friday)"


# ---- the not_before invariant -------------------------------------------------------------

ZONES = ("Asia/Shanghai", "Europe/London", "America/New_York", "Australia/Sydney", "Asia/Kolkata")
START = datetime(2026, 2, 1, tzinfo=UTC)
OUTCOMES = (
    Disposition.BUSY,
    Disposition.NO_ANSWER,
    Disposition.FAILED,
    Disposition.MACHINE,
    Disposition.ABANDONED,
    Disposition.PROMISED,
)


Scenario = tuple[Campaign, Target, list[Attempt], datetime]


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    zone = draw(st.sampled_from(ZONES))
    now = START + timedelta(minutes=draw(st.integers(0, 300 * 24 * 60)))
    start_hour = draw(st.integers(0, 22))
    end_hour = draw(st.integers(start_hour + 1, 23))
    weekdays = frozenset(draw(st.sets(st.integers(0, 6), min_size=1)))
    delays = [timedelta(minutes=draw(st.integers(0, 3000))) for _ in range(5)]
    retry = retries(
        delays,
        max_each=20,
        per_policy=30,
        per_day=draw(st.integers(1, 3)),
    )
    history: list[Attempt] = []
    started = now - timedelta(minutes=draw(st.integers(1, 5 * 24 * 60)))
    for seq in range(1, draw(st.integers(0, 4)) + 1):
        outcome = draw(st.sampled_from(OUTCOMES))
        promise = None
        if outcome is Disposition.PROMISED:
            promise = PromiseToPay(
                Decimal("10"), now.date() + timedelta(days=draw(st.integers(-3, 5)))
            )
        history.append(
            attempt(seq, started, outcome, seconds=draw(st.integers(0, 600)), promise=promise)
        )
        started += timedelta(minutes=draw(st.integers(1, 600)))
        if started > now:
            break
    hours = CallingHours(time(start_hour), time(end_hour, draw(st.sampled_from((0, 30)))))
    camp = campaign(weekdays=weekdays, hours=hours, retry=retry)
    return camp, target(zone), history, now


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_not_before_is_the_earliest_instant_the_target_may_be_dialled(
    scenario: Scenario,
) -> None:
    camp, tgt, history, now = scenario
    decision = decide(facts(tgt), camp, history, now)
    assert decision.reason
    assert decision.reason.startswith("dial: " if decision.dial else "skipped: ")
    if decision.dial or decision.final:
        assert decision.not_before is None
        return
    at = decision.not_before
    assert at is not None and at > now
    assert decide(facts(tgt), camp, history, at).dial
    assert not decide(facts(tgt), camp, history, at - timedelta(seconds=1)).dial
