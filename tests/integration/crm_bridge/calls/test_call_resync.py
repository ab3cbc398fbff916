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
        cursor_file=tmp_path / "journal.cursor",
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
