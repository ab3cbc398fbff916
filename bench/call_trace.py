"""A seeded call trace for the ACD benchmarks: Poisson arrivals, and per call the caller's
patience (seconds in line before they hang up unanswered), the agent's ring delay (seconds the
softphone rings before the agent picks up) and the handle time (seconds of talk). Pure: the
same seed gives the same trace, so two systems can be offered exactly the same calls."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass


@dataclass(frozen=True)
class TraceCall:
    index: int
    at: float  # seconds after the start of the run
    patience: float
    ring_delay: float
    handle: float

    @property
    def number(self) -> str:
        """The caller's number: unknown to the CRM (a standard caller), unique in the trace."""
        return f"1390000{self.index:04d}"


@dataclass(frozen=True)
class TraceShape:
    calls: int
    rate: float  # arrivals per second (Poisson)
    patience_mean: float  # exponential, floored at patience_min
    patience_min: float
    handle_median: float  # log-normal, clipped to [handle_min, handle_max]
    handle_sigma: float
    handle_min: float
    handle_max: float
    ring_min: float  # uniform
    ring_max: float


def generate(shape: TraceShape, seed: int) -> list[TraceCall]:
    rng = random.Random(seed)
    at = 0.0
    calls = []
    for index in range(shape.calls):
        if index:
            at += rng.expovariate(shape.rate)
        patience = max(shape.patience_min, rng.expovariate(1 / shape.patience_mean))
        handle = rng.lognormvariate(math.log(shape.handle_median), shape.handle_sigma)
        handle = min(shape.handle_max, max(shape.handle_min, handle))
        ring = rng.uniform(shape.ring_min, shape.ring_max)
        calls.append(TraceCall(index, round(at, 3), round(patience, 3), round(ring, 3), handle))
    return calls


def by_number(trace: list[TraceCall]) -> dict[str, TraceCall]:
    return {call.number: call for call in trace}


def offered_load(trace: list[TraceCall], agents: int, wrapup: float) -> float:
    """Erlangs per agent: how busy the agents would be if every call were answered."""
    if len(trace) < 2:
        return 0.0
    span = trace[-1].at - trace[0].at
    work = sum(c.ring_delay + c.handle + wrapup for c in trace)
    return work / max(span, 1e-9) / agents
