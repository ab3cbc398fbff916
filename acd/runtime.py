"""The ACD inside one controller (built by the application shell): its mirror of Redis kept
current, its tick running, and its faces to the REST API (agent control, live queue figures)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import Any

from redis.exceptions import RedisError

from acd.config import AcdSettings
from acd.core.agent_states import AgentStateError
from acd.core.model import AgentProfile, AgentStatus, WaitingCall
from acd.core.wallboard import wallboard
from acd.crm import CrmTransitionLog, restored_status
from acd.live.changes import Changes
from acd.service import Acd
from crm_bridge.agent_repository import AgentRepository
from crm_bridge.agent_state_repository import AgentStateLogRepository

log = logging.getLogger(__name__)

RESYNC_SECONDS = 2.0
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
    loaded: asyncio.Event = field(default_factory=asyncio.Event)  # the first load is done

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
        """Profiles from the CRM into Redis and the mirror; agents' states back from the CRM
        when Redis has lost them (restarted empty)."""
        live = self.acd.live
        await live.load_scripts()
        profiles = await self.profiles()
        if not await live.snapshot():
            now = time.time()
            restored = await live.restore(
                restored_status(p, now) for p in await self.presence.presence()
            )
            if restored:
                log.info("restored %d agent state(s) from the CRM", restored)
        await self.acd.load(profiles)

    async def keep_in_sync(self) -> None:
        """Follow every controller's changes; after Redis trouble, load everything again."""
        while True:
            try:
                async with self.acd.subscribe() as changes:
                    await self.load()
                    self.loaded.set()
                    async for change in changes:
                        self.acd.apply_change(change)
            except (RedisError, OSError, TimeoutError) as exc:
                log.warning("ACD lost Redis (%s); resynchronising", exc)
                await asyncio.sleep(RESYNC_SECONDS)

    async def tick_forever(self) -> None:
        while True:
            await asyncio.sleep(self.settings.tick_interval)
            try:
                await self.acd.tick()
            except Exception:
                log.exception("ACD tick failed")

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
