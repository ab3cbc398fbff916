"""The routing core's in-process mirror of the live ACD state, indexed so that a decision looks
at a few short sorted lists instead of every agent or every call. No policy, I/O or clock here.

READY agents, each list sorted by ``(idle_since, extension)`` (longest idle first):
  - ``ready_by_level(skill, language)[level][count]``: with ``skill`` at ``level`` and ``count``
    skills in all (the count orders agents by opportunity cost), ``ready_at_level(skill,
    language)[level]`` whatever the count, and ``ready_by_count(skill, language)[count]`` at any
    level;
  - ``ready_speaking(language)`` and ``ready_with_skill_count(language, count)``;
  - ``holders(skill, language)``: extension -> level;
  - ``ranked_with_both(skill, other, language)``: the agents with both skills (a pair index, so
    that no decision intersects holders) as (-the sum of the two levels, idle_since, extension,
    number of skills, the lower of the two levels), sorted: best fit first, then longest idle.
Waiting calls, each list sorted by ``(enqueued_at, call_id)``, VIP and standard apart, so every
list is also in virtual-enqueue-time order whatever the VIP priority: ``calls_needing(skill,
language, vip)``, ``calls_speaking(language, vip)``; and ``calls_managed_by(extension)``.
A change to a call touches a handful of lists, and to an agent a few per skill and per pair of
skills (worked out once per profile): ``bisect`` inserts and deletes (``acd.core.sorted_lists``,
with
the searches over list heads that these queries and the routing decisions share)."""

from __future__ import annotations

from bisect import insort
from collections.abc import Container, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, NamedTuple, TypeVar

from acd.core.model import AgentProfile, AgentState, AgentStatus, WaitingCall
from acd.core.sorted_lists import (
    Entry,
    delete_entry,
    first_of,
    insert_entry,
    insert_new,
    longest_idle,
)

Lists = dict[Any, list[Entry]]
ByLevel = dict[int, dict[int, list[Entry]]]  # level -> number of skills -> agents
Ranked = tuple[int, int, float, str]  # (other skills, -fit, idle_since, extension)
Fitting = tuple[int, float, str, int, int]  # (-fit, idle_since, extension, skills, lower level)
Pair = tuple[str, str, str]  # (skill, other skill, language), the skills in order
NO_SKILL = ""  # the skill key of calls whose intent names no skill
K = TypeVar("K")
V = TypeVar("V")

_EMPTY: tuple[Entry, ...] = ()
_NOBODY: Mapping[str, int] = MappingProxyType({})
_NO_CALLS: Mapping[str, Sequence[Entry]] = MappingProxyType({})
_NO_AGENTS: Mapping[int, Sequence[Entry]] = MappingProxyType({})
_NO_LEVELS: Mapping[int, Mapping[int, Sequence[Entry]]] = MappingProxyType({})


