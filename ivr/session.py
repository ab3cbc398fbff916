"""One caller's walk through the menu tree, over a typed channel API. Decisions come from
:mod:`ivr.decisions`; this module only plays, collects and records."""

from __future__ import annotations

import logging
from typing import Protocol

from ivr.decisions import Ask, SessionState, ToPerson, decide, path_text, start
from ivr.menu import LANGUAGES, MenuTree, Prompt
from ivr.prompts import PromptStore
from ivr_acd import names

log = logging.getLogger(__name__)

KEYS = "0123456789*#"


class IvrChannel(Protocol):
    async def get_data(self, prompt: str, timeout_ms: int, max_digits: int) -> str | None: ...
    async def set_variable(self, name: str, value: str) -> None: ...
    async def get_variable(self, name: str) -> str | None: ...
    async def stream_file(self, prompt: str, escape_digits: str = "") -> str: ...


class IvrSession:
    def __init__(self, channel: IvrChannel, tree: MenuTree, prompts: PromptStore) -> None:
        self._channel = channel
        self._tree = tree
        self._prompts = prompts
        self.linkedid = ""

    async def run(self) -> SessionState:
        self.linkedid = await self._channel.get_variable("CHANNEL(linkedid)") or ""
        state = start(self._tree)
        step: Ask | ToPerson = Ask()
        while isinstance(step, Ask):
            await self._record(state, pending=True)
            key = await self._ask(state, step.reason)
            previous = state
            state, step = decide(self._tree, state, key)
            log.info(
                "call=%s ivr %s key=%s -> %s",
                self.linkedid,
                previous.menu,
                key or "-",
                "person" if isinstance(step, ToPerson) else state.menu,
            )
        await self._to_person(state)
        return state

    async def _ask(self, state: SessionState, reason: str | None) -> str | None:
        files: list[str] = []
        if reason is not None:
            files += await self._render(getattr(self._tree.prompts, reason), state)
        files += await self._render(self._tree.menus[state.menu].prompt, state)
        for file in files[:-1]:  # every prompt can be interrupted by a key
            key = await self._channel.stream_file(file, KEYS)
            if key:
                return key
        return await self._channel.get_data(files[-1], self._tree.digit_timeout_ms, 1)

    async def _render(self, prompt: Prompt, state: SessionState) -> list[str]:
        languages = [state.language] if state.language else list(LANGUAGES)
        return [await self._prompts.ensure(lang, prompt.text(lang)) for lang in languages]

    async def _record(self, state: SessionState, *, pending: bool, outcome: str = "") -> None:
        """Keep the CDR's path current, so a hang-up at any point still records it."""
        text = path_text(state, outcome or (state.menu if pending else None))
        await self._channel.set_variable(names.CDR_PATH, text)
        if state.language:
            await self._channel.set_variable(names.CDR_LANGUAGE, state.language)
            await self._channel.set_variable("CHANNEL(language)", state.language)

    async def _to_person(self, state: SessionState) -> None:
        await self._record(state, pending=False, outcome="person")
        await self._channel.set_variable(names.VAR_NEXT, names.NEXT_PERSON)
        for file in await self._render(self._tree.prompts.to_person, state):
            await self._channel.stream_file(file)
