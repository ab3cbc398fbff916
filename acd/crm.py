"""The ACD's ties to the CRM: every agent transition is logged (written in the background, in
batches, retried while the database is down, so routing never waits for SQL); callbacks and
abandoned calls are listed; agents' last states come back after Redis lost them."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime

from acd.core import agent_states as sm
from acd.core.model import AgentState, AgentStatus, WaitingCall
from crm_bridge.agent_state_repository import AgentStateLogRepository, AgentTransition, Presence
from crm_bridge.callback_repository import CallbackRepository, CallbackRequest

log = logging.getLogger(__name__)

BATCH = 200
RETRY_SECONDS = 2.0


def _at(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def transitions_of(extension: str, transition: sm.Transition, at: float) -> list[AgentTransition]:
    return [
        AgentTransition(
            extension=extension,
            from_state=effect.old.value,
            to_state=effect.new.value,
            at=_at(at),
            reason=effect.reason or transition.status.reason,
            call_linkedid=effect.call_id or None,
        )
        for effect in transition.effects
        if isinstance(effect, sm.LogTransition)
    ]


class CrmTransitionLog:
    """Queues transitions; :meth:`run` writes them. Nothing is dropped while the controller
    runs; :meth:`flush` writes what is left at shutdown."""

    def __init__(self, repository: AgentStateLogRepository) -> None:
        self._repository = repository
        self._pending: list[AgentTransition] = []
        self._wake = asyncio.Event()

    async def record(self, extension: str, transition: sm.Transition, at: float) -> None:
        self._pending.extend(transitions_of(extension, transition, at))
        self._wake.set()

    async def run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                if not await self._write_batch():
                    await asyncio.sleep(RETRY_SECONDS)

    async def _write_batch(self) -> bool:
        batch = self._pending[:BATCH]
        try:
            await self._repository.record(batch)
        except Exception as exc:  # noqa: BLE001 - the database may be down: keep and retry
            log.warning(
                "agent transitions not logged yet (%d waiting): %s", len(self._pending), exc
            )
            return False
        del self._pending[: len(batch)]
        return True

    async def flush(self) -> None:
        with contextlib.suppress(Exception):
            while self._pending and await self._write_batch():
                pass


class CrmCallbackBook:
    def __init__(self, repository: CallbackRepository) -> None:
        self._repository = repository

    async def add(self, call: WaitingCall, kind: str, at: float) -> None:
        await self._repository.create(
            CallbackRequest(
                caller_number=call.caller_number,
                call_linkedid=call.call_id,
                kind=kind,
                queue=call.queue,
                enqueued_at=_at(call.enqueued_at),
                requested_at=_at(at),
                skills=call.skills,
                language=call.language,
                vip=call.vip,
            )
        )


def restored_status(presence: Presence, now: float) -> AgentStatus:
    """An agent's status rebuilt from the CRM after Redis lost it. Logged out, ready and paused
    (with the reason) come back as they were; an agent who was ringing, talking or wrapping up
    comes back in wrap-up from now, so they are not offered a call in the middle of one."""
    since = presence.since.timestamp()
    state = AgentState(presence.state)
    if state in (AgentState.RESERVED, AgentState.ON_CALL, AgentState.WRAP_UP):
        return AgentStatus(
            presence.extension, AgentState.WRAP_UP, since=now, idle_since=now, version=1
        )
    return AgentStatus(
        presence.extension,
        state,
        since=since,
        idle_since=since,
        reason=presence.reason if state is AgentState.PAUSED else "",
        version=1,
    )
