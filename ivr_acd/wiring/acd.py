"""The ACD, built from settings for the composition root (``ivr_acd.controller``): its live
state and queue figures in Redis under the instance's prefix, the dispatcher with the routing
policy and the agents' ring lease, the CRM's callbacks and agent-state journal."""

from __future__ import annotations

import time

import redis.asyncio as aioredis

from acd.agi import AmiDelivery
from acd.config import routing_policy
from acd.crm import CrmCallbackBook, CrmTransitionLog
from acd.dispatcher import Dispatcher
from acd.live.live_state import LiveState
from acd.live.queue_stats import QueueStats
from acd.runtime import AcdRuntime
from acd.service import Acd
from crm_bridge.agent_repository import AgentRepository
from crm_bridge.agent_state_repository import AgentStateLogRepository
from crm_bridge.callback_repository import CallbackRepository
from crm_bridge.db import Database
from ivr_acd.settings import Settings
from wire.ami import AmiClient


def build_acd(
    settings: Settings, redis: aioredis.Redis, database: Database, ami: AmiClient
) -> AcdRuntime:
    prefix = settings.paths.redis_prefix
    presence = AgentStateLogRepository(database.sessions)
    journal = CrmTransitionLog(presence)
    dispatcher = Dispatcher(
        LiveState(redis, prefix),
        routing_policy(settings.acd),
        AmiDelivery(ami),
        journal,
        lease_seconds=settings.asterisk.agent_ring_seconds + settings.acd.lease_margin,
    )
    acd = Acd(
        dispatcher,
        QueueStats(redis, prefix),
        CrmCallbackBook(CallbackRepository(database.sessions)),
        clock=time.time,
    )
    return AcdRuntime(
        acd, AgentRepository(database.sessions), journal, presence, settings.acd, asterisk=ami
    )
