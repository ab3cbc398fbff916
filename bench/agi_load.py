"""Synthetic FastAGI load on loopback: a load generator that speaks AGI as Asterisk does (it
sends a channel's AGI environment, then answers each command with a result line), against
ivr-acd's FastAgiServer running alone in a child process (bench/agi_server.py), so that the
server's memory is read alone from /proc/<pid>/status.

1. Sessions held, and memory per session: N callers sit in a menu (the route answers, sets two
   variables and asks for a key with GET DATA, whose answer the generator withholds); the
   server's RSS growth over N, at 1,000, 2,500 and 5,000 sessions.
2. Per-command overhead at 10,000 commands/s: 500 sessions each answer a command every 50 ms
   (as Asterisk would after running it), so the total rate is 10,000 commands/s; the generator
   times every round trip (its answer out, the server's next command in). The same run against
   a bare asyncio server that sends the same commands with no adapter is the baseline; the
   difference is the adapter's overhead. Generator and servers are pinned to different CPUs;
   rounds alternate between the two servers and the figures are medians over rounds (this
   shared virtual machine stalls now and then for milliseconds, whichever process runs).

Targets (issue): >= 5,000 concurrent sessions in one process, <= 16 KB per session, p99
overhead <= 1 ms. Figures are printed, never asserted."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import gc
import os
import select
import socket
import statistics
import subprocess
import sys
import time
from array import array
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from bench.agi_server import BENCH_SECRET
from bench.procfs import cpu_seconds, pin_to_cpu, raise_open_files_limit, rss_kb

ENV = (
    f"agi_network: yes\nagi_network_script: {BENCH_SECRET}/{{route}}\n"
    f"agi_request: agi://127.0.0.1/{BENCH_SECRET}/{{route}}\n"
    "agi_channel: PJSIP/carrier-{n:08x}\nagi_language: en\nagi_type: PJSIP\n"
    "agi_uniqueid: 1795390000.{n}\nagi_callerid: 13800138000\nagi_calleridname: unknown\n"
    "agi_context: carrier\nagi_extension: 4008001000\nagi_priority: 2\n\n"
)
RATE = 10_000
PACED_SESSIONS = 500
CONNECT_BATCH = 100


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.asynccontextmanager
async def server(port: int, *, bare: bool = False, cpu: int | None = None) -> AsyncIterator[int]:
    """The server under test in a child process; yields its PID once it listens."""
    args = [sys.executable, "-m", "bench.agi_server", "--port", str(port)]
    proc = await asyncio.create_subprocess_exec(
        *args, *(["--bare"] if bare else []), stdout=subprocess.PIPE
    )
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 30)
        if line.strip() != b"ready":
            raise RuntimeError(f"bench.agi_server did not start (exit {proc.returncode})")
        if cpu is not None:
            pin_to_cpu(proc.pid, cpu)
        yield proc.pid
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
        await proc.wait()


class FakeChannel(asyncio.Protocol):
    """One channel as Asterisk drives FastAGI: the environment first, then one result line per
    command. ``on_command(channel, line)`` decides how and when to answer."""

    def __init__(self, route: str, n: int, on_command: Callable[[FakeChannel, bytes], None]):
        self.route, self.n = route, n
        self.on_command = on_command
        self.transport: asyncio.Transport | None = None
        self.buffer = b""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(ENV.format(route=self.route, n=self.n).encode())

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while b"\n" in self.buffer:
            line, self.buffer = self.buffer.split(b"\n", 1)
            self.on_command(self, line)

    def answer(self, result: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(result)

    def close(self) -> None:
        if self.transport is not None:
            self.transport.close()


async def connect(port: int, channel: Callable[[], FakeChannel]) -> FakeChannel:
    loop = asyncio.get_running_loop()
    _, protocol = await loop.create_connection(channel, "127.0.0.1", port)
    return protocol


# ---- 1. sessions held, memory per session ----------------------------------------------------
@dataclass
class Holding:
    """Channels that wait in a menu: every command is answered at once but GET DATA, which is
    withheld (the caller is listening to the prompt)."""

    held: int = 0

    def on_command(self, channel: FakeChannel, line: bytes) -> None:
        if line.startswith(b"GET DATA"):
            self.held += 1
        else:
            channel.answer(b"200 result=1\n")

    async def wait_for(self, count: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while self.held < count:
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {self.held} of {count} FastAGI sessions reached the menu")
            await asyncio.sleep(0.01)


async def _hold_more(port: int, holding: Holding, channels: list[FakeChannel], to: int) -> None:
    """Open channels in batches (the listen backlog is small) until ``to`` are held."""
    while len(channels) < to:
        batch = range(len(channels), min(to, len(channels) + CONNECT_BATCH))
        channels.extend(
            await asyncio.gather(
                *(
                    connect(port, lambda n=n: FakeChannel("hold", n, holding.on_command))
                    for n in batch
                )
            )
        )
        await holding.wait_for(len(channels))


async def sessions_held(counts: tuple[int, ...]) -> list[tuple[int, float, float]]:
    """(sessions held, KB of server RSS per session, seconds to set them all up)."""
    port, holding, channels = free_port(), Holding(), []
    results = []
    async with server(port) as pid:
        await _hold_more(port, holding, channels, 1)  # warm up: first-use allocations
        channels.pop().close()
        await asyncio.sleep(0.5)
        base = rss_kb(pid)
        started = time.perf_counter()
        try:
            for count in counts:
                await _hold_more(port, holding, channels, count)
                await asyncio.sleep(0.3)
                results.append(
                    (
                        len(channels),
                        (rss_kb(pid) - base) / len(channels),
                        time.perf_counter() - started,
                    )
                )
        finally:
            for channel in channels:
                channel.close()
    return results


# ---- 2. per-command round trips at a fixed rate ---------------------------------------------
@dataclass
class PacedRun:
    commands_per_s: float
    p50_ms: float
    p99_ms: float
    p999_ms: float
    server_us_per_command: float
    p99_low_ms: float
    p99_high_ms: float


class _Pacer:
    """The paced generator: plain non-blocking sockets polled in a tight loop on a CPU of its
    own, so a round trip is timed to the microsecond and not by an event loop's timers. One
    answer leaves every 1/RATE s, to the channel that has waited longest for its answer (each
    channel then gets one every PACED_SESSIONS/RATE s, as if Asterisk ran the command)."""

    def __init__(self, port: int, sessions: int) -> None:
        self.socks = [socket.create_connection(("127.0.0.1", port)) for _ in range(sessions)]
        self.index = {sock.fileno(): n for n, sock in enumerate(self.socks)}
        self.poller = select.epoll()
        for n, sock in enumerate(self.socks):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            sock.sendall(ENV.format(route="loop", n=n).encode())
            sock.setblocking(False)
            self.poller.register(sock.fileno(), select.EPOLLIN)
        self.sent_at = [0.0] * sessions
        self.waiting: collections.deque[int] = collections.deque()
        self.rtts = array("d")

    def close(self) -> None:
        self.poller.close()
        for sock in self.socks:
            sock.close()

    def _receive(self, timeout: float) -> None:
        for fd, _ in self.poller.poll(timeout):
            n = self.index[fd]
            data = self.socks[n].recv(4096)
            now = time.perf_counter()
            if not data:
                raise RuntimeError("the FastAGI server closed a session during the paced run")
            for _ in range(data.count(b"\n")):
                if self.sent_at[n]:
                    self.rtts.append(now - self.sent_at[n])
                    self.sent_at[n] = 0.0
                self.waiting.append(n)

    def run(self, seconds: float, *, busy: bool) -> None:
        """Pace for ``seconds``: spinning when this thread has a CPU of its own (``busy``),
        else waiting in epoll for the next slot (millisecond resolution)."""
        gap = 1.0 / RATE
        started = time.perf_counter()
        next_slot, until = started, started + seconds
        while (now := time.perf_counter()) < until:
            self._receive(0 if busy else max(0.0, next_slot - now))
            if self.waiting and (sent := time.perf_counter()) >= next_slot:
                n = self.waiting.popleft()
                self.sent_at[n] = sent
                self.socks[n].send(b"200 result=1\n")
                # A late slot is dropped, not made up for in a burst: a stall of this process
                # must not turn into a queue at the server under test.
                next_slot = max(next_slot + gap, sent)


@dataclass
class _Tally:
    """Rounds of one server: commands, seconds, server CPU, and each round's quantiles (the
    figures are medians over rounds, so one round hit by a stall of the machine cannot move
    them alone)."""

    commands: int = 0
    seconds: float = 0.0
    server_cpu: float = 0.0
    quantiles: list[tuple[float, float, float]] = field(default_factory=list)

    def add(self, rtts: array[float], seconds: float, server_cpu: float) -> None:
        cuts = statistics.quantiles(rtts, n=1000)
        self.quantiles.append((cuts[499] * 1e3, cuts[989] * 1e3, cuts[998] * 1e3))
        self.commands += len(rtts)
        self.seconds += seconds
        self.server_cpu += server_cpu

    def result(self) -> PacedRun:
        p50, p99, p999 = (statistics.median(q) for q in zip(*self.quantiles, strict=True))
        return PacedRun(
            self.commands / self.seconds,
            p50,
            p99,
            p999,
            self.server_cpu / self.commands * 1e6,
            min(q[1] for q in self.quantiles),
            max(q[1] for q in self.quantiles),
        )


def _pace(port: int, server_pid: int, seconds: float, tally: _Tally) -> None:
    """One round, in a thread pinned to CPU 0 (the servers are on CPU 1): half a second of
    warm-up, then ``seconds`` measured into ``tally``."""
    previous = pin_to_cpu(0, 0)
    gc.disable()
    pacer = _Pacer(port, PACED_SESSIONS)
    try:
        pacer.run(0.5, busy=previous is not None)
        skip, cpu_before, started = len(pacer.rtts), cpu_seconds(server_pid), time.perf_counter()
        pacer.run(seconds, busy=previous is not None)
        elapsed, cpu = time.perf_counter() - started, cpu_seconds(server_pid) - cpu_before
        tally.add(pacer.rtts[skip:], elapsed, cpu)
    finally:
        pacer.close()
        gc.enable()
        if previous is not None:
            os.sched_setaffinity(0, previous)


async def paced(rounds: int, seconds: float) -> tuple[PacedRun, PacedRun]:
    """(ours, baseline): both servers run side by side; rounds alternate between them so that
    whatever else the machine does falls on both alike."""
    ours_port, bare_port = free_port(), free_port()
    ours, bare = _Tally(), _Tally()
    async with (
        server(ours_port, cpu=1) as ours_pid,
        server(bare_port, bare=True, cpu=1) as bare_pid,
    ):
        runs = [(ours_port, ours_pid, ours), (bare_port, bare_pid, bare)]
        for round_ in range(rounds):
            for port, pid, tally in runs if round_ % 2 == 0 else runs[::-1]:
                await asyncio.to_thread(_pace, port, pid, seconds, tally)
                await asyncio.sleep(0.2)
    return ours.result(), bare.result()


# ---- report ----------------------------------------------------------------------------------
def _verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


async def main(quick: bool = False) -> None:
    raise_open_files_limit()
    counts = (1000, 2500, 5000)
    print("\nFastAGI synthetic load (loopback; the server alone in a child process)")
    print("  peer: Asterisk simulated by this load generator; baseline: a bare asyncio server")
    held = await sessions_held(counts)
    for count, kb, seconds in held:
        print(
            f"  {count:5d} concurrent IVR sessions held in one process  {kb:5.1f} KB per session"
            f"  (all set up in {seconds:4.1f} s)"
        )
    worst = max(kb for _, kb, _ in held)
    print(
        f"  target >= 5,000 sessions: {_verdict(held[-1][0] >= 5000)}; "
        f"<= 16 KB per session: {_verdict(worst <= 16)}"
    )
    rounds, seconds = (4, 1.5) if quick else (8, 2.0)
    ours, base = await paced(rounds, seconds)
    print(
        f"  at {RATE:,} commands/s offered ({PACED_SESSIONS} sessions, each answering a command "
        f"every {PACED_SESSIONS / RATE * 1000:.0f} ms; {rounds} rounds of {seconds:.1f} s, "
        "alternating), round trip at the generator, median of the rounds (p99 range):"
    )
    for name, run in (("ivr-acd FastAgiServer", ours), ("bare asyncio (baseline)", base)):
        print(
            f"    {name:<24} {run.commands_per_s:6.0f} cmd/s  p50 {run.p50_ms:6.3f} ms  "
            f"p99 {run.p99_ms:6.3f} ms ({run.p99_low_ms:.2f}-{run.p99_high_ms:.2f})  "
            f"p99.9 {run.p999_ms:6.3f} ms  "
            f"server CPU {run.server_us_per_command:5.1f} us/command"
        )
    p99 = ours.p99_ms - base.p99_ms
    print(
        f"    adapter overhead         p50 {ours.p50_ms - base.p50_ms:+.3f} ms  p99 {p99:+.3f} ms"
        f"  CPU {ours.server_us_per_command - base.server_us_per_command:+.1f} us/command"
        f"  (target p99 <= 1 ms: {_verdict(p99 <= 1.0)})"
    )


if __name__ == "__main__":
    asyncio.run(main("--quick" in sys.argv))
