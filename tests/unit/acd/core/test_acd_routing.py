"""The ACD's routing rules, with literals: who qualifies, which agent a call gets, which call an
agent gets, the account-manager window, escalation steps, and the index's bookkeeping."""

from __future__ import annotations

import pytest

from acd.core.model import AgentProfile, AgentState, AgentStatus, WaitingCall
from acd.core.routing import (
    INITIAL_STEP,
    AgentChoice,
    CallChoice,
    EscalationStep,
    RoutingPolicy,
    choose_agent,
    choose_call,
    step_in_force,
)
from acd.core.skill_index import RoutingIndex

pytestmark = pytest.mark.unit

POLICY = RoutingPolicy()
EVERYONE = frozenset(f"80{n:02d}" for n in range(100))


def agent(ext: str, skills: dict[str, int], languages: str = "en") -> AgentProfile:
    return AgentProfile(ext, f"agent {ext}", skills, frozenset(languages.split()), "team", 10)


def call(
    call_id: str = "c1",
    skills: tuple[str, ...] = ("claims",),
    *,
    vip: bool = False,
    at: float = 0.0,
    language: str = "en",
    manager: str = "",
    excluded: frozenset[str] = frozenset(),
) -> WaitingCall:
    return WaitingCall(
        call_id, f"PJSIP/carrier-{call_id}", "13800138000", skills, language, vip, at,
        account_manager=manager, excluded=excluded,
    )  # fmt: skip


def index_of(
    *ready: tuple[AgentProfile, float], busy: tuple[AgentProfile, ...] = ()
) -> RoutingIndex:
    index = RoutingIndex()
    for profile in busy:
        index.put_profile(profile)
    for profile, idle_since in ready:
        index.put_profile(profile)
        index.set_ready(profile.extension, idle_since)
    return index


def pick(
    index: RoutingIndex,
    waiting_call: WaitingCall,
    now: float = 0.0,
    waiting: int = 100,
    logged_in: frozenset[str] = EVERYONE,
    policy: RoutingPolicy = POLICY,
) -> str | None:
    choice = choose_agent(
        index, waiting_call, now=now, policy=policy, logged_in=logged_in, waiting=waiting
    )
    return choice.extension


def take(
    index: RoutingIndex, extension: str, now: float, logged_in: frozenset[str] = EVERYONE
) -> str | None:
    return choose_call(index, extension, now=now, policy=POLICY, logged_in=logged_in).call_id


# --- an agent for a call ------------------------------------------------------------------


def test_a_vip_caller_reaches_the_expert_even_when_a_non_expert_has_been_idle_longer():
    index = index_of((agent("8001", {"claims": 4}), 100.0), (agent("8002", {"claims": 2}), 10.0))
    assert pick(index, call(vip=True), now=101.0) == "8001"


def test_a_vip_caller_is_not_offered_to_a_non_expert():
    index = index_of((agent("8002", {"claims": 3}), 10.0))
    assert pick(index, call(vip=True), now=1.0) is None


def test_the_vip_skill_qualifies_at_any_level():
    index = index_of((agent("8003", {"vip": 1}), 10.0))
    assert pick(index, call(vip=True), now=1.0) == "8003"
    assert pick(index, call(vip=False), now=1.0) is None  # not for standard calls


def test_an_intent_that_names_the_vip_skill_needs_the_expert_level_in_it():
    index = index_of((agent("8003", {"vip": 2}), 10.0), (agent("8004", {"vip": 4}), 20.0))
    assert pick(index, call(skills=("vip",), vip=True), now=21.0) == "8004"


def test_an_intent_skill_named_twice_counts_once():
    index = index_of(
        (agent("8001", {"claims": 3, "motor": 1}), 10.0),
        (agent("8002", {"claims": 2, "motor": 3}), 50.0),
    )
    assert pick(index, call(skills=("claims", "claims", "motor"))) == "8002"


def test_a_standard_caller_reaches_the_longest_idle_qualified_agent():
    index = index_of(
        (agent("8001", {"claims": 3}), 50.0),
        (agent("8002", {"claims": 3}), 20.0),
        (agent("8003", {"claims": 3}), 30.0),
    )
    assert pick(index, call()) == "8002"
    assert pick(index, call(), waiting=1) == "8002"  # surplus: equal other-skill counts


