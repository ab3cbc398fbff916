"""The composition root: one function builds the whole controller from settings; every resource
opens and closes here (AsyncExitStack). ``ivr-acd serve`` runs :func:`serve`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import redis.asyncio as aioredis
from aiohttp import web
from sqlalchemy import text

from acd.agi import AcdCalls
from acd.core.queue_experience import fixed_texts as queue_texts
from acd.events import AcdEvents
from acd.runtime import AcdRuntime
from acd.supervision.agi import SpyFeature
from acd.supervision.repository import SpyRepository
from acd.supervision.service import Supervision
from crm_bridge.audit.repository import AuditRepository
from crm_bridge.callback_repository import CallbackRepository
from crm_bridge.calls.cdr_writer import CdrWriter
from crm_bridge.calls.journal_cursors import JournalCursors
from crm_bridge.calls.live import LiveCallStore
from crm_bridge.calls.spool import CdrSpool
from crm_bridge.calls.tracking import CallRecorder
from crm_bridge.customer_cache import CachedCustomers
from crm_bridge.db import Database
from crm_bridge.kpis.agents import KpiRepository
from crm_bridge.migrate import upgrade_when_reachable
from crm_bridge.repositories import (
    CallRepository,
    ComplaintRepository,
    CustomerRepository,
    FieldAgentRepository,
    PolicyRepository,
    QuoteRepository,
)
from ivr.calls import IvrCalls
from ivr.flows.context import Services
from ivr.flows.registry import FLOWS
from ivr.handoff_store import HandoffStore
from ivr.menu import load_menu_tree
from ivr.prompts import PromptStore
from ivr.rating import load_tables
from ivr.speech_input import SpeechInput, VoskRecognizers
from ivr_acd.provisioning import Provisioner
from ivr_acd.settings import Settings
from ivr_acd.web.app import ApiDeps, build_api
from ivr_acd.web.auth.sessions import LoginLimiter, SessionStore
from ivr_acd.web.console.pages import add_console_pages, console_ports
from ivr_acd.web.console.routes import CONSOLE
from ivr_acd.web.core import BodyLimits
from ivr_acd.web.i18n import packaged_catalogs
from ivr_acd.web.transport import start_site
from ivr_acd.wiring.acd import build_acd
from ivr_acd.wiring.agi import agi_guard
from ivr_acd.wiring.dunning import DialerParts, build_dialer
from ivr_acd.wiring.redis import open_redis
from wire import names
from wire.agi import FastAgiServer
from wire.ami import AmiClient
from wire.audiosocket import AudioSocketServer
from wire.pump import EventPump

log = logging.getLogger(__name__)


@dataclass
class Controller:
    settings: Settings
    database: Database
    redis: aioredis.Redis
    ami: AmiClient
    calls: CallRepository
    customers: CustomerRepository
    live: LiveCallStore
    cdr_writer: CdrWriter
    spool: CdrSpool
    recorder: CallRecorder
    ivr: IvrCalls
    acd: AcdRuntime
    acd_calls: AcdCalls
    provisioner: Provisioner
    supervision: Supervision
    tasks: set[asyncio.Task[None]]
    dunning: DialerParts | None = None  # outbound dunning campaigns (ivr_acd.wiring.dunning)
    agi: FastAgiServer = field(init=False)

    def __post_init__(self) -> None:
        agi = self.settings.agi
        routes = {
            names.AGI_ROUTE_IVR: self.ivr.serve,
            names.AGI_ROUTE_ACD_ENQUEUE: self.acd_calls.enqueue,
            names.AGI_ROUTE_ACD_ANNOUNCE: self.acd_calls.announce,
            names.AGI_ROUTE_ACD_CALLBACK: self.acd_calls.callback,
            names.AGI_ROUTE_AGENT: self.acd_calls.agent_feature,
            names.AGI_ROUTE_SPY: SpyFeature(self.supervision, self.acd_calls.prompts).serve,
        }
        if self.dunning is not None:
            routes[names.AGI_ROUTE_DUNNING] = self.dunning.calls.serve
        self.agi = FastAgiServer(
            agi.host,
            agi.port,
            routes,
            self.ivr.unknown_route,
            agi_guard(self.settings),
            on_cdr_variable=self.recorder.note,
        )

    async def agents_changed(self, extension: str) -> None:
        """An agent was added, changed or removed in the CRM: softphones and routing follow."""
        await self.provisioner.apply()
        await self.acd.agents_changed(extension)

    # ---- health ----------------------------------------------------------------------------
    async def health(self) -> dict[str, Any]:
        report: dict[str, Any] = {"ami": {"ok": self.ami.connected}}
        try:
            async with self.database.engine.connect() as conn:
                await asyncio.wait_for(conn.execute(text("SELECT 1")), 3)
            report["database"] = {"ok": True}
        except Exception as exc:  # noqa: BLE001 - any failure is "down", reported, not raised
            report["database"] = {"ok": False, "error": type(exc).__name__}
        try:
            await asyncio.wait_for(self.redis.ping(), 3)
            report["redis"] = {"ok": True}
        except Exception as exc:  # noqa: BLE001
            report["redis"] = {"ok": False, "error": type(exc).__name__}
        report["acd"] = await self.acd.health()  # loaded, not rebuilding, Redis agrees
        report["ivr_sessions"] = {"ok": True, "live": self.agi.live_sessions}
        report["spooled_cdrs"] = await asyncio.to_thread(self.spool.health)
        return report

    def spawn(self, coro: Any, name: str) -> None:
        task: asyncio.Task[None] = asyncio.create_task(coro, name=name)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)


@contextlib.asynccontextmanager
async def running_controller(settings: Settings) -> AsyncIterator[Controller]:
    """Build, start and finally stop the controller (graceful: no new calls, live IVR sessions
    get the grace period, the last CDR writes are shielded)."""
    async with contextlib.AsyncExitStack() as stack:
        tree = (
            load_menu_tree(settings.ivr.menu_file) if settings.ivr.menu_file else load_menu_tree()
        )
        await upgrade_when_reachable(settings.database_url, settings.controller.database_wait)
        database = Database(settings.database_url)
        stack.push_async_callback(database.close)
        redis = await stack.enter_async_context(open_redis(settings.redis))  # URL or Sentinel
        paths = settings.paths
        prompts = PromptStore(
            paths.prompts_host, paths.prompts_asterisk, recorded_dir=settings.prompts.recorded_dir
        )
        stack.callback(prompts.close)
        warmed = await prompts.warm(tree, extra=queue_texts())
        log.info("%d prompt(s) ready in %s", warmed, paths.prompts_host)
        calls = CallRepository(database.sessions)
        customers = CustomerRepository(database.sessions)
        callers = CachedCustomers(customers)  # the IVR and the ACD look up the same caller
        spool = CdrSpool(settings.spool_dir)
        ast = settings.asterisk
        ami = AmiClient(
            ast.host,
            ast.ami_port,
            ast.ami_username,
            settings.secret(ast.ami_secret, "asterisk.ami_secret"),
        )
        live = LiveCallStore(redis, paths.redis_prefix)
        cdr_writer = CdrWriter(calls, spool)
        acd = build_acd(settings, redis, database, ami)
        controller = Controller(
            settings=settings,
            database=database,
            redis=redis,
            ami=ami,
            calls=calls,
            customers=customers,
            live=live,
            cdr_writer=cdr_writer,
            spool=spool,
            recorder=_recorder(settings, ami, calls, live, cdr_writer, database),
            ivr=IvrCalls(
                tree=tree,
                prompts=prompts,
                customers=callers,
                services=_services(settings, database),
                flows=FLOWS,
                handoffs=HandoffStore(redis, paths.redis_prefix),
                speech=await _speech(settings, stack),
                listen_seconds=settings.speech.listen_seconds,
            ),
            acd=acd,
            acd_calls=AcdCalls(acd.acd, callers, prompts, settings.acd),
            provisioner=Provisioner(settings, acd.agents, ami),
            supervision=Supervision(ami, acd.agents, SpyRepository(database.sessions)),
            tasks=set(),
            dunning=build_dialer(
                settings,
                database=database,
                redis=redis,
                ami=ami,
                acd=acd.acd,
                prompts=prompts,
                tree=tree,
                services=_services(settings, database),
            ),
        )
        stack.push_async_callback(ami.close)
        ami.start()
        controller.spawn(_event_pump(controller).run(), "ami-events")
        controller.spawn(
            controller.cdr_writer.run_replay(settings.controller.spool_replay_interval),
            "cdr-replay",
        )
        controller.spawn(
            controller.recorder.reconcile_periodically(settings.controller.journal_interval),
            "journal-reconcile",
        )
        controller.spawn(acd.keep_in_sync(), "acd-sync")
        controller.spawn(acd.tick_forever(), "acd-tick")
        controller.spawn(acd.journal.run(), "acd-journal")
        controller.spawn(controller.supervision.sweep_periodically(60), "spy-sweep")
        if controller.dunning is not None and settings.campaigns.enabled:
            controller.spawn(controller.dunning.dialer.run_forever(), "dunning-dialer")
        stack.push_async_callback(acd.journal.flush)
        stack.push_async_callback(acd.acd.dispatcher.close)
        stack.push_async_callback(_cancel_tasks, controller)
        stack.push_async_callback(controller.recorder.finish_all)
        runner = await _start_web(settings, controller)
        stack.push_async_callback(runner.cleanup)
        await controller.agi.start()
        stack.push_async_callback(controller.agi.drain, settings.controller.grace_period)
        stack.push_async_callback(controller.agi.stop_accepting)
        yield controller


def _recorder(
    settings: Settings,
    ami: AmiClient,
    calls: CallRepository,
    live: LiveCallStore,
    cdr_writer: CdrWriter,
    database: Database,
) -> CallRecorder:
    """Call records from AMI events, reconciled with the CDR journal Asterisk writes."""
    return CallRecorder(
        ami,
        calls,
        live,
        cdr_writer,
        journal=settings.paths.cdr_journal,
        cursors=JournalCursors(database.sessions),
        settle_seconds=settings.controller.cdr_settle,
    )


def _event_pump(controller: Controller) -> EventPump:
    """AMI's events, in order, to call tracking, then the ACD, supervision and the dialer;
    each (re)connect as one resync for all of them."""
    pump = EventPump(controller.ami)
    pump.subscribe(controller.recorder.apply)
    pump.subscribe(AcdEvents(controller.acd.acd).apply)
    pump.subscribe(controller.supervision.apply)
    if controller.dunning is not None:
        pump.subscribe(controller.dunning.tracker.apply)
    return pump


async def _speech(settings: Settings, stack: contextlib.AsyncExitStack) -> dict[str, SpeechInput]:
    """Speech input for each language that has a Vosk model; none at all without models."""
    if not settings.speech.models:
        return {}
    server = AudioSocketServer(settings.speech.audiosocket_host, settings.speech.audiosocket_port)
    await server.start()
    stack.push_async_callback(server.close)
    recognizers = VoskRecognizers()
    inputs = {
        language: SpeechInput(server, recognizers, model)
        for language, model in settings.speech.models.items()
    }
    for speech in inputs.values():
        await speech.warm_up()
    log.info("speech input on for %s", ", ".join(sorted(inputs)))
    return inputs


def _services(settings: Settings, database: Database) -> Services:
    zone = ZoneInfo(settings.ivr.time_zone)
    return Services(
        field_agents=FieldAgentRepository(database.sessions),
        quotes=QuoteRepository(database.sessions),
        policies=PolicyRepository(database.sessions, lambda: datetime.now(zone).date()),
        complaints=ComplaintRepository(database.sessions),
        rating=load_tables(),
        recordings_dir=settings.paths.recordings,
        now=lambda: datetime.now(zone),
    )


async def _cancel_tasks(controller: Controller) -> None:
    for task in list(controller.tasks):
        task.cancel()
    if controller.tasks:
        await asyncio.wait(list(controller.tasks), timeout=5)


async def _start_web(settings: Settings, controller: Controller) -> web.AppRunner:
    api = build_api(
        ApiDeps(
            calls=controller.calls,
            live_calls=controller.live.list,
            health=controller.health,
            api_token=settings.secret(settings.web.api_token, "web.api_token"),
            agents=controller.acd.agents,
            callbacks=CallbackRepository(controller.database.sessions),
            kpis=KpiRepository(controller.database.sessions, ZoneInfo(settings.ivr.time_zone)),
            agent_control=controller.acd,
            queue_stats=controller.acd,
            on_agents_changed=controller.agents_changed,
            supervision=controller.supervision,
            campaigns=controller.dunning.campaigns if controller.dunning else None,
            campaign_facts=controller.dunning.facts if controller.dunning else None,
            # console sessions and log-in counters: shared by the controllers of one instance
            sessions=SessionStore(
                controller.redis, settings.paths.redis_prefix, settings.web.session_hours * 3600
            ),
            login_limiter=LoginLimiter(
                controller.redis,
                settings.paths.redis_prefix,
                settings.web.login_attempts,
                settings.web.login_window_seconds,
            ),
            audit=AuditRepository(controller.database.sessions, settings.web.audit_retention_days),
            limits=BodyLimits(max_bytes=settings.web.max_body_bytes),
            trusted_proxies=tuple(settings.web.trusted_proxies),
            i18n=packaged_catalogs(settings.web.default_locale),
        )
    )
    api[CONSOLE] = console_ports(
        settings,
        acd=controller.acd,
        live=controller.live,
        redis=controller.redis,
        database=controller.database,
        customers=controller.acd_calls.customers,
        ami=controller.ami,
        spawn=controller.spawn,
    )
    add_console_pages(api, settings.ivr.time_zone)  # /console, /console/agent, …/login
    runner = web.AppRunner(api, access_log=None)
    await runner.setup()
    url = await start_site(runner, settings.web)  # HTTPS with web.tls_cert / tls_key
    log.info("web console and API on %s/api/v1", url)
    return runner


async def serve(settings: Settings) -> None:
    """Run until SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    async with running_controller(settings):
        log.info("controller ready: FastAGI %s:%d", settings.agi.host, settings.agi.port)
        await stop.wait()
        log.info(
            "stopping: no new calls; live IVR sessions have %.0f s",
            settings.controller.grace_period,
        )
