"""The ACD's live state in Redis, shared by every controller: agents' statuses and profiles, the
calls waiting for one, and the reservations between them.

Every change is one Lua script (EVALSHA) that compare-and-sets the agent's ``version``: Python
reads a status, computes the next one with the pure machine (``acd.core.agent_states``), and the
script applies it only if nobody changed the agent meanwhile; ``handle`` re-reads and retries.
``offer`` (``reserve``) checks the agent (ready, expected version) and the call (waiting and
reserved by nobody, or for a call the ACD places itself, not there yet) in one script, so no
agent is ever offered two calls nor a call offered to two agents. A reservation carries a
lease; any controller's ``expire_leases`` gives back those a dead controller left behind. Every
applied change is published on one channel (``subscribe``).

Call-side effects (``RequeueCall``, a call answered or hung up while it rang) are applied by the
same script as the agent's change (a call the ACD placed itself is dropped, never requeued); the
caller runs the other effects of the ``Transition`` (log lines, ``ScheduleWrapUpEnd``,
``PauseForNoAnswer``).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, replace
from typing import Final

import redis.asyncio as aioredis
from redis.typing import EncodableT

from acd.core import agent_states as sm
from acd.core.model import AgentProfile, AgentState, AgentStatus, WaitingCall
from acd.live import changes
from acd.live.codec import (
    call_from_fields,
    call_to_fields,
    decode,
    flat,
    pairs,
    profile_from_json,
    profile_to_json,
    status_from_fields,
    status_to_fields,
    text,
)
from acd.live.scripts import Scripts
from wire import redis_keys

CALL_TTL_SECONDS: Final = 6 * 3600  # a queued call's hash outlives any real wait
MAX_RETRIES: Final = 20


class ConcurrentUpdateError(sm.AgentStateError):
    """The agent kept changing under us: ``MAX_RETRIES`` compare-and-sets lost in a row."""

    code = "agent-state-conflict"


@dataclass(frozen=True)
class Released:
    """A reservation whose lease passed: the agent's new status and the call given back."""

    extension: str
    call_id: str
    status: AgentStatus


