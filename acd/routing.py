"""The ACD's routing decisions, pure (no I/O, clock or global state): which agent takes a call,
which call an agent takes.

Who qualifies for a call at ``now`` (``requirements``, then ``qualifies``): an agent who speaks
its language and is not in ``call.excluded`` (rang, no answer), with level >= 1 in every intent
skill (standard call), or >= ``vip_min_level`` in every intent skill or the ``vip_skill`` at any
level (VIP call; an intent naming the vip skill makes it an ordinary intent skill). The steps
the wait (now - enqueued_at) has reached apply cumulatively (``step_in_force``): the latest
``min_level`` lowers the level asked (never raises it), ``any_skill_with_language`` lets every
agent with the language qualify, ``offer_callback`` changes nobody's qualification.

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

Call for an agent (``choose_call``): of the waiting calls the agent qualifies for at ``now`` and
that are not waiting for another AM (see above), the smallest key (is not one of this agent's
AM calls, virtual enqueue time, enqueued_at, call_id), virtual enqueue time = enqueued_at -
(vip_priority if VIP else 0): a standard call that has waited vip_priority seconds longer than
a VIP call ties with it (and wins the tie, being older).

``choose_agent``/``choose_call`` read a ``RoutingIndex`` (acd.skill_index): the heads of a few
lists ranked in (or close to) the order of the keys above, so a decision weighs a handful of
agents or calls whatever their number; the ``_by_scan`` twins scan everything instead: the
reference in tests and bench."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from itertools import accumulate, repeat
from math import inf
from operator import itemgetter
from typing import NamedTuple

from acd.model import AgentProfile, WaitingCall
from acd.skill_index import (
    NO_SKILL,
    CallList,
    Entry,
    Fitting,
    RoutingIndex,
    first_head,
    first_taken,
)


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
ByCount = Mapping[int, Sequence[Entry]]  # number of skills -> READY agents


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
    if call.account_manager:
        at = _Moment(now, policy, logged_in, index.profiles)
        manager = _manager_choice(req, index.ready, at)
        if manager is not None:
            return manager
    best = (_fewest_others if _in_surplus(index, req, waiting) else _best_fit)(index, req)
    return AgentChoice(None if best is None else best[4], req.step)


def _in_surplus(index: RoutingIndex, req: Requirements, waiting: int) -> bool:
    call, level, vip = req.call, req.min_level, req.vip_skill
    if req.open:
        return index.count_speaking(call.language, call.excluded) > waiting
    return (
        index.count_skilled(req.intent, level, vip, call.language, call.excluded, waiting) > waiting
    )


def _best_fit(index: RoutingIndex, req: Requirements) -> AgentKey | None:
    """No surplus: best fit, then longest idle. One or two intent skills: the agents with every
    one come ranked by fit (one: by level, from the level asked; two: by the sum of both levels,
    any levels for an agent with the vip skill), so the first who qualifies is the best of them;
    a VIP call's other agents with the vip skill fit their level in the one intent skill they
    hold, and are weighed unless the first beats every such level. No intent skill, or three or
    more: the few agents with several needed skills, weighed one by one. Then fit 0."""
    call = req.call
    if len(req.intent) not in (1, 2):
        multi = index.sharing(req.needed, call.language)
        return _fit_zero(index, req, _best_multi(index, req, multi, None, False))
    if len(req.intent) == 1:
        skill, level = req.intent[0], req.min_level
        top = index.top_level_longest_idle(skill, call.language, level, call.excluded)
        best = None if top is None else (True, 0, -top[0], *top[1])
    else:
        best = _best_with_both(index, req)
    if req.vip_skill and (best is None or -best[2] <= _ceiling(index, req)):
        best = _best_by_vip_skill(index, req, best, False)
    return _fit_zero(index, req, best)


def _best_with_both(index: RoutingIndex, req: Requirements) -> AgentKey | None:
    """The best key of the agents with both intent skills who qualify by skills (both at the
    level asked, or the vip skill): the pair ranking is in key order, so the first who does."""
    (skill, other), call = req.intent, req.call
    vips = index.holders(req.vip_skill, call.language) if req.vip_skill else {}
    for minus_fit, idle, ext, _, lower in index.ranked_with_both(skill, other, call.language):
        if ext not in call.excluded and (lower >= req.min_level or ext in vips):
            return (True, 0, minus_fit, idle, ext)
    return None


def _ceiling(index: RoutingIndex, req: Requirements) -> int:
    """The highest fit of the agents ``_best_by_vip_skill`` weighs: below the level asked, or
    the top level of a READY agent (``ready_at_level``) in one of the two intent skills."""
    if len(req.intent) == 1:
        return req.min_level - 1
    levels = (index.ready_at_level(skill, req.call.language) for skill in req.intent)
    return max(max(by_level, default=0) for by_level in levels)


def _best_by_vip_skill(
    index: RoutingIndex, req: Requirements, best: AgentKey | None, surplus: bool
) -> AgentKey | None:
    """``best`` or a better key of the agents with the vip skill and one intent skill (and
    not the other, if two): they qualify, with a fit of their level in that skill, and have
    their number of skills less 2 other skills."""
    call, language, intent = req.call, req.call.language, req.intent
    for n, skill in enumerate(intent):
        levels = index.holders(skill, language)
        both = index.holders(intent[1 - n], language) if len(intent) == 2 else {}
        for _, idle, ext, count, _ in index.ranked_with_both(skill, req.vip_skill, language):
            if ext not in call.excluded and ext not in both:
                others = count - 2 if surplus else 0
                best = _min(best, (True, others, -levels[ext], idle, ext))
    return best


def _fit_zero(index: RoutingIndex, req: Requirements, best: AgentKey | None) -> AgentKey | None:
    """``best`` if it fits above 0, or the longest idle of it and the agents who fit 0."""
    call = req.call
    if best is not None and best[2] < 0:
        return best
    if req.open:  # everybody left has fit 0: the longest idle wins
        found = index.first_speaking(call.language, call.excluded)
    else:  # VIP agents with none of the intent skills
        found = index.longest_idle_with(req.vip_skill, call.language, call.excluded)
    return best if found is None else _min(best, (True, 0, 0, *found))


def _best_multi(
    index: RoutingIndex, req: Requirements, multi: set[str], best: AgentKey | None, surplus: bool
) -> AgentKey | None:
    """Weigh agents with several needed skills in order of the best key they could have (their
    other skills, the sum of their levels), until one could not beat the best so far."""
    if not multi:
        return best
    profiles, ready = index.profiles, index.ready
    bounds = []
    for ext in multi:
        skills = profiles[ext].skills
        others = len(skills) - len(skills.keys() & req.needed) if surplus else 0
        bounds.append((others, -sum([skills.get(skill, 0) for skill in req.intent]), ext))
    bounds.sort()
    for others, ceiling, ext in bounds:
        if best is not None and (others, ceiling) > best[1:3]:
            break
        key = agent_key(profiles[ext], ready[ext], req, surplus)
        best = best if key is None else _min(best, key)
    return best


def _fewest_others(index: RoutingIndex, req: Requirements) -> AgentKey | None:
    """Surplus. Agents with several needed skills: with two intent skills, those with both
    (for a standard call, the pair ranking's best key; else weighed one by one) and, for a VIP
    call with one or two intent skills, those with the vip skill and one (``_best_by_vip_skill``);
    other intents: all weighed one by one. Then the others by number of skills."""
    call = req.call
    multi = index.sharing(req.needed, call.language)
    if len(req.intent) == 2 and not req.vip_skill:
        best = _fewest_with_both(index, req, multi)
    elif len(req.intent) in (1, 2) and req.vip_skill:
        both = index.sharing(req.intent, call.language)
        best = _best_by_vip_skill(index, req, _best_multi(index, req, both, None, True), True)
    else:
        best = _best_multi(index, req, multi, None, True)
    most = inf if best is None else best[1]
    alone = call.excluded if req.open else None  # agents with none of the needed skills
    found = index.fewest_skills(
        _singles(index, req), call.language, call.excluded | multi, req.needed, alone, most
    )
    return best if found is None else _min(best, (True, *found))


def _fewest_with_both(index: RoutingIndex, req: Requirements, both: set[str]) -> AgentKey | None:
    """Surplus, a standard call with two intent skills: the agents with ``both`` have their
    number of skills less 2 other skills, and fit the sum of both levels if both are at the
    level asked; if the one with the smallest such key does, that key is the best of them."""
    (skill, other), call = req.intent, req.call
    ranked = index.ranked_with_both(skill, other, call.language)
    first = min((e for e in ranked if e[2] not in call.excluded), key=_fewest_key, default=None)
    if first is not None and first[4] >= req.min_level:
        return (True, *_fewest_key(first))
    return None if first is None else _best_multi(index, req, both, None, True)


def _fewest_key(entry: Fitting) -> tuple[int, int, float, str]:
    minus_fit, idle, ext, count, _ = entry
    return (count - 2, minus_fit, idle, ext)


def _singles(index: RoutingIndex, req: Requirements) -> list[tuple[int, ByCount]]:
    """(fit, agents by number of skills), best fit first, of the agents who qualify with one
    needed skill: with the vip skill, or any skill of an open call (fit 0); with the single
    intent skill at a level it asks for (fit: the level) or, for an open call, below it (0)."""
    language, found = req.call.language, []
    for skill in req.needed:
        if req.intent == (skill,):
            by_level = index.ready_by_level(skill, language).items()
            found += [
                (level if level >= req.min_level else 0, agents)
                for level, agents in by_level
                if req.open or level >= req.min_level
            ]
        elif skill == req.vip_skill or req.open:
            found.append((0, index.ready_by_count(skill, language)))
    return sorted(found, key=itemgetter(0), reverse=True)


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
    surplus = sum(1 for ext in ready if qualifies(profiles[ext], req)) > waiting
    keys = filter(None, (agent_key(profiles[e], i, req, surplus) for e, i in ready.items()))
    best = min(keys, default=None)
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
    return CallChoice(key[3], step_in_force(calls[key[3]], at.now, at.policy), not key[0])


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
    if mine:
        return _call_choice(min(mine), calls, at)

    def takes(call_id: str) -> bool:
        return _takes(profile, calls[call_id], at)

    found = first_head(_call_lists(index, profile, at, heads_only=True))
    if found is not None and not takes(found[2]):  # rare: look further, in every list
        found = first_taken(_call_lists(index, profile, at, heads_only=False), takes)
    return _call_choice(None if found is None else (True, *found), calls, at)


def _call_lists(
    index: RoutingIndex, profile: AgentProfile, at: _Moment, heads_only: bool
) -> list[CallList]:
    """(offset to virtual time, calls by enqueued_at, last enqueued_at worth looking at) of
    every non-empty list the agent could take a call from. A language and class (VIP or not)
    has a list of all its calls, and one per skill; ``heads_only``: when the first of all its
    calls is in reach, the skill lists are left out, since that call comes before all of theirs.
    """
    policy, lists = at.policy, []
    vip_route = bool(policy.vip_skill) and policy.vip_skill in profile.skills
    for language in profile.languages:
        for vip, offset in ((True, policy.vip_priority), (False, 0.0)):
            everyone = index.calls_speaking(language, vip)
            last = inf if vip and vip_route else at.now - policy.vip_waits[0]  # any skill
            if not everyone:
                continue
            lists.append((offset, everyone, last))
            if not heads_only or everyone[0][0] > last:
                lists += _skill_lists(index.calls_by_skill(language, vip), profile, vip, at)
    return lists


def _skill_lists(
    by_skill: Mapping[str, Sequence[Entry]], profile: AgentProfile, vip: bool, at: _Moment
) -> Iterable[CallList]:
    """The lists of calls needing one of the agent's skills (or none); VIP calls: experts at
    once, the others once the wait relaxes the level to theirs."""
    policy = at.policy
    offset = policy.vip_priority if vip else 0.0
    levels = {**profile.skills, NO_SKILL: policy.vip_min_level}  # NO_SKILL: no level asked
    for skill in by_skill.keys() & levels.keys():
        level = levels[skill] if vip else policy.vip_min_level
        wait = policy.vip_waits[level] if level < policy.vip_min_level else -inf
        yield offset, by_skill[skill], at.now - wait


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
