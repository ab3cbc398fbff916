"""From AMI events to call detail records in the CRM, in order: calls are tracked by linkedid,
finished when CEL says so (after a short settle for late CDR segments), re-synchronised on every
AMI (re)connect, and reconciled with Asterisk's own CDR journal so no call goes unrecorded."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from redis.exceptions import RedisError

from crm_bridge.calls.assembly import CallFacts, CallTracker, assemble, from_segments
from crm_bridge.calls.cdr_writer import CdrWriter
from crm_bridge.calls.journal import calls_to_finish, journal_end, read_rows
from crm_bridge.calls.live import LiveCall, LiveCallStore
from crm_bridge.outage import OutageLog
from crm_bridge.repositories import CallRepository
from wire import names
from wire.ami import AmiClient
from wire.events import AmiEvent, Newchannel, Resync
from wire.replies import ChannelRow, linkedids

log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


class CursorStore(Protocol):
    """``crm_bridge.calls.journal_cursors.JournalCursors``."""

    async def get(self, journal: str) -> int | None: ...

    async def set(self, journal: str, offset: int) -> None: ...


@dataclass
class CallRecorder:
    ami: AmiClient
    calls: CallRepository
    live: LiveCallStore
    cdr_writer: CdrWriter
    journal: Path  # the CDR journal Asterisk writes, as this host sees it
    cursors: CursorStore  # how far the CRM has reconciled it (kept in the CRM)
    settle_seconds: float  # a call's CDR waits this long for its late segments
    tracker: CallTracker = field(default_factory=CallTracker)
    finishing: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    noting: set[asyncio.Task[None]] = field(default_factory=set)

    def note(self, uniqueid: str, name: str, value: str) -> None:
        """A CDR variable a FastAGI route just set (``wire.agi.CdrObserver``): kept in memory
        and in Redis, so the call's record keeps it even if Asterisk dies with the call."""
        linkedid = self.tracker.note(uniqueid, name, value, _now())
        task = asyncio.create_task(self._live_update(self.live.note(linkedid, name, value)))
        self.noting.add(task)
        task.add_done_callback(self.noting.discard)

    async def apply(self, event: AmiEvent) -> None:
        """One AMI event, in order (``wire.pump`` delivers them)."""
        if isinstance(event, Resync):
            await self.resync(event.rows)
            return
        ended = self.tracker.apply(event, _now())
        if ended is not None and ended not in self.finishing:
            self.finishing[ended] = asyncio.create_task(self._finish_later(ended))
        if (
            isinstance(event, Newchannel)
            and event.uniqueid == event.linkedid
            and event.context == names.CTX_CARRIER
        ):
            await self._live_update(
                self.live.add(
                    LiveCall(
                        linkedid=event.linkedid,
                        caller_number=event.caller_number,
                        did=event.exten,
                        started=_now(),
                        channel=event.channel,
                    )
                )
            )

    async def _live_update(self, update: Awaitable[None]) -> None:
        """Redis being down must not hold up calls or CDRs: log and go on."""
        try:
            await asyncio.wait_for(update, 3)
        except (RedisError, OSError, TimeoutError) as exc:
            log.warning("live call state not updated in Redis: %s", exc)

    async def resync(self, channels: tuple[ChannelRow, ...]) -> None:
        """After a (re)connect: calls we track that Asterisk no longer has are finished now."""
        live = linkedids(channels)
        orphans = self.tracker.orphans(live)
        log.info("AMI resync: %d live channel(s), %d orphaned call(s)", len(channels), len(orphans))
        for linkedid in orphans:
            if linkedid not in self.finishing:
                self.finishing[linkedid] = asyncio.create_task(self._finish_later(linkedid))
        with contextlib.suppress(RedisError, OSError, TimeoutError):
            gone = set(await asyncio.wait_for(self.live.linkedids(), 3)) - live
            # an orphan's facts stay until its record is written (``_finish``)
            await self._live_update(self.live.remove(*(gone - set(self.finishing))))
        await self.reconcile_journal(live)

    async def reconcile_journal(self, live: set[str]) -> int:
        """Record the calls Asterisk journaled that the CRM does not have yet (they ended while
        this controller was down or disconnected). Returns how many were recorded. A CRM that
        never read this journal starts at its end: it imports nothing it did not see."""
        key = str(self.journal)
        cursor = await self.cursors.get(key)
        if cursor is None:
            start = await asyncio.to_thread(journal_end, self.journal)
            log.info("CDR journal %s: new to this CRM, read from byte %d on", key, start)
            await self.cursors.set(key, start)
            return 0
        rows, end = await asyncio.to_thread(read_rows, self.journal, cursor)
        busy = live | set(self.tracker.calls) | set(self.finishing)
        finished, new_cursor = calls_to_finish(rows, busy, end)
        recorded = 0
        for linkedid, segments in finished.items():
            if await self.calls.get(linkedid) is None:
                record = assemble(from_segments(linkedid, segments), _now())
                log.info(
                    "call=%s cdr recovered from the journal caller=%s path=%s",
                    linkedid,
                    record.caller_number,
                    record.ivr_path,
                )
                await self.cdr_writer.write(record)
                recorded += 1
        if new_cursor != cursor:
            await self.cursors.set(key, new_cursor)
        return recorded

    async def reconcile_periodically(self, interval: float) -> None:
        outage = OutageLog(log, "CDR journal reconciliation")
        while True:
            await asyncio.sleep(interval)
            if not self.ami.connected:
                continue
            try:
                await self.reconcile_journal(linkedids(await self.ami.channels()))
            except Exception as exc:  # noqa: BLE001 - logged once per state change, retried
                outage.failed(exc)
            else:
                outage.succeeded()

    async def _finish_later(self, linkedid: str) -> None:
        try:
            await asyncio.sleep(self.settle_seconds)
        finally:
            await asyncio.shield(self._finish(linkedid))

    async def _finish(self, linkedid: str) -> None:
        self.finishing.pop(linkedid, None)
        facts = self.tracker.pop(linkedid)
        if facts is not None and not facts.segments:
            await self._live_update(self._recall_notes(facts))
        await self._live_update(self.live.remove(linkedid))
        if facts is None:
            return
        record = assemble(facts, _now())
        log.info(
            "call=%s cdr caller=%s path=%s agent=%s billsec=%d talk=%d%s",
            linkedid,
            record.caller_number,
            record.ivr_path,
            record.agent_extension,
            record.billsec,
            record.talk_seconds,
            "" if facts.segments else " (no CDR from Asterisk: from the facts kept)",
        )
        await self.cdr_writer.write(record)

    async def _recall_notes(self, facts: CallFacts) -> None:
        """Asterisk sent no CDR: add the facts any controller kept in Redis to our own."""
        kept = await self.live.notes(facts.linkedid)
        facts.notes = kept | facts.notes

    async def finish_all(self) -> None:
        for task in list(self.finishing.values()):
            task.cancel()
        if self.finishing:
            await asyncio.wait(list(self.finishing.values()), timeout=10)
