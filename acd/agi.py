"""The ACD's FastAGI routes: parse the channel, call one use case of ``acd.service.Acd``, set
the channel variables the dialplan reads, say what the caller or agent needs to hear."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, replace
from typing import Literal, cast

from acd.config import AcdSettings
from acd.core.agent_states import AgentStateError
from acd.core.model import AgentStatus, WaitingCall
from acd.core.queue_experience import (
    announcement_pieces,
    blacklist_message,
    callback_confirmation,
    callback_refused,
)
from acd.core.requirements import Admission, CallerFacts, admit
from acd.live.codec import call_from_token, call_to_token
from acd.service import Acd, Joined
from crm_bridge import numbering
from crm_bridge.customer_cache import CustomerLookup
from ivr.handoff import Handoff
from ivr.prompts import PromptStore
from wire import names
from wire.agi import AgiChannel
from wire.commands import CallControl, CallerId, Originate, Redirect, dial_number, set_vars
from wire.errors import AmiError

log = logging.getLogger(__name__)

Language = Literal["zh", "en"]


def cdr_routing_vars(call: WaitingCall, step: str, now: float) -> dict[str, str]:
    """What the CDR keeps of the routing, set on the caller's channel at each delivery."""
    return {
        names.CDR_ACD_QUEUE: call.queue,
        names.CDR_ACD_VIP: "1" if call.vip else "0",
        names.CDR_ACD_STEP: step,
        names.CDR_ACD_WAIT: str(max(0, round(now - call.enqueued_at))),
    }


