"""Synthetic FastAGI load on loopback: a load generator that speaks AGI as Asterisk does,
against ivr-acd's FastAgiServer running alone in a child process (bench/agi_server.py).

1. Concurrent sessions held by one controller process, and memory per session: N callers sit
   in a menu (the server waits on GET DATA); the server's RSS over N.
2. Per-command overhead at 10,000 commands/s: sessions answer each command after a pause that
   paces the total rate; the generator times each command's round trip; the same run against a
   bare asyncio server (no adapter) is the baseline, and the difference is the overhead.

Targets (issue): >= 5,000 concurrent sessions, <= 16 KB per session, p99 overhead <= 1 ms."""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator

ENV = (
    "agi_network: yes\nagi_network_script: {route}\nagi_request: agi://127.0.0.1/{route}\n"
    "agi_channel: PJSIP/carrier-{n:08x}\nagi_uniqueid: 1.{n}\nagi_callerid: 13800138000\n\n"
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


@contextlib.asynccontextmanager
async def server(port: int, *, bare: bool = False) -> AsyncIterator[int]:
    args = [sys.executable, "-m", "bench.agi_server", "--port", str(port)]
    proc = await asyncio.create_subprocess_exec(
        *args, *(["--bare"] if bare else []), stdout=subprocess.PIPE
    )
    assert proc.stdout is not None
    await asyncio.wait_for(proc.stdout.readline(), 30)
    try:
        yield proc.pid
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
        await proc.wait()


async def _held_session(
    port: int, n: int, held: asyncio.Event, release: asyncio.Event, counter: list[int]
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(ENV.format(route="hold", n=n).encode())
    while True:
        command = await reader.readline()
        if command.startswith(b"GET DATA"):
            break
        writer.write(b"200 result=1\n")
    counter[0] += 1
    held.set()
    await release.wait()
    writer.close()


async def concurrent_sessions(port: int, counts: tuple[int, ...]) -> list[tuple[int, float]]:
    """RSS per held session, measured at each count."""
    results: list[tuple[int, float]] = []
    async with server(port) as pid:
        await asyncio.sleep(0.5)
        base = _rss_kb(pid)
        release = asyncio.Event()
        counter = [0]
        tasks: list[asyncio.Task[None]] = []
        for target in counts:
            while len(tasks) < target:
                tasks.append(
                    asyncio.create_task(
                        _held_session(port, len(tasks), asyncio.Event(), release, counter)
                    )
                )
                if len(tasks) % 200 == 0:
                    await asyncio.sleep(0.05)
            while counter[0] < target:
                await asyncio.sleep(0.05)
            await asyncio.sleep(0.5)
            results.append((counter[0], (_rss_kb(pid) - base) / counter[0]))
        release.set()
        await asyncio.gather(*tasks, return_exceptions=True)
    return results


async def _paced_session(
    port: int, n: int, pause: float, until: float, rtts: list[float], route: str
) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(ENV.format(route=route, n=n).encode())
    await reader.readline()
    while time.perf_counter() < until:
        await asyncio.sleep(pause)
        sent = time.perf_counter()
        writer.write(b"200 result=0\n")
        await reader.readline()
        rtts.append(time.perf_counter() - sent)
    writer.close()


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def paced(
    port: int, *, bare: bool, rate: int, sessions: int, seconds: float
) -> tuple[float, float, float, float]:
    """(commands/s achieved, p50 ms, p99 ms of the round trip, server CPU us per command)."""
    rtts: list[float] = []
    async with server(port, bare=bare) as pid:
        until = time.perf_counter() + seconds
        pause = sessions / rate
        cpu_before = cpu_seconds(pid)
        started = time.perf_counter()
        await asyncio.gather(
            *(_paced_session(port, n, pause, until, rtts, "loop") for n in range(sessions))
        )
        elapsed = time.perf_counter() - started
        cpu = cpu_seconds(pid) - cpu_before
    quantiles = statistics.quantiles(rtts, n=100)
    per_command_us = cpu / len(rtts) * 1e6
    return len(rtts) / elapsed, quantiles[49] * 1000, quantiles[98] * 1000, per_command_us


async def main(quick: bool = False) -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    counts = (1000, 2500) if quick else (1000, 2500, 5000)
    print("\nFastAGI synthetic load (loopback; server alone in a process)")
    for held, kb in await concurrent_sessions(free_port(), counts):
        print(f"  {held:5d} concurrent IVR sessions held   {kb:6.1f} KB per session")
    seconds = 5.0 if quick else 15.0
    ours = await paced(free_port(), bare=False, rate=10_000, sessions=200, seconds=seconds)
    base = await paced(free_port(), bare=True, rate=10_000, sessions=200, seconds=seconds)
    print(f"  at 10,000 commands/s target, 200 sessions, {seconds:.0f} s each:")
    for name, row in (("ivr-acd FastAgiServer", ours), ("bare asyncio (baseline)", base)):
        print(
            f"    {name:<24} {row[0]:7.0f} cmd/s  round trip p50 {row[1]:.3f} ms  "
            f"p99 {row[2]:.3f} ms  server CPU {row[3]:.1f} us/command"
        )
    print(
        f"    overhead of the adapter  p50 {ours[1] - base[1]:+.3f} ms  "
        f"p99 {ours[2] - base[2]:+.3f} ms  CPU {ours[3] - base[3]:+.1f} us/command"
    )
    print(
        "    (round trips include the Python load generator's own scheduling on this 2-core "
        "machine)"
    )


if __name__ == "__main__":
    asyncio.run(main("--quick" in sys.argv))
