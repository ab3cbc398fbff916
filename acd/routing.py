"""The ACD's routing decisions, pure (no I/O, no clock, no global state): which agent takes a
call, which call an agent takes.

Who qualifies for a call at ``now`` (``requirements`` then ``qualifies``):
  - the agent speaks the call's language and is not in ``call.excluded`` (rang, no answer);
  - standard call: level >= 1 in every intent skill; VIP call: level >= ``vip_min_level`` in
    every intent skill, or the ``vip_skill`` at any level;
  - the escalation steps the call's wait (now - enqueued_at) has reached apply cumulatively
    (``step_in_force``): the latest ``min_level`` lowers the required level (never raises it),
    ``any_skill_with_language`` lets every agent with the language qualify, ``offer_callback``
    changes nobody's qualification (the caller is offered a callback).

Account manager (AM): a READY AM who qualifies always gets the call; while the wait is under
``account_manager_seconds``, a logged-in qualified AM who is not READY is waited for.

Agent for a call (``choose_agent``): the READY qualified agent with the smallest key
    (is not the AM, other_skills if surplus else 0, -fit, idle_since, extension)
  - fit: the sum of the agent's levels in the (distinct) intent skills when it qualifies by its
    skills or by the vip skill; 0 when it qualifies only through ``any_skill_with_language``;
  - other_skills: how many of the agent's skills the call does not use (the call uses its
    intent skills, and the vip skill if it is a VIP call): the agent's opportunity cost;
  - surplus: more READY qualified agents than ``waiting`` (the calls waiting, given by the
    caller). Without surplus: AM, best fit, longest idle. With it: AM, fewest other skills
    (scarce experts stay free), best fit, longest idle.

Call for an agent (``choose_call``): among the waiting calls the agent qualifies for at ``now``,
the smallest key (is not one of this agent's AM calls, virtual enqueue time, enqueued_at,
call_id) where virtual enqueue time = enqueued_at - (vip_priority if VIP else 0): a VIP call
is ``vip_priority`` seconds of waiting ahead, so a standard call that has waited that much
longer ties with it (and wins the tie, being older). Calls waiting for another agent as their
AM (see above) are skipped.

``choose_agent`` and ``choose_call`` read a ``RoutingIndex`` (acd.skill_index); the ``_by_scan``
twins decide the same by scanning everything: the index's reference in tests and bench."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from math import inf
from typing import NamedTuple

from acd.model import AgentProfile, WaitingCall
from acd.skill_index import NO_SKILL, Entry, RoutingIndex, first_of, longest_idle


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

    def __post_init__(self) -> None:
        afters = [step.after_seconds for step in self.steps]
        if any(after <= 0 for after in afters) or afters != sorted(afters):
            raise ValueError("escalation steps need after_seconds > 0, in ascending order")
        if self.vip_min_level < 1:
            raise ValueError("vip_min_level must be at least 1")
        in_force = [INITIAL_STEP]  # each step with the earlier steps' relaxations folded in
        for step in self.steps:
            was = in_force[-1]
            in_force.append(
                replace(
                    step,
                    min_level=was.min_level if step.min_level is None else step.min_level,
                    any_skill_with_language=was.any_skill_with_language
                    or step.any_skill_with_language,
                    offer_callback=was.offer_callback or step.offer_callback,
                )
            )
        object.__setattr__(self, "in_force", tuple(in_force))
        object.__setattr__(self, "afters", tuple(step.after_seconds for step in in_force))


class Requirements(NamedTuple):
    """What an agent needs to take ``call`` at one moment."""

    call: WaitingCall
    step: EscalationStep  # in force, with the earlier steps' relaxations folded in
    min_level: int  # in every intent skill
    vip_skill: str  # qualifies at any level; "" for a standard call
    intent: tuple[str, ...]  # the intent skills, once each
    needed: tuple[str, ...]  # the skills the call uses: intent skills, vip skill for a VIP
    open: bool  # every agent with the language qualifies


@dataclass(frozen=True)
class AgentChoice:
    extension: str | None  # None: nobody yet
    step: EscalationStep
    account_manager: bool = False  # chosen as, or waiting for, the customer's AM


@dataclass(frozen=True)
class CallChoice:
    call_id: str | None
    step: EscalationStep | None = None  # in force for the chosen call
    account_manager: bool = False  # the agent is the chosen call's AM


AgentKey = tuple[bool, int, int, float, str]
CallKey = tuple[bool, float, float, str]
CallSource = tuple[float, int, float, Sequence[Entry], float]


def step_in_force(call: WaitingCall, now: float, policy: RoutingPolicy) -> EscalationStep:
    """The latest step the call's wait has reached (``INITIAL_STEP`` before the first), with
    ``min_level``, ``any_skill_with_language`` and ``offer_callback`` of earlier steps kept."""
    reached = bisect_right(policy.afters, now - call.enqueued_at)
    return policy.in_force[max(1, reached) - 1]


def virtual_enqueue_time(call: WaitingCall, policy: RoutingPolicy) -> float:
    return call.enqueued_at - (policy.vip_priority if call.vip else 0.0)


def requirements(call: WaitingCall, now: float, policy: RoutingPolicy) -> Requirements:
    step = step_in_force(call, now, policy)
    base = policy.vip_min_level if call.vip else 1
    level = base if step.min_level is None else min(base, step.min_level)
    vip_skill = policy.vip_skill if call.vip else ""
    intent = call.skills if len(call.skills) < 2 else tuple(dict.fromkeys(call.skills))
    needed = (*intent, vip_skill) if vip_skill and vip_skill not in intent else intent
    is_open = step.any_skill_with_language or not intent
    return Requirements(call, step, level, vip_skill, intent, needed, is_open)


def _by_skills(profile: AgentProfile, req: Requirements) -> bool:
    skills = profile.skills
    if req.vip_skill and req.vip_skill in skills:
        return True
    return all(skills.get(skill, 0) >= req.min_level for skill in req.intent)


def qualifies(profile: AgentProfile, req: Requirements) -> bool:
    call = req.call
    if profile.extension in call.excluded or call.language not in profile.languages:
        return False
    return req.open or _by_skills(profile, req)


def fit(profile: AgentProfile, req: Requirements) -> int:
    if not _by_skills(profile, req):
        return 0
    return sum(profile.skills.get(skill, 0) for skill in req.intent)


def other_skills(profile: AgentProfile, req: Requirements) -> int:
    return sum(1 for skill in profile.skills if skill not in req.needed)


def agent_key(
    profile: AgentProfile, idle_since: float, req: Requirements, surplus: bool
) -> AgentKey:
    """The documented order: the smallest key gets the call."""
    cost = other_skills(profile, req) if surplus else 0
    is_am = profile.extension == req.call.account_manager
    return (not is_am, cost, -fit(profile, req), idle_since, profile.extension)


class _Moment(NamedTuple):  # what a decision reads besides the index
    now: float
    policy: RoutingPolicy
    logged_in: Container[str]
    profiles: Mapping[str, AgentProfile]


def _waits_for_manager(req: Requirements, at: _Moment) -> bool:
    """Inside its AM window, with the AM logged in and qualified, a call waits for the AM."""
    call = req.call
    manager = at.profiles.get(call.account_manager) if call.account_manager else None
    if manager is None or call.account_manager not in at.logged_in:
        return False
    return at.now - call.enqueued_at < at.policy.account_manager_seconds and qualifies(manager, req)


def _manager_choice(
    req: Requirements, ready: Mapping[str, float], at: _Moment
) -> AgentChoice | None:
    manager = req.call.account_manager
    if not manager:
        return None
    if manager in ready and qualifies(at.profiles[manager], req):
        return AgentChoice(manager, req.step, account_manager=True)
    if _waits_for_manager(req, at):
        return AgentChoice(None, req.step, account_manager=True)
    return None


def choose_agent(
    index: RoutingIndex,
    call: WaitingCall,
    *,
    now: float,
    policy: RoutingPolicy,
    logged_in: Container[str],
    waiting: int,
) -> AgentChoice:
    """The READY agent to offer ``call`` to, by the order in the module docstring."""
    req = requirements(call, now, policy)
    manager = _manager_choice(req, index.ready, _Moment(now, policy, logged_in, index.profiles))
    if manager is not None:
        return manager
    search = _fewest_others if _in_surplus(index, req, waiting) else _best_fit
    best = search(index, req)
    return AgentChoice(None if best is None else best[4], req.step)


def _in_surplus(index: RoutingIndex, req: Requirements, waiting: int) -> bool:
    call = req.call
    if req.open:
        return index.count_speaking(call.language, call.excluded) > waiting
    rarest = min((index.holders(s, call.language) for s in req.intent), key=len)
    vips = index.holders(req.vip_skill, call.language).keys() if req.vip_skill else set()
    if len(rarest) + len(vips) <= waiting:
        return False
    profiles = index.profiles
    found = {ext for ext in rarest if _by_skills(profiles[ext], req)} | vips
    return len(found - call.excluded) > waiting


def _best_of(
    index: RoutingIndex, req: Requirements, agents: set[str], surplus: bool
) -> AgentKey | None:
    if not agents:
        return None
    profiles, ready = index.profiles, index.ready
    keys = (_weigh(profiles[ext], ready[ext], req, surplus) for ext in agents)
    return min(filter(None, keys), default=None)


def _weigh(
    profile: AgentProfile, idle_since: float, req: Requirements, surplus: bool
) -> AgentKey | None:
    """``agent_key`` for an agent who qualifies, None for one who does not, in one pass."""
    call, skills = req.call, profile.skills
    if profile.extension in call.excluded or call.language not in profile.languages:
        return None
    skilled = _by_skills(profile, req)
    if not (skilled or req.open):
        return None
    fit = sum(skills.get(skill, 0) for skill in req.intent) if skilled else 0
    cost = sum(1 for skill in skills if skill not in req.needed) if surplus else 0
    return (profile.extension != call.account_manager, cost, -fit, idle_since, profile.extension)


def _single_fit(req: Requirements, skill: str, level: int) -> int | None:
    """The fit of an agent who has ``skill`` at ``level`` and none of the call's other needed
    skills; None when such an agent does not qualify."""
    if skill == req.vip_skill:
        return 0
    if len(req.intent) == 1 and level >= req.min_level:
        return level
    return 0 if req.open else None


def _best_fit(index: RoutingIndex, req: Requirements) -> AgentKey | None:
    """No surplus. Of the agents with one needed skill, one per bucket (its longest idle), and
    only for a single intent skill, top level down, can have a fit above 0; agents with two
    needed skills or more are few: weighed, highest possible fit first."""
    call = req.call
    multi = index.sharing(req.needed, call.language)
    skip = call.excluded | multi
    best = _best_multi(index, req, multi, _best_single(index, req, skip))
    if best is not None and best[2] < 0:
        return best
    if req.open:  # everybody left has fit 0: the longest idle wins
        found = index.first_speaking(call.language, call.excluded)
    else:  # VIP agents with none of the intent skills
        by_level = index.ready_by_level(req.vip_skill, call.language)
        found = longest_idle((b for by_count in by_level.values() for b in by_count.values()), skip)
    return best if found is None else _min(best, (True, 0, 0, *found))


def _best_single(index: RoutingIndex, req: Requirements, skip: Container[str]) -> AgentKey | None:
    if len(req.intent) != 1:
        return None
    by_level = index.ready_by_level(req.intent[0], req.call.language)
    for level in sorted(by_level, reverse=True):
        found = longest_idle(by_level[level].values(), skip) if level >= req.min_level else None
        if found is not None:
            return (True, 0, -level, *found)
    return None


def _best_multi(
    index: RoutingIndex, req: Requirements, multi: set[str], best: AgentKey | None
) -> AgentKey | None:
    holders = [index.holders(skill, req.call.language) for skill in req.intent]
    ceilings = sorted(((sum(h.get(e, 0) for h in holders), e) for e in multi), reverse=True)
    profiles, ready = index.profiles, index.ready
    for ceiling, ext in ceilings:
        if best is not None and ceiling < -best[2]:
            break
        key = _weigh(profiles[ext], ready[ext], req, False)
        best = best if key is None else _min(best, key)
    return best


def _fewest_others(index: RoutingIndex, req: Requirements) -> AgentKey | None:
    """Surplus. By number of skills, fewest first: an agent with ``count`` skills and one
    needed skill has count - 1 other skills, one with none of them (open calls only) count."""
    call = req.call
    multi = index.sharing(req.needed, call.language)
    best, skip = _best_of(index, req, multi, True), call.excluded | multi
    singles = _singles(index, req)
    for count in index.skill_counts():
        if best is not None and count - 1 > best[1]:
            break
        for single, by_count in singles:
            found = first_of(by_count.get(count, ()), skip)
            best = best if found is None else _min(best, (True, count - 1, -single, *found))
        if req.open:
            found = index.first_without(call.language, count, req.needed, call.excluded)
            best = best if found is None else _min(best, (True, count, 0, *found))
    return best


def _singles(
    index: RoutingIndex, req: Requirements
) -> list[tuple[int, Mapping[int, Sequence[Entry]]]]:
    """(fit, agents by number of skills) of every bucket whose single-skill agents qualify."""
    found = []
    for skill in req.needed:
        for level, by_count in index.ready_by_level(skill, req.call.language).items():
            fit = _single_fit(req, skill, level)
            if fit is not None:
                found.append((fit, by_count))
    return found


def _min(best: AgentKey | None, key: AgentKey) -> AgentKey:
    return key if best is None or key < best else best


def choose_agent_by_scan(
    profiles: Mapping[str, AgentProfile],
    ready: Mapping[str, float],
    call: WaitingCall,
    *,
    now: float,
    policy: RoutingPolicy,
    logged_in: Container[str],
    waiting: int,
) -> AgentChoice:
    """``choose_agent`` by scanning every READY agent (``ready``: extension -> idle_since)."""
    req = requirements(call, now, policy)
    manager = _manager_choice(req, ready, _Moment(now, policy, logged_in, profiles))
    if manager is not None:
        return manager
    qualified = [(profiles[e], idle) for e, idle in ready.items() if qualifies(profiles[e], req)]
    surplus = len(qualified) > waiting
    best = min((agent_key(p, idle, req, surplus) for p, idle in qualified), default=None)
    return AgentChoice(None if best is None else best[4], req.step)


def _takes(profile: AgentProfile, call: WaitingCall, at: _Moment) -> bool:
    """The agent qualifies for the call, and the call is not waiting for another AM."""
    req = requirements(call, at.now, at.policy)
    if not qualifies(profile, req):
        return False
    return call.account_manager == profile.extension or not _waits_for_manager(req, at)


def _call_key(call: WaitingCall, extension: str, policy: RoutingPolicy) -> CallKey:
    vt = virtual_enqueue_time(call, policy)
    return (call.account_manager != extension, vt, call.enqueued_at, call.call_id)


def _call_choice(key: CallKey | None, calls: Mapping[str, WaitingCall], at: _Moment) -> CallChoice:
    if key is None:
        return CallChoice(None)
    step = step_in_force(calls[key[3]], at.now, at.policy)
    return CallChoice(key[3], step, account_manager=not key[0])


def choose_call(
    index: RoutingIndex,
    extension: str,
    *,
    now: float,
    policy: RoutingPolicy,
    logged_in: Container[str],
) -> CallChoice:
    """The waiting call to offer the agent ``extension`` (who is becoming READY)."""
    profile = index.profiles.get(extension)
    if profile is None:
        return CallChoice(None)
    at, calls = _Moment(now, policy, logged_in, index.profiles), index.calls
    managed = (calls[call_id] for call_id in index.calls_managed_by(extension))
    mine = [_call_key(c, extension, policy) for c in managed if _takes(profile, c, at)]
    best = min(mine, default=None) or _best_queued(index, profile, at)
    return _call_choice(best, calls, at)


def _call_sources(index: RoutingIndex, profile: AgentProfile, at: _Moment) -> list[CallSource]:
    """(virtual time of the first call, n, offset to virtual time, calls by enqueued_at, last
    enqueued_at worth looking at), for every non-empty list the agent could take calls from."""
    policy = at.policy
    any_after = next((s.after_seconds for s in policy.in_force if s.any_skill_with_language), inf)
    lists: list[tuple[float, Sequence[Entry], float]] = []
    for language in profile.languages:
        for vip in (True, False):
            offset = policy.vip_priority if vip else 0.0
            lists += [
                (offset, index.calls_needing(s, language, vip), inf)
                for s in (*profile.skills, NO_SKILL)
            ]
            lists.append((offset, index.calls_speaking(language, vip), at.now - any_after))
        if policy.vip_skill and policy.vip_skill in profile.skills:
            lists.append((policy.vip_priority, index.calls_speaking(language, True), inf))
    found = [(e[0][0] - off, n, off, e, last) for n, (off, e, last) in enumerate(lists) if e]
    return sorted(found)


def _best_queued(index: RoutingIndex, profile: AgentProfile, at: _Moment) -> CallKey | None:
    """Lists in order of their first call: once a list starts after the best, so do the rest."""
    calls, best = index.calls, None
    for first, _, offset, entries, last in _call_sources(index, profile, at):
        if best is not None and first > best[1]:
            break
        for enqueued_at, call_id in entries:
            key = (True, enqueued_at - offset, enqueued_at, call_id)
            if enqueued_at > last or (best is not None and key >= best):
                break
            if _takes(profile, calls[call_id], at):
                best = key
                break
    return best


def choose_call_by_scan(
    profiles: Mapping[str, AgentProfile],
    calls: Iterable[WaitingCall],
    extension: str,
    *,
    now: float,
    policy: RoutingPolicy,
    logged_in: Container[str],
) -> CallChoice:
    """``choose_call`` by scanning every waiting call."""
    profile = profiles.get(extension)
    if profile is None:
        return CallChoice(None)
    at, waiting = _Moment(now, policy, logged_in, profiles), {c.call_id: c for c in calls}
    keys = [_call_key(c, extension, policy) for c in waiting.values() if _takes(profile, c, at)]
    return _call_choice(min(keys, default=None), waiting, at)
