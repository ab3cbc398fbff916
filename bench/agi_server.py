"""The server under test for bench/agi_load.py and bench/ivr_peer.py: ivr-acd's FastAgiServer
alone in a process (so its memory and CPU are measured alone), or, as the baseline, a bare
asyncio server that sends the same commands without any adapter. Prints ``ready`` once it
listens.

Routes: ``hold`` answers, sets two variables, then asks for digits and waits (a caller listening
to a menu); ``loop`` sends commands for as long as the peer answers; ``menu`` is the menu of
bench/ivr_peer.py, the same as the pyst2 peer's (bench/peer_menu.py).

Sessions carry the AGI secret (``agi_network_script: <secret>/<route>``): BENCH_SECRET, or the
sandbox's from the environment (SECRET_ENV). The cap and the command margin are raised out of
the way: the benchmarks hold thousands of sessions whose GET DATA is never answered."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from bench.procfs import raise_open_files_limit
from wire.agi import AgiChannel, FastAgiServer
from wire.agi_guard import AgiGuard, CommandTimeouts

BENCH_SECRET = "ivr-acd-bench-agi-secret"
SECRET_ENV = "IVR_ACD_BENCH_AGI_SECRET"


def bench_guard(secret: str = BENCH_SECRET) -> AgiGuard:
    return AgiGuard(secret, timeouts=CommandTimeouts(margin=3600.0), max_sessions=20_000)


async def hold(channel: AgiChannel) -> None:
    await channel.answer()
    await channel.set_variable("CDR(ivr_path)", "language")
    await channel.set_variable("CHANNEL(language)", "en")
    while True:
        await channel.get_data("/var/lib/ivr-acd/main/sounds/en-menu", 5000, 1)


async def menu(channel: AgiChannel) -> None:
    """The menu of bench/ivr_peer.py (the same as bench/peer_menu.py, the pyst2 peer)."""
    await channel.answer()
    await channel.stream_file("silence/1")
    digits = await channel.get_data("beep", 1000, 1)
    await channel.set_variable("RESULT", digits or "none")


async def loop(channel: AgiChannel) -> None:
    while True:
        await channel.run("SET VARIABLE X 1")


async def _bare(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Baseline: read the environment, then send commands and read answers, nothing else."""
    await reader.readuntil(b"\n\n")
    try:
        while True:
            writer.write(b"SET VARIABLE X 1\n")
            await writer.drain()
            if not await reader.readline():
                break
    except ConnectionError:
        pass
    writer.close()


async def main(port: int, bare: bool) -> None:
    if bare:
        server = await asyncio.start_server(_bare, "127.0.0.1", port, backlog=4096)
    else:
        routes = {"hold": hold, "loop": loop, "menu": menu}
        guard = bench_guard(os.environ.get(SECRET_ENV, BENCH_SECRET))
        agi = FastAgiServer("127.0.0.1", port, routes, hold, guard)
        await agi.start()
    print("ready", flush=True)
    await asyncio.Event().wait()
    if bare:
        server.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--bare", action="store_true")
    args = parser.parse_args()
    raise_open_files_limit()
    sys.exit(asyncio.run(main(args.port, args.bare)))
