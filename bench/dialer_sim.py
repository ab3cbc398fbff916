"""A seeded, simulated progressive campaign (pure; one tick a second) for ``bench.dialer``: the
dialer's own pacing (``acd.dunning.core.pacing``: ``plan_progressive`` + ``admit``) against a
predictive dialer without abandon-rate control (the peer: as many calls in flight as make the
expected answers equal the ready agents, ``ready / p``, with ``p`` estimated the same way).

Model: a dialled call rings 4-20 s; a person answers with probability ``p`` (else no answer,
busy or a machine, equally likely). An answered call takes an agent who is ready or becomes
ready within 2 s; with none it is abandoned. A call lasts 60-240 s, plus ``wrapup`` seconds.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field
from math import floor

from acd.dunning.core.model import AbandonPolicy, Caps
from acd.dunning.core.pacing import (
    DialOutcome,
    PacingMode,
    admit,
    estimate_answer,
    measure_abandon,
    plan_progressive,
)
from crm_bridge.vocab import Disposition

UNANSWERED = (Disposition.NO_ANSWER, Disposition.BUSY, Disposition.MACHINE)
CONNECT_SECONDS = 2.0


@dataclass
class SimFigures:
    dials: int
    answered: int
    abandoned: int
    worst_window_rate: float  # the highest sliding-window abandon rate seen
    busy_agent_share: float  # agent time talking or in wrap-up / agent time
    overdial_share: float  # ticks the plan overdialled / ticks with an agent ready
    held_ticks: int

    @property
    def abandon_rate(self) -> float:
        return self.abandoned / self.answered if self.answered else 0.0


@dataclass
class ProgressiveSim:
    p: float
    seed: int
    agents: int = 10
    policy: AbandonPolicy = field(default_factory=AbandonPolicy)
    caps: Caps = field(default_factory=lambda: Caps(max_channels=30, max_calls_per_second=5))
    predictive: bool = False  # the peer: ready / p calls in flight, no abandon control
    wrapup: float = 10.0
    rng: random.Random = field(init=False)
    free_at: list[float] = field(init=False)
    ringing: list[tuple[float, bool]] = field(default_factory=list)
    answered_log: deque[DialOutcome] = field(init=False)
    recent: deque[DialOutcome] = field(init=False)
    starts: deque[float] = field(default_factory=lambda: deque(maxlen=64))
    busy_seconds: float = 0.0
    figures: SimFigures = field(default_factory=lambda: SimFigures(0, 0, 0, 0.0, 0.0, 0.0, 0))
    _ready_ticks: int = 0
    _overdial_ticks: int = 0

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.free_at = [0.0] * self.agents
        self.answered_log = deque(maxlen=self.policy.window_calls)
        self.recent = deque(maxlen=self.policy.answer_window)

    def _connect(self, at: float) -> Disposition:
        agent = min(range(self.agents), key=lambda i: self.free_at[i])
        if self.free_at[agent] > at + CONNECT_SECONDS:
            return Disposition.ABANDONED
        talk = self.rng.uniform(60, 240)
        self.free_at[agent] = max(self.free_at[agent], at) + talk + self.wrapup
        self.busy_seconds += talk + self.wrapup
        return Disposition.PROMISED

    def _settle(self, now: float) -> None:
        due = sorted(call for call in self.ringing if call[0] <= now)
        self.ringing = [call for call in self.ringing if call[0] > now]
        f = self.figures
        for at, person in due:
            disposition = self._connect(at) if person else self.rng.choice(UNANSWERED)
            outcome = DialOutcome(at, disposition)
            self.recent.append(outcome)
            if person:
                self.answered_log.append(outcome)
                f.answered += 1
                f.abandoned += disposition is Disposition.ABANDONED
                rate = measure_abandon(self.answered_log, at, self.policy).rate
                if len(self.answered_log) >= 50:  # a rate over a handful of calls says little
                    f.worst_window_rate = max(f.worst_window_rate, rate)

    def _count(self, now: float, ready: int) -> int:
        admission = admit(now, len(self.ringing), self.starts, self.caps)
        answer = estimate_answer(self.recent, self.policy)
        if self.predictive:
            wanted = floor(ready / answer.p) - len(self.ringing)
            return max(0, min(wanted, admission.may_dial))
        abandon = measure_abandon(self.answered_log, now, self.policy)
        plan = plan_progressive(ready, len(self.ringing), abandon, answer, self.policy)
        self._overdial_ticks += plan.mode is PacingMode.OVERDIAL
        self.figures.held_ticks += plan.mode is PacingMode.HOLD
        return min(plan.dial, admission.may_dial)

    def _dial(self, now: float) -> None:
        ready = sum(1 for free in self.free_at if free <= now)
        if ready == 0:
            return
        self._ready_ticks += 1
        for _ in range(self._count(now, ready)):
            self.starts.append(now)
            self.figures.dials += 1
            ring = now + self.rng.uniform(4, 20)
            self.ringing.append((ring, self.rng.random() < self.p))

    def run(self, seconds: int) -> SimFigures:
        for tick in range(seconds):
            self._settle(float(tick))
            self._dial(float(tick))
        f = self.figures
        f.busy_agent_share = min(1.0, self.busy_seconds / (self.agents * seconds))
        f.overdial_share = self._overdial_ticks / self._ready_ticks if self._ready_ticks else 0.0
        return f
