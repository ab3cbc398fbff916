"""Rebuilding the ACD's live state in a Redis that lost it (the rules: ``acd.core.rebuild``):
the CRM's last known agent states and Asterisk's live channels in, the agents' statuses and the
waiting line written back. Run by a controller that finds no generation in Redis; another one
doing the same at once changes nothing (``restore`` only fills a Redis with no agent state, a
call is queued once)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection
from dataclasses import dataclass

from acd.core.model import WaitingCall
from acd.core.rebuild import agent_calls, rebuilt_status, recovered_call, waiting_rows
from acd.crm import restored_status
from acd.live.codec import call_from_token
from acd.live.live_state import LiveState
from crm_bridge.agent_state_repository import AgentStateLogRepository
from wire import names
from wire.commands import CallControl, GetVar
from wire.errors import AmiError
from wire.replies import ChannelRow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rebuilt:
    agents: int  # statuses restored (0: Redis already had agent state)
    waiting: int  # calls put back in line


@dataclass
class Rebuild:
    live: LiveState
    presence: AgentStateLogRepository
    asterisk: CallControl | None  # None: no Asterisk to ask (agents from the CRM alone)

    async def run(self, agents: Collection[str], now: float) -> Rebuilt:
        """Agents (``agents``: the CRM's extensions) and the waiting line back into Redis."""
        rows = await self._channels()
        on_call = agent_calls(rows, agents)
        statuses = [
            rebuilt_status(restored_status(p, now), on_call.get(p.extension, ""), now)
            for p in await self.presence.presence()
            if p.extension in agents
        ]
        restored = await self.live.restore(statuses)
        found = await asyncio.gather(*(self._waiting(row) for row in waiting_rows(rows)))
        waiting = [call for call in found if call is not None]
        for call in waiting:
            await self.live.enqueue(call)
        log.warning(
            "ACD live state rebuilt: %d agent state(s), %d on a call, %d caller(s) back in line",
            restored,
            len(on_call),
            len(waiting),
        )
        return Rebuilt(restored, len(waiting))

    async def _channels(self) -> tuple[ChannelRow, ...]:
        if self.asterisk is None:
            return ()
        try:
            return await self.asterisk.channels()
        except AmiError as exc:
            log.warning("rebuild without Asterisk's channels (%s): agents from the CRM alone", exc)
            return ()

    async def _waiting(self, row: ChannelRow) -> WaitingCall | None:
        assert self.asterisk is not None  # rows come from it
        try:
            token = await self.asterisk.get_var(GetVar(names.VAR_ACD_CALL, row.channel))
        except AmiError as exc:  # hung up meanwhile
            log.info("call=%s not put back in line: %s", row.linkedid, exc)
            return None
        call = recovered_call(call_from_token(token), row)
        if call is None:
            log.info(
                "call=%s waits with no ACD token; its next announcement enqueues it", row.linkedid
            )
        return call
