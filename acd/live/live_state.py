"""The ACD's live state in Redis, shared by every controller: agents' statuses and profiles, the
calls waiting for one, and the reservations between them.

Every change is one Lua script (EVALSHA) that compare-and-sets the agent's ``version``: Python
reads a status, computes the next one with the pure machine (``acd.core.agent_states``), and the
script applies it only if nobody changed the agent meanwhile; ``handle`` re-reads and retries.
``reserve`` checks the agent (ready, expected version) and the call (there, reserved by nobody)
in one script, so no agent is ever offered two calls nor a call offered to two agents. A
reservation carries a lease; any controller's ``expire_leases`` gives back those a dead
controller left behind. Every applied change is published on one channel (``subscribe``).

Call-side effects (``RequeueCall``, a call answered or hung up while it rang) are applied by the
same script as the agent's change; the caller runs the other effects of the ``Transition``
(log lines, ``ScheduleWrapUpEnd``, ``PauseForNoAnswer``).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import aclosing, asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from typing import Any, Final

import redis.asyncio as aioredis
from redis.asyncio.client import PubSub
from redis.commands.core import AsyncScript
from redis.typing import EncodableT

from acd.core import agent_states as sm
from acd.core.model import AgentProfile, AgentState, AgentStatus, WaitingCall
from wire import redis_keys

CALL_TTL_SECONDS: Final = 6 * 3600  # a queued call's hash outlives any real wait
MAX_RETRIES: Final = 20
SUBSCRIBE_TIMEOUT: Final = 5.0
_SCRIPTS: Final = (
    "apply",
    "reserve",
    "enqueue",
    "remove_call",
    "put_profile",
    "restore",
    "to_callback",
)


class ConcurrentUpdateError(sm.AgentStateError):
    """The agent kept changing under us: ``MAX_RETRIES`` compare-and-sets lost in a row."""

    code = "agent-state-conflict"


@dataclass(frozen=True)
class LiveChange:
    """One published change. ``op``: agent, reserve, requeue, connect, drop, enqueue, remove,
    profile or restore. ``agent`` is the new status when an agent changed; ``call`` the call
    as it is now when it is (still) queued."""

    op: str
    agent: AgentStatus | None = None
    call_id: str = ""
    call: WaitingCall | None = None
    extension: str = ""


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
        self._scripts: dict[str, AsyncScript] = {
            name: redis.register_script(_lua(name)) for name in _SCRIPTS
        }

    async def load_scripts(self) -> None:
        """Optional warm-up: afterwards every change is exactly one EVALSHA."""
        for script in self._scripts.values():
            script.sha = await self._redis.script_load(script.script)

    # ---- agents ---------------------------------------------------------------------------

    async def status(self, extension: str) -> AgentStatus:
        """An agent never seen is logged out, at version 0."""
        fields = await self._redis.hgetall(redis_keys.acd_agent(extension, self._prefix))
        return status_from_fields(_decode(fields)) if fields else AgentStatus(extension)

    async def agents(self) -> list[AgentStatus]:
        """Every agent with a status or a profile, by extension."""
        extensions = sorted(_text(v) for v in await self._redis.smembers(self._agents))
        found = await self._hashes([redis_keys.acd_agent(e, self._prefix) for e in extensions])
        return [
            status_from_fields(fields) if fields else AgentStatus(extension)
            for extension, fields in zip(extensions, found, strict=True)
        ]

    async def logged_in(self) -> set[str]:
        key = redis_keys.acd_logged_in(self._prefix)
        return {_text(v) for v in await self._redis.smembers(key)}

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
            keys=keys, args=[*args, *_flat(status_to_fields(result.status))]
        )
        return bool(int(applied))

    async def handle(
        self, extension: str, event: sm.AgentEvent, now: float, wrapup_seconds: int | None = None
    ) -> sm.Transition:
        """Read, transition, compare-and-set; again on a conflict. ``wrapup_seconds`` defaults
        to the agent's profile (0 without one). Raises ``AgentStateError``."""
        if isinstance(event, sm.Offer):
            raise TypeError("offers go through reserve(), which also checks the call")
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
        assumed = AgentStatus(extension, AgentState.READY, version=expected_version)
        offer = sm.Offer(call_id, now + lease_seconds)
        fields = status_to_fields(sm.transition(assumed, offer, now, 0).status)
        del fields["extension"], fields["idle_since"]  # the script keeps the stored ones
        raw = await self._scripts["reserve"](
            keys=[
                redis_keys.acd_agent(extension, self._prefix),
                redis_keys.acd_call(call_id, self._prefix),
                self._leases,
            ],
            args=[self._channel, extension, call_id, expected_version, *_flat(fields)],
        )
        return None if raw is None else status_from_fields(_pairs(raw))

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
        for extension in (_text(v) for v in due):
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
        return None if raw is None else profile_from_json(_text(raw))

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
                *_flat(fields),
            ],
        )
        return call_from_fields(_pairs(stored))

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
        return None if not raw else call_from_fields(_pairs(raw))

    async def call(self, call_id: str) -> WaitingCall | None:
        fields = await self._redis.hgetall(redis_keys.acd_call(call_id, self._prefix))
        return call_from_fields(_decode(fields)) if fields else None

    async def queued_calls(self, limit: int | None = None) -> list[WaitingCall]:
        """Waiting and reserved calls (the first ``limit``), by enqueued_at; expired entries
        leave the index."""
        last = -1 if limit is None else limit - 1
        ids = [_text(v) for v in await self._redis.zrange(self._queue, 0, last)]
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

    @asynccontextmanager
    async def subscribe(self) -> AsyncIterator[Changes]:
        """``async with live.subscribe() as changes: async for change in changes: ...``;
        subscribed once the block is entered."""
        async with aclosing(self._redis.pubsub()) as pubsub:
            await pubsub.subscribe(self._channel)
            while True:  # confirmed: nothing published from now on is missed
                message = await pubsub.get_message(timeout=SUBSCRIBE_TIMEOUT)
                if message is None:
                    raise TimeoutError(f"no confirmation of SUBSCRIBE {self._channel}")
                if message["type"] == "subscribe":
                    break
            yield Changes(pubsub)

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
            return [_decode(fields) for fields in await pipe.execute()]


