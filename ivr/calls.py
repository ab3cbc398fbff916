"""Serving one IVR call (the FastAGI `ivr` route): who is calling, the menus and flows, and the
hand-off the ACD and the agent's screen will see."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from redis.exceptions import RedisError

from crm_bridge.customer_cache import CustomerLookup
from crm_bridge.repositories import CustomerProfile
from ivr.caller import CallerIO, IvrChannel, Listener
from ivr.decisions import Resumed
from ivr.flows.context import Flow, FlowContext, Services
from ivr.handoff import Handoff
from ivr.handoff_store import HandoffStore
from ivr.menu import MenuTree
from ivr.prompts import PromptStore
from ivr.session import IvrSession
from ivr.speech_input import SpeechInput
from wire import names
from wire.agi import AgiChannel

log = logging.getLogger(__name__)


@dataclass
class IvrCalls:
    tree: MenuTree
    prompts: PromptStore
    customers: CustomerLookup
    services: Services
    flows: Mapping[str, Flow]
    handoffs: HandoffStore
    speech: Mapping[str, SpeechInput] = field(default_factory=dict)  # per call language
    listen_seconds: float = 5.0

    async def serve(self, channel: AgiChannel) -> None:
        linkedid = await channel.get_variable("CHANNEL(linkedid)") or channel.uniqueid
        customer = await self._customer(channel, linkedid)
        base = Handoff(
            "person",
            customer_id=customer.id if customer else None,
            tier=customer.tier if customer else None,
        )
        io = CallerIO(channel, self.tree, self.prompts, linkedid, base)
        io.listeners = {
            language: self._listener(speech, channel, linkedid)
            for language, speech in self.speech.items()
        }
        context = FlowContext(io, channel.caller_number, linkedid, customer, self.services)
        resumed = await self._resumed(channel)
        session = IvrSession(channel, self.tree, self.prompts, context, self.flows, resumed)
        handoff = await session.run()
        try:
            await asyncio.wait_for(self.handoffs.save(linkedid, handoff), 3)
        except (RedisError, OSError, TimeoutError) as exc:
            log.warning("call=%s hand-off not stored in Redis: %s", linkedid, exc)

    def _listener(self, speech: SpeechInput, channel: AgiChannel, linkedid: str) -> Listener:
        async def listen(phrases: Sequence[str]) -> tuple[str, str]:
            heard = await speech.listen(channel, phrases, self.listen_seconds, call=linkedid)
            return heard.kind, heard.text

        return listen

    @staticmethod
    async def _resumed(channel: IvrChannel) -> Resumed | None:
        """A path on the CDR already: this call's IVR ran on a controller that died (the
        dialplan resumes it here); what it kept, else None (a new call)."""
        path = await channel.get_variable(names.CDR_PATH)
        if not path:
            return None
        return Resumed(path, await channel.get_variable(names.CDR_LANGUAGE) or "")

    async def _customer(self, channel: AgiChannel, linkedid: str) -> CustomerProfile | None:
        """The caller's CRM record, and their name on the agents' phones (CALLERID(name))."""
        try:
            customer = await asyncio.wait_for(
                self.customers.by_phone(channel.caller_number), timeout=2
            )
        except Exception:  # noqa: BLE001 - the CRM being down must not hold up the call
            log.warning("call=%s CRM look-up failed; caller shown by number", linkedid)
            return None
        if customer is not None:
            await channel.set_variable("CALLERID(name)", customer.name)
        return customer

    async def unknown_route(self, channel: AgiChannel) -> None:
        await channel.set_variable(names.CDR_PATH, f"unknown-route:{channel.route[:40]}")
