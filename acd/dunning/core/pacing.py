"""Pacing: how many calls a campaign may start now. Pure; times are seconds on the dialer's
injected clock. The dialer starts ``min(admit(...).may_dial, plan_progressive(...).dial)``
in progressive mode, ``admit(...).may_dial`` (at most) in agentless mode.

**(a) Calls per second and channels: ``admit``.** A sliding-window limit: at most ``L`` call
starts in any window of ``W`` seconds. ``RateWindow.from_cps(r)`` gives ``L = floor(r)`` per
``W = 1`` s for ``r >= 1`` (2.5 cps -> 2 a second: never above the configured figure) and one
per ``W = 1/r`` s below. It is a leaky bucket of depth ``L`` in which every call start is a
drop that leaks out exactly ``W`` after it fell in; its state is the recent start times
themselves, so it survives a restart when they are persisted. A token bucket (depth ``L``,
refilled at ``r``) was not chosen: it lets ``2L`` starts through in one window straddling a
refill, which a carrier policing "L per second" on a sliding window refuses. Channels:
in-flight + new <= ``max_channels``. ``next_at`` is when one more may start once the allowed
ones are started now: the start that must leak out first (the L-th most recent) + ``W``;
``None`` when the channel cap blocks (that waits on a hang-up, not on the clock).

**(b) Progressive-mode abandon-rate control: ``plan_progressive``.** An abandoned call is one a
person answered with no agent to take it within 2 s. Inputs, per campaign:

- the abandon rate ``m = abandoned / answered`` over the last ``window_calls`` calls answered by
  a person within the last ``window_seconds`` (``measure_abandon``; the age limit is what lets a
  hold end), and its Wilson upper confidence bound ``u`` at ``confidence_z``;
- the answer probability (a person answers): a Beta prior seeded with ``prior_answer_rate``
  worth ``prior_weight`` dials, updated with the last ``answer_window`` finished dials; its
  posterior mean ``p`` and a pessimistic ``p+ = p + z * sd`` (``estimate_answer``).

With ``R`` collections agents ready and ``F`` calls of the campaign ringing:

1. ``R = 0``: dial nothing (progressive dials only for a ready agent).
2. hold: some call was answered and ``m >= ceiling - hold_margin`` (2.5 %): dial nothing until
   the rate falls (abandons age out of the window).
3. strict: ``u >= target`` (not confidently under 2 %, which includes having little evidence:
   with no abandon at all ``u < 2 %`` takes about 133 answered calls at z = 1.645): ``N = R``,
   one call in flight per ready agent.
4. overdial: else ``N`` = the largest ``n`` in ``[R, floor(R * max_overdial_ratio)]`` such that
   (i) this batch's expected abandon fraction ``E[(A - R)+] / E[A]`` with
   ``A ~ Binomial(n, p+)`` (every call in flight competing for the ``R`` agents; agents freed
   meanwhile only help) is at most the headroom ``target - u``, and (ii) even if all ``n - R``
   extra calls were abandoned, ``(abandoned + n - R) / (answered + n - R)`` stays under the
   ceiling.
5. dial ``max(0, N - F)``.

So overdial happens only while the rate is confidently under the target, each batch spends at
most the remaining headroom in expectation (the long-run rate stays under the target), it
stops entirely once ``u`` reaches the target, and a rate near the ceiling stops dialling.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from math import exp, floor, lgamma, log, sqrt

from acd.dunning.core.model import REACHED, AbandonPolicy, Caps
from crm_bridge.vocab import Disposition

# ---- (a) calls per second and channels ----------------------------------------------------


@dataclass(frozen=True)
class RateWindow:
    calls: int  # at most this many call starts ...
    seconds: float  # ... in any window this long

    @classmethod
    def from_cps(cls, cps: float) -> RateWindow:
        if cps <= 0:
            raise ValueError("calls per second must be above 0")
        return cls(floor(cps), 1.0) if cps >= 1 else cls(1, 1.0 / cps)


@dataclass(frozen=True)
class Admission:
    may_dial: int
    next_at: float | None  # when one more may start, after ``may_dial`` start now
    reason: str


def admit(now: float, in_flight: int, recent_starts: Iterable[float], caps: Caps) -> Admission:
    """How many calls may start at ``now`` with ``in_flight`` channels of the campaign up and
    these recent call starts (older ones may be included; they are ignored)."""
    window = RateWindow.from_cps(caps.max_calls_per_second)
    starts = sorted(t for t in recent_starts if t > now - window.seconds)
    rate_room = window.calls - len(starts)
    channel_room = caps.max_channels - in_flight
    may = max(0, min(rate_room, channel_room))
    if in_flight + may >= caps.max_channels:
        why = f"channels: {in_flight + may} of {caps.max_channels} in use"
        return Admission(may, None, why)
    after = sorted([*starts, *([now] * may)])  # (a start stamped after now counts too)
    next_at = after[-window.calls] + window.seconds
    why = f"rate: {len(after)} starts in {window.seconds:g} s, max {window.calls}"
    return Admission(may, next_at, why)


# ---- (b) abandon rate and answer probability ----------------------------------------------


@dataclass(frozen=True)
class DialOutcome:
    at: float  # when it was answered, or ended unanswered
    disposition: Disposition


@dataclass(frozen=True)
class AbandonMeasure:
    answered: int  # by a person, in the window
    abandoned: int
    upper: float  # Wilson upper confidence bound of the rate

    @property
    def rate(self) -> float:
        return self.abandoned / self.answered if self.answered else 0.0


def wilson_upper(successes: int, trials: int, z: float) -> float:
    """The Wilson score interval's upper end for ``successes`` in ``trials`` (1.0 with none)."""
    if trials == 0:
        return 1.0
    share, z2 = successes / trials, z * z
    centre = share + z2 / (2 * trials)
    margin = z * sqrt(share * (1 - share) / trials + z2 / (4 * trials * trials))
    return min(1.0, (centre + margin) / (1 + z2 / trials))


