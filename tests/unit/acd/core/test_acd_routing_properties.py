"""Invariants of the routing core, over generated agents, calls and index histories:
the index decides exactly like a full scan; the chosen agent is READY, qualified and not
excluded, and no qualified READY agent is better by the documented order (checked with an
oracle written here from the module docstring, not with the module's own key); a chosen call
is one the agent qualifies for, with no better one left; add/remove sequences keep the index
equal to one rebuilt from scratch."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from acd.core.model import AgentProfile, WaitingCall
from acd.core.routing import (
    EscalationStep,
    RoutingPolicy,
    choose_agent,
    choose_agent_by_scan,
    choose_call,
    choose_call_by_scan,
)
from acd.core.skill_index import NO_SKILL, RoutingIndex

pytestmark = pytest.mark.unit

SKILLS = ("a", "b", "c", "vip")
LANGUAGES = ("zh", "en")
EXTENSIONS = tuple(f"80{n:02d}" for n in range(8))
POLICY = RoutingPolicy()
RELAXING = (
    EscalationStep(20.0, "relax", min_level=2),
    EscalationStep(40.0, "more", min_level=1),
    EscalationStep(90.0, "anyone", any_skill_with_language=True),
)
POLICIES = st.sampled_from(
    (
        POLICY,
        RoutingPolicy(
            vip_min_level=3, vip_priority=30.0, account_manager_seconds=10.0, steps=RELAXING
        ),
        RoutingPolicy(vip_min_level=5, vip_skill="", steps=()),
    )
)


@dataclass
class World:
    profiles: dict[str, AgentProfile]
    ready: dict[str, float]
    calls: dict[str, WaitingCall]
    logged_in: frozenset[str]

    def index(self) -> RoutingIndex:
        index = RoutingIndex()
        for profile in self.profiles.values():
            index.put_profile(profile)
        for extension, idle in self.ready.items():
            index.set_ready(extension, idle)
        for waiting_call in self.calls.values():
            index.add_call(waiting_call)
        return index


times = st.integers(0, 150).map(float)
waits = st.one_of(st.integers(-2, 25), st.integers(0, 150)).map(float)  # from enqueued_at
languages = st.frozensets(st.sampled_from(LANGUAGES), min_size=1)


@st.composite
def profiles(draw: st.DrawFn, extension: str) -> AgentProfile:
    skills = draw(st.dictionaries(st.sampled_from(SKILLS), st.integers(1, 5), max_size=4))
    return AgentProfile(extension, extension, skills, draw(languages), "t", 0)


@st.composite
def waiting_calls(draw: st.DrawFn, call_id: str) -> WaitingCall:
    intents = st.sampled_from(SKILLS[:3]) | st.just("vip")  # the vip skill, now and then
    skills = draw(st.lists(intents, max_size=3))  # duplicates too
    return WaitingCall(
        call_id, call_id, "1", tuple(skills), draw(st.sampled_from(LANGUAGES)), draw(st.booleans()),
        draw(times), account_manager=draw(st.sampled_from(("", *EXTENSIONS[:4]))),
        excluded=draw(st.frozensets(st.sampled_from(EXTENSIONS), max_size=3)),
    )  # fmt: skip


@st.composite
def worlds(draw: st.DrawFn) -> World:
    known = draw(st.lists(st.sampled_from(EXTENSIONS), min_size=2, unique=True))
    found = {ext: draw(profiles(ext)) for ext in known}
    ready = {e: draw(st.integers(0, 40).map(float)) for e in known if draw(st.booleans())}
    calls = {f"c{n}": draw(waiting_calls(f"c{n}")) for n in range(draw(st.integers(0, 6)))}
    logged_in = frozenset(ready) | draw(st.frozensets(st.sampled_from(EXTENSIONS)))
    return World(found, ready, calls, logged_in)


# --- an oracle written from the module docstring -------------------------------------------


def reached(waiting_call: WaitingCall, now: float) -> tuple[int | None, bool]:
    """(relaxed level, any agent with the language) from the steps the wait has reached."""
    level, anyone = None, False
    for step in POLICY.steps:
        if now - waiting_call.enqueued_at >= step.after_seconds:
            level = step.min_level if step.min_level is not None else level
            anyone = anyone or step.any_skill_with_language
    return level, anyone


def by_skills(profile: AgentProfile, waiting_call: WaitingCall, now: float) -> bool:
    relaxed, _ = reached(waiting_call, now)
    need = POLICY.vip_min_level if waiting_call.vip else 1
    need = need if relaxed is None else min(need, relaxed)
    vip_route = waiting_call.vip and POLICY.vip_skill not in waiting_call.skills
    if vip_route and POLICY.vip_skill in profile.skills:
        return True
    return all(profile.skills.get(s, 0) >= need for s in waiting_call.skills)


def oracle_qualifies(profile: AgentProfile, waiting_call: WaitingCall, now: float) -> bool:
    if profile.extension in waiting_call.excluded:
        return False
    if waiting_call.language not in profile.languages:
        return False
    return reached(waiting_call, now)[1] or by_skills(profile, waiting_call, now)


def oracle_key(
    profile: AgentProfile, idle: float, waiting_call: WaitingCall, now: float, surplus: bool
) -> tuple[object, ...]:
    used = set(waiting_call.skills) | ({POLICY.vip_skill} if waiting_call.vip else set())
    other = len(set(profile.skills) - used) if surplus else 0
    skilled = by_skills(profile, waiting_call, now)
    fit = sum(profile.skills.get(s, 0) for s in set(waiting_call.skills)) if skilled else 0
    return (profile.extension != waiting_call.account_manager, other, -fit, idle, profile.extension)


# --- properties ---------------------------------------------------------------------------


@settings(max_examples=250, deadline=None)
@given(worlds(), waiting_calls("new"), waits, st.integers(0, 6), POLICIES)
def test_the_index_chooses_the_agent_a_full_scan_chooses(
    world: World, waiting_call: WaitingCall, wait: float, waiting: int, policy: RoutingPolicy
) -> None:
    now = waiting_call.enqueued_at + wait
    kwargs = {"now": now, "policy": policy, "logged_in": world.logged_in, "waiting": waiting}
    by_index = choose_agent(world.index(), waiting_call, **kwargs)
    by_scan = choose_agent_by_scan(world.profiles, world.ready, waiting_call, **kwargs)
    assert by_index == by_scan


@settings(max_examples=250, deadline=None)
@given(worlds(), waiting_calls("new"), waits, st.integers(0, 6))
def test_the_chosen_agent_is_ready_qualified_and_none_is_better(
    world: World, waiting_call: WaitingCall, wait: float, waiting: int
) -> None:
    now = waiting_call.enqueued_at + wait
    choice = choose_agent(
        world.index(), waiting_call, now=now, policy=POLICY, logged_in=world.logged_in,
        waiting=waiting,
    )  # fmt: skip
    qualified = {
        ext: idle
        for ext, idle in world.ready.items()
        if oracle_qualifies(world.profiles[ext], waiting_call, now)
    }
    if choice.extension is None:
        assert not qualified or choice.account_manager
        return
    assert choice.extension in qualified
    assert choice.extension not in waiting_call.excluded
    if choice.account_manager:
        assert choice.extension == waiting_call.account_manager
        return
    surplus = len(qualified) > waiting

    def key(ext: str) -> tuple[object, ...]:
        return oracle_key(world.profiles[ext], qualified[ext], waiting_call, now, surplus)

    assert all(key(choice.extension) <= key(ext) for ext in qualified)


@settings(max_examples=250, deadline=None)
@given(worlds(), st.data(), times, POLICIES)
def test_the_index_chooses_the_call_a_full_scan_chooses(
    world: World, data: st.DataObject, now: float, policy: RoutingPolicy
) -> None:
    extension = data.draw(st.sampled_from(sorted(world.profiles)), label="extension")
    index = world.index()
    by_index = choose_call(index, extension, now=now, policy=policy, logged_in=world.logged_in)
    by_scan = choose_call_by_scan(
        world.profiles, world.calls.values(), extension, now=now, policy=policy,
        logged_in=world.logged_in,
    )  # fmt: skip
    assert by_index == by_scan
    if policy is not POLICY:
        return  # the oracle below follows the default policy
    profile = world.profiles.get(extension)
    takeable = [
        (waiting_call.account_manager != extension, vt(waiting_call), waiting_call.enqueued_at,
         waiting_call.call_id)
        for waiting_call in world.calls.values()
        if profile is not None and oracle_qualifies(profile, waiting_call, now)
        and not held_for_another(world, waiting_call, extension, now)
    ]  # fmt: skip
    assert by_index.call_id == (min(takeable)[3] if takeable else None)


def vt(waiting_call: WaitingCall) -> float:
    return waiting_call.enqueued_at - (POLICY.vip_priority if waiting_call.vip else 0.0)


def held_for_another(world: World, waiting_call: WaitingCall, extension: str, now: float) -> bool:
    manager = world.profiles.get(waiting_call.account_manager)
    return (
        manager is not None
        and manager.extension != extension
        and manager.extension in world.logged_in
        and now - waiting_call.enqueued_at < POLICY.account_manager_seconds
        and oracle_qualifies(manager, waiting_call, now)
    )


operations = st.lists(
    st.one_of(
        st.tuples(st.just("profile"), st.sampled_from(EXTENSIONS[:4])),
        st.tuples(st.just("profile"), st.sampled_from(EXTENSIONS[:4])),
        st.tuples(st.just("ready"), st.sampled_from(EXTENSIONS[:4])),
        st.tuples(st.just("ready"), st.sampled_from(EXTENSIONS[:4])),
        st.tuples(st.just("not-ready"), st.sampled_from(EXTENSIONS[:4])),
        st.tuples(st.just("drop"), st.sampled_from(EXTENSIONS[:4])),
        st.tuples(st.just("call"), st.sampled_from(("c0", "c1", "c2", "c3"))),
        st.tuples(st.just("hang-up"), st.sampled_from(("c0", "c1", "c2", "c3"))),
    ),
    min_size=5,
    max_size=40,
)


def apply(draw: st.DataObject, index: RoutingIndex, world: World, op: tuple[str, str]) -> None:
    kind, name = op
    if kind == "profile":
        world.profiles[name] = draw.draw(profiles(name))
        index.put_profile(world.profiles[name])
    elif kind == "ready" and name in world.profiles:
        world.ready[name] = draw.draw(times)
        index.set_ready(name, world.ready[name])
    elif kind == "not-ready":
        world.ready.pop(name, None)
        index.set_not_ready(name)
    elif kind == "drop":
        world.ready.pop(name, None)
        world.profiles.pop(name, None)
        index.drop_profile(name)
    elif kind == "call":
        world.calls[name] = draw.draw(waiting_calls(name))
        index.add_call(world.calls[name])
    elif kind == "hang-up":
        assert (index.remove_call(name) is None) == (world.calls.pop(name, None) is None)


def layout(index: RoutingIndex) -> dict[tuple[object, ...], list[tuple[float, str]]]:
    seen: dict[tuple[object, ...], list[tuple[float, str]]] = {}
    for language in LANGUAGES:
        seen[("speaking", language)] = list(index.ready_speaking(language))
        for count in range(len(SKILLS) + 1):
            seen[("count", language, count)] = list(index.ready_with_skill_count(language, count))
        for skill in (*SKILLS, NO_SKILL):
            seen[("holders", skill, language)] = sorted(index.holders(skill, language).items())
            seen[("by count", skill, language)] = sorted(
                index.ready_by_count(skill, language).items()
            )
            seen[("at level", skill, language)] = sorted(
                index.ready_at_level(skill, language).items()
            )
            for other in SKILLS:
                seen[("both", skill, other, language)] = list(
                    index.ranked_with_both(skill, other, language)
                )
            for level in range(1, 6):
                for count in range(len(SKILLS) + 1):
                    seen[("bucket", skill, language, level, count)] = list(
                        index.bucket(skill, language, level, count)
                    )
            for vip in (True, False):
                seen[("needing", skill, language, vip)] = list(
                    index.calls_needing(skill, language, vip)
                )
                seen[("calls", language, vip)] = list(index.calls_speaking(language, vip))
    for extension in EXTENSIONS:
        seen[("managed", extension)] = [(0.0, c) for c in sorted(index.calls_managed_by(extension))]
    return seen


@settings(max_examples=200, deadline=None)
@given(operations, st.data(), waiting_calls("probe"), times)
def test_add_and_remove_sequences_keep_the_index_consistent(
    ops: list[tuple[str, str]], data: st.DataObject, probe: WaitingCall, now: float
) -> None:
    index, world = RoutingIndex(), World({}, {}, {}, frozenset(EXTENSIONS))
    for op in ops:
        apply(data, index, world, op)
    rebuilt = world.index()
    assert layout(index) == layout(rebuilt)
    assert dict(index.ready) == world.ready and dict(index.calls) == world.calls
    assert all(entries == sorted(entries) for entries in layout(index).values())
    kwargs = {"now": now, "policy": POLICY, "logged_in": world.logged_in, "waiting": 2}
    assert choose_agent(index, probe, **kwargs) == choose_agent(rebuilt, probe, **kwargs)
