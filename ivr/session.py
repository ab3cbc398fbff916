"""One caller's walk through the menu tree and its self-service flows. Menu decisions come from
:mod:`ivr.decisions`; flows live in :mod:`ivr.flows`; this module only runs them and hands the
caller over to a person with what we learnt."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Mapping

from ivr.caller import CallerIO, IvrChannel, PromptSource, Say
from ivr.decisions import (
    Ask,
    Resumed,
    RunFlow,
    SessionState,
    ToPerson,
    decide,
    resume,
    start,
)
from ivr.flows.context import Flow, FlowContext
from ivr.handoff import Back, Handoff
from ivr.handoff import ToPerson as ToPersonSignal
from ivr.menu import MenuTree
from wire import names

log = logging.getLogger(__name__)


class IvrSession:
    def __init__(
        self,
        channel: IvrChannel,
        tree: MenuTree,
        prompts: PromptSource,
        context: FlowContext,
        flows: Mapping[str, Flow],
        resumed: Resumed | None = None,
    ) -> None:
        """``resumed``: the session's controller died mid-call and this one goes on."""
        self._channel = channel
        self._resumed = resumed
        self._tree = tree
        self._prompts = prompts
        self._context = context
        self._flows = flows

    async def run(self) -> Handoff:
        """Walk the menus; returns the hand-off once the caller is to reach a person. A hang-up
        raises AgiHangup from the channel, with the path so far already on the CDR."""
        io = self._context.io
        try:
            await self._menus(io)
        except ToPersonSignal as signal:
            handoff = signal.handoff
        await self._hand_off(io, handoff)
        return handoff

    async def _menus(self, io: CallerIO) -> None:
        state = await self._first_state(io)
        step: Ask | ToPerson | RunFlow = Ask()
        io.where = state.menu
        await io.mark()
        while True:
            if isinstance(step, RunFlow):
                await self._run_flow(io, step.flow)
                step = Ask()
                continue
            if isinstance(step, ToPerson):
                raise io.person(intent=step.service or "person")
            key = await self._ask(io, state, step.reason)
            previous = state
            state, step = decide(self._tree, state, key)
            await self._follow(io, previous, state)

    async def _first_state(self, io: CallerIO) -> SessionState:
        if self._resumed is None:
            return start(self._tree)
        state, steps = resume(self._tree, self._resumed)
        io.path = list(steps)
        if state.language:
            await io.set_language(state.language)
        log.warning(
            "call=%s ivr resumed at %s (language %s) after its controller was lost",
            io.linkedid,
            state.menu,
            state.language or "not chosen",
        )
        return state

    async def _follow(self, io: CallerIO, previous: SessionState, state: SessionState) -> None:
        if state.language and state.language != io.language:
            await io.set_language(state.language)
        io.where = state.menu
        await io.mark(*state.path[len(previous.path) :])
        log.info("call=%s ivr %s -> %s", io.linkedid, previous.menu, state.menu)

    async def _ask(self, io: CallerIO, state: SessionState, reason: str | None) -> str:
        said = [Say(reason)] if reason else []
        menu = self._tree.menus[state.menu]
        spoken = menu.speech.get(io.language) if io.language else None
        return await io.collect([*said, menu.prompt], 1, "", spoken)

    async def _run_flow(self, io: CallerIO, name: str) -> None:
        flow = self._flows.get(name)
        if flow is None:
            raise io.person(intent=name, reason="no such flow")
        where, io.where = io.where, name  # until the flow records its own steps
        await io.mark()
        with contextlib.suppress(Back):
            await flow(self._context)
        io.where = where
        await io.mark()

    async def _hand_off(self, io: CallerIO, handoff: Handoff) -> None:
        io.where = None
        await io.mark("person")
        channel = self._channel
        await channel.set_variable(names.VAR_INTENT, handoff.intent)
        await channel.set_variable(names.VAR_SKILLS, ",".join(handoff.skills))
        await channel.set_variable(names.VAR_HANDOFF, handoff.to_json())
        await channel.set_variable(names.VAR_NEXT, names.NEXT_PERSON)
        log.info(
            "call=%s hand-off intent=%s skills=%s",
            io.linkedid,
            handoff.intent,
            ",".join(handoff.skills) or "-",
        )
        await io.play(self._tree.prompts.to_person, keys="")