def test_a_better_fit_beats_a_longer_idle_agent():
    index = index_of((agent("8001", {"claims": 5}), 50.0), (agent("8002", {"claims": 2}), 10.0))
    assert pick(index, call()) == "8001"


def test_fit_is_the_sum_of_levels_over_the_intent_skills():
    index = index_of(
        (agent("8001", {"claims": 5, "motor": 1}), 10.0),
        (agent("8002", {"claims": 3, "motor": 4}), 50.0),
    )
    assert pick(index, call(skills=("claims", "motor"))) == "8002"


def test_an_agent_needs_every_intent_skill():
    index = index_of((agent("8001", {"claims": 5}), 10.0))
    assert pick(index, call(skills=("claims", "motor"))) is None


def test_the_agent_must_speak_the_callers_language():
    index = index_of(
        (agent("8001", {"claims": 5}, "zh"), 10.0), (agent("8002", {"claims": 1}, "zh en"), 50.0)
    )
    assert pick(index, call(language="en")) == "8002"
    assert pick(index, call(language="zh")) == "8001"
    assert pick(index, call(language="fr")) is None


def test_excluded_agents_never_qualify():
    index = index_of((agent("8001", {"claims": 5}), 10.0), (agent("8002", {"claims": 1}), 50.0))
    assert pick(index, call(excluded=frozenset({"8001"}))) == "8002"
    assert pick(index, call(excluded=frozenset({"8001", "8002"}))) is None


def test_agents_who_are_not_ready_are_never_chosen():
    index = index_of((agent("8002", {"claims": 1}), 50.0), busy=(agent("8001", {"claims": 5}),))
    assert pick(index, call()) == "8002"
    index.set_not_ready("8002")
    assert pick(index, call()) is None


def test_in_surplus_the_agent_with_the_fewest_other_skills_goes_first():
    expert = agent("8001", {"claims": 5, "motor": 5, "life": 5, "health": 4})
    plain = agent("8002", {"claims": 2})
    index = index_of((expert, 10.0), (plain, 50.0))
    assert pick(index, call(), waiting=1) == "8002"  # 2 ready, 1 waiting: keep the expert free
    assert pick(index, call(), waiting=2) == "8001"  # no surplus: best fit


def test_in_surplus_fit_then_idle_break_ties_on_other_skills():
    index = index_of(
        (agent("8001", {"claims": 2, "motor": 1}), 10.0),
        (agent("8002", {"claims": 4, "life": 1}), 50.0),
        (agent("8003", {"claims": 4, "health": 1}), 40.0),
    )
    assert pick(index, call(), waiting=1) == "8003"


def test_for_a_vip_call_the_vip_skill_is_not_an_other_skill():
    index = index_of(
        (agent("8001", {"claims": 4, "vip": 3}), 10.0),
        (agent("8002", {"claims": 4, "life": 1}), 5.0),
    )
    assert pick(index, call(vip=True), now=11.0, waiting=1) == "8001"


# --- the account manager ------------------------------------------------------------------


def test_a_ready_account_manager_gets_the_call_first():
    index = index_of((agent("8001", {"claims": 5}), 1.0), (agent("8009", {"claims": 1}), 90.0))
    choice = choose_agent(
        index,
        call(manager="8009", at=95.0),
        now=100.0,
        policy=POLICY,
        logged_in=EVERYONE,
        waiting=9,
    )
    assert choice == AgentChoice("8009", INITIAL_STEP, account_manager=True)


def test_a_busy_account_manager_is_waited_for_until_the_window_ends():
    index = index_of((agent("8001", {"claims": 5}), 1.0), busy=(agent("8009", {"claims": 1}),))
    held = choose_agent(
        index, call(manager="8009"), now=19.9, policy=POLICY, logged_in=EVERYONE, waiting=9
    )
    assert held == AgentChoice(None, INITIAL_STEP, account_manager=True)
    assert pick(index, call(manager="8009"), now=20.0) == "8001"


def test_a_logged_out_account_manager_is_not_waited_for():
    index = index_of((agent("8001", {"claims": 5}), 1.0), busy=(agent("8009", {"claims": 1}),))
    assert pick(index, call(manager="8009"), now=1.0, logged_in=frozenset({"8001"})) == "8001"


