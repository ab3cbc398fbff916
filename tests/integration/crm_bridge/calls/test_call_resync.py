"""Call tracking after an AMI reconnect, with the live calls in the real Redis (127.0.0.1:6379,
under a prefix of the test's own): the resync's rows say which calls Asterisk still has; the
others are finished into their CDR and leave the live list, with no lookup of its own."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import redis.asyncio as aioredis

from crm_bridge.calls.live import LiveCallStore
from crm_bridge.calls.records import CallRecord
from crm_bridge.calls.tracking import CallRecorder
from tests.fake_ami import FakeAmi
from wire import names
from wire.events import Newchannel, Resync
from wire.replies import ChannelRow

pytestmark = pytest.mark.integration


@dataclass
class Cdrs:
    """The CRM's calls and the CDR writer, in memory."""

    written: list[CallRecord] = field(default_factory=list)

    async def get(self, linkedid: str) -> CallRecord | None:
        return None

    async def write(self, record: CallRecord) -> None:
        self.written.append(record)


class Cursors:
    """The CRM's journal cursors, in memory."""

    def __init__(self) -> None:
        self.offsets: dict[str, int] = {}

    async def get(self, journal: str) -> int | None:
        return self.offsets.get(journal)

    async def set(self, journal: str, offset: int) -> None:
        self.offsets[journal] = offset


@pytest.fixture
async def live() -> AsyncIterator[LiveCallStore]:
    client = aioredis.from_url("redis://127.0.0.1:6379/0")
    prefix = f"test-{uuid.uuid4().hex[:8]}"
    try:
        yield LiveCallStore(client, prefix)
    finally:
        keys = [k async for k in client.scan_iter(f"{prefix}:*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()


async def test_a_resync_finishes_the_calls_asterisk_no_longer_has(
    live: LiveCallStore, tmp_path: Path
) -> None:
    ami, cdrs = FakeAmi(), Cdrs()
    recorder = CallRecorder(
        ami,  # type: ignore[arg-type]
        cdrs,  # type: ignore[arg-type]
        live,
        cdrs,  # type: ignore[arg-type]
        journal=tmp_path / "Master.csv",
        cursors=Cursors(),
        settle_seconds=0,
    )
    for n in (1, 2):
        linkedid = f"1764000000.{n}"
        channel = f"PJSIP/carrier-0000000{n}"
        await recorder.apply(
            Newchannel(channel, linkedid, linkedid, "13800138000", "4008001000", names.CTX_CARRIER)
        )
    assert sorted(await live.linkedids()) == ["1764000000.1", "1764000000.2"]

    still_up = ChannelRow("PJSIP/carrier-00000002", "1764000000.2", "1764000000.2")
    await recorder.apply(Resync((still_up,)))
    async with asyncio.timeout(5):  # finished after the settle time (0 here)
        while recorder.finishing or not cdrs.written:
            await asyncio.sleep(0.01)

    assert [record.linkedid for record in cdrs.written] == ["1764000000.1"]
    assert await live.linkedids() == ["1764000000.2"]
    assert set(recorder.tracker.calls) == {"1764000000.2"}
    assert ami.channel_lookups == 0


async def test_a_call_asterisk_lost_is_recorded_with_the_facts_another_controller_kept(
    live: LiveCallStore, tmp_path: Path
) -> None:
    """Controller A ran the call's IVR and ACD routes (its FastAGI reported the CDR
    variables); controller B only saw the call's events. Asterisk dies: B's record of the call
    still has A's path and routing, kept in Redis."""
    a, b = (
        CallRecorder(
            FakeAmi(),  # type: ignore[arg-type]
            cdrs,  # type: ignore[arg-type]
            live,
            cdrs,  # type: ignore[arg-type]
            journal=tmp_path / "Master.csv",
            cursors=Cursors(),
            settle_seconds=0,
        )
        for name, cdrs in (("a", Cdrs()), ("b", Cdrs()))
    )
    linkedid = "1764000000.7"
    arrival = Newchannel(
        "PJSIP/carrier-07", linkedid, linkedid, "13800138000", "4008001000", names.CTX_CARRIER
    )
    await a.apply(arrival)
    await b.apply(arrival)
    a.note(linkedid, "ivr_path", "language:1>main:0>person")
    a.note(linkedid, "acd_queue", "general")
    a.note(linkedid, "acd_wait", "4")
    await asyncio.gather(*a.noting)

    await b.apply(Resync(()))  # Asterisk restarted with nothing live
    written = b.cdr_writer.written  # type: ignore[attr-defined]
    async with asyncio.timeout(5):
        while b.finishing or not written:
            await asyncio.sleep(0.01)
    assert [r.linkedid for r in written] == [linkedid]
    assert written[0].ivr_path == "language:1>main:0>person"
    assert (written[0].queue, written[0].wait_seconds, written[0].abandoned) == ("general", 4, True)
    assert await live.linkedids() == [] and await live.notes(linkedid) == {}
