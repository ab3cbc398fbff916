"""The dunning dialer's pieces, built from settings for the composition root
(``ivr_acd.controller``): the CRM's campaigns and facts, the attempt tracker fed by AMI events,
the campaign lease, the agentless payment-flow route and the scheduler loop itself."""

from __future__ import annotations

import socket
from dataclasses import dataclass

import redis.asyncio as aioredis

from acd.dunning.agents import CollectionsAgents
from acd.dunning.agi import DunningCalls
from acd.dunning.dialer import Dialer, Trunk, dialer_clock
from acd.dunning.events import AttemptTracker
from acd.dunning.facts import CampaignFacts
from acd.dunning.lease import CampaignLease
from acd.dunning.prompts import SteadyPrompts
from acd.dunning.repository import CampaignRepository
from acd.service import Acd
from crm_bridge.calls.repository import CallRepository
from crm_bridge.db import Database
from ivr.flows.context import Services
from ivr.handoff_store import HandoffStore
from ivr.menu import MenuTree
from ivr.prompts import PromptStore
from ivr_acd.settings import Settings
from wire.ami import AmiClient

AMD_SECONDS = 6  # amd.conf's total analysis time, rounded up
LEASE_MARGIN_SECONDS = 30


@dataclass(frozen=True)
class DialerParts:
    campaigns: CampaignRepository
    facts: CampaignFacts
    tracker: AttemptTracker
    dialer: Dialer
    calls: DunningCalls


def controller_id(settings: Settings) -> str:
    """Who holds a campaign's lease: stable across a restart of the same controller."""
    return f"{socket.gethostname()}:{settings.agi.port}"


def build_dialer(
    settings: Settings,
    *,
    database: Database,
    redis: aioredis.Redis,
    ami: AmiClient,
    acd: Acd,
    prompts: PromptStore,
    tree: MenuTree,
    services: Services,
) -> DialerParts:
    config = settings.campaigns
    clock = dialer_clock(config.clock_start)
    prefix = settings.paths.redis_prefix
    campaigns = CampaignRepository(database.sessions, clock)
    facts = CampaignFacts(database.sessions, clock)
    reservation = config.ring_seconds + AMD_SECONDS + config.connect_seconds
    agents = CollectionsAgents(acd, reservation + LEASE_MARGIN_SECONDS)
    tracker = AttemptTracker(
        campaigns,
        facts,
        ami,
        CallRepository(database.sessions),
        agents,
        clock,
        settle_seconds=config.settle_seconds,
        disposition_grace=config.disposition_grace,
    )
    lease = CampaignLease(redis, prefix, controller_id(settings), config.lease_seconds)
    steady = SteadyPrompts(prompts)
    trunk = Trunk(
        carrier=settings.asterisk.carrier_username,
        caller_id=config.caller_id or settings.asterisk.hotline_did,
        allowed_prefixes=tuple(settings.acd.dial_allow),
    )
    dialer = Dialer(config, trunk, campaigns, facts, tracker, lease, steady, clock)
    calls = DunningCalls(
        tree, steady, services, campaigns, facts, HandoffStore(redis, prefix), clock
    )
    return DialerParts(campaigns, facts, tracker, dialer, calls)