def test_an_account_manager_who_does_not_qualify_is_not_waited_for():
    index = index_of(
        (agent("8001", {"claims": 5}), 1.0), busy=(agent("8009", {"claims": 1}, "zh"),)
    )
    assert pick(index, call(manager="8009"), now=1.0) == "8001"
    index.put_profile(agent("8009", {"claims": 1}))
    assert pick(index, call(manager="8009", excluded=frozenset({"8009"})), now=1.0) == "8001"


def test_after_the_window_a_ready_account_manager_still_comes_first():
    index = index_of((agent("8001", {"claims": 5}), 1.0), (agent("8009", {"claims": 1}), 90.0))
    assert pick(index, call(manager="8009"), now=100.0, waiting=1) == "8009"


# --- escalation steps ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wait", "name"),
    [(0.0, "initial"), (29.9, "initial"), (30.0, "relax-level"), (59.0, "relax-level"),
     (60.0, "any-agent-with-language"), (119.0, "any-agent-with-language"),
     (120.0, "offer-callback"), (9999.0, "offer-callback"), (-5.0, "initial")],
)  # fmt: skip
def test_the_step_in_force_follows_the_wait(wait: float, name: str):
    assert step_in_force(call(at=1000.0), 1000.0 + wait, POLICY).name == name


def test_later_steps_keep_the_relaxations_of_earlier_ones():
    step = step_in_force(call(), 120.0, POLICY)
    assert (step.min_level, step.any_skill_with_language, step.offer_callback) == (1, True, True)
    assert step_in_force(call(), 0.0, POLICY) == INITIAL_STEP


def test_relax_level_lets_a_vip_call_reach_a_level_one_agent_after_30_seconds():
    index = index_of((agent("8002", {"claims": 1}), 10.0))
    assert pick(index, call(vip=True), now=29.0) is None
    choice = choose_agent(
        index, call(vip=True), now=30.0, policy=POLICY, logged_in=EVERYONE, waiting=1
    )
    assert (choice.extension, choice.step.name) == ("8002", "relax-level")


def test_any_agent_with_the_language_qualifies_after_60_seconds():
    index = index_of((agent("8002", {"motor": 1}), 10.0), (agent("8003", {"claims": 5}, "zh"), 1.0))
    assert pick(index, call(), now=59.0) is None
    assert pick(index, call(), now=60.0) == "8002"


def test_at_the_any_agent_step_a_skilled_agent_still_beats_a_longer_idle_one():
    index = index_of((agent("8001", {"motor": 1}), 1.0), (agent("8002", {"claims": 1}), 50.0))
    assert pick(index, call(), now=60.0) == "8002"


def test_at_the_any_agent_step_in_surplus_the_fewest_other_skills_go_first():
    index = index_of(
        (agent("8001", {"motor": 1, "life": 2}), 1.0),
        (agent("8002", {"claims": 1, "life": 1, "health": 1}), 2.0),
        (agent("8003", {"motor": 5}), 3.0),
    )
    assert pick(index, call(), now=60.0, waiting=1) == "8003"


def test_offer_callback_changes_who_qualifies_in_no_way():
    index = index_of((agent("8002", {"motor": 1}), 10.0), (agent("8003", {"claims": 5}, "zh"), 1.0))
    before = choose_agent(index, call(), now=119.0, policy=POLICY, logged_in=EVERYONE, waiting=1)
    after = choose_agent(index, call(), now=120.0, policy=POLICY, logged_in=EVERYONE, waiting=1)
    assert before.extension == after.extension == "8002"
    assert (before.step.offer_callback, after.step.offer_callback) == (False, True)


def test_escalation_steps_are_configuration():
    policy = RoutingPolicy(vip_min_level=5, steps=(EscalationStep(10.0, "soon", min_level=2),))
    index = index_of((agent("8001", {"claims": 2}), 1.0))
    assert pick(index, call(vip=True), now=9.0, policy=policy) is None
    assert pick(index, call(vip=True), now=10.0, policy=policy) == "8001"
    assert pick(index, call(vip=True), now=1e6, policy=RoutingPolicy(steps=())) is None


def test_steps_out_of_order_are_refused():
    with pytest.raises(ValueError, match="ascending"):
        RoutingPolicy(steps=(EscalationStep(60, "b"), EscalationStep(30, "a")))


# --- a call for an agent ------------------------------------------------------------------


