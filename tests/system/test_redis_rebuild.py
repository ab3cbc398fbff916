"""Redis restarted empty, or failed over by Sentinel, under the running stack (issue 12,
finding 1). The controller runs on private redis-servers this module starts, restarts and
kills (never the shared one on 6379); the rest is the real stack: the Asterisk sandbox,
pjsua2 agents and callers on the direct line.

A caller talking to 8005, a caller waiting, 8004 paused for lunch and 8002 paused when Redis
comes back empty (or the primary dies): the controller rebuilds (or carries on on the
promoted replica), the waiting caller rings 8002 within 2 s of 8002
coming back, 8005 stays on the call until it ends (then wrap-up), the lunch pause keeps its
reason, and each call has exactly one CDR."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pytest

from ivr_acd_dev.simulator import Call, Phone
from tests.private_redis import PrivateRedis, PrivateSentinels
from tests.system.conftest import DIRECT_LINE, Stack, eventually, utc_now_iso

pytestmark = pytest.mark.system

FLOOR = ("8002", "8004", "8005")  # service 3, 4, 5; 8005 has 20 s of wrap-up
TALKER, WAITER = "13900139101", "13900139102"  # not in the CRM: standard callers


class RedisFault(Protocol):
    def stop(self) -> None: ...

    def fault(self) -> None: ...


@dataclass
class RestartedEmpty:
    server: PrivateRedis

    @property
    def env(self) -> dict[str, str]:
        return {"IVR_ACD_REDIS__URL": self.server.url}

    def stop(self) -> None:
        self.server.stop()

    def fault(self) -> None:
        self.server.restart_empty()


@dataclass
class FailedOver:
    topology: PrivateSentinels

    @property
    def env(self) -> dict[str, str]:
        sentinels = json.dumps(self.topology.addresses)
        return {"IVR_ACD_REDIS__SENTINELS": sentinels, "IVR_ACD_REDIS__MASTER_NAME": "ivracd"}

    def stop(self) -> None:
        self.topology.stop()

    def fault(self) -> None:
        self.topology.primary.stop()  # killed; Sentinel promotes the replica


def _fault(kind: str, folder: Path) -> RestartedEmpty | FailedOver:
    if kind == "restarted-empty":
        server = PrivateRedis(folder)
        server.start()
        return RestartedEmpty(server)
    topology = PrivateSentinels(folder)
    topology.start()
    return FailedOver(topology)


@pytest.fixture(scope="module", params=["restarted-empty", "sentinel-failover"])
async def private_redis(
    request: pytest.FixtureRequest, stack: Stack, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[RestartedEmpty | FailedOver]:
    """The controller moved to a private Redis (a plain one, or a primary, a replica and three
    Sentinels) for this module, and back to the shared one afterwards."""
    fault = _fault(str(request.param), Path(tmp_path_factory.mktemp("redis")))
    await stack.controller.stop()
    try:
        await stack.start_controller(**fault.env)
        yield fault
    finally:
        await stack.controller.stop()
        fault.stop()
        await stack.start_controller()


@pytest.fixture(scope="module")
async def phones(stack: Stack, private_redis: RedisFault) -> AsyncIterator[dict[str, Phone]]:
    registered: dict[str, Phone] = {}
    for extension in FLOOR:
        phone = await stack.pool.add_phone(
            f"rebuild-{extension}", extension, stack.secret_of(extension), stack.domain
        )
        await phone.register()
        registered[extension] = phone
    yield registered
    for extension, phone in registered.items():
        with contextlib.suppress(AssertionError):
            await stack.agent_action(extension, "logout")
        await phone.close()


async def _state(stack: Stack, extension: str) -> dict[str, object]:
    return await stack.agent_state(extension)


async def _direct_call(stack: Stack, number: str) -> tuple[Phone, Call]:
    caller = await stack.caller(number)
    call = await caller.call(f"sip:{DIRECT_LINE}@{stack.domain}")
    await call.wait_state("CONFIRMED", 10)
    return caller, call


async def _floor_ready(stack: Stack) -> None:
    """Nobody but this module's agents can take a call: everyone else logged out."""
    for extension in ("8001", "8003", "8006", *FLOOR):
        if (await _state(stack, extension))["state"] != "logged-out":
            await stack.agent_action(extension, "logout")


async def _acd_in_sync(stack: Stack) -> bool:
    status, health = await stack.get("/health", token=None)
    return status == 200 and health["acd"]["state"] == "in-sync"


async def test_redis_restarted_empty_with_a_caller_talking_one_waiting_and_an_agent_paused(
    stack: Stack, phones: dict[str, Phone], private_redis: RedisFault
) -> None:
    await eventually(lambda: _acd_in_sync(stack), 20, "the ACD on the private Redis")
    await _floor_ready(stack)
    since = utc_now_iso()
    await stack.agent_action("8005", "login")
    talker, talking = await _direct_call(stack, TALKER)
    agent_leg = await phones["8005"].wait_incoming(15)
    await agent_leg.answer()
    await agent_leg.wait_state("CONFIRMED", 10)
    for extension, reason in (("8004", "lunch"), ("8002", "break")):
        await stack.agent_action(extension, "login")
        await stack.agent_action(extension, "pause", reason=reason)
    waiter, _waiting = await _direct_call(stack, WAITER)

    async def in_line() -> bool:
        status, body = await stack.get("/queues")
        return status == 200 and len(body["waiting"]) == 1

    await eventually(in_line, 10, "the second caller in line")
    await asyncio.sleep(1.0)  # the agents' transitions reach the CRM (written in batches)

    private_redis.fault()
    faulted = time.monotonic()
    await eventually(lambda: _acd_in_sync(stack), 15, "the ACD in step with the new Redis")
    if isinstance(private_redis, RestartedEmpty):  # a failover waits for Sentinel's verdict
        assert time.monotonic() - faulted < 2.0, "not rebuilt within 2 s"
    assert (await _state(stack, "8005"))["state"] == "on-call"
    assert (await _state(stack, "8004"))["state"] == "paused"
    assert (await _state(stack, "8004"))["reason"] == "lunch"

    await stack.agent_action("8002", "unpause")
    unpaused = time.monotonic()
    ring = await phones["8002"].wait_incoming(5)
    assert time.monotonic() - unpaused < 2.0
    assert ring.remote_user == WAITER
    await ring.answer()
    await ring.wait_state("CONFIRMED", 10)
    await asyncio.sleep(1.0)
    assert (await _state(stack, "8005"))["state"] == "on-call"  # still talking: no wrap-up

    await talking.hangup()
    await eventually(
        lambda: _state_is(stack, "8005", "wrap-up"), 5, "8005 in wrap-up once the call ended"
    )
    await ring.hangup()
    first, second = await stack.cdr(TALKER, since), await stack.cdr(WAITER, since)  # one each
    assert first.agent_extension == "8005" and second.agent_extension == "8002"
    await talker.close()
    await waiter.close()


async def _state_is(stack: Stack, extension: str, state: str) -> bool:
    return (await _state(stack, extension))["state"] == state
