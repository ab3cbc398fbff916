"""Talking with the caller: prompts with barge-in, one-key choices and digit strings with
first-digit and inter-digit timeouts, recordings, and the rules every menu shares: invalid input
or silence -> a spoken reason and a retry -> after the last retry, a person; `*` -> back one
level; `0` -> a person (in a digit string: `0` alone, then `#`)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ivr.handoff import Back, Handoff, ToPerson
from ivr.menu import LANGUAGES, Language, MenuTree, Prompt
from ivr.prompt_errors import PromptError
from ivr.sentences import sentence_pieces
from wire import names

log = logging.getLogger(__name__)

KEYS = "0123456789*#"
PERSON_KEY = "0"
BACK_KEY = "*"
TERMINATOR = "#"


Listener = Callable[[Sequence[str]], Awaitable[tuple[str, str]]]  # -> (kind, text or key)


class IvrChannel(Protocol):
    async def get_data(self, prompt: str, timeout_ms: int, max_digits: int) -> str | None: ...
    async def set_variable(self, name: str, value: str) -> None: ...
    async def get_variable(self, name: str) -> str | None: ...
    async def stream_file(self, prompt: str, escape_digits: str = "") -> str: ...
    async def wait_for_digit(self, timeout_ms: int) -> str: ...
    async def record_file(
        self, path: str, max_ms: int, escape_digits: str = "#", silence_s: int = 0
    ) -> str: ...


class PromptSource(Protocol):
    async def ensure(self, language: Language, text: str) -> str: ...


@dataclass(frozen=True)
class Say:
    """A sentence of the menu file (``texts``), with its placeholders filled."""

    key: str
    values: Mapping[str, str] = field(default_factory=dict)


Part = Say | Prompt
Validator = Callable[[str], "Say | Prompt | None"]  # None when fine, else the reason to say


class CallerIO:
    def __init__(
        self,
        channel: IvrChannel,
        tree: MenuTree,
        prompts: PromptSource,
        linkedid: str,
        base: Handoff,
    ) -> None:
        self._channel = channel
        self._tree = tree
        self._prompts = prompts
        self.linkedid = linkedid
        self.language: Language | None = None
        self.path: list[str] = []
        self.where: str | None = None  # the menu the caller is in, shown at the end of the path
        self.base = base
        self.listeners: Mapping[str, Listener] = {}  # per language, where speech input is on
        self._typeahead = ""  # a key pressed during an announcement, kept for the next question

    @property
    def retries(self) -> int:
        return self._tree.retries

    def has_text(self, key: str) -> bool:
        return key in self._tree.texts

    # ---- what the CDR and the hand-off know --------------------------------------------
    async def mark(self, *steps: str) -> None:
        """Append steps to the IVR path and keep the CDR's copy current."""
        if steps and self.where is not None and self.where not in self._tree.menus:
            self.where = None  # a flow's first step replaces its name as the position
        self.path.extend(steps)
        shown = self.path + ([self.where] if self.where else [])
        await self._channel.set_variable(names.CDR_PATH, ">".join(shown))

    async def set_language(self, language: Language) -> None:
        self.language = language
        self.base = Handoff(**{**self.base.__dict__, "language": language})
        await self._channel.set_variable(names.CDR_LANGUAGE, language)
        await self._channel.set_variable("CHANNEL(language)", language)

    def person(
        self,
        intent: str = "person",
        skills: tuple[str, ...] = (),
        *,
        reason: str = "",
        **facts: str,
    ) -> ToPerson:
        handoff = Handoff(**{**self.base.__dict__, "intent": intent, "skills": skills})
        return ToPerson(handoff.with_facts(**facts), reason)

    # ---- speaking ------------------------------------------------------------------------
    def text(self, part: Part, language: Language) -> str:
        if isinstance(part, Prompt):
            return part.text(language)
        template = self._tree.texts[part.key].text(language)
        return template.format(**part.values)

    def pieces(self, part: Part, language: Language) -> list[str]:
        """The texts played in a row for ``part``: a sentence's numbers, amounts and dates
        as pre-rendered fragments (:mod:`ivr.sentences`), so they need no TTS on the call."""
        if isinstance(part, Prompt):
            return [part.text(language)]
        template = self._tree.texts[part.key].text(language)
        return sentence_pieces(template, part.values, language)

    async def files(self, *parts: Part) -> list[str]:
        """The files to play; a prompt that cannot be rendered (after the store's retries) is
        left out, so the caller hears the rest, then a retry, then a person, never a crash."""
        languages = [self.language] if self.language else list(LANGUAGES)
        texts = [
            (lang, text) for lang in languages for part in parts for text in self.pieces(part, lang)
        ]
        files = [await self._file(lang, text) for lang, text in texts]
        return [file for file in files if file is not None]

    async def _file(self, language: Language, text: str) -> str | None:
        try:
            return await self._prompts.ensure(language, text)
        except PromptError as exc:
            log.error("call=%s prompt left out: %s", self.linkedid, exc)
            return None

    async def play(self, *parts: Part, keys: str = KEYS) -> str:
        """Play with barge-in; returns the key that interrupted, or ""."""
        for file in await self.files(*parts):
            key = await self._channel.stream_file(file, keys)
            if key:
                return key
        return ""

    async def say(self, *parts: Part) -> None:
        """An announcement; a key pressed during it ends it and answers the next question."""
        self._typeahead = self._typeahead or await self.play(*parts)

    # ---- asking -------------------------------------------------------------------------
    async def choose(self, step: str, parts: tuple[Part, ...], keys: str) -> str:
        """One key among ``keys``; `*` raises Back, `0` (unless a choice) raises ToPerson."""
        reason: Say | None = None
        for _ in range(self._tree.retries):
            said = (reason,) if reason else ()
            key = await self.collect([*said, *parts], 1, "")
            if key in keys and key:
                await self.mark(f"{step}:{key}")
                return key
            await self._special(step, key)
            reason = Say("no_input") if not key else Say("invalid")
        await self.mark(f"{step}:retries")
        raise self.person(reason="retries")

    async def number(
        self,
        step: str,
        parts: tuple[Part, ...],
        *,
        max_len: int = 16,
        validate: Validator | None = None,
    ) -> str:
        """A digit string ended by `#` (or the inter-digit timeout)."""
        reason: Part | None = None
        for _ in range(self._tree.retries):
            said = (reason,) if reason else ()
            entry = await self.collect([*said, *parts], max_len, TERMINATOR)
            if BACK_KEY in entry or entry == PERSON_KEY:
                await self._special(step, BACK_KEY if BACK_KEY in entry else PERSON_KEY)
            reason = Say("no_input") if not entry else (validate(entry) if validate else None)
            if reason is None:
                await self.mark(step)
                return entry
            log.info("call=%s %s rejected", self.linkedid, step)
        await self.mark(f"{step}:retries")
        raise self.person(reason="retries")

    async def _special(self, step: str, key: str) -> None:
        if key == BACK_KEY:
            await self.mark(f"{step}:*")
            raise Back()
        if key == PERSON_KEY:
            await self.mark(f"{step}:0")
            raise self.person()

    async def collect(
        self,
        parts: list[Part],
        max_len: int,
        terminator: str,
        spoken: Mapping[str, str] | None = None,
    ) -> str:
        """Keys after the prompts; where ``spoken`` maps phrases to keys and speech input is
        on for the call's language, the caller may say the choice instead (keys still win)."""
        timing = self._tree
        first, self._typeahead = self._typeahead, ""
        first = first or await self.play(*parts)
        listener = self.listeners.get(self.language or "")
        if not first and spoken and listener is not None:
            kind, value = await listener(list(spoken))
            await self.mark(f"speech:{kind}")
            first = value if kind == "dtmf" else spoken.get(value, "") if kind == "speech" else ""
            return first
        if not first:
            first = await self._channel.wait_for_digit(timing.digit_timeout_ms)
        entry = first
        limit = max_len + (1 if terminator else 0)  # the terminator may follow a full entry
        while entry and entry[-1] != terminator and entry[-1] != BACK_KEY:
            if len(entry) >= limit:
                break
            key = await self._channel.wait_for_digit(timing.inter_digit_timeout_ms)
            if not key:
                break
            entry += key
        return entry.rstrip(terminator) if terminator else entry

    async def record(self, path: str, max_seconds: int) -> bool:
        """Record after a beep until `#`, silence or ``max_seconds``; False if nothing came."""
        await self._channel.record_file(path, max_seconds * 1000, TERMINATOR, silence_s=5)
        return True