def measure_abandon(
    outcomes: Iterable[DialOutcome], now: float, policy: AbandonPolicy
) -> AbandonMeasure:
    """The campaign's abandon rate over its window of answered calls (see the module doc)."""
    oldest = now - policy.window_seconds
    answered = sorted(
        (o for o in outcomes if o.disposition in REACHED and o.at > oldest), key=lambda o: o.at
    )[-policy.window_calls :]
    abandoned = sum(1 for o in answered if o.disposition is Disposition.ABANDONED)
    upper = wilson_upper(abandoned, len(answered), policy.confidence_z)
    return AbandonMeasure(len(answered), abandoned, upper)


@dataclass(frozen=True)
class AnswerEstimate:
    p: float  # posterior mean probability that a person answers a dial
    p_high: float  # pessimistic (for abandons): p + z * sd
    dials: int  # finished dials it is estimated from, besides the prior


def estimate_answer(outcomes: Iterable[DialOutcome], policy: AbandonPolicy) -> AnswerEstimate:
    """Beta(prior) updated with the last ``answer_window`` finished dials."""
    recent = sorted(outcomes, key=lambda o: o.at)[-policy.answer_window :]
    answered = sum(1 for o in recent if o.disposition in REACHED)
    weight = policy.prior_weight + len(recent)
    p = (policy.prior_answer_rate * policy.prior_weight + answered) / weight
    sd = sqrt(p * (1 - p) / (weight + 1))
    return AnswerEstimate(p, min(1.0, p + policy.confidence_z * sd), len(recent))


def _log_pmf(k: int, n: int, p: float) -> float:
    return lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1) + k * log(p) + (n - k) * log(1 - p)


def expected_abandon_fraction(in_flight: int, ready: int, p: float) -> float:
    """``E[(A - ready)+] / E[A]`` for ``A ~ Binomial(in_flight, p)``: the expected share of
    answered calls left without an agent when every call in flight competes for ``ready``."""
    if in_flight <= ready or p <= 0:
        return 0.0
    if p >= 1:
        return (in_flight - ready) / in_flight
    excess = sum(
        (k - ready) * exp(_log_pmf(k, in_flight, p)) for k in range(ready + 1, in_flight + 1)
    )
    return excess / (in_flight * p)


# ---- (b) the plan -------------------------------------------------------------------------


class PacingMode(StrEnum):
    WAIT = "wait"  # no agent ready
    HOLD = "hold"  # abandon rate near the ceiling: dial nothing
    STRICT = "strict"  # one call in flight per ready agent
    OVERDIAL = "overdial"  # more, within the headroom under the target


@dataclass(frozen=True)
class ProgressivePlan:
    dial: int  # calls to start now (before the rate and channel caps)
    in_flight: int  # calls the plan wants in flight, ringing ones included
    mode: PacingMode
    reason: str


def _fits(n: int, ready: int, abandon: AbandonMeasure, p: float, policy: AbandonPolicy) -> bool:
    extra = n - ready
    worst = (abandon.abandoned + extra) / (abandon.answered + extra)
    headroom = policy.target - abandon.upper
    return worst < policy.ceiling and expected_abandon_fraction(n, ready, p) <= headroom


def _largest_batch(
    ready: int, abandon: AbandonMeasure, answer: AnswerEstimate, policy: AbandonPolicy
) -> int:
    most = floor(ready * policy.max_overdial_ratio + 1e-9)
    for n in range(most, ready, -1):
        if _fits(n, ready, abandon, answer.p_high, policy):
            return n
    return ready


def _percent(share: float) -> str:
    return f"{share * 100:.1f}%"


def plan_progressive(
    ready_agents: int,
    ringing: int,
    abandon: AbandonMeasure,
    answer: AnswerEstimate,
    policy: AbandonPolicy,
) -> ProgressivePlan:
    """How many calls to start now for ``ready_agents`` ready collections agents with
    ``ringing`` calls of the campaign already ringing (see the module docstring)."""
    seen = f"abandon {_percent(abandon.rate)} ({abandon.abandoned}/{abandon.answered})"
    if ready_agents <= 0:
        return ProgressivePlan(0, 0, PacingMode.WAIT, "wait: no collections agent ready")
    if abandon.answered and abandon.rate >= policy.hold_at:
        limit = f"{_percent(policy.hold_at)} (ceiling {_percent(policy.ceiling)})"
        why = f"hold: {seen} at or above {limit}"
        return ProgressivePlan(0, 0, PacingMode.HOLD, why)
    bound = f"upper bound {_percent(abandon.upper)}"
    if abandon.upper >= policy.target:
        n, mode = ready_agents, PacingMode.STRICT
        why = f"strict: {seen}, {bound} not under target {_percent(policy.target)}"
    else:
        n = _largest_batch(ready_agents, abandon, answer, policy)
        mode = PacingMode.OVERDIAL if n > ready_agents else PacingMode.STRICT
        why = f"{mode}: {seen}, {bound}, answer p {answer.p:.2f}, {n} for {ready_agents} agents"
    return ProgressivePlan(max(0, n - ringing), n, mode, why)
