"""Pacing: the calls-per-second and channel caps are never exceeded (hypothesis), and the
progressive plan's rules with literals (wait, hold, strict, overdial, the worst-case guard)."""

from __future__ import annotations

from dataclasses import dataclass, field
from math import floor

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from acd.dunning.core.model import AbandonPolicy, Caps
from acd.dunning.core.pacing import (
    AbandonMeasure,
    AnswerEstimate,
    DialOutcome,
    PacingMode,
    RateWindow,
    admit,
    estimate_answer,
    expected_abandon_fraction,
    measure_abandon,
    plan_progressive,
    wilson_upper,
)
from crm_bridge.vocab import Disposition

pytestmark = pytest.mark.unit

POLICY = AbandonPolicy()
P30 = AnswerEstimate(0.3, 0.33, 200)


# ---- (a) the rate and channel caps --------------------------------------------------------


def test_the_rate_window_never_rounds_up() -> None:
    assert RateWindow.from_cps(10) == RateWindow(10, 1.0)
    assert RateWindow.from_cps(2.5) == RateWindow(2, 1.0)
    assert RateWindow.from_cps(0.5) == RateWindow(1, 2.0)


def test_admit_allows_the_rate_then_says_when_the_next_may_go() -> None:
    caps = Caps(max_channels=10, max_calls_per_second=3)
    first = admit(100.0, 0, [], caps)
    assert first.may_dial == 3 and first.next_at == 101.0
    later = admit(100.5, 3, [100.0, 100.0, 100.0], caps)
    assert later.may_dial == 0 and later.next_at == 101.0
    assert admit(101.0, 3, [100.0, 100.0, 100.0], caps).may_dial == 3


def test_admit_counts_starts_in_a_sliding_window() -> None:
    caps = Caps(max_channels=50, max_calls_per_second=4)
    starts = [99.0, 99.25, 99.5, 99.75]
    admission = admit(100.125, 0, starts, caps)  # only 99.0 has left (99.125, 100.125]
    assert admission.may_dial == 1
    assert admission.next_at == 100.25  # when 99.25 leaves, once this one has started


def test_admit_waits_on_a_hang_up_when_the_channels_are_full() -> None:
    caps = Caps(max_channels=4, max_calls_per_second=10)
    full = admit(50.0, 4, [], caps)
    assert full.may_dial == 0 and full.next_at is None and "channels" in full.reason
    assert admit(50.0, 2, [], caps).may_dial == 2


TICK = 1 / 64  # times are exact binary fractions: the window's edges compare exactly


@dataclass
class Line:
    caps: Caps
    now: float = 0.0
    in_flight: int = 0
    starts: list[float] = field(default_factory=list)


@settings(max_examples=300, deadline=None)
@given(
    cps=st.sampled_from((0.25, 0.5, 1.0, 2.0, 2.5, 5.0, 10.0)),
    channels=st.integers(1, 12),
    steps=st.lists(
        st.tuples(st.integers(0, 96), st.integers(0, 8), st.integers(0, 4)), max_size=80
    ),
)
def test_pacing_never_exceeds_the_calls_per_second_nor_the_channels(
    cps: float, channels: int, steps: list[tuple[int, int, int]]
) -> None:
    line = Line(Caps(max_channels=channels, max_calls_per_second=cps))
    window = RateWindow.from_cps(cps)
    for ticks, wanted, hang_ups in steps:
        line.now += ticks * TICK
        line.in_flight -= min(hang_ups, line.in_flight)
        admission = admit(line.now, line.in_flight, line.starts, line.caps)
        dialled = min(wanted, admission.may_dial)
        line.starts += [line.now] * dialled
        line.in_flight += dialled
        assert line.in_flight <= channels
        _check_liveness(line, window)
    for t in line.starts:
        assert sum(1 for s in line.starts if t - window.seconds < s <= t) <= window.calls
        assert sum(1 for s in line.starts if t <= s < t + 1.0) <= max(1, floor(cps))


def _check_liveness(line: Line, window: RateWindow) -> None:
    """What admit refuses, it refuses for a reason: a full window or full channels; and at
    ``next_at`` (channels permitting) one more may go."""
    result = admit(line.now, line.in_flight, line.starts, line.caps)
    if result.may_dial == 0 and line.in_flight < line.caps.max_channels:
        in_window = [s for s in line.starts if s > line.now - window.seconds]
        assert len(in_window) >= window.calls
        assert result.next_at is not None and result.next_at > line.now
        assert admit(result.next_at, line.in_flight, line.starts, line.caps).may_dial >= 1


# ---- (b) measurement ----------------------------------------------------------------------


def test_wilson_upper_bound_needs_about_133_clean_calls_to_go_under_two_percent() -> None:
    assert wilson_upper(0, 0, 1.645) == 1.0
    assert wilson_upper(0, 133, 1.645) < 0.02 <= wilson_upper(0, 132, 1.645)
    assert wilson_upper(10, 500, 1.645) > 10 / 500


def test_the_abandon_window_counts_answered_calls_only_and_forgets_old_ones() -> None:
    outcomes = [
        DialOutcome(10.0, Disposition.ABANDONED),
        DialOutcome(20.0, Disposition.NO_ANSWER),
        DialOutcome(30.0, Disposition.MACHINE),
        DialOutcome(40.0, Disposition.PROMISED),
        DialOutcome(50.0, Disposition.ABANDONED),
    ]
    measure = measure_abandon(outcomes, 60.0, POLICY)
    assert (measure.answered, measure.abandoned) == (3, 2)
    aged = measure_abandon(outcomes, 10.0 + POLICY.window_seconds, POLICY)
    assert (aged.answered, aged.abandoned) == (2, 1)
    last_two = measure_abandon(outcomes, 60.0, AbandonPolicy(window_calls=2))
    assert (last_two.answered, last_two.abandoned) == (2, 1)


