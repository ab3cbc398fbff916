"""Where the console's live board gets its data in a controller: the ACD's board (Redis and the
controller's mirror of it, plus the calls in progress) and the screen-pop of an offered call
(the call in line, the IVR's hand-off, the caller's CRM card, the IVR path on the channel)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final, Protocol, TypeVar

from acd.core.model import AgentProfile, AgentStatus, WaitingCall
from acd.core.wallboard import live_calls_view
from acd.runtime import AcdRuntime
from crm_bridge.calls.live import LiveCallStore
from crm_bridge.customer_cache import CustomerLookup
from crm_bridge.screen_pop import CustomerPolicies, customer_card
from ivr.handoff import Handoff
from ivr.handoff_store import HandoffStore
from wire.commands import CallControl, GetVar
from wire.errors import AmiError
from wire.names import CDR_PATH

log = logging.getLogger(__name__)

_T = TypeVar("_T")
LOOKUP_SECONDS: Final = 2.0  # a slow CRM or AMI leaves a part of the pop empty, not the pop

Event = dict[str, Any]


class AcdBoard:
    def __init__(
        self, acd: AcdRuntime, live_calls: LiveCallStore, clock: Callable[[], float] = time.time
    ) -> None:
        self._acd = acd
        self._live_calls = live_calls
        self._clock = clock

    async def snapshot(self) -> Event:
        """What ``/queues`` shows, and the calls in progress with the agent on each."""
        board = dict(await self._acd.snapshot())
        board["calls"] = live_calls_view(
            await self._live_calls.list(),
            self._acd.agent_statuses(),
            self._acd.agent_profiles(),
            self._clock(),
        )
        return board

    def profiles(self) -> Mapping[str, AgentProfile]:
        return self._acd.agent_profiles()

    async def status(self, extension: str) -> AgentStatus:
        return await self._acd.agent_status(extension)


def screen_pop(
    extension: str,
    call_id: str,
    *,
    caller: str,
    call: WaitingCall | None,
    handoff: Handoff | None,
    card: Mapping[str, Any] | None,
    ivr_path: str,
    now: float,
) -> Event:
    """The pop for the desktop of ``extension``: who calls, why, and what the IVR learnt."""
    return {
        "type": "screen-pop",
        "agent": extension,
        "call": call_id,
        "caller": caller,
        "caller_name": (call.customer_name if call else "") or (card or {}).get("name", ""),
        "queue": call.queue if call else "",
        "vip": bool(call.vip if call else (card or {}).get("vip", False)),
        "language": (call.language if call else "") or (handoff.language if handoff else ""),
        "callback": bool(call and call.callback),
        "enqueued_at": call.enqueued_at if call else None,
        "offered_at": now,
        "customer": dict(card) if card else None,
        "ivr": {
            "path": ivr_path,
            "intent": handoff.intent if handoff else "",
            "skills": list(handoff.skills) if handoff else list(call.skills if call else ()),
            "tier": (handoff.tier if handoff else None) or "",
            "facts": dict(handoff.facts) if handoff else {},
        },
    }


IvrPath = Callable[[str], Awaitable[str]]  # a channel's IVR path ("" when unknown)


class CallsInLine(Protocol):
    """The ACD's line (``acd.runtime.AcdRuntime``): a call waiting or being offered."""

    async def call(self, call_id: str) -> WaitingCall | None: ...


class ScreenPops:
    def __init__(
        self,
        line: CallsInLine,
        live_calls: LiveCallStore,
        handoffs: HandoffStore,
        customers: CustomerLookup,
        policies: CustomerPolicies,
        ivr_path: IvrPath,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._line = line
        self._live_calls = live_calls
        self._handoffs = handoffs
        self._customers = customers
        self._policies = policies
        self._ivr_path = ivr_path
        self._clock = clock

    async def for_offer(self, extension: str, call_id: str) -> Event | None:
        call = await self._line.call(call_id)
        caller, channel = (call.caller_number, call.channel) if call else ("", "")
        if call is None:  # answered already: the call has left the line
            found = [c for c in await self._live_calls.list() if c.linkedid == call_id]
            if not found:
                return None
            caller, channel = found[0].caller_number, found[0].channel
        handoff, card, path = await asyncio.gather(
            _quietly(self._handoffs.get(call_id), None, call_id, "hand-off"),
            _quietly(self._card(caller), None, call_id, "CRM"),
            _quietly(self._ivr_path(channel), "", call_id, "IVR path"),
        )
        return screen_pop(
            extension,
            call_id,
            caller=caller,
            call=call,
            handoff=handoff,
            card=card,
            ivr_path=path,
            now=self._clock(),
        )

    async def _card(self, caller: str) -> dict[str, Any] | None:
        customer = await self._customers.by_phone(caller)
        if customer is None:
            return None
        return customer_card(customer, await self._policies.of_customer(customer.id))


def ami_ivr_path(ami: CallControl) -> IvrPath:
    """The IVR path as the caller's channel has it now (the CDR variable the IVR keeps)."""

    async def ivr_path(channel: str) -> str:
        if not channel:
            return ""
        try:
            return await ami.get_var(GetVar(CDR_PATH, channel))
        except AmiError:
            return ""  # the channel is gone, or has no path (a direct line)

    return ivr_path


async def _quietly(action: Awaitable[_T], default: _T, call_id: str, part: str) -> _T:
    try:
        return await asyncio.wait_for(action, LOOKUP_SECONDS)
    except Exception as exc:  # noqa: BLE001 - a pop without this part beats no pop at all
        log.warning("call=%s screen-pop without the %s: %s", call_id, part, exc)
        return default
