"""How ``choose_agent`` (acd.core.routing) finds the READY agent with the smallest ``agent_key``
(acd.core.routing_rules) while weighing only a few, pure: ``best_agent_key`` reads from the
``RoutingIndex`` (acd.core.skill_index) whether there is a surplus of qualified agents, then ranks
without one by best fit (``_best_fit``: the level and pair rankings, agents with the vip skill,
agents with several needed skills, then fit 0), or with one by fewest other skills
(``_fewest_others``: agents with several needed skills, then the others by number of skills).
``choose_agent_by_scan`` (acd.core.routing), which weighs every READY agent, is the reference."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from math import inf
from operator import itemgetter

from acd.core.routing_rules import AgentKey, Requirements, agent_key
from acd.core.skill_index import Fitting, RoutingIndex
from acd.core.sorted_lists import Entry

ByCount = Mapping[int, Sequence[Entry]]  # number of skills -> READY agents


def best_agent_key(index: RoutingIndex, req: Requirements, waiting: int) -> AgentKey | None:
    """The smallest ``agent_key`` of the READY agents who qualify for ``req`` (surplus: more of
    them than ``waiting``); None: nobody qualifies."""
    return (_fewest_others if _in_surplus(index, req, waiting) else _best_fit)(index, req)


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
