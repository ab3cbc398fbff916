"""AMI events the ACD reacts to, in the order they arrive: what Asterisk has live after a
(re)connect, an agent's phone stopped ringing (answered, no answer, cancelled), an agent hung up,
a waiting caller hung up."""

from __future__ import annotations

import logging

from acd.core.channels import call_of, endpoint_of
from acd.service import Acd
from wire.events import AmiEvent, DialEnd, Hangup, Resync
from wire.replies import ChannelRow, linkedids

log = logging.getLogger(__name__)

__all__ = ["AcdEvents", "call_of", "endpoint_of"]


class AcdEvents:
    def __init__(self, acd: Acd) -> None:
        self.acd = acd

    def is_agent(self, endpoint: str) -> bool:
        return self.acd.is_agent(endpoint)

    async def resync(self, channels: tuple[ChannelRow, ...]) -> None:
        endpoints = {endpoint_of(row.channel) for row in channels}
        await self.acd.resync(endpoints - {""}, linkedids(channels))

    async def apply(self, event: AmiEvent) -> None:
        if isinstance(event, Resync):
            await self.resync(event.rows)
        elif isinstance(event, DialEnd):
            agent = endpoint_of(event.dest_channel)
            if agent and self.is_agent(agent):
                await self.acd.agent_dial_ended(agent, call_of(event.linkedid), event.dial_status)
        elif isinstance(event, Hangup):
            agent = endpoint_of(event.channel)
            if agent and self.is_agent(agent):
                await self.acd.agent_hung_up(agent, call_of(event.linkedid))
            elif event.uniqueid == event.linkedid:
                await self.acd.caller_left(event.linkedid)
