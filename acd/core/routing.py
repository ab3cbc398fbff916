"""The ACD's routing decisions, pure (no I/O, clock or global state): which agent takes a call
(``choose_agent``), which call an agent takes (``choose_call``). The public entry point: the
policy, escalation steps and qualification rules (acd.core.routing_rules) are importable from here.

Who qualifies for a call at ``now``: see acd.core.routing_rules (``requirements``, ``qualifies``).

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

``choose_agent``/``choose_call`` read a ``RoutingIndex`` (acd.core.skill_index): the heads of a few
lists ranked in (or close to) the order of the keys above, so a decision weighs a handful of
agents or calls whatever their number (the agent side's search: acd.core.agent_search); the
``_by_scan`` twins scan everything instead: the reference in tests and bench."""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass
from math import inf
from typing import NamedTuple

from acd.core.agent_search import best_agent_key
from acd.core.model import AgentProfile, WaitingCall
from acd.core.routing_rules import (
    DEFAULT_STEPS,
    INITIAL_STEP,
    AgentKey,
    EscalationStep,
    Requirements,
    RoutingPolicy,
    agent_key,
    qualifies,
    requirements,
    step_in_force,
    virtual_enqueue_time,
)
from acd.core.skill_index import NO_SKILL, RoutingIndex
from acd.core.sorted_lists import CallList, Entry, first_head, first_taken

__all__ = [
    "DEFAULT_STEPS",
    "INITIAL_STEP",
    "AgentChoice",
    "AgentKey",
    "CallChoice",
    "CallKey",
    "EscalationStep",
    "Requirements",
    "RoutingPolicy",
    "agent_key",
    "choose_agent",
    "choose_agent_by_scan",
    "choose_call",
    "choose_call_by_scan",
    "qualifies",
    "requirements",
    "step_in_force",
    "virtual_enqueue_time",
]


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


CallKey = tuple[bool, float, float, str]


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
    best = best_agent_key(index, req, waiting)
    return AgentChoice(None if best is None else best[4], req.step)


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
