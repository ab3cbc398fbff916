"""The ``spy`` FastAGI route: a supervisor keyed ``*22`` (listen), ``*23`` (whisper) or
``*24`` (barge) and an agent's extension. Parse the channel, call
``Supervision.start_from_phone``, set the variables the ``supervise`` context reads, or say why
not and hang up."""

from __future__ import annotations

import logging
from typing import Literal, Protocol

from acd.supervision.rules import SpyRefused
from acd.supervision.service import Supervision
from crm_bridge.errors import CrmError
from wire import names
from wire.agi import AgiChannel

log = logging.getLogger(__name__)


class Prompts(Protocol):
    async def ensure(self, language: Literal["zh", "en"], text: str) -> str: ...


class SpyFeature:
    def __init__(self, supervision: Supervision, prompts: Prompts) -> None:
        self.supervision = supervision
        self.prompts = prompts

    async def serve(self, channel: AgiChannel) -> None:
        supervisor = await channel.get_variable("CHANNEL(endpoint)") or ""
        agent = await channel.get_variable(names.VAR_SPY_AGENT) or ""
        mode = await channel.get_variable(names.VAR_SPY_MODE) or ""
        try:
            plan = await self.supervision.start_from_phone(
                supervisor, agent, mode, channel.uniqueid
            )
        except (SpyRefused, CrmError) as exc:
            log.info("supervisor=%s agent=%s %s refused: %s", supervisor, agent, mode, exc)
            await channel.set_variable(names.VAR_SPY_NEXT, names.NEXT_HANGUP)
            await self._say(channel, f"Sorry: {exc.code.replace('-', ' ')}.")
            return
        await channel.set_variables({**plan.variables(), names.VAR_SPY_NEXT: names.SPY_NEXT_SPY})

    async def _say(self, channel: AgiChannel, text: str) -> None:
        try:
            prompt = await self.prompts.ensure("en", text)
        except Exception:  # a refusal without words still hangs up
            log.exception("refusal could not be rendered")
            return
        await channel.stream_file(prompt)
