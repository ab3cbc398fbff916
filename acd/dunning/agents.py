"""Progressive dunning: a ready ``collections`` agent is reserved through the ACD *before* the
customer is dialled, and let go or connected as the call goes.

The ACD does it (``acd.service.Acd``, the one writer of its agents' live state): it ranks the
ready agents with the skill as it ranks them for a caller waiting in line (those speaking the
customer's language; when none is ready, those speaking another), reserves the best one with
its one atomic script (the agent ready -> reserved with a lease; the call stored reserved by
that agent and never queued, so no controller offers it to anyone), logs and journals the
transition (``agent_state_log``, reason ``dunning``) and publishes it. From there the ACD's
transitions apply: answered -> on-call, ended -> wrap-up, released -> ready again (idle time
kept; the call goes). The call id is the attempt's linkedid + ``-ag``, so the ACD's own AMI
handling (which keys on the linkedid) leaves these calls to the dialer. A lease outlives the
longest ring, detection and connect time; if this controller dies, any controller's tick gives
the agent back.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Final, Protocol

from acd.core.model import WaitingCall
from crm_bridge.vocab import Language

AGENT_CALL_SUFFIX: Final = "-ag"
COLLECTIONS: Final = "collections"
PURPOSE: Final = "dunning"  # the reason the agent state log gives the reservation
LANGUAGES: Final = tuple(language.value for language in Language)


class AgentReservations(Protocol):
    """What dunning asks of the ACD (``acd.service.Acd``)."""

    def ready_with(self, skill: str) -> list[str]: ...

    async def reserve_outbound(
        self, call: WaitingCall, lease_seconds: float, purpose: str, languages: Sequence[str] = ()
    ) -> str | None: ...

    async def outbound_answered(self, extension: str, call_id: str) -> None: ...

    async def outbound_ended(self, extension: str, call_id: str) -> None: ...

    async def release(self, extension: str, call_id: str) -> None: ...


def agent_call_id(linkedid: str) -> str:
    return linkedid + AGENT_CALL_SUFFIX


class CollectionsAgents:
    def __init__(
        self,
        acd: AgentReservations,
        lease_seconds: float,
        *,
        skill: str = COLLECTIONS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.acd = acd
        self.lease_seconds = lease_seconds
        self.skill = skill
        self.clock = clock

    def ready(self) -> list[str]:
        """Ready agents with the skill, as this controller's mirror of the ACD sees them."""
        return self.acd.ready_with(self.skill)

    async def reserve(self, linkedid: str, number: str, language: str) -> str | None:
        """Reserve a ready agent for the call ``linkedid``; None if none is."""
        call = WaitingCall(
            call_id=agent_call_id(linkedid),
            channel="",
            caller_number=number,
            skills=(self.skill,),
            language=language,
            vip=False,
            enqueued_at=self.clock(),
            queue=self.skill,
        )
        others = [other for other in LANGUAGES if other != language]
        return await self.acd.reserve_outbound(call, self.lease_seconds, PURPOSE, others)

    async def connected(self, extension: str, linkedid: str) -> None:
        """The agent answered: on-call (the call's hash goes)."""
        await self.acd.outbound_answered(extension, agent_call_id(linkedid))

    async def ended(self, extension: str, linkedid: str) -> None:
        """The call the agent took ended: wrap-up."""
        await self.acd.outbound_ended(extension, agent_call_id(linkedid))

    async def release(self, extension: str, linkedid: str) -> None:
        """The agent is not needed after all: ready again (no penalty)."""
        await self.acd.release(extension, agent_call_id(linkedid))
