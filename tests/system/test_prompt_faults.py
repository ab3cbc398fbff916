"""Issue 12, finding 4, through the real sandbox: a prompt renderer (the real espeak-ng) that
produces no audio on its first two tries for the first prompt a caller hears. The caller still
hears the prompt, keys through the menus and reaches the hand-off; before, the PromptError
ended the IVR (the dialplan's fallback, no language, no menu)."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ivr.caller import CallerIO
from ivr.flows.context import FlowContext
from ivr.handoff import Handoff
from ivr.menu import Language, load_menu_tree
from ivr.prompts import PromptStore, RenderRetry
from ivr.session import IvrSession
from ivr_acd.wiring.agi import agi_guard, dialplan_agi_targets
from tests.system.conftest import Stack, _free_port, eventually
from wire import names
from wire.agi import AgiChannel, FastAgiServer

pytestmark = pytest.mark.system

TREE = load_menu_tree()
FIRST = TREE.menus[TREE.start].prompt.text("zh")  # the language menu, said in Mandarin first


@dataclass
class FlakyIvr:
    """The IVR route, served by the test with the real menus and a prompt store of its own (a
    fresh folder in the sandbox's sounds) whose espeak-ng step fails the first prompt twice."""

    store: PromptStore
    tries: dict[str, int] = field(default_factory=dict)
    handoffs: list[Handoff] = field(default_factory=list)

    def speak(self, language: Language, text: str, path: Path) -> None:
        self.tries[text] = self.tries.get(text, 0) + 1
        if text == FIRST and self.tries[text] <= 2:
            return  # no audio, as espeak-ng now and then
        self.store._espeak(language, text, path)

    async def serve(self, channel: AgiChannel) -> None:
        io = CallerIO(channel, TREE, self.store, channel.uniqueid, Handoff("person"))
        context = FlowContext(io, channel.caller_number, channel.uniqueid, None, None)  # type: ignore[arg-type]
        handoff = await IvrSession(channel, TREE, self.store, context, {}).run()
        self.handoffs.append(handoff)
        await channel.set_variable(names.VAR_NEXT, names.NEXT_HANGUP)


@pytest.fixture
async def flaky_ivr(stack: Stack) -> AsyncIterator[FlakyIvr]:
    folder = f"flaky-{uuid.uuid4().hex[:8]}"
    paths = stack.settings.paths
    retry = RenderRetry(attempts=4, first_wait=0.05, max_wait=0.2)
    store = PromptStore(
        paths.prompts_host / folder, f"{paths.prompts_asterisk}/{folder}", retry=retry
    )
    ivr = FlakyIvr(store)
    store._speak = ivr.speak
    port = _free_port()
    guard = agi_guard(stack.settings)
    route = {names.AGI_ROUTE_IVR: ivr.serve}
    server = FastAgiServer("127.0.0.1", port, route, ivr.serve, guard)
    await server.start()
    await stack.ami.action(
        "Setvar", Variable="AGI_TARGETS", Value=f"127.0.0.1:{port}/{guard.secret}"
    )
    await stack.ami.action("Setvar", Variable="AGI_TARGET_COUNT", Value="1")
    try:
        yield ivr
    finally:
        ours = "&".join(dialplan_agi_targets(stack.settings))
        await stack.ami.action("Setvar", Variable="AGI_TARGETS", Value=ours)
        await stack.ami.action("Setvar", Variable="AGI_TARGET_COUNT", Value="1")
        await server.stop_accepting()
        await server.drain(1)
        store.close()


async def test_a_renderer_that_fails_twice_still_greets_the_caller_and_the_call_goes_on(
    stack: Stack, flaky_ivr: FlakyIvr, tmp_path: Path
) -> None:
    caller, call = await stack.dial("13800138000")
    await call.record(tmp_path / "caller-hears.wav")
    await asyncio.sleep(3.0)  # the greeting, rendered on its third try, is playing
    greeted = await call.stats()
    await call.dtmf("2")
    await asyncio.sleep(1.5)
    await call.dtmf("0")

    async def handed_off() -> bool:
        return bool(flaky_ivr.handoffs)

    await eventually(handed_off, 15, "the IVR session to reach the hand-off")
    with contextlib.suppress(Exception):
        await call.hangup()
    await caller.close()
    assert flaky_ivr.tries[FIRST] == 3
    assert greeted.rms > 300, "the caller hears the greeting"
    assert flaky_ivr.handoffs[0].language == "en"
