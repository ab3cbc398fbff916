"""The ACD inside one controller (built by the application shell): its mirror of Redis kept
current, its tick running, and its faces to the REST API (agent control, live queue figures)."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any

from redis.exceptions import RedisError

from acd.config import AcdSettings
from acd.core.agent_states import AgentStateError
from acd.core.model import AgentProfile, AgentStatus, WaitingCall
from acd.core.wallboard import wallboard
from acd.crm import CrmTransitionLog
from acd.live.changes import Changes
from acd.rebuild import Rebuild
from acd.service import Acd
from crm_bridge.agent_repository import AgentRepository
from crm_bridge.agent_state_repository import AgentStateLogRepository
from crm_bridge.outage import OutageLog
from wire.commands import CallControl

log = logging.getLogger(__name__)

RESYNC_SECONDS = 2.0
HEALTH_WAIT = 3.0  # seconds /health waits for Redis
LOAD_WAIT = 10.0  # seconds a REST call made while the ACD starts waits for its first load


def status_to_dict(status: AgentStatus, now: float) -> dict[str, Any]:
    return {
        "extension": status.extension,
        "state": status.state.value,
        "reason": status.reason,
        "call": status.call_id,
        "seconds_in_state": round(max(0.0, now - status.since), 1) if status.since else None,
    }


class AcdStartingError(AgentStateError):
    """The ACD has not loaded its agents yet (Redis unreachable since the start)."""

    code = "acd-unavailable"


@dataclass
class AcdRuntime:
    acd: Acd
    agents: AgentRepository
    journal: CrmTransitionLog
    presence: AgentStateLogRepository
    settings: AcdSettings
    asterisk: CallControl | None = None  # its live channels, for a rebuild
    loaded: asyncio.Event = field(default_factory=asyncio.Event)  # the first load is done
    generation: str = ""  # the live state's generation this controller's mirror holds
    rebuilding: bool = False  # loading a new generation (a rebuild, or another's)
    _loading: asyncio.Lock = field(default_factory=asyncio.Lock)

    # ---- mirror --------------------------------------------------------------------------
    async def profiles(self) -> list[AgentProfile]:
        return [
            AgentProfile(
                extension=p.extension,
                name=p.name,
                skills=dict(p.skills),
                languages=frozenset(p.languages),
                team=p.team,
                wrapup_seconds=self.settings.wrapup_for(p.team, p.wrapup_seconds),
            )
            for p in await self.agents.list_profiles()
            if p.role in ("agent", "supervisor")
        ]

    async def load(self) -> None:
        """Profiles from the CRM into Redis and the mirror, the mirror read from Redis afresh;
        when Redis has no generation (restarted empty, or a new one), its live state is rebuilt
        first (``acd.rebuild``) and a generation written."""
        async with self._loading:
            await self._load()

    async def _load(self) -> None:
        live = self.acd.live
        await live.load_scripts()
        profiles = await self.profiles()
        stored = await live.generation()
        fresh = stored != self.generation
        self.rebuilding = fresh
        try:
            if not stored:
                rebuild = Rebuild(live, self.presence, self.asterisk)
                await rebuild.run({p.extension for p in profiles}, time.time())
                stored = await live.claim_generation(uuid.uuid4().hex)
            await self.acd.load(profiles)
            self.generation = stored
        finally:
            self.rebuilding = False
        if fresh:
            log.info("ACD live state generation %s loaded", stored)
            await self.acd.dispatcher.sweep()  # the line rebuilt, the agents back: offer now

    async def check_generation(self) -> bool:
        """Whether Redis still holds the live state this controller loaded; when not (a new
        Redis), load (and rebuild) again before answering False."""
        if self.generation and await self.acd.live.generation() == self.generation:
            return True
        async with self._loading:
            if not self.generation or await self.acd.live.generation() != self.generation:
                log.warning("ACD found a new Redis (generation changed); rebuilding")
                await self._load()
        return False

    async def keep_in_sync(self) -> None:
        """Follow every controller's changes; after Redis trouble, load everything again (Redis
        or the CRM down: logged once per state change, ``OutageLog``, and retried)."""
        outage = OutageLog(log, "ACD sync with Redis and the CRM")
        while True:
            try:
                async with self.acd.subscribe() as changes:
                    await self.load()
                    self.loaded.set()
                    outage.succeeded()
                    async for change in changes:
                        self.acd.apply_change(change)
            except Exception as exc:  # noqa: BLE001 - logged once per state change, retried
                outage.failed(exc)
                await asyncio.sleep(RESYNC_SECONDS)

    async def health(self) -> dict[str, Any]:
        """``ok`` once loaded, not rebuilding, and Redis holds the generation loaded here."""
        if not self.loaded.is_set() or self.rebuilding:
            return {"ok": False, "state": "rebuilding" if self.rebuilding else "starting"}
        try:
            stored = await asyncio.wait_for(self.acd.live.generation(), HEALTH_WAIT)
        except (RedisError, OSError, TimeoutError) as exc:
            return {"ok": False, "state": "redis-unreachable", "error": type(exc).__name__}
        if stored != self.generation:
            return {"ok": False, "state": "out-of-sync"}
        return {"ok": True, "state": "in-sync"}

    async def tick_forever(self) -> None:
        """The tick (``Acd.tick``) after the generation check, every ``tick_interval``; while
        Redis or the CRM is down the failure is logged once (``OutageLog``), not every tick."""
        outage = OutageLog(log, "ACD tick")
        while True:
            await asyncio.sleep(self.settings.tick_interval)
            if not self.loaded.is_set():
                continue
            try:
                await self.check_generation()
                await self.acd.tick()
            except Exception as exc:  # noqa: BLE001 - logged once per state change, retried
                outage.failed(exc)
            else:
                outage.succeeded()

    # ---- the REST API's ports ------------------------------------------------------------
    # Each waits for the first load: a request made while a controller starts is answered
    # from the loaded agents, never with a wrong "unknown agent".
    async def started(self) -> None:
        if self.loaded.is_set():
            return
        try:
            await asyncio.wait_for(self.loaded.wait(), LOAD_WAIT)
        except TimeoutError:
            raise AcdStartingError("-", f"not loaded within {LOAD_WAIT:.0f} s") from None

    async def login(self, extension: str) -> object:
        await self.started()
        return await self.acd.login(extension)

    async def logout(self, extension: str) -> object:
        await self.started()
        return await self.acd.logout(extension)

    async def pause(self, extension: str, reason: str) -> object:
        await self.started()
        return await self.acd.pause(extension, reason)

    async def unpause(self, extension: str) -> object:
        await self.started()
        return await self.acd.unpause(extension)

    async def ready(self, extension: str) -> object:
        await self.started()
        return await self.acd.ready(extension)

    async def state(self, extension: str) -> Mapping[str, Any]:
        await self.started()
        return status_to_dict(await self.acd.state(extension), time.time())

    async def snapshot(self) -> Mapping[str, Any]:
        """Wallboard figures (``acd.core.wallboard``): per queue today with its line and agents by
        state, the calls in line (those ringing an agent too), the agents' states."""
        await self.started()
        queued = await self.acd.queued_calls()
        figures = await self.acd.stats.today()
        statuses = self.acd.statuses()
        return wallboard(figures, queued, statuses, self.acd.profiles(), time.time())

    async def agents_changed(self, extension: str) -> None:
        """The CRM's agents changed: refresh the profiles everywhere; forget a deleted one."""
        profiles = await self.profiles()
        for profile in profiles:
            await self.acd.put_profile(profile)
        if extension not in {p.extension for p in profiles}:
            await self.acd.forget(extension)

    # ---- the console's read view (``ivr_acd.web.console``) -------------------------------
    def agent_profiles(self) -> Mapping[str, AgentProfile]:
        """Every known agent's profile, as this controller's mirror has it."""
        return self.acd.profiles()

    def agent_statuses(self) -> list[AgentStatus]:
        """Every agent's status, as this controller's mirror has it."""
        return self.acd.statuses()

    async def agent_status(self, extension: str) -> AgentStatus:
        """An agent's status as Redis has it now (logged out when never seen)."""
        return await self.acd.current_status(extension)

    async def call(self, call_id: str) -> WaitingCall | None:
        """A call in the ACD's line (waiting, or being offered); None once answered or gone."""
        return await self.acd.queued_call(call_id)

    def changes(self) -> AbstractAsyncContextManager[Changes]:
        """Every controller's changes to the ACD's live state (``acd.live.changes``)."""
        return self.acd.subscribe()
