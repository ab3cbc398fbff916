"""The floor ``bench recovery`` rebuilds: a private redis-server (never the shared one), a
SQLite CRM with the agents, an in-memory Asterisk (its channel list and the ACD_CALL tokens on
the waiting callers' channels, as ``CoreShowChannels`` and ``Getvar`` would answer), and
controllers built as the composition root builds the ACD (``ivr_acd.wiring.acd``), with the
REST-free parts swapped: deliveries succeed at once, callbacks are dropped.

The floor: half the agents talk (a caller channel and the agent's, bridged), half are paused,
and the callers wait in ``acd-wait``; with 500 agents and 200 callers Asterisk lists 700
channels."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import redis.asyncio as aioredis

from acd.config import AcdSettings, routing_policy
from acd.core.model import WaitingCall
from acd.crm import CrmTransitionLog
from acd.dispatcher import Dispatcher
from acd.live.codec import call_to_token
from acd.live.live_state import LiveState
from acd.live.queue_stats import QueueStats
from acd.runtime import AcdRuntime
from acd.service import Acd
from crm_bridge.agent_repository import AgentRepository
from crm_bridge.agent_state_repository import AgentStateLogRepository
from crm_bridge.db import Database
from crm_bridge.migrate import upgrade
from crm_bridge.models import Agent, AgentSkill
from crm_bridge.passwords import hash_password
from wire import names
from wire.commands import Command, GetVar
from wire.replies import ChannelRow

PREFIX = "ivracd:bench-recovery"
SKILL, LANGUAGE = "claims", "zh"
FIRST_EXTENSION = 10001  # five digits: 500 agents never run into the supervisors (9001...)
START_WAIT = 5.0


# ---- a private redis-server ----------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class PrivateRedis:
    folder: Path
    port: int = field(default_factory=_free_port)
    _process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is not installed (scripts/install-system-deps)")
        args = [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        args += ["--appendonly", "no", "--dir", str(self.folder)]
        self._process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + START_WAIT
        while not _answers(self.port):
            if time.monotonic() > deadline or self._process.poll() is not None:
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.02)

    def stop(self) -> None:
        if self._process is not None:
            self._process.kill()  # as a crash: nothing saved
            self._process.wait()
            self._process = None

    def restart_empty(self) -> None:
        self.stop()
        self.start()


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(16).startswith(b"+PONG")
    except OSError:
        return False


# ---- an in-memory Asterisk -----------------------------------------------------------------
@dataclass
class ChannelsAsterisk:
    """``CoreShowChannels`` and ``Getvar`` answered from memory (``CallControl``)."""

    rows: list[ChannelRow] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)  # channel -> ACD_CALL
    lookups: int = 0
    getvars: int = 0

    async def send(self, command: Command) -> None:
        command.fields()

    async def get_var(self, command: GetVar) -> str:
        self.getvars += 1
        return (
            self.tokens.get(command.channel, "") if command.variable == names.VAR_ACD_CALL else ""
        )

    async def channels(self) -> tuple[ChannelRow, ...]:
        self.lookups += 1
        return tuple(self.rows)


class Delivered:
    async def deliver(self, call: WaitingCall, extension: str, step: str) -> bool:
        return True


class NoCallbacks:
    async def add(self, call: WaitingCall, kind: str, at: float) -> None:
        return None


# ---- the CRM and the controllers ------------------------------------------------------------
def extensions(count: int) -> list[str]:
    return [str(FIRST_EXTENSION + n) for n in range(count)]


async def crm(folder: Path, agents: int) -> Database:
    """A migrated SQLite CRM with ``agents`` agents (one password hash shared: the bench needs
    rows, not 500 scrypt runs) and their presence (logged out)."""
    url = f"sqlite+aiosqlite:///{folder}/crm.db"
    await upgrade(url)
    database = Database(url)
    secret = await asyncio.to_thread(hash_password, "bench-password")
    async with database.sessions.begin() as session:
        for extension in extensions(agents):
            skills = [AgentSkill(skill=SKILL, level=3)]
            session.add(
                Agent(extension=extension, name=f"agent {extension}", password_hash=secret,
                      sip_secret=f"sip-{extension}", languages=[LANGUAGE], team="claims",
                      role="agent", skills=skills)
            )  # fmt: skip
    return database


def controller(database: Database, redis: aioredis.Redis, asterisk: ChannelsAsterisk) -> AcdRuntime:
    """One controller's ACD, as ``ivr_acd.wiring.acd.build_acd`` puts it together."""
    settings = AcdSettings(wrapup_seconds={"default": 30})
    presence = AgentStateLogRepository(database.sessions)
    journal = CrmTransitionLog(presence)
    live = LiveState(redis, PREFIX)
    dispatcher = Dispatcher(live, routing_policy(settings), Delivered(), journal, lease_seconds=20)
    acd = Acd(dispatcher, QueueStats(redis, PREFIX), NoCallbacks(), clock=time.time)
    agents = AgentRepository(database.sessions)
    return AcdRuntime(acd, agents, journal, presence, settings, asterisk=asterisk)


def _call(n: int, enqueued_at: float) -> WaitingCall:
    call_id = f"1764000000.{n}"
    channel = f"PJSIP/carrier-{n:08x}"
    return WaitingCall(
        call_id, channel, "13800138000", (SKILL,), LANGUAGE, n % 7 == 0, enqueued_at, queue=SKILL
    )


async def populate(
    runtime: AcdRuntime, asterisk: ChannelsAsterisk, agents: int, waiting: int
) -> None:
    """Through the ACD's front door: half the agents answer a call, the others log in and pause,
    then ``waiting`` callers join the line; Asterisk gets the matching channels and tokens."""
    await runtime.load()
    runtime.loaded.set()
    acd, now = runtime.acd, time.time()
    everyone = extensions(agents)
    talkers, others = everyone[: agents // 2], everyone[agents // 2 :]
    for n, extension in enumerate(talkers):
        await acd.login(extension)
        joined = await acd.join(_call(n, now - 60))
        await acd.agent_dial_ended(joined.agent, joined.call.call_id, "ANSWER")
        asterisk.rows += _talking_rows(n, joined.agent, joined.call)
    for extension in others:
        await acd.login(extension)
        await acd.pause(extension, "break")
    for n in range(len(talkers), len(talkers) + waiting):
        joined = await acd.join(_call(n, now - 30 + n / 1000))
        asterisk.rows.append(
            ChannelRow(joined.call.channel, joined.call.call_id, joined.call.call_id, "Up",
                       names.CTX_ACD_WAIT, application="MusicOnHold")
        )  # fmt: skip
        asterisk.tokens[joined.call.channel] = call_to_token(joined.call)
    await runtime.journal.flush()  # the CRM's presence as the floor is now


def _talking_rows(n: int, agent: str, call: WaitingCall) -> list[ChannelRow]:
    bridge = f"bridge-{n}"
    return [
        ChannelRow(call.channel, call.call_id, call.call_id, "Up", names.CTX_ACD_DELIVER,
                   application="Dial", bridge_id=bridge),
        ChannelRow(f"PJSIP/{agent}-{n + 0x100000:08x}", f"1764000001.{n}", call.call_id, "Up",
                   "agents", application="AppDial", bridge_id=bridge),
    ]  # fmt: skip