def test_the_answer_estimate_starts_at_the_seeded_prior_and_learns() -> None:
    assert estimate_answer([], POLICY).p == pytest.approx(0.3)
    answered = [DialOutcome(float(t), Disposition.REFUSED) for t in range(200)]
    learned = estimate_answer(answered, POLICY)
    assert learned.p == pytest.approx((0.3 * 20 + 200) / 220)
    assert learned.p < learned.p_high <= 1.0


def test_expected_abandon_fraction_literals() -> None:
    assert expected_abandon_fraction(2, 1, 0.5) == pytest.approx(0.25)
    assert expected_abandon_fraction(5, 5, 0.9) == 0.0
    assert expected_abandon_fraction(4, 3, 1.0) == pytest.approx(0.25)
    assert expected_abandon_fraction(13, 10, 0.3) < 0.001


# ---- (b) the plan -------------------------------------------------------------------------


def measured(answered: int, abandoned: int) -> AbandonMeasure:
    return AbandonMeasure(answered, abandoned, wilson_upper(abandoned, answered, 1.645))


def test_no_ready_agent_no_dial() -> None:
    plan = plan_progressive(0, 0, measured(500, 0), P30, POLICY)
    assert plan.dial == 0 and plan.mode is PacingMode.WAIT


@pytest.mark.parametrize(("answered", "abandoned"), [(100, 4), (120, 3), (200, 7), (1, 1)])
def test_at_or_near_the_ceiling_it_dials_nothing(answered: int, abandoned: int) -> None:
    plan = plan_progressive(10, 0, measured(answered, abandoned), P30, POLICY)
    assert plan.dial == 0 and plan.mode is PacingMode.HOLD
    assert plan.reason.startswith("hold: abandon")


def test_the_hold_ends_when_the_abandons_age_out() -> None:
    outcomes = [DialOutcome(float(t), Disposition.ABANDONED) for t in range(5)]
    outcomes += [DialOutcome(float(t), Disposition.PROMISED) for t in range(5, 100)]
    held = measure_abandon(outcomes, 200.0, POLICY)
    assert plan_progressive(4, 0, held, P30, POLICY).mode is PacingMode.HOLD
    later = measure_abandon(outcomes, 5.0 + POLICY.window_seconds, POLICY)
    assert plan_progressive(4, 0, later, P30, POLICY).dial == 4


def test_little_evidence_means_strict_one_call_per_ready_agent() -> None:
    plan = plan_progressive(10, 3, measured(50, 0), P30, POLICY)
    assert plan.mode is PacingMode.STRICT and plan.in_flight == 10 and plan.dial == 7


def test_at_or_above_the_target_it_stops_overdialling() -> None:
    plan = plan_progressive(10, 0, measured(500, 10), P30, POLICY)  # 2.0 %
    assert plan.mode is PacingMode.STRICT and plan.dial == 10
    assert "not under target 2.0%" in plan.reason


def test_confidently_under_the_target_it_overdials_a_little() -> None:
    plan = plan_progressive(10, 0, measured(500, 0), P30, POLICY)
    assert plan.mode is PacingMode.OVERDIAL
    assert 10 < plan.in_flight <= 13 and plan.dial == plan.in_flight


def test_ringing_calls_count_against_the_plan() -> None:
    plan = plan_progressive(10, 12, measured(500, 0), P30, POLICY)
    assert plan.dial == max(0, plan.in_flight - 12)


def test_a_ratio_of_one_is_strict_progressive() -> None:
    strict = AbandonPolicy(max_overdial_ratio=1.0)
    plan = plan_progressive(10, 0, measured(5000, 0), P30, strict)
    assert plan.mode is PacingMode.STRICT and plan.in_flight == 10


def test_a_likely_answer_leaves_no_room_to_overdial() -> None:
    sure = AnswerEstimate(0.95, 0.97, 200)
    assert plan_progressive(10, 0, measured(500, 0), sure, POLICY).in_flight == 10


@settings(max_examples=300, deadline=None)
@given(
    ready=st.integers(0, 40),
    ringing=st.integers(0, 60),
    answered=st.integers(0, 600),
    abandoned_share=st.floats(0, 0.1),
    p=st.floats(0.01, 0.99),
    ratio=st.sampled_from((1.0, 1.1, 1.3, 1.5, 2.0)),
)
def test_the_plan_keeps_its_promises(
    ready: int, ringing: int, answered: int, abandoned_share: float, p: float, ratio: float
) -> None:
    policy = AbandonPolicy(max_overdial_ratio=ratio)
    abandon = measured(answered, int(answered * abandoned_share))
    plan = plan_progressive(
        ready, ringing, abandon, AnswerEstimate(p, min(1.0, p + 0.05), 100), policy
    )
    assert plan.dial >= 0 and plan.dial == max(0, plan.in_flight - ringing)
    assert plan.in_flight <= floor(ready * ratio + 1e-9)
    if ready == 0 or (abandon.answered and abandon.rate >= policy.hold_at):
        assert plan.dial == 0
        return
    assert plan.in_flight >= ready
    if abandon.upper >= policy.target:
        assert plan.in_flight == ready
    extra = plan.in_flight - ready
    if extra:
        worst = (abandon.abandoned + extra) / (abandon.answered + extra)
        assert worst < policy.ceiling