class RoutingIndex:
    """Agent profiles (every known agent), READY agents and waiting calls, as listed above."""

    def __init__(self) -> None:
        self._profiles: dict[str, AgentProfile] = {}  # every known agent, ready or not
        self._ready: dict[str, float] = {}  # extension -> idle_since
        self._agents: Lists = {}
        self._by_skill: dict[tuple[str, str], ByLevel] = {}
        self._at_level: dict[tuple[str, str], dict[int, list[Entry]]] = {}
        self._by_count: dict[tuple[str, str], dict[int, list[Entry]]] = {}
        self._holders: dict[tuple[str, str], dict[str, int]] = {}
        self._ranked: dict[Pair, list[Fitting]] = {}
        self._keys: dict[str, _Keys] = {}  # extension -> where its profile lists it
        self._skill_counts: list[int] = []  # numbers of skills ever seen on a profile, ascending
        self._calls: dict[str, WaitingCall] = {}
        self._queues: Lists = {}  # (language, vip) -> calls
        self._needing: dict[tuple[str, bool], Lists] = {}  # (language, vip) -> skill -> calls
        self._managed: dict[str, dict[str, None]] = {}  # account manager -> call ids
        self.profiles: Mapping[str, AgentProfile] = MappingProxyType(self._profiles)
        self.ready: Mapping[str, float] = MappingProxyType(self._ready)  # READY: idle_since
        self.calls: Mapping[str, WaitingCall] = MappingProxyType(self._calls)

    # --- agents -------------------------------------------------------------------------

    def put_profile(self, profile: AgentProfile) -> None:
        """Add or replace an agent's profile; a READY agent is re-indexed under it."""
        idle = self._ready.get(profile.extension)
        if idle is not None:
            self._unindex_agent(profile.extension, idle)
        self._profiles[profile.extension] = profile
        self._keys[profile.extension] = _keys_of(profile)
        insert_new(self._skill_counts, len(profile.skills))
        if idle is not None:
            self._index_agent(profile.extension, idle)

    def drop_profile(self, extension: str) -> None:
        self.set_not_ready(extension)
        self._profiles.pop(extension, None)
        self._keys.pop(extension, None)

    def set_ready(self, extension: str, idle_since: float) -> None:
        """Mark a known agent READY (idle since ``idle_since``); unknown agents are ignored."""
        if extension not in self._profiles:
            return
        self.set_not_ready(extension)
        self._ready[extension] = idle_since
        self._index_agent(extension, idle_since)

    def set_not_ready(self, extension: str) -> None:
        idle = self._ready.pop(extension, None)
        if idle is not None:
            self._unindex_agent(extension, idle)

    def apply_status(self, status: AgentStatus) -> None:
        """Mirror one agent's live status: READY is indexed, any other state is not."""
        if status.state is AgentState.READY:
            self.set_ready(status.extension, status.idle_since)
        else:
            self.set_not_ready(status.extension)

    def ready_by_level(
        self, skill: str, language: str
    ) -> Mapping[int, Mapping[int, Sequence[Entry]]]:
        """READY agents speaking ``language`` with ``skill``: level -> number of skills -> agents
        (only non-empty lists)."""
        return self._by_skill.get((skill, language), _NO_LEVELS)

    def top_level_longest_idle(
        self, skill: str, language: str, min_level: int, skip: Container[str]
    ) -> tuple[int, Entry] | None:
        """The longest idle agent not in ``skip`` at the highest level >= ``min_level``."""
        at_level = self.ready_at_level(skill, language)
        for level in sorted(at_level, reverse=True):
            if level < min_level:
                break
            found = first_of(at_level[level], skip)
            if found is not None:
                return level, found
        return None

    def ready_at_level(self, skill: str, language: str) -> Mapping[int, Sequence[Entry]]:
        return self._at_level.get((skill, language), _NO_AGENTS)

    def longest_idle_with(self, skill: str, language: str, skip: Container[str]) -> Entry | None:
        return longest_idle(self.ready_at_level(skill, language).values(), skip)

    def ready_by_count(self, skill: str, language: str) -> Mapping[int, Sequence[Entry]]:
        """READY agents speaking ``language`` with ``skill``, any level: number of skills ->
        agents."""
        return self._by_count.get((skill, language), _NO_AGENTS)

    def bucket(self, skill: str, language: str, level: int, count: int) -> Sequence[Entry]:
        return self.ready_by_level(skill, language).get(level, {}).get(count, _EMPTY)

    def holders(self, skill: str, language: str) -> Mapping[str, int]:
        return self._holders.get((skill, language), _NOBODY)

    def ranked_with_both(self, skill: str, other: str, language: str) -> Sequence[Fitting]:
        return self._ranked.get(_pair(skill, other, language), ())

    def ready_speaking(self, language: str) -> Sequence[Entry]:
        return self._agents.get(("language", language), _EMPTY)

    def ready_with_skill_count(self, language: str, count: int) -> Sequence[Entry]:
        return self._agents.get(("count", language, count), _EMPTY)

    def skill_counts(self) -> Sequence[int]:
        """Every number of skills a profile has had, ascending (never shrinks)."""
        return self._skill_counts

    def sharing(self, skills: Sequence[str], language: str) -> set[str]:
        """READY agents speaking ``language`` with at least two of ``skills``."""
        found: set[str] = set()
        for n, skill in enumerate(skills):
            for other in skills[n + 1 :]:
                found.update([entry[2] for entry in self.ranked_with_both(skill, other, language)])
        return found

    def count_skilled(
        self,
        skills: Sequence[str],
        min_level: int,
        vip_skill: str,
        language: str,
        excluded: frozenset[str],
        enough: int,
    ) -> int:
        """READY agents speaking ``language``, not ``excluded``, with every one of ``skills``
        at ``min_level`` or above or with ``vip_skill``; counted exactly only past ``enough``."""
        holders = [self._holders.get((skill, language), _NOBODY) for skill in skills]
        vips = self._holders.get((vip_skill, language), _NOBODY) if vip_skill else _NOBODY
        most = min(map(len, holders), default=0) + len(vips)
        if most <= enough or not holders:
            return most
        fewest = min(holders, key=len)
        found = {e for e in fewest if all(h.get(e, 0) >= min_level for h in holders)}
        return len((found | vips.keys()) - excluded)

    def first_speaking(self, language: str, skip: Container[str] = ()) -> Entry | None:
        return first_of(self.ready_speaking(language), skip)

    def count_speaking(self, language: str, excluded: Iterable[str] = ()) -> int:
        """READY agents who speak ``language``, not counting those in ``excluded``."""
        gone = sum(1 for ext in excluded if self._speaks(ext, language)) if excluded else 0
        return len(self.ready_speaking(language)) - gone

    def fewest_skills(
        self,
        groups: Sequence[tuple[int, Mapping[int, Sequence[Entry]]]],
        language: str,
        skip: Container[str],
        avoid: Sequence[str],
        alone: Container[str] | None,
        most: float,
    ) -> Ranked | None:
        """The smallest (other skills, -fit, idle_since, extension) of: the agents in ``groups``
        ((fit, agents by number of skills), best fit first; each agent's one skill of ``avoid``:
        count - 1 other skills) not in ``skip``; unless ``alone`` is None, agents with none of
        ``avoid`` (count other skills) not in ``alone``. Only keys with other skills <= ``most``
        are looked at."""
        best: Ranked | None = None
        for count in self._skill_counts:
            if count - 1 > (most if best is None else min(most, best[0])):
                break
            for fit, by_count in groups:
                if best is not None and (count - 1, -fit) > best[:2]:
                    break  # nor can the groups after it
                found = first_of(by_count[count], skip) if count in by_count else None
                best = best if found is None else _smaller(best, (count - 1, -fit, *found))
            if alone is not None and (best is None or (count, 0) <= best[:2]):
                found = self.first_without(language, count, avoid, alone)
                best = best if found is None else _smaller(best, (count, 0, *found))
        return best

    def first_without(
        self, language: str, count: int, avoid: Sequence[str], skip: Container[str]
    ) -> Entry | None:
        """The longest-idle READY agent speaking ``language`` with ``count`` skills, none of
        them in ``avoid``, not in ``skip``."""
        holders = [self.holders(skill, language) for skill in avoid]
        for entry in self.ready_with_skill_count(language, count):
            if entry[1] in skip:
                continue
            for found in holders:
                if entry[1] in found:
                    break
            else:
                return entry
        return None

    def _speaks(self, extension: str, language: str) -> bool:
        return extension in self._ready and language in self._profiles[extension].languages

    def _index_agent(self, extension: str, idle: float) -> None:
        keys, entry = self._keys[extension], (idle, extension)
        for key in keys.lists:
            insert_entry(self._agents, key, entry)
        for key, level in keys.skills:
            self._holders.setdefault(key, {})[extension] = level
            insert_entry(
                self._by_skill.setdefault(key, {}).setdefault(level, {}), keys.skill_count, entry
            )
            insert_entry(self._by_count.setdefault(key, {}), keys.skill_count, entry)
            insert_entry(self._at_level.setdefault(key, {}), level, entry)
        for pair, fit, lower in keys.pairs:  # one per two skills and language: inlined
            ranked = self._ranked.get(pair)
            if ranked is None:
                self._ranked[pair] = [(-fit, idle, extension, keys.skill_count, lower)]
            else:
                insort(ranked, (-fit, idle, extension, keys.skill_count, lower))

    def _unindex_agent(self, extension: str, idle: float) -> None:
        keys, entry = self._keys[extension], (idle, extension)
        for key in keys.lists:
            delete_entry(self._agents, key, entry)
        for key, level in keys.skills:
            _forget(self._holders, key, extension)
            self._unbucket(key, level, keys.skill_count, entry)
            delete_entry(self._by_count[key], keys.skill_count, entry)
            if not self._by_count[key]:
                del self._by_count[key]
            delete_entry(self._at_level[key], level, entry)
            if not self._at_level[key]:
                del self._at_level[key]
        for pair, fit, lower in keys.pairs:  # inlined; each list is short
            ranked = self._ranked[pair]
            ranked.remove((-fit, idle, extension, keys.skill_count, lower))
            if not ranked:
                del self._ranked[pair]

    def _unbucket(self, key: tuple[str, str], level: int, count: int, entry: Entry) -> None:
        by_level = self._by_skill[key]
        delete_entry(by_level[level], count, entry)
        if not by_level[level]:
            del by_level[level]
            if not by_level:
                del self._by_skill[key]

    # --- calls --------------------------------------------------------------------------

    def add_call(self, call: WaitingCall) -> None:
        """Add a waiting call, or replace the one with the same ``call_id``."""
        self.remove_call(call.call_id)
        self._calls[call.call_id] = call
        entry, by = (call.enqueued_at, call.call_id), (call.language, call.vip)
        insert_entry(self._queues, by, entry)
        for skill in dict.fromkeys(call.skills or (NO_SKILL,)):
            insert_entry(self._needing.setdefault(by, {}), skill, entry)
        if call.account_manager:
            self._managed.setdefault(call.account_manager, {})[call.call_id] = None

    def remove_call(self, call_id: str) -> WaitingCall | None:
        call = self._calls.pop(call_id, None)
        if call is None:
            return None
        entry, by = (call.enqueued_at, call.call_id), (call.language, call.vip)
        delete_entry(self._queues, by, entry)
        for skill in dict.fromkeys(call.skills or (NO_SKILL,)):
            delete_entry(self._needing[by], skill, entry)
        if not self._needing[by]:
            del self._needing[by]
        managed = self._managed.get(call.account_manager)
        if managed is not None:
            managed.pop(call_id, None)
            if not managed:
                del self._managed[call.account_manager]
        return call

    def calls_needing(self, skill: str, language: str, vip: bool) -> Sequence[Entry]:
        """Waiting calls in ``language`` whose intent needs ``skill`` (``NO_SKILL``: calls that
        need none), VIP or standard, longest waiting first."""
        return self.calls_by_skill(language, vip).get(skill, _EMPTY)

    def calls_by_skill(self, language: str, vip: bool) -> Mapping[str, Sequence[Entry]]:
        return self._needing.get((language, vip), _NO_CALLS)

    def calls_speaking(self, language: str, vip: bool) -> Sequence[Entry]:
        return self._queues.get((language, vip), _EMPTY)

    def calls_managed_by(self, extension: str) -> Iterable[str]:
        return tuple(self._managed.get(extension, ()))


