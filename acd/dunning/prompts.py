"""The dunning calls' prompts: the IVR's prompt store (TTS, cached by text, every rendering
retried with backoff by the store itself), and the fixed sentences rendered before the first
call.

A customer must never hear a crash, and a dunning call that cannot say its first sentence is
an attempt wasted: a fixed sentence that still fails at start-up is logged and rendered on
first use; on the call, :class:`ivr.caller.CallerIO` leaves out a prompt that cannot be
rendered (the question is asked again, then a person)."""

from __future__ import annotations

import logging
from typing import Literal

from acd.dunning.core import messages
from ivr.prompts import PromptError, PromptStore

log = logging.getLogger(__name__)

Language = Literal["zh", "en"]
FIXED = (messages.INTRO, messages.WRONG_NUMBER, messages.SORRY, messages.MACHINE)


class SteadyPrompts:
    def __init__(self, store: PromptStore) -> None:
        self.store = store

    async def ensure(self, language: Language, text: str) -> str:
        """The prompt's name for Asterisk, rendered if needed; PromptError after the store's
        retries."""
        return await self.store.ensure(language, text)

    async def warm(self) -> int:
        """Render the fixed sentences of dunning calls in both languages; how many are ready."""
        ready = 0
        for prompt in FIXED:
            for language in ("zh", "en"):
                try:
                    await self.ensure(language, prompt.text(language))
                    ready += 1
                except PromptError:
                    log.exception("dunning prompt not rendered: %s", prompt.text(language)[:40])
        return ready
