"""The routing core's in-process mirror of the live ACD state, indexed so that a decision looks
at a few short sorted lists instead of every agent or every call. No policy, I/O or clock here.

READY agents, each list sorted by ``(idle_since, extension)`` (longest idle first):
  - ``ready_by_level(skill, language)[level][count]``: with ``skill`` at ``level`` and ``count``
    skills in all (the count orders agents by opportunity cost), and ``ready_by_count(skill,
    language)[count]`` at any level;
  - ``ready_speaking(language)`` and ``ready_with_skill_count(language, count)``;
  - ``holders(skill, language)``: extension -> level, for set intersections.
Waiting calls, each list sorted by ``(enqueued_at, call_id)``, VIP and standard apart, so every
list is also in virtual-enqueue-time order whatever the VIP priority: ``calls_needing(skill,
language, vip)``, ``calls_speaking(language, vip)``; and ``calls_managed_by(extension)``.
A change to an agent or a call touches a handful of lists: ``bisect`` inserts and deletes."""

from __future__ import annotations

from bisect import bisect_left, insort
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any, TypeVar

from acd.model import AgentProfile, AgentState, AgentStatus, WaitingCall

Entry = tuple[float, str]  # (idle_since, extension) or (enqueued_at, call_id)
Lists = dict[Any, list[Entry]]
ByLevel = dict[int, dict[int, list[Entry]]]  # level -> number of skills -> agents
Ranked = tuple[int, int, float, str]  # (other skills, -fit, idle_since, extension)
CallList = tuple[float, Sequence[Entry], float]  # (offset to virtual time, calls, last to see)
NO_SKILL = ""  # the skill key of calls whose intent names no skill
K = TypeVar("K")

_EMPTY: tuple[Entry, ...] = ()
_NOBODY: Mapping[str, int] = MappingProxyType({})
_NO_CALLS: Mapping[str, Sequence[Entry]] = MappingProxyType({})
_NO_AGENTS: Mapping[int, Sequence[Entry]] = MappingProxyType({})
_NO_LEVELS: Mapping[int, Mapping[int, Sequence[Entry]]] = MappingProxyType({})


def _insert(lists: dict[K, list[Entry]], key: K, entry: Entry) -> None:
    insort(lists.setdefault(key, []), entry)


def _delete(lists: dict[K, list[Entry]], key: K, entry: Entry) -> None:
    entries = lists.get(key)
    if entries is None:
        return
    at = bisect_left(entries, entry)
    if at < len(entries) and entries[at] == entry:
        del entries[at]
    if not entries:
        del lists[key]


def first_of(entries: Iterable[Entry], skip: Container[str]) -> Entry | None:
    for entry in entries:
        if entry[1] not in skip:
            return entry
    return None


def longest_idle(lists: Iterable[Sequence[Entry]], skip: Container[str]) -> Entry | None:
    """The smallest entry not in ``skip`` over several sorted lists."""
    best = None
    for entries in lists:
        for entry in entries:
            if entry[1] not in skip:
                best = entry if best is None or entry < best else best
                break
    return best


def first_taken(
    lists: Sequence[CallList], takes: Callable[[str], bool]
) -> tuple[float, float, str] | None:
    """The smallest (enqueued_at - offset, enqueued_at, call_id) that ``takes`` accepts, over
    lists of (offset, calls by enqueued_at, last enqueued_at to look at). The first call of
    all is nearly always accepted; if not, the lists go in order of their first call (once one
    starts after the best found, so do the rest), each up to its first accepted call."""
    heads = [(e[0][0] - off, e[0][0], e[0][1]) for off, e, last in lists if e[0][0] <= last]
    first = min(heads, default=None)
    if first is None or takes(first[2]):
        return first
    best = None
    for offset, entries, last in sorted(lists, key=lambda found: found[1][0][0] - found[0]):
        if best is not None and entries[0][0] - offset > best[0]:
            break
        for enqueued_at, call_id in entries:
            key = (enqueued_at - offset, enqueued_at, call_id)
            if enqueued_at > last or (best is not None and key >= best):
                break
            if takes(call_id):
                best = key
                break
    return best


