"""Issue 12, finding 2: a caller whose controller dies mid-IVR is resumed by another one at the
main menu, in the language already chosen, with the resume on the CDR path."""

from __future__ import annotations

import pytest

from ivr.calls import IvrCalls
from ivr.decisions import RESUMED, Resumed, SessionState, resume, start
from ivr.flows.registry import FLOWS
from ivr.menu import load_menu_tree
from ivr.session import IvrSession
from tests.unit.fakes import FakeChannel, FakeCrm, FakePrompts, flow_context
from wire import names

pytestmark = pytest.mark.unit

TREE = load_menu_tree()


def test_a_chosen_language_resumes_at_the_menu_it_led_to_in_that_language() -> None:
    state, steps = resume(TREE, Resumed("language:2>main:2>quote:product", "en"))
    assert state == SessionState(menu="main", language="en")
    assert steps == ("language:2", "main:2", "quote:product", RESUMED)
    assert resume(TREE, Resumed("language:1>main", "zh"))[0] == SessionState("main", "zh")


def test_no_language_yet_resumes_at_the_start() -> None:
    state, steps = resume(TREE, Resumed("language", ""))
    assert state == start(TREE) and steps == ("language", RESUMED)


def test_a_language_the_menus_do_not_know_is_not_trusted() -> None:
    state, steps = resume(TREE, Resumed("language:9>main", "fr"))
    assert state == start(TREE) and state.language is None
    assert steps == ("language:9", "main", RESUMED)


async def test_a_resumed_session_skips_the_language_menu_and_notes_the_resume() -> None:
    ctx, channel = flow_context("0", FakeCrm())
    ctx.io.language = None
    resumed = Resumed("language:2>main:3>premium:confirm", "en")
    session = IvrSession(channel, TREE, FakePrompts(), ctx, FLOWS, resumed)
    handoff = await session.run()
    path = channel.variables[names.CDR_PATH]
    assert path == "language:2>main:3>premium:confirm>resume>main:0>person"
    assert channel.played[0] == f"en:{TREE.menus['main'].prompt.en}"  # no language menu
    assert handoff.language == "en" and channel.variables[names.CDR_LANGUAGE] == "en"


async def test_a_new_session_still_starts_with_the_language_menu() -> None:
    ctx, channel = flow_context("20", FakeCrm())
    ctx.io.language = None
    handoff = await IvrSession(channel, TREE, FakePrompts(), ctx, FLOWS).run()
    assert channel.variables[names.CDR_PATH] == "language:2>main:0>person"
    assert handoff.language == "en"


async def test_the_ivr_route_resumes_only_a_call_whose_cdr_has_a_path_already() -> None:
    fresh = FakeChannel(variables={names.CDR_DID: "4008001000"})
    assert await IvrCalls._resumed(fresh) is None
    lost = FakeChannel(variables={names.CDR_PATH: "language:1>main", names.CDR_LANGUAGE: "zh"})
    assert await IvrCalls._resumed(lost) == Resumed("language:1>main", "zh")
    early = FakeChannel(variables={names.CDR_PATH: "language"})
    assert await IvrCalls._resumed(early) == Resumed("language", "")
