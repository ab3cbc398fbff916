"""The measuring part of ``bench.ami_resync``, run as a child process against one code tree:
this checkout, or a checkout of the previous code put first on ``PYTHONPATH``. It is run by
path (``python bench/resync_probe.py ...``) and imports the engine only once it knows which tree
it has, so the same file drives both.

It wires the controller's AMI subscribers as that tree's composition root does (call tracking,
the ACD's events, supervision, the dialer's attempt tracker), their stores in memory (so the
figure is the AMI side of a resync), and connects them to Asterisk through a TCP proxy of its
own. Each round the proxy drops the connection; panoramisk reconnects; the round ends when every
subscriber has resynchronised. Measured per round: drop -> every subscriber resynced, the new
connection -> every subscriber resynced, and the CoreShowChannels requests the proxy saw. It
prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import importlib.util
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

SUBSCRIBERS = ("calls", "acd", "supervision", "dunning")
SECRET_ENV = "RESYNC_PROBE_AMI_SECRET"
ROUND_TIMEOUT = 30.0

Apply = Callable[[Any], Awaitable[None]]


class Proxy:
    """Between the AMI client and Asterisk: counts the client's CoreShowChannels requests,
    notes when a connection opens, and drops every connection on demand."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream_port = upstream_port
        self.lookups = 0
        self.connected_at = 0.0
        self.writers: list[asyncio.StreamWriter] = []
        self.server: asyncio.Server | None = None
        self.sessions: set[asyncio.Task[Any]] = set()

    async def start(self) -> int:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return int(self.server.sockets[0].getsockname()[1])

    async def _serve(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        self.connected_at = time.perf_counter()
        task = asyncio.current_task()
        if task is not None:
            self.sessions.add(task)
            task.add_done_callback(self.sessions.discard)
        server_r, server_w = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        self.writers += [client_w, server_w]
        await asyncio.gather(
            self._requests(client_r, server_w),
            self._answers(server_r, client_w),
            return_exceptions=True,
        )

    async def _requests(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """The client's actions, line by line (they are few), CoreShowChannels counted."""
        try:
            while line := await reader.readline():
                if line.strip().lower() == b"action: coreshowchannels":
                    self.lookups += 1
                writer.write(line)
                await writer.drain()
        finally:
            writer.close()

    @staticmethod
    async def _answers(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while chunk := await reader.read(65536):
                writer.write(chunk)
                await writer.drain()
        finally:
            writer.close()

    def drop(self) -> None:
        for writer in self.writers:
            writer.close()
        self.writers.clear()

    async def close(self) -> None:
        self.drop()
        if self.server is not None:
            self.server.close()
        if self.sessions:
            await asyncio.wait(set(self.sessions), timeout=5)


class Marks:
    """When each subscriber finished its resync, this round."""

    def __init__(self) -> None:
        self.done: dict[str, float] = {}
        self.all_done = asyncio.Event()
        self.rows = -1

    def reset(self) -> None:
        self.done.clear()
        self.all_done.clear()

    def mark(self, name: str) -> None:
        self.done.setdefault(name, time.perf_counter())
        if len(self.done) == len(SUBSCRIBERS):
            self.all_done.set()


class FromStart:
    """A journal cursor at the start: the resync reads the whole journal, as the old tree did
    without a cursor file."""

    async def get(self, journal: str) -> int:
        return 0

    async def set(self, journal: str, offset: int) -> None:
        return None


class Empty:
    """Every store the subscribers touch while resynchronising, in memory and empty: the
    CRM's calls and spy sessions, Redis's live calls, the CDR writer, the ACD, the people."""

    async def get(self, linkedid: str) -> None:
        return None

    async def linkedids(self) -> list[str]:
        return []

    async def remove(self, *linkedids: str) -> None:
        return None

    async def write(self, record: object) -> None:
        return None

    async def open_sessions(self) -> list[object]:
        return []

    async def by_extension(self, extension: str) -> None:
        return None

    async def resync(self, live_endpoints: set[str], live_calls: set[str]) -> None:
        return None


def previous_tree() -> bool:
    """The code before the wire/ package (its AMI adapter in ivr_acd.asterisk)."""
    return importlib.util.find_spec("ivr_acd.asterisk") is not None


def _modules(old: bool) -> dict[str, Any]:
    paths = {
        "ami": "ivr_acd.asterisk.ami" if old else "wire.ami",
        "events": "ivr_acd.asterisk.events" if old else "wire.events",
        "recorder": "ivr_acd.call_records" if old else "crm_bridge.calls.tracking",
        "acd_events": "ivr_acd.acd_events" if old else "acd.events",
        "supervision": "ivr_acd.supervision" if old else "acd.supervision.service",
        "dialer": "ivr_acd.dialer_events" if old else "acd.dunning.events",
        "settings": "ivr_acd.settings",
    }
    if not old:
        paths["pump"] = "wire.pump"
    return {key: importlib.import_module(path) for key, path in paths.items()}


class Rig:
    """One tree's subscribers on one AMI client, the way its controller wires them."""

    def __init__(self, port: int, journal: Path, state: Path) -> None:
        self.old = previous_tree()
        self.m = _modules(self.old)
        secret = os.environ[SECRET_ENV]
        self.ami = self.m["ami"].AmiClient("127.0.0.1", port, "ivracd", secret)
        self.settings = self.m["settings"].load_settings(
            state_dir=state, asterisk={"cdr_journal": journal}
        )
        self.marks = Marks()
        self.tasks: set[asyncio.Task[None]] = set()

    def start(self) -> asyncio.Task[None]:
        empty = Empty()
        recorder = self._recorder(empty)
        supervision = self.m["supervision"].Supervision(self.ami, empty, empty)
        tracker = self.m["dialer"].AttemptTracker(empty, empty, self.ami, empty, None, lambda: None)
        if self.old:
            acd = self.m["acd_events"].AcdEvents(empty, self.ami)
            return self._start_old(recorder, acd, supervision, tracker)
        acd = self.m["acd_events"].AcdEvents(empty)
        applies = (recorder.apply, acd.apply, supervision.apply, tracker.apply)
        marked = [self._marked(n, a) for n, a in zip(SUBSCRIBERS, applies, strict=True)]
        return asyncio.create_task(self.m["pump"].EventPump(self.ami, marked).run())

    def _recorder(self, empty: Empty) -> Any:
        """The old tree's recorder took the settings; this tree's takes the resolved paths."""
        recorder = self.m["recorder"].CallRecorder
        if self.old:
            return recorder(self.settings, self.ami, empty, empty, empty)
        paths = self.settings.paths
        return recorder(
            self.ami,
            empty,
            empty,
            empty,
            journal=paths.cdr_journal,
            cursors=FromStart(),
            settle_seconds=self.settings.controller.cdr_settle,
        )

    def _marked(self, name: str, apply: Apply) -> Apply:
        resync = self.m["events"].Resync

        async def marked(event: Any) -> None:
            await apply(event)
            if isinstance(event, resync):
                self.marks.rows = len(event.rows)
                self.marks.mark(name)

        return marked

    def _start_old(self, recorder: Any, acd: Any, supervision: Any, tracker: Any) -> Any:
        """The previous consumer: the recorder's loop, the others as its listeners; the dialer
        resynchronises in a task of its own (done when that task is)."""
        connected = self.m["events"].AmiConnected

        def marked(name: str, apply: Apply, tasks: set[asyncio.Task[None]] | None) -> Apply:
            async def run(event: Any) -> None:
                await apply(event)
                if isinstance(event, connected):
                    if tasks:
                        self._after(name, set(tasks))
                    else:
                        self.marks.mark(name)

            return run

        recorder._apply = marked("calls", recorder._apply, None)
        recorder.listeners += [
            marked("acd", acd.apply, None),
            marked("supervision", supervision.apply, None),
            marked("dunning", tracker.apply, tracker.tasks),
        ]
        return asyncio.create_task(recorder.consume_events())

    def _after(self, name: str, tasks: set[asyncio.Task[None]]) -> None:
        async def wait() -> None:
            await asyncio.wait(tasks)
            self.marks.mark(name)

        task = asyncio.create_task(wait())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)


async def _lookup_seconds(ami: Any, count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        await ami.action_list("CoreShowChannels")
    return time.perf_counter() - started


async def measure(port: int, journal: Path, rounds: int) -> dict[str, Any]:
    proxy = Proxy(port)
    proxy_port = await proxy.start()
    with tempfile.TemporaryDirectory(prefix="resync-probe-") as state:
        rig = Rig(proxy_port, journal, Path(state))
        rig.ami.start()
        consumer = rig.start()
        try:
            await asyncio.wait_for(rig.marks.all_done.wait(), ROUND_TIMEOUT)  # the first login
            figures = [await _round(rig, proxy) for _ in range(rounds)]
            one = await _lookup_seconds(rig.ami, 1)
            four = await _lookup_seconds(rig.ami, len(SUBSCRIBERS))
        finally:
            consumer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await consumer
            await rig.ami.close()
            await proxy.close()
    return {
        "tree": "previous" if rig.old else "this",
        "rows": rig.marks.rows,
        "drop_s": statistics.median(f["drop_s"] for f in figures),
        "connect_s": statistics.median(f["connect_s"] for f in figures),
        "lookups": max(f["lookups"] for f in figures),
        "rounds": figures,
        "one_lookup_s": one,
        "sequential_lookups_s": four,
    }


async def _round(rig: Rig, proxy: Proxy) -> dict[str, float]:
    await asyncio.sleep(0.5)  # settle: the previous round's stragglers
    rig.marks.reset()
    proxy.lookups = 0
    dropped = time.perf_counter()
    proxy.drop()
    await asyncio.wait_for(rig.marks.all_done.wait(), ROUND_TIMEOUT)
    last = max(rig.marks.done.values())
    return {
        "drop_s": last - dropped,
        "connect_s": last - proxy.connected_at,
        "lookups": proxy.lookups,
    }


def main() -> None:
    here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]  # no bench shadowing
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True, help="Asterisk's AMI port")
    parser.add_argument("--journal", type=Path, required=True, help="Asterisk's CDR journal")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    for name in ("wire.panoramisk", "ivr_acd.asterisk.panoramisk"):  # "connection lost": ours
        logging.getLogger(name).setLevel(logging.CRITICAL)
    print(json.dumps(asyncio.run(measure(args.port, args.journal, args.rounds))), flush=True)


if __name__ == "__main__":
    main()