@dataclass
class AcdCalls:
    acd: Acd
    customers: CustomerLookup
    prompts: PromptStore
    settings: AcdSettings

    # ---- acd-enqueue ---------------------------------------------------------------------
    async def enqueue(self, channel: AgiChannel) -> None:
        # the dialplan passes linkedid, the agent just rung and DIALSTATUS as arguments
        linkedid = channel.arg(1) or channel.uniqueid
        rang = channel.arg(2)
        dial_status = channel.arg(3) if rang else ""
        admission, language = await self._admit(channel, linkedid)
        if admission.call is None:
            log.info("call=%s caller=%s blacklisted: turned away", linkedid, channel.caller_number)
            await channel.set_variable(names.CDR_ACD_BLACKLISTED, "1")
            await self._say(channel, language, blacklist_message(language))
            await channel.set_variable(names.VAR_ACD_NEXT, names.NEXT_HANGUP)
            return
        joined = await self.acd.join(admission.call, rang=rang, dial_status=dial_status)
        await self._place_caller(channel, joined, language, blacklisted=admission.blacklisted)

    async def _admit(self, channel: AgiChannel, linkedid: str) -> tuple[Admission, Language]:
        facts = asyncio.ensure_future(self._facts(channel.caller_number, linkedid))
        handoff = await _handoff(channel)  # meanwhile the CRM answers
        admission = admit(
            call_id=linkedid,
            channel=channel.channel,
            caller_number=channel.caller_number,
            handoff=handoff,
            facts=await facts,
            now=time.time(),
            default_skill=self.settings.default_skill,
            blacklist_policy=self.settings.blacklist_policy.value,
        )
        return admission, _language(handoff.language)

    async def _place_caller(
        self, channel: AgiChannel, joined: Joined, language: Language, *, blacklisted: bool = False
    ) -> None:
        """Tell the dialplan: ring the agent now, or wait (hearing the place in line). The call
        as admitted stays on the channel (``VAR_ACD_CALL``) to rebuild the line from."""
        variables = {
            **cdr_routing_vars(joined.call, joined.step, time.time()),
            names.VAR_ACD_AGENT: joined.agent,
            names.VAR_ACD_NEXT: names.ACD_DELIVER if joined.agent else names.ACD_WAIT,
            names.VAR_ACD_CALL: call_to_token(joined.call),
        }
        if blacklisted:
            variables[names.CDR_ACD_BLACKLISTED] = "1"
        await channel.set_variables(variables)
        if joined.agent:
            return
        pieces = announcement_pieces(
            joined.position, joined.ewt_seconds, language, callback=joined.offer_callback
        )
        log.info(
            "call=%s queue=%s waits: position=%d ewt=%.0fs",
            joined.call.call_id,
            joined.call.queue,
            joined.position,
            joined.ewt_seconds,
        )
        if await self._say(channel, language, *pieces, keys="1") == "1":
            await self._callback(channel, joined.call.call_id, language)

    # ---- acd-announce --------------------------------------------------------------------
    async def announce(self, channel: AgiChannel) -> None:
        linkedid = await channel.get_variable("CHANNEL(linkedid)") or channel.uniqueid
        language = _language((await _handoff(channel)).language)
        await channel.set_variable(names.VAR_ACD_NEXT, names.ACD_WAIT)
        place = self.acd.place(linkedid)
        if place.position == 0:
            if await self.acd.queued_call(linkedid) is None:
                await self._rejoin(channel, linkedid, language)
            return  # else being delivered this very moment
        pieces = announcement_pieces(
            place.position, place.ewt_seconds, language, callback=place.offer_callback
        )
        log.info("call=%s position=%d ewt=%.0fs", linkedid, place.position, place.ewt_seconds)
        if await self._say(channel, language, *pieces, keys="1") == "1":
            await self._callback(channel, linkedid, language)

    async def _rejoin(self, channel: AgiChannel, linkedid: str, language: Language) -> None:
        """A caller in music on hold whom the line does not know (Redis lost it): back in line
        as admitted at enqueue (the channel's token); without one, admitted again now."""
        call = call_from_token(await channel.get_variable(names.VAR_ACD_CALL) or "")
        if call is None or call.call_id != linkedid:
            call = (await self._admit(channel, linkedid))[0].call
            if call is None:  # blacklisted and turned away since: the line is no place
                return
        log.warning("call=%s waited unknown to the ACD: back in line", linkedid)
        joined = await self.acd.rejoin(replace(call, channel=channel.channel, reserved_by=""))
        await self._place_caller(channel, joined, language)

    # ---- acd-callback --------------------------------------------------------------------
    async def callback(self, channel: AgiChannel) -> None:
        linkedid = await channel.get_variable("CHANNEL(linkedid)") or channel.uniqueid
        language = _language((await _handoff(channel)).language)
        await self._callback(channel, linkedid, language)

    async def _callback(self, channel: AgiChannel, linkedid: str, language: Language) -> None:
        verdict = numbering.check(channel.caller_number, self.settings.dial_allow)
        if not verdict.allowed:
            log.info("call=%s callback to %r refused: %s", linkedid, verdict.number, verdict.reason)
            await channel.set_variable(names.VAR_ACD_NEXT, names.ACD_WAIT)
            await self._say(channel, language, callback_refused(language))
            return
        if await self.acd.ask_callback(linkedid):
            path = await channel.get_variable(names.CDR_PATH) or ""
            await channel.set_variable(names.CDR_PATH, f"{path}>callback" if path else "callback")
            await channel.set_variable(names.VAR_ACD_NEXT, names.NEXT_HANGUP)
            await self._say(channel, language, callback_confirmation(language))
        else:
            await channel.set_variable(names.VAR_ACD_NEXT, names.ACD_WAIT)

    # ---- agent feature codes -------------------------------------------------------------
    async def agent_feature(self, channel: AgiChannel) -> None:
        extension = await channel.get_variable("CHANNEL(endpoint)") or ""
        feature = await channel.get_variable(names.VAR_ACD_FEATURE) or ""
        try:
            status = await self.acd.feature(extension, feature)
            text = _agent_state_sentence(status)
        except AgentStateError as exc:
            log.info("agent=%s feature %s refused: %s", extension, feature, exc.code)
            text = f"Sorry: {exc.code.replace('-', ' ')}."
        await self._say(channel, "en", text)

    # ---- helpers -------------------------------------------------------------------------
    async def _facts(self, number: str, linkedid: str) -> CallerFacts:
        try:
            customer = await asyncio.wait_for(self.customers.by_phone(number), timeout=2)
        except Exception:  # noqa: BLE001 - the CRM being down must not hold the caller up
            log.warning("call=%s CRM look-up failed; routed as a standard caller", linkedid)
            return CallerFacts()
        if customer is None:
            return CallerFacts()
        return CallerFacts(
            name=customer.name,
            vip=customer.is_vip,
            blacklisted=customer.blacklisted,
            account_manager=customer.account_manager_extension or "",
        )

    async def _say(
        self, channel: AgiChannel, language: Language, *texts: str, keys: str = ""
    ) -> str:
        """Play ``texts`` in a row; returns the key in ``keys`` that interrupted, or ""."""
        for text in texts:
            try:
                prompt = await self.prompts.ensure(language, text)
            except Exception:  # no announcement is better than a dropped caller
                log.exception("announcement could not be rendered: %s", text[:40])
                continue
            key = await channel.stream_file(prompt, keys)
            if key:
                return key
        return ""