def test_an_agent_who_becomes_ready_takes_the_vip_call_first():
    index = index_of((agent("8001", {"claims": 5}), 0.0))
    index.add_call(call("std", at=0.0))
    index.add_call(call("vip", at=10.0, vip=True))
    assert take(index, "8001", now=20.0) == "vip"


def test_ageing_lets_an_old_standard_call_overtake_a_vip_call():
    index = index_of((agent("8001", {"claims": 5}), 0.0))
    index.add_call(call("std", at=0.0))
    index.add_call(call("vip", at=61.0, vip=True))
    assert take(index, "8001", now=62.0) == "std"
    index.remove_call("std")
    index.add_call(call("std", at=1.0))  # a tie on virtual time: the older call wins
    assert take(index, "8001", now=62.0) == "std"


def test_an_agent_takes_only_calls_it_qualifies_for():
    index = index_of((agent("8001", {"claims": 2}), 0.0))
    index.add_call(call("vip", at=0.0, vip=True))
    index.add_call(call("zh", at=0.0, language="zh"))
    index.add_call(call("motor", ("motor",), at=0.0))
    index.add_call(call("no", at=0.0, excluded=frozenset({"8001"})))
    index.add_call(call("std", at=5.0))
    assert take(index, "8001", now=10.0) == "std"
    index.remove_call("std")
    assert take(index, "8001", now=10.0) is None
    assert take(index, "8001", now=30.0) == "vip"  # relax-level: a level 1 agent will do


def test_an_escalated_call_is_taken_by_any_agent_with_the_language():
    index = index_of((agent("8001", {"life": 1}), 0.0))
    index.add_call(call("c1", at=0.0))
    assert take(index, "8001", now=59.0) is None
    choice = choose_call(index, "8001", now=60.0, policy=POLICY, logged_in=EVERYONE)
    assert choice == CallChoice("c1", step_in_force(call(), 60.0, POLICY))


def test_a_call_waiting_for_another_account_manager_is_skipped_inside_the_window():
    index = index_of((agent("8001", {"claims": 5}), 0.0), busy=(agent("8009", {"claims": 1}),))
    index.add_call(call("am", at=0.0, manager="8009"))
    index.add_call(call("std", at=5.0))
    assert take(index, "8001", now=10.0) == "std"
    assert take(index, "8001", now=10.0, logged_in=frozenset({"8001"})) == "am"  # AM logged out
    assert take(index, "8001", now=20.0) == "am"  # the window is over


def test_an_account_manager_takes_their_own_customers_call_first():
    index = index_of((agent("8009", {"claims": 1}), 0.0))
    index.add_call(call("vip", at=0.0, vip=True, skills=()))
    index.add_call(call("mine", at=50.0, manager="8009"))
    choice = choose_call(index, "8009", now=60.0, policy=POLICY, logged_in=EVERYONE)
    assert (choice.call_id, choice.account_manager) == ("mine", True)


def test_no_call_or_an_unknown_agent_gives_no_call():
    index = index_of((agent("8001", {"claims": 5}), 0.0))
    assert take(index, "8001", now=1.0) is None
    index.add_call(call())
    assert take(index, "8999", now=1.0) is None


# --- the index ----------------------------------------------------------------------------


def test_the_index_follows_agent_states_and_profile_changes():
    index = index_of(busy=(agent("8001", {"claims": 3}, "en zh"),))
    index.apply_status(AgentStatus("8001", AgentState.READY, idle_since=5.0))
    assert list(index.bucket("claims", "zh", 3, 1)) == [(5.0, "8001")]
    index.put_profile(agent("8001", {"motor": 2}))
    assert not index.bucket("claims", "zh", 3, 1) and index.bucket("motor", "en", 2, 1)
    index.apply_status(AgentStatus("8001", AgentState.ON_CALL))
    assert not index.ready_speaking("en") and not index.ready
    index.set_ready("8999", 1.0)  # unknown agents are ignored
    assert not index.ready


def test_the_index_replaces_and_removes_calls():
    index = RoutingIndex()
    index.add_call(call("c1", at=5.0, manager="8009"))
    index.add_call(call("c1", ("motor",), at=5.0, vip=True))
    assert not index.calls_needing("claims", "en", False)
    assert list(index.calls_needing("motor", "en", True)) == [(5.0, "c1")]
    assert not index.calls_managed_by("8009")
    assert index.remove_call("c1") is not None and index.remove_call("c1") is None
    assert not index.calls_speaking("en", True) and not index.calls