class LiveState:
    def __init__(self, redis: aioredis.Redis, prefix: str = redis_keys.PREFIX) -> None:
        self._redis = redis
        self._prefix = prefix
        self._channel = redis_keys.acd_events(prefix)
        self._scripts = Scripts(redis)

    async def load_scripts(self) -> None:
        """Optional warm-up: afterwards every change is exactly one EVALSHA."""
        await self._scripts.load()

    # ---- agents ---------------------------------------------------------------------------

    async def status(self, extension: str) -> AgentStatus:
        """An agent never seen is logged out, at version 0."""
        fields = await self._redis.hgetall(redis_keys.acd_agent(extension, self._prefix))
        return status_from_fields(decode(fields)) if fields else AgentStatus(extension)

    async def agents(self) -> list[AgentStatus]:
        """Every agent with a status or a profile, by extension."""
        extensions = sorted(text(v) for v in await self._redis.smembers(self._agents))
        found = await self._hashes([redis_keys.acd_agent(e, self._prefix) for e in extensions])
        return [
            status_from_fields(fields) if fields else AgentStatus(extension)
            for extension, fields in zip(extensions, found, strict=True)
        ]

    async def logged_in(self) -> set[str]:
        key = redis_keys.acd_logged_in(self._prefix)
        return {text(v) for v in await self._redis.smembers(key)}

    async def apply(self, previous: AgentStatus, result: sm.Transition) -> bool:
        """Store ``result`` if the agent is still at ``previous.version``; False otherwise."""
        ext = previous.extension
        op, call_id, exclude = _call_op(previous, result)
        keys = [
            redis_keys.acd_agent(ext, self._prefix),
            self._agents,
            redis_keys.acd_logged_in(self._prefix),
            self._leases,
            redis_keys.acd_call(call_id, self._prefix),
            self._queue,
        ]
        args: list[EncodableT] = [self._channel, ext, previous.version, op, call_id, exclude]
        applied, _ = await self._scripts["apply"](
            keys=keys, args=[*args, *flat(status_to_fields(result.status))]
        )
        return bool(int(applied))

    async def handle(
        self, extension: str, event: sm.AgentEvent, now: float, wrapup_seconds: int | None = None
    ) -> sm.Transition:
        """Read, transition, compare-and-set; again on a conflict. ``wrapup_seconds`` defaults
        to the agent's profile (0 without one). Raises ``AgentStateError``."""
        if isinstance(event, sm.Offer | sm.ReserveOutbound):
            raise TypeError("offers go through offer(), which also checks the call")
        for _ in range(MAX_RETRIES):
            status = await self.status(extension)
            wrapup = wrapup_seconds
            if wrapup is None:
                wrapup = await self._wrapup(extension) if isinstance(event, sm.CallEnded) else 0
            result = sm.transition(status, event, now, wrapup)
            if not result.changed or await self.apply(status, result):
                return result
        raise ConcurrentUpdateError(extension, f"{MAX_RETRIES} conflicting updates in a row")

    async def reserve(
        self,
        extension: str,
        call_id: str,
        expected_version: int,
        lease_seconds: float,
        now: float,
    ) -> AgentStatus | None:
        """Offer ``call_id`` to ``extension`` in one round trip: only if the agent is ready at
        ``expected_version`` and the call is waiting. The agent's new status, or None."""
        event = sm.Offer(call_id, now + lease_seconds)
        result = await self.offer(extension, event, expected_version, now)
        return None if result is None else result.status

    async def offer(
        self,
        extension: str,
        event: sm.Offer | sm.ReserveOutbound,
        expected_version: int,
        now: float,
        placed: WaitingCall | None = None,
    ) -> sm.Transition | None:
        """The one reservation, atomic (``reserve.lua``): only if the agent is ready at
        ``expected_version``. An ``Offer`` takes a call waiting in line, reserved by nobody; a
        ``ReserveOutbound`` stores ``placed``, a call the ACD places itself, reserved by the
        agent and never queued (it must not exist yet). The machine's transition (its log
        line) with the agent's stored status, or None."""
        if isinstance(event, sm.ReserveOutbound) != (placed is not None):
            raise TypeError("an outbound reservation, and only one, places a call")
        assumed = AgentStatus(extension, AgentState.READY, version=expected_version)
        result = sm.transition(assumed, event, now, 0)
        fields = status_to_fields(result.status)
        del fields["extension"], fields["idle_since"]  # the script keeps the stored ones
        call = [] if placed is None else flat(call_to_fields(placed))
        raw = await self._scripts["reserve"](
            keys=[
                redis_keys.acd_agent(extension, self._prefix),
                redis_keys.acd_call(event.call_id, self._prefix),
                self._leases,
            ],
            args=[
                self._channel,
                extension,
                event.call_id,
                expected_version,
                CALL_TTL_SECONDS,
                len(call),
                *call,
                *flat(fields),
            ],
        )
        return None if raw is None else replace(result, status=status_from_fields(pairs(raw)))

    async def confirm(self, extension: str, call_id: str, now: float) -> sm.Transition:
        """The agent answered: on-call, and the call leaves the queue. Unchanged when the
        reservation is gone (lease expired): the caller must not bridge the call then."""
        return await self.handle(extension, sm.Answered(call_id), now)

    async def release(self, extension: str, call_id: str, now: float) -> sm.Transition:
        """Take an offer back without penalty: agent ready (idle_since kept), call waiting."""
        return await self.handle(extension, sm.Withdraw(call_id), now)

    async def no_answer(self, extension: str, call_id: str, now: float) -> sm.Transition:
        """Ring-no-answer: agent paused ("no-answer"), the call back at its place without it."""
        return await self.handle(extension, sm.NoAnswer(call_id), now)

    async def expire_leases(self, now: float) -> list[Released]:
        """Give back every reservation whose lease passed, whoever made it."""
        due = await self._redis.zrangebyscore(self._leases, "-inf", repr(now))
        released: list[Released] = []
        for extension in (text(v) for v in due):
            call_id = (await self.status(extension)).call_id
            result = await self.handle(extension, sm.LeaseExpired(call_id), now)
            if result.changed:
                released.append(Released(extension, call_id, result.status))
        return released

    # ---- profiles -------------------------------------------------------------------------

    async def put_profile(self, profile: AgentProfile) -> None:
        ext = profile.extension
        await self._scripts["put_profile"](
            keys=[redis_keys.acd_profile(ext, self._prefix), self._agents],
            args=[self._channel, ext, profile_to_json(profile)],
        )

    async def drop_agent(self, extension: str) -> None:
        """Forget an agent deleted from the CRM (their status, profile and any lease)."""
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(
                redis_keys.acd_agent(extension, self._prefix),
                redis_keys.acd_profile(extension, self._prefix),
            )
            pipe.srem(self._agents, extension)
            pipe.srem(redis_keys.acd_logged_in(self._prefix), extension)
            pipe.zrem(self._leases, extension)
            await pipe.execute()

    async def profile(self, extension: str) -> AgentProfile | None:
        raw = await self._redis.get(redis_keys.acd_profile(extension, self._prefix))
        return None if raw is None else profile_from_json(text(raw))

    async def _wrapup(self, extension: str) -> int:
        profile = await self.profile(extension)
        return profile.wrapup_seconds if profile else 0

    # ---- calls ----------------------------------------------------------------------------

    async def enqueue(self, call: WaitingCall) -> WaitingCall:
        """Queue a call once: a call already queued is returned as stored (its enqueued_at,
        exclusions and reservation kept)."""
        fields = call_to_fields(call)
        _, stored = await self._scripts["enqueue"](
            keys=[redis_keys.acd_call(call.call_id, self._prefix), self._queue],
            args=[
                self._channel,
                call.call_id,
                fields["enqueued_at"],
                CALL_TTL_SECONDS,
                *flat(fields),
            ],
        )
        return call_from_fields(pairs(stored))

    async def remove_call(self, call_id: str) -> bool:
        removed = await self._scripts["remove_call"](
            keys=[redis_keys.acd_call(call_id, self._prefix), self._queue],
            args=[self._channel, call_id],
        )
        return bool(int(removed))

    async def to_callback(self, call_id: str) -> WaitingCall | None:
        """The waiting caller hangs up to be called back: the call keeps its place, without a
        channel. None when it is no longer waiting (gone, or being offered right now)."""
        raw = await self._scripts["to_callback"](
            keys=[redis_keys.acd_call(call_id, self._prefix)], args=[self._channel, call_id]
        )
        return None if not raw else call_from_fields(pairs(raw))

    async def call(self, call_id: str) -> WaitingCall | None:
        fields = await self._redis.hgetall(redis_keys.acd_call(call_id, self._prefix))
        return call_from_fields(decode(fields)) if fields else None

    async def queued_calls(self, limit: int | None = None) -> list[WaitingCall]:
        """Waiting and reserved calls (the first ``limit``), by enqueued_at; expired entries
        leave the index."""
        last = -1 if limit is None else limit - 1
        ids = [text(v) for v in await self._redis.zrange(self._queue, 0, last)]
        found = await self._hashes([redis_keys.acd_call(i, self._prefix) for i in ids])
        stale = [i for i, fields in zip(ids, found, strict=True) if not fields]
        if stale:
            await self._redis.zrem(self._queue, *stale)
        return [call_from_fields(fields) for fields in found if fields]

    async def waiting_calls(self) -> list[WaitingCall]:
        """The calls no agent is offered right now, by enqueued_at."""
        return [call for call in await self.queued_calls() if not call.reserved_by]

    # ---- persistence and sync -------------------------------------------------------------

    async def snapshot(self) -> list[AgentStatus]:
        """Every stored agent status (for the CRM to keep across a Redis restart)."""
        return [s for s in await self.agents() if s.version > 0]

    async def restore(self, statuses: Iterable[AgentStatus]) -> int:
        """Reload ``statuses`` only into a Redis that has none of them and nobody logged in;
        returns how many were restored (0 when Redis already had state)."""
        given = list(statuses)
        if not given:
            return 0
        keys = [self._agents, redis_keys.acd_logged_in(self._prefix), self._leases]
        keys += [redis_keys.acd_agent(s.extension, self._prefix) for s in given]
        args = [self._channel, *(json.dumps(status_to_fields(s)) for s in given)]
        return int(await self._scripts["restore"](keys=keys, args=args))

    async def generation(self) -> str:
        """The live state's generation id; "" when Redis has none (new, or restarted empty)."""
        return text(await self._redis.get(redis_keys.acd_generation(self._prefix)) or "")

    async def claim_generation(self, candidate: str) -> str:
        """Write ``candidate`` as the generation unless another controller wrote one first;
        the generation in force."""
        key = redis_keys.acd_generation(self._prefix)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(key, candidate, nx=True)
            pipe.get(key)
            _, stored = await pipe.execute()
        return text(stored)

    def subscribe(self) -> AbstractAsyncContextManager[changes.Changes]:
        """``async with live.subscribe() as changes: async for change in changes: ...``;
        subscribed once the block is entered."""
        return changes.subscribe(self._redis, self._channel)

    @property
    def _agents(self) -> str:
        return redis_keys.acd_agents(self._prefix)

    @property
    def _leases(self) -> str:
        return redis_keys.acd_leases(self._prefix)

    @property
    def _queue(self) -> str:
        return redis_keys.acd_queue(self._prefix)

    async def _hashes(self, keys: Sequence[str]) -> list[dict[str, str]]:
        async with self._redis.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.hgetall(key)
            return [decode(fields) for fields in await pipe.execute()]


def _call_op(previous: AgentStatus, result: sm.Transition) -> tuple[str, str, str]:
    """What the agent's change does to the call it held: (op, call_id, excluded extension)."""
    for effect in result.effects:
        if isinstance(effect, sm.RequeueCall):
            return "requeue", effect.call_id, effect.exclude
    if previous.state is not AgentState.RESERVED or result.status.state is AgentState.RESERVED:
        return "", "", ""
    if result.status.state is AgentState.ON_CALL:
        return "connect", previous.call_id, ""
    return "drop", previous.call_id, ""