class RoutingIndex:
    """Agent profiles (every known agent), READY agents and waiting calls, as listed above."""

    def __init__(self) -> None:
        self._profiles: dict[str, AgentProfile] = {}  # every known agent, ready or not
        self._ready: dict[str, float] = {}  # extension -> idle_since
        self._agents: Lists = {}
        self._by_skill: dict[tuple[str, str], ByLevel] = {}
        self._by_count: dict[tuple[str, str], dict[int, list[Entry]]] = {}
        self._holders: dict[tuple[str, str], dict[str, int]] = {}
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
        _remember(self._skill_counts, len(profile.skills))
        if idle is not None:
            self._index_agent(profile.extension, idle)

    def drop_profile(self, extension: str) -> None:
        self.set_not_ready(extension)
        self._profiles.pop(extension, None)

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
        by_level = self._by_skill.get((skill, language), {})
        for level in sorted(by_level, reverse=True):
            found = longest_idle(by_level[level].values(), skip) if level >= min_level else None
            if found is not None:
                return level, found
        return None

    def longest_idle_with(self, skill: str, language: str, skip: Container[str]) -> Entry | None:
        by_level = self._by_skill.get((skill, language), {}).values()
        return longest_idle((agents for by_count in by_level for agents in by_count.values()), skip)

    def ready_by_count(self, skill: str, language: str) -> Mapping[int, Sequence[Entry]]:
        """READY agents speaking ``language`` with ``skill``, any level: number of skills ->
        agents."""
        return self._by_count.get((skill, language), _NO_AGENTS)

    def bucket(self, skill: str, language: str, level: int, count: int) -> Sequence[Entry]:
        return self.ready_by_level(skill, language).get(level, {}).get(count, _EMPTY)

    def holders(self, skill: str, language: str) -> Mapping[str, int]:
        return self._holders.get((skill, language), _NOBODY)

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
        if len(skills) < 2:
            return found
        holders = [self.holders(skill, language).keys() for skill in skills]
        for n, some in enumerate(holders):
            for others in holders[n + 1 :]:
                found |= some & others
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
        holders = sorted((self.holders(skill, language) for skill in skills), key=len)
        vips = self.holders(vip_skill, language).keys() if vip_skill else set()
        if not holders or len(holders[0]) + len(vips) <= enough:
            return len(holders[0]) + len(vips) if holders else len(vips)
        found = {e for e in holders[0] if all(h.get(e, 0) >= min_level for h in holders)}
        return len((found | vips) - excluded)

    def first_speaking(self, language: str, skip: Container[str] = ()) -> Entry | None:
        return first_of(self.ready_speaking(language), skip)

    def level_sums(self, agents: set[str], skills: Sequence[str], language: str) -> dict[str, int]:
        """extension -> the sum of its levels in ``skills``, for READY ``agents``."""
        sums = dict.fromkeys(agents, 0)
        for skill in skills:
            holders = self.holders(skill, language)
            for ext in agents & holders.keys():
                sums[ext] += holders[ext]
        return sums

    def count_speaking(self, language: str, excluded: Iterable[str] = ()) -> int:
        """READY agents who speak ``language``, not counting those in ``excluded``."""
        gone = sum(1 for ext in excluded if self._speaks(ext, language))
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
        ((fit, agents by number of skills), each agent's one skill of ``avoid``: count - 1 other
        skills) not in ``skip``; unless ``alone`` is None, agents with none of ``avoid`` (count
        other skills) not in ``alone``. Only keys with other skills <= ``most`` are looked at."""
        best: Ranked | None = None
        for count in self._skill_counts:
            if count - 1 > (most if best is None else min(most, best[0])):
                break
            for fit, by_count in groups:
                found = first_of(by_count[count], skip) if count in by_count else None
                best = best if found is None else _smaller(best, (count - 1, -fit, *found))
            found = None if alone is None else self.first_without(language, count, avoid, alone)
            best = best if found is None else _smaller(best, (count, 0, *found))
        return best

    def first_without(
        self, language: str, count: int, avoid: Sequence[str], skip: Container[str]
    ) -> Entry | None:
        """The longest-idle READY agent speaking ``language`` with ``count`` skills, none of
        them in ``avoid``, not in ``skip``."""
        holders = [self.holders(skill, language) for skill in avoid]
        entries = self.ready_with_skill_count(language, count)
        return next(
            (e for e in entries if e[1] not in skip and not any(e[1] in h for h in holders)), None
        )

    def _speaks(self, extension: str, language: str) -> bool:
        return extension in self._ready and language in self._profiles[extension].languages

    def _index_agent(self, extension: str, idle: float) -> None:
        profile, entry = self._profiles[extension], (idle, extension)
        count = len(profile.skills)
        for key in _agent_keys(profile):
            _insert(self._agents, key, entry)
        for language in profile.languages:
            for skill, level in profile.skills.items():
                self._holders.setdefault((skill, language), {})[extension] = level
                by_level = self._by_skill.setdefault((skill, language), {})
                _insert(by_level.setdefault(level, {}), count, entry)
                _insert(self._by_count.setdefault((skill, language), {}), count, entry)

    def _unindex_agent(self, extension: str, idle: float) -> None:
        profile, entry = self._profiles[extension], (idle, extension)
        for key in _agent_keys(profile):
            _delete(self._agents, key, entry)
        for language in profile.languages:
            for skill, level in profile.skills.items():
                holders = self._holders[(skill, language)]
                del holders[extension]
                if not holders:
                    del self._holders[(skill, language)]
                self._unbucket((skill, language), level, len(profile.skills), entry)
                _delete(self._by_count[(skill, language)], len(profile.skills), entry)
                if not self._by_count[(skill, language)]:
                    del self._by_count[(skill, language)]

    def _unbucket(self, key: tuple[str, str], level: int, count: int, entry: Entry) -> None:
        by_level = self._by_skill[key]
        _delete(by_level[level], count, entry)
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
        _insert(self._queues, by, entry)
        for skill in dict.fromkeys(call.skills or (NO_SKILL,)):
            _insert(self._needing.setdefault(by, {}), skill, entry)
        if call.account_manager:
            self._managed.setdefault(call.account_manager, {})[call.call_id] = None

    def remove_call(self, call_id: str) -> WaitingCall | None:
        call = self._calls.pop(call_id, None)
        if call is None:
            return None
        entry, by = (call.enqueued_at, call.call_id), (call.language, call.vip)
        _delete(self._queues, by, entry)
        for skill in dict.fromkeys(call.skills or (NO_SKILL,)):
            _delete(self._needing[by], skill, entry)
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


def _remember(ascending: list[int], value: int) -> None:
    at = bisect_left(ascending, value)
    if at == len(ascending) or ascending[at] != value:
        ascending.insert(at, value)


def _agent_keys(profile: AgentProfile) -> Iterable[tuple[object, ...]]:
    for language in profile.languages:
        yield ("language", language)
        yield ("count", language, len(profile.skills))