class AmiDelivery:
    """Ring the reserved agent for a caller waiting in music on hold: set the routing facts on
    the caller's channel and Redirect it to ``acd-deliver``."""

    def __init__(self, ami: CallControl) -> None:
        self._ami = ami

    async def deliver(self, call: WaitingCall, extension: str, step: str = "") -> bool:
        if call.callback:
            return await self._call_back(call, extension)
        variables = {
            names.VAR_ACD_AGENT: extension,
            **cdr_routing_vars(call, step, time.time()),
        }
        try:
            for setvar in set_vars(call.channel, variables):
                await self._ami.send(setvar)
            await self._ami.send(Redirect(call.channel, names.CTX_ACD_DELIVER))
        except AmiError as exc:
            log.info("call=%s redirect to agent %s failed: %s", call.call_id, extension, exc)
            return False
        return True

    async def _call_back(self, call: WaitingCall, extension: str) -> bool:
        """A callback at the head of the line: ring the reserved agent (like any delivery, so
        ring-no-answer and hang-ups are handled the same way); when they answer, the customer
        is dialled. The new call's linkedid is the waiting call's plus ``CALLBACK_SUFFIX``."""
        name = call.customer_name or call.caller_number
        try:
            variables = {
                names.VAR_ACD_AGENT: extension,
                # Dial(PJSIP/${ACD_CALLBACK_NUMBER}@carrier): + and digits, never & or ,
                names.VAR_ACD_CALLBACK_NUMBER: dial_number("callback", call.caller_number),
            }
            await self._ami.send(
                Originate(
                    channel=f"Local/s@{names.CTX_CALLBACK_RING}",
                    context=names.CTX_CALLBACK_CUSTOMER,
                    caller_id=CallerId(name, call.caller_number),
                    channel_id=call.call_id + names.CALLBACK_SUFFIX,
                    other_channel_id=call.call_id + names.CALLBACK_SUFFIX + "2",
                    variables=variables,
                )
            )
        except AmiError as exc:
            log.warning("call=%s callback to agent %s failed: %s", call.call_id, extension, exc)
            return False
        log.info("call=%s agent=%s callback to %s", call.call_id, extension, call.caller_number)
        return True


async def _handoff(channel: AgiChannel) -> Handoff:
    """The IVR's hand-off; a direct line (no IVR) names only its skill in IVR_SKILLS."""
    raw = await channel.get_variable(names.VAR_HANDOFF)
    if not raw:
        skills = await channel.get_variable(names.VAR_SKILLS) or ""
        return Handoff("person", skills=tuple(s for s in skills.split(",") if s))
    try:
        return Handoff.from_json(raw)
    except (ValueError, KeyError, TypeError):
        return Handoff("person")


def _language(value: str | None) -> Language:
    return cast(Language, value) if value in ("zh", "en") else "zh"


def _agent_state_sentence(status: AgentStatus) -> str:
    spoken = " ".join(status.extension)
    state = status.state.value.replace("-", " ")
    if status.reason:
        return f"Agent {spoken}: {state}, {status.reason.replace('-', ' ')}."
    return f"Agent {spoken}: {state}."
