"""FastAGI session throughput: ivr-acd's FastAGI adapter against panoramisk's own
``fast_agi.Application`` (the peer it replaces), over real loopback sockets.

A simulated Asterisk opens SESSIONS connections (CONCURRENCY at a time), sends an AGI
environment, and answers each of the COMMANDS commands with ``200 result=0``."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from panoramisk.fast_agi import Application

from bench.agi_load import free_port
from bench.agi_server import BENCH_SECRET, bench_guard
from wire.agi import AgiChannel, FastAgiServer

SESSIONS = 3000
CONCURRENCY = 50
COMMANDS = 10
ENV = (
    f"agi_network: yes\nagi_network_script: {BENCH_SECRET}/ivr\n".encode()
    + f"agi_request: agi://127.0.0.1/{BENCH_SECRET}/ivr\n".encode()
    + b"agi_channel: PJSIP/carrier-00000001\nagi_uniqueid: 1.1\nagi_callerid: 13800138000\n\n"
)


async def _fake_asterisk(port: int) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(ENV)
    while await reader.readline():
        writer.write(b"200 result=0\n")
    writer.close()


async def _drive(port: int) -> float:
    semaphore = asyncio.Semaphore(CONCURRENCY)

    async def one() -> None:
        async with semaphore:
            await _fake_asterisk(port)

    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(SESSIONS)))
    return SESSIONS / (time.perf_counter() - started)


async def _ours(port: int) -> float:
    async def route(channel: AgiChannel) -> None:
        for _ in range(COMMANDS):
            await channel.run("SET VARIABLE X 1")

    async def fallback(_channel: AgiChannel) -> None:
        return None

    server = FastAgiServer("127.0.0.1", port, {"ivr": route}, fallback, bench_guard())
    await server.start()
    try:
        return await _drive(port)
    finally:
        await server.stop_accepting()


async def _panoramisk(port: int) -> float:
    app = Application()

    async def route(request: Any) -> None:
        for _ in range(COMMANDS):
            await request.send_command("SET VARIABLE X 1")

    app.add_route(f"{BENCH_SECRET}/ivr", route)  # no guard: it routes by the whole script
    server = await asyncio.start_server(app.handler, "127.0.0.1", port)
    try:
        return await _drive(port)
    finally:
        server.close()


async def _best_of(runs: int, bench: Callable[[int], Awaitable[float]]) -> float:
    # A free port each time: a fixed one can be held by a connection's ephemeral end.
    return max([await bench(free_port()) for _ in range(runs)])


async def main() -> None:
    print(
        f"FastAGI: {SESSIONS} sessions x {COMMANDS} commands, {CONCURRENCY} concurrent, "
        "best of 3 (loopback)"
    )
    ours = await _best_of(3, _ours)
    peer = await _best_of(3, _panoramisk)
    print(f"  ivr-acd FastAgiServer         {ours:8.0f} sessions/s")
    print(f"  panoramisk fast_agi (peer)    {peer:8.0f} sessions/s")
    print(f"  ratio ivr-acd / panoramisk    {ours / peer:8.2f}")
