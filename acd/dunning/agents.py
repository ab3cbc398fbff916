"""Progressive dunning: a ready ``collections`` agent is reserved through the ACD *before* the
customer is dialled, and let go or connected as the call goes.

The reservation is the ACD's own (the agent's status in Redis goes ready -> reserved with a
lease, compare-and-set on its version, published to every controller), made by one Lua script
that also creates the call's hash *reserved by that agent* — never queued, so no other
controller can offer it to anyone. From there the ACD's transitions apply: ``Answered`` when
the agent picks up (on-call; the call hash goes), ``CallEnded`` when the call ends (wrap-up),
``Withdraw`` when the customer was not reached (ready again, idle time kept). The reservation's
call id is the attempt's linkedid + ``-ag``, so the ACD's own AMI handling (which keys on the
linkedid) leaves these calls to the dialer. A lease outlives the longest ring, detection and
connect time; if this controller dies, any controller's tick gives the agent back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import Final

import redis.asyncio as aioredis

from acd.core import agent_states as sm
from acd.core.model import AgentState, AgentStatus, WaitingCall
from acd.live.codec import call_to_fields, status_from_fields, status_to_fields
from acd.live.live_state import CALL_TTL_SECONDS
from acd.service import Acd
from wire import redis_keys

log = logging.getLogger(__name__)

AGENT_CALL_SUFFIX: Final = "-ag"
COLLECTIONS: Final = "collections"

# KEYS: agent hash, call hash, leases zset; ARGV: channel, extension, call_id, expected
# version, call ttl, number of call field/value items, call fields..., agent fields...
_RESERVE = """
local agent, call, leases = KEYS[1], KEYS[2], KEYS[3]
local channel, ext, call_id, expected = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local ttl, n = tonumber(ARGV[5]), tonumber(ARGV[6])
local current = redis.call('HMGET', agent, 'state', 'version')
if current[1] ~= 'ready' or tonumber(current[2]) ~= tonumber(expected) then
  return false
end
if redis.call('EXISTS', call) == 1 then
  return false
end
redis.call('HSET', call, unpack(ARGV, 7, 6 + n))
redis.call('HSET', call, 'reserved_by', ext)
redis.call('EXPIRE', call, ttl)
redis.call('HSET', agent, unpack(ARGV, 7 + n))
local fields = redis.call('HGETALL', agent)
local status = {}
for i = 1, #fields, 2 do
  status[fields[i]] = fields[i + 1]
end
redis.call('ZADD', leases, status.lease_until, ext)
redis.call('PUBLISH', channel, cjson.encode({op = 'reserve', agent = status, call_id = call_id}))
return fields
"""


def agent_call_id(linkedid: str) -> str:
    return linkedid + AGENT_CALL_SUFFIX


class CollectionsAgents:
    def __init__(
        self,
        acd: Acd,
        redis: aioredis.Redis,
        prefix: str,
        lease_seconds: float,
        *,
        skill: str = COLLECTIONS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.acd = acd
        self.prefix = prefix
        self.lease_seconds = lease_seconds
        self.skill = skill
        self.clock = clock
        self._script = redis.register_script(_RESERVE)

    def ready(self, language: str = "") -> list[str]:
        """Ready agents with the skill, as this controller's mirror of the ACD sees them:
        those speaking ``language`` first, then longest idle."""
        dispatcher = self.acd.dispatcher
        profiles = dispatcher.index.profiles
        found = [
            status
            for ext, status in dispatcher.statuses.items()
            if status.state is AgentState.READY
            and ext in profiles
            and self.skill in profiles[ext].skills
        ]

        def order(status: AgentStatus) -> tuple[bool, float, str]:
            speaks = language in profiles[status.extension].languages if language else True
            return (not speaks, status.idle_since, status.extension)

        return [status.extension for status in sorted(found, key=order)]

    async def reserve(self, linkedid: str, number: str, language: str) -> str | None:
        """Reserve a ready agent for the call ``linkedid`` (first that can be); None if none."""
        for extension in self.ready(language):
            status = self.acd.dispatcher.statuses.get(extension)
            if status is None:
                continue
            reserved = await self._reserve(status, linkedid, number, language)
            if reserved is not None:
                self.acd.dispatcher.note_status(reserved)
                log.info("call=%s agent=%s ready -> reserved (dunning)", linkedid, extension)
                return extension
        return None

    async def _reserve(
        self, status: AgentStatus, linkedid: str, number: str, language: str
    ) -> AgentStatus | None:
        now = self.clock()
        call_id = agent_call_id(linkedid)
        offer = sm.Offer(call_id, now + self.lease_seconds)
        fields = status_to_fields(sm.transition(status, offer, now, 0).status)
        del fields["extension"], fields["idle_since"]  # the stored ones stay
        call = WaitingCall(
            call_id=call_id,
            channel="",
            caller_number=number,
            skills=(self.skill,),
            language=language,
            vip=False,
            enqueued_at=now,
            queue=self.skill,
        )
        call_fields = _flat(call_to_fields(call))
        raw = await self._script(
            keys=[
                redis_keys.acd_agent(status.extension, self.prefix),
                redis_keys.acd_call(call_id, self.prefix),
                redis_keys.acd_leases(self.prefix),
            ],
            args=[
                redis_keys.acd_events(self.prefix),
                status.extension,
                call_id,
                status.version,
                CALL_TTL_SECONDS,
                len(call_fields),
                *call_fields,
                *_flat(fields),
            ],
        )
        return None if not raw else status_from_fields(_pairs(raw))

    async def connected(self, extension: str, linkedid: str) -> None:
        """The agent answered: on-call (the call's hash goes)."""
        await self.acd.dispatcher.handle(extension, sm.Answered(agent_call_id(linkedid)))

    async def ended(self, extension: str, linkedid: str) -> None:
        """The call the agent took ended: wrap-up."""
        await self.acd.dispatcher.handle(extension, sm.CallEnded(agent_call_id(linkedid)))

    async def release(self, extension: str, linkedid: str) -> None:
        """The agent is not needed after all: ready again (no penalty)."""
        call_id = agent_call_id(linkedid)
        await self.acd.live.remove_call(call_id)
        await self.acd.dispatcher.handle(extension, sm.Withdraw(call_id))


def _flat(fields: dict[str, str]) -> list[str]:
    return [item for pair in fields.items() for item in pair]


def _pairs(flat: Sequence[object]) -> dict[str, str]:
    def text(value: object) -> str:
        return value.decode() if isinstance(value, bytes) else str(value)

    return {text(flat[i]): text(flat[i + 1]) for i in range(0, len(flat), 2)}