def _smaller(best: Ranked | None, key: Ranked) -> Ranked:
    return key if best is None or key < best else best


def _pair(skill: str, other: str, language: str) -> Pair:
    return (skill, other, language) if skill < other else (other, skill, language)


def _forget(holders: dict[K, dict[str, V]], key: K, extension: str) -> None:
    found = holders[key]
    del found[extension]
    if not found:
        del holders[key]


class _Keys(NamedTuple):
    """Where a READY agent is listed, worked out once per profile."""

    lists: tuple[tuple[object, ...], ...]  # ("language", language), ("count", language, count)
    skills: tuple[tuple[tuple[str, str], int], ...]  # ((skill, language), level)
    pairs: tuple[tuple[Pair, int, int], ...]  # (two skills and a language, level sum, lower)
    skill_count: int


def _keys_of(profile: AgentProfile) -> _Keys:
    languages, count = sorted(profile.languages), len(profile.skills)
    levels = sorted(profile.skills.items())
    return _Keys(
        tuple(key for lang in languages for key in (("language", lang), ("count", lang, count))),
        tuple(((skill, lang), level) for lang in languages for skill, level in levels),
        tuple(
            ((one, other, lang), level + other_level, min(level, other_level))
            for lang in languages
            for n, (one, level) in enumerate(levels)
            for other, other_level in levels[n + 1 :]
        ),
        count,
    )