class Changes:
    """The published changes, in order, as an async iterator."""

    def __init__(self, pubsub: PubSub) -> None:
        self._pubsub = pubsub

    def __aiter__(self) -> Changes:
        return self

    async def __anext__(self) -> LiveChange:
        while True:
            change = await self.next(None)
            if change is not None:
                return change

    async def next(self, timeout: float | None) -> LiveChange | None:
        """The next change, or None after ``timeout`` seconds (None: wait for ever)."""
        loop = asyncio.get_running_loop()
        deadline = None if timeout is None else loop.time() + timeout
        while True:
            left = None if deadline is None else max(0.0, deadline - loop.time())
            message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=left)
            if message is not None and message.get("type") == "message":
                return change_from_json(_text(message["data"]))
            if deadline is not None and loop.time() >= deadline:
                return None


# ---- serialisation: the one place that maps the model to Redis strings ---------------------


def status_to_fields(status: AgentStatus) -> dict[str, str]:
    return {
        "extension": status.extension,
        "state": status.state.value,
        "since": repr(status.since),
        "idle_since": repr(status.idle_since),
        "reason": status.reason,
        "call_id": status.call_id,
        "lease_until": repr(status.lease_until),
        "version": str(status.version),
        "pending_reason": status.pending_reason,
    }


def status_from_fields(fields: Mapping[str, str]) -> AgentStatus:
    return AgentStatus(
        extension=fields["extension"],
        state=AgentState(fields.get("state", AgentState.LOGGED_OUT.value)),
        since=float(fields.get("since", 0.0)),
        idle_since=float(fields.get("idle_since", 0.0)),
        reason=fields.get("reason", ""),
        call_id=fields.get("call_id", ""),
        lease_until=float(fields.get("lease_until", 0.0)),
        version=int(fields.get("version", 0)),
        pending_reason=fields.get("pending_reason", ""),
    )


def call_to_fields(call: WaitingCall) -> dict[str, str]:
    return {
        "call_id": call.call_id,
        "channel": call.channel,
        "caller_number": call.caller_number,
        "skills": json.dumps(list(call.skills)),
        "language": call.language,
        "vip": "1" if call.vip else "0",
        "enqueued_at": repr(call.enqueued_at),
        "account_manager": call.account_manager,
        "excluded": ",".join(sorted(call.excluded)),  # comma-separated: the Lua side appends
        "customer_name": call.customer_name,
        "queue": call.queue,
        "reserved_by": call.reserved_by,
        "callback": "1" if call.callback else "0",
    }


def call_from_fields(fields: Mapping[str, str]) -> WaitingCall:
    excluded = fields.get("excluded", "")
    return WaitingCall(
        call_id=fields["call_id"],
        channel=fields["channel"],
        caller_number=fields["caller_number"],
        skills=tuple(json.loads(fields["skills"])),
        language=fields["language"],
        vip=fields["vip"] == "1",
        enqueued_at=float(fields["enqueued_at"]),
        account_manager=fields.get("account_manager", ""),
        excluded=frozenset(excluded.split(",")) if excluded else frozenset(),
        customer_name=fields.get("customer_name", ""),
        queue=fields.get("queue", ""),
        reserved_by=fields.get("reserved_by", ""),
        callback=fields.get("callback", "0") == "1",
    )


def profile_to_json(profile: AgentProfile) -> str:
    return json.dumps(
        {
            "extension": profile.extension,
            "name": profile.name,
            "skills": profile.skills,
            "languages": sorted(profile.languages),
            "team": profile.team,
            "wrapup_seconds": profile.wrapup_seconds,
        },
        ensure_ascii=False,
    )


def profile_from_json(text: str) -> AgentProfile:
    data = json.loads(text)
    return AgentProfile(
        extension=data["extension"],
        name=data["name"],
        skills={str(k): int(v) for k, v in data["skills"].items()},
        languages=frozenset(data["languages"]),
        team=data["team"],
        wrapup_seconds=int(data["wrapup_seconds"]),
    )


def change_from_json(text: str) -> LiveChange:
    data: dict[str, Any] = json.loads(text)
    agent, call = data.get("agent"), data.get("call")
    return LiveChange(
        op=str(data["op"]),
        agent=status_from_fields(agent) if agent else None,
        call_id=str(data.get("call_id", "")),
        call=call_from_fields(call) if call else None,
        extension=str(data.get("extension", agent["extension"] if agent else "")),
    )


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


def _lua(name: str) -> str:
    return resources.files("acd").joinpath("lua", f"{name}.lua").read_text(encoding="utf-8")


def _flat(fields: Mapping[str, str]) -> list[str]:
    return [item for pair in fields.items() for item in pair]


def _pairs(flat: Sequence[object]) -> dict[str, str]:
    return {_text(flat[i]): _text(flat[i + 1]) for i in range(0, len(flat), 2)}


def _decode(fields: Mapping[Any, Any]) -> dict[str, str]:
    return {_text(k): _text(v) for k, v in fields.items()}


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
