"""The FastAGI route `dunning`: an agentless dunning call that a person answered hears the IVR's
premium-due / payment flow for the attempt's policy (``ivr.flows.premium.offer_policies``), in
the customer's language, after a short opening (1 = go on, 9 = wrong number) and once whoever
answered has proved to be the customer (birth date or the identity number's last four, as
inbound; someone else may answer the customer's phone). What it comes to
is the attempt's disposition, written here at once (the first disposition wins): a promise
made on this call -> promised (date, amount); "pay" -> paid (transferred to a collections agent
to pay), "dispute" -> disputed (idem); wrong number; otherwise refused. A hang-up in the middle
leaves the disposition to the dialer (which keeps a promise already made). A customer who
answered is never hung up on because something failed: a prompt that cannot be rendered is left
out (the question is asked again, then a person), and a flow that fails (the CRM) hands the call
to a collections agent, counted as reached."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, cast

from redis.exceptions import RedisError

from acd.dunning.core import messages
from acd.dunning.core.attempts import Finish, Why, from_flow
from acd.dunning.facts import CampaignFacts
from acd.dunning.prompts import SteadyPrompts
from acd.dunning.repository import CampaignRepository, StoredAttempt
from crm_bridge.vocab import Disposition
from ivr.caller import CallerIO
from ivr.flows.context import FlowContext, Services
from ivr.flows.holder import confirm_holder
from ivr.flows.premium import offer_policies
from ivr.handoff import Handoff
from ivr.handoff import ToPerson as ToPersonSignal
from ivr.handoff_store import HandoffStore
from ivr.menu import MenuTree
from wire import names
from wire.agi import AgiChannel, AgiHangup

log = logging.getLogger(__name__)

Language = Literal["zh", "en"]


@dataclass
class DunningCalls:
    tree: MenuTree
    prompts: SteadyPrompts
    services: Services
    campaigns: CampaignRepository
    facts: CampaignFacts
    handoffs: HandoffStore
    clock: Callable[[], datetime]

    async def serve(self, channel: AgiChannel) -> None:
        linkedid = await channel.get_variable("CHANNEL(linkedid)") or channel.uniqueid
        attempt_id = await channel.get_variable(names.VAR_DUNNING_ATTEMPT) or ""
        attempt = await self.campaigns.attempt(attempt_id)
        await channel.set_variable(names.VAR_NEXT, names.NEXT_HANGUP)
        if attempt is None:
            log.warning("call=%s no dunning attempt %r: hanging up", linkedid, attempt_id)
            return
        language = _language(await channel.get_variable(names.VAR_DUNNING_LANGUAGE))
        io = CallerIO(
            channel,
            self.tree,
            self.prompts,
            linkedid,
            Handoff("person", customer_id=attempt.customer_id),
        )
        await io.set_language(language)
        await io.mark("dunning")
        try:
            finish, handoff = await self._converse(io, attempt, linkedid)
        except AgiHangup:
            promise = await self.facts.promise_made_on(linkedid, attempt.policy_id)
            if promise is not None:
                await self._finish(attempt, from_flow(None, True), linkedid)
            raise
        except Exception as exc:  # the CRM or a prompt failed: a person takes over, no hang-up
            log.exception("call=%s attempt=%s payment flow failed", linkedid, attempt.attempt_id)
            finish, handoff = await self._rescue(io, attempt, linkedid, exc)
        await self._finish(attempt, finish, linkedid)
        if handoff is not None:
            await self._hand_off(channel, io, handoff, linkedid)

    async def _converse(
        self, io: CallerIO, attempt: StoredAttempt, linkedid: str
    ) -> tuple[Finish, Handoff | None]:
        handoff: Handoff | None = None
        try:
            key = await io.choose("dunning:confirm", (messages.INTRO,), "19")
            if key == "9":
                await io.say(messages.WRONG_NUMBER)
                return from_flow(None, False, wrong_number=True), None
            policy = await self.facts.policy_due(attempt.policy_id)
            if policy is None:
                return from_flow(None, False), None
            context = FlowContext(io, attempt.number, linkedid, None, self.services)
            holder = await confirm_holder(context, attempt.customer_id)
            await offer_policies(context, holder, [policy], channel="outbound")
        except ToPersonSignal as signal:  # 0, or the retries of any question, the intro's too
            handoff = signal.handoff
        promised = await self.facts.promise_made_on(linkedid, attempt.policy_id) is not None
        return from_flow(handoff.intent if handoff else None, promised), handoff

    async def _rescue(
        self, io: CallerIO, attempt: StoredAttempt, linkedid: str, exc: Exception
    ) -> tuple[Finish, Handoff]:
        """The payment flow failed with a customer on the line: a collections agent takes the
        call (reached, not failed); a promise already made on the call still counts."""
        try:
            promised = await self.facts.promise_made_on(linkedid, attempt.policy_id) is not None
        except Exception:  # noqa: BLE001 - the CRM may be what failed; the call goes on
            promised = False
        handoff = io.person("person", ("collections",), reason="flow-failed").handoff
        if promised:
            return from_flow("person", True), handoff
        reason = f"the payment flow failed ({type(exc).__name__}): transferred to collections"
        return Finish(Disposition.REFUSED, reason, Why.FLOW_FAILED), handoff

    async def _finish(self, attempt: StoredAttempt, finish: Finish, linkedid: str) -> None:
        promise = None
        if finish.disposition is Disposition.PROMISED:
            promise = await self.facts.promise_made_on(linkedid, attempt.policy_id)
        written = await self.campaigns.finish(
            attempt.attempt_id,
            finish.disposition,
            self.clock(),
            finish.reason,
            promise,
            why=finish.why,
            params=finish.params,
        )
        log.info(
            "call=%s attempt=%s %s: %s%s",
            linkedid,
            attempt.attempt_id,
            finish.disposition,
            finish.reason,
            "" if written else " (a disposition was recorded already)",
        )

    async def _hand_off(
        self, channel: AgiChannel, io: CallerIO, handoff: Handoff, linkedid: str
    ) -> None:
        """To a collections agent through the ACD, with what the customer already chose."""
        await io.mark("person")
        await channel.set_variables(
            {
                names.VAR_INTENT: handoff.intent,
                names.VAR_SKILLS: ",".join(handoff.skills),
                names.VAR_HANDOFF: handoff.to_json(),
                names.VAR_NEXT: names.NEXT_PERSON,
            }
        )
        try:
            await asyncio.wait_for(self.handoffs.save(linkedid, handoff), 3)
        except (RedisError, OSError, TimeoutError) as exc:
            log.warning("call=%s hand-off not stored in Redis: %s", linkedid, exc)
        await io.play(self.tree.prompts.to_person, keys="")


def _language(value: str | None) -> Language:
    return cast(Language, value) if value in ("zh", "en") else "zh"
