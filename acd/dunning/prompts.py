"""The dunning calls' prompts: the IVR's prompt store (TTS, cached by text), asked again when a
rendering fails, and the fixed sentences rendered before the first call.

pyttsx3's espeak driver now and then drops one rendering right after another ("espeak-ng
produced no audio"); a second try renders it. A customer must never hear a crash, and a dunning
call that cannot say its first sentence is an attempt wasted."""

from __future__ import annotations

import logging
from typing import Literal

from acd.dunning.core import messages
from ivr.prompts import PromptError, PromptStore

log = logging.getLogger(__name__)

Language = Literal["zh", "en"]
TRIES = 3
FIXED = (messages.INTRO, messages.WRONG_NUMBER, messages.SORRY, messages.MACHINE)


class SteadyPrompts:
    def __init__(self, store: PromptStore, tries: int = TRIES) -> None:
        self.store = store
        self.tries = tries

    async def ensure(self, language: Language, text: str) -> str:
        """The prompt's name for Asterisk, rendered if needed (up to ``tries`` times)."""
        for attempt in range(1, self.tries + 1):
            try:
                return await self.store.ensure(language, text)
            except PromptError as exc:
                if attempt == self.tries:
                    raise
                log.warning("prompt %r failed (%s); rendering it again", text[:40], exc)
        raise AssertionError("unreachable")

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
