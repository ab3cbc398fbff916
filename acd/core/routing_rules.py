"""What the routing decisions share, pure (no I/O, clock or global state): the policy and its
escalation steps, what a call asks of an agent at one moment, and the order agents rank in.

Who qualifies for a call at ``now`` (``requirements``, then ``qualifies``): an agent who speaks
its language and is not in ``call.excluded`` (rang, no answer), with level >= 1 in every intent
skill (standard call), or >= ``vip_min_level`` in every intent skill or the ``vip_skill`` at any
level (VIP call; an intent naming the vip skill makes it an ordinary intent skill). The steps
the wait (now - enqueued_at) has reached apply cumulatively (``step_in_force``): the latest
``min_level`` lowers the level asked (never raises it), ``any_skill_with_language`` lets every
agent with the language qualify, ``offer_callback`` changes nobody's qualification.

``agent_key`` is one agent's key in the order ``choose_agent`` documents (acd.core.routing), and
``virtual_enqueue_time`` a call's place in the order ``choose_call`` documents."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field, replace
from itertools import accumulate, repeat
from math import inf
from typing import NamedTuple

from acd.core.model import AgentProfile, WaitingCall


@dataclass(frozen=True)
class EscalationStep:
    after_seconds: float  # of waiting, from enqueued_at
    name: str
    min_level: int | None = None  # relax the level required in the intent skills to this
    any_skill_with_language: bool = False  # any agent with the call's language qualifies
    offer_callback: bool = False  # the caller is offered a callback


INITIAL_STEP = EscalationStep(0.0, "initial")
DEFAULT_STEPS = (
    EscalationStep(30.0, "relax-level", min_level=1),
    EscalationStep(60.0, "any-agent-with-language", any_skill_with_language=True),
    EscalationStep(120.0, "offer-callback", offer_callback=True),
)


@dataclass(frozen=True)
class RoutingPolicy:
    vip_min_level: int = 4
    vip_skill: str = "vip"  # "" turns the vip-skill route off
    vip_priority: float = 60.0  # seconds of waiting a VIP call is ahead of a standard one
    account_manager_seconds: float = 20.0
    steps: tuple[EscalationStep, ...] = DEFAULT_STEPS  # after step 0, "initial"
    in_force: tuple[EscalationStep, ...] = field(init=False, repr=False, compare=False)
    afters: tuple[float, ...] = field(init=False, repr=False, compare=False)
    vip_waits: tuple[float, ...] = field(init=False, repr=False, compare=False)  # see _wait_for

    def __post_init__(self) -> None:
        afters = [step.after_seconds for step in self.steps]
        if any(after <= 0 for after in afters) or afters != sorted(afters):
            raise ValueError("escalation steps need after_seconds > 0, in ascending order")
        if self.vip_min_level < 1:
            raise ValueError("vip_min_level must be at least 1")
        in_force = tuple(accumulate(self.steps, _fold, initial=INITIAL_STEP))
        object.__setattr__(self, "in_force", in_force)
        object.__setattr__(self, "afters", tuple(step.after_seconds for step in in_force))
        waits = tuple(_wait_for(in_force, level) for level in range(self.vip_min_level))
        object.__setattr__(self, "vip_waits", waits)


def _wait_for(in_force: tuple[EscalationStep, ...], level: int) -> float:
    """Wait after which level ``level`` does for a VIP call (level 0: any agent; inf: never)."""
    lower = [s for s in in_force if s.min_level is not None and s.min_level <= level]
    anyone = [s for s in in_force if s.any_skill_with_language]
    return min((step.after_seconds for step in (*lower, *anyone)), default=inf)


def _fold(was: EscalationStep, step: EscalationStep) -> EscalationStep:  # keep was's relaxations
    level = was.min_level if step.min_level is None else step.min_level
    anyone = was.any_skill_with_language or step.any_skill_with_language
    callback = was.offer_callback or step.offer_callback
    return replace(step, min_level=level, any_skill_with_language=anyone, offer_callback=callback)


class Requirements(NamedTuple):
    """What an agent needs to take ``call`` at one moment."""

    call: WaitingCall
    step: EscalationStep  # in force, with the earlier steps' relaxations folded in
    min_level: int  # in every intent skill
    vip_skill: str  # qualifies at any level; "" for a standard call
    intent: tuple[str, ...]  # the intent skills, once each
    needed: tuple[str, ...]  # the skills the call uses: intent skills, vip skill for a VIP
    open: bool  # every agent with the language qualifies


AgentKey = tuple[bool, int, int, float, str]


def step_in_force(call: WaitingCall, now: float, policy: RoutingPolicy) -> EscalationStep:
    """The latest step the call's wait has reached, with the earlier steps' relaxations kept."""
    reached = bisect_right(policy.afters, now - call.enqueued_at)
    return policy.in_force[max(1, reached) - 1]


def virtual_enqueue_time(call: WaitingCall, policy: RoutingPolicy) -> float:
    return call.enqueued_at - (policy.vip_priority if call.vip else 0.0)


def requirements(call: WaitingCall, now: float, policy: RoutingPolicy) -> Requirements:
    step = step_in_force(call, now, policy)
    base = policy.vip_min_level if call.vip else 1
    level = base if step.min_level is None else min(base, step.min_level)
    vip_skill = policy.vip_skill if call.vip and policy.vip_skill not in call.skills else ""
    skills = call.skills
    intent = skills if len(set(skills)) == len(skills) else tuple(dict.fromkeys(skills))
    needed = (*intent, vip_skill) if vip_skill else intent
    is_open = step.any_skill_with_language or not intent
    return Requirements(call, step, level, vip_skill, intent, needed, is_open)


def _by_skills(profile: AgentProfile, req: Requirements) -> bool:
    skills, level = profile.skills, req.min_level
    if req.vip_skill and req.vip_skill in skills:
        return True
    return all([skills.get(skill, 0) >= level for skill in req.intent])


def qualifies(profile: AgentProfile, req: Requirements) -> bool:
    call = req.call
    if profile.extension in call.excluded or call.language not in profile.languages:
        return False
    return req.open or _by_skills(profile, req)


def agent_key(
    profile: AgentProfile, idle_since: float, req: Requirements, surplus: bool
) -> AgentKey | None:
    """The documented order (the smallest key wins); None: the agent does not qualify."""
    call, skills = req.call, profile.skills
    if profile.extension in call.excluded or call.language not in profile.languages:
        return None
    skilled = _by_skills(profile, req)
    if not (skilled or req.open):
        return None
    fit = sum(map(skills.get, req.intent, repeat(0))) if skilled else 0
    cost = _others(profile, req) if surplus else 0
    return (profile.extension != call.account_manager, cost, -fit, idle_since, profile.extension)


def _others(profile: AgentProfile, req: Requirements) -> int:
    return len(profile.skills) - len(profile.skills.keys() & req.needed)
