"""Writes CDRs to the database, spooling them to disk when it is unreachable."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Protocol

from sqlalchemy.exc import DataError, IntegrityError, SQLAlchemyError

from crm_bridge.calls.records import CallRecord
from crm_bridge.calls.spool import CdrSpool
from crm_bridge.errors import CrmError, CrmRejectedError, CrmUnavailableError, InvalidRecordError
from crm_bridge.outage import OutageLog

log = logging.getLogger(__name__)

_REJECTED = (IntegrityError, DataError)
# asyncpg and aiosqlite errors arrive wrapped by SQLAlchemy; refused connects as OSError.
_UNAVAILABLE = (SQLAlchemyError, OSError)


class CallStore(Protocol):
    async def save(self, record: CallRecord) -> bool: ...


class CdrWriter:
    def __init__(self, repo: CallStore, spool: CdrSpool) -> None:
        self._repo = repo
        self._spool = spool
        self._tasks: set[asyncio.Task[None]] = set()
        self._unavailable = OutageLog(log, "CDR spool replay (database unavailable)")

    async def write(self, record: CallRecord) -> None:
        """Store ``record`` in the database or, failing that, in the spool.

        The work runs in its own task behind ``asyncio.shield``: cancelling the caller (say, at
        shutdown) does not cancel the write; ``drain()`` waits for such writes.
        """
        task = asyncio.create_task(self._write(record), name=f"cdr-write-{record.linkedid}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        await asyncio.shield(task)

    async def drain(self) -> None:
        """Wait for writes still in flight (those whose callers were cancelled)."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    async def replay_once(self) -> int:
        """Save every spooled CDR; delete each file only after its save. Returns how many."""
        replayed = 0
        for path in await asyncio.to_thread(self._spool.pending):
            outcome = await self._replay(path)
            if outcome is None:
                break
            replayed += outcome
        if replayed:
            log.info("replayed %d spooled CDRs", replayed)
        return replayed

    async def run_replay(self, interval: float) -> None:
        """Replay the spool every ``interval`` seconds until cancelled; errors are logged."""
        outage = OutageLog(log, "CDR spool replay")
        while True:
            try:
                await self.replay_once()
            except Exception as exc:  # noqa: BLE001 - logged once per state change, retried
                outage.failed(exc)
            else:
                outage.succeeded()
            await asyncio.sleep(interval)

    async def _write(self, record: CallRecord) -> None:
        try:
            await self._save(record)
        except CrmError as exc:
            log.warning("call=%s CDR not stored (%s: %s); spooling", record.linkedid, exc.code, exc)
            path = await asyncio.to_thread(self._spool.put, record)
            log.info("call=%s CDR spooled to %s", record.linkedid, path)

    async def _replay(self, path: Path) -> int | None:
        """1 if replayed, 0 if the file was set aside, None if the database is unavailable."""
        try:
            record = await asyncio.to_thread(self._spool.load, path)
            await self._save(record)
        except CrmUnavailableError as exc:
            self._unavailable.failed(exc)
            return None
        except (CrmRejectedError, InvalidRecordError) as exc:
            target = await asyncio.to_thread(self._spool.reject, path)
            log.error("spooled CDR %s rejected (%s: %s); moved to %s", path, exc.code, exc, target)
            return 0
        self._unavailable.succeeded()
        await asyncio.to_thread(self._spool.remove, path)
        log.info("call=%s spooled CDR stored", record.linkedid)
        return 1

    async def _save(self, record: CallRecord) -> bool:
        """The one place database and transport exceptions become domain errors."""
        try:
            return await self._repo.save(record)
        except _REJECTED as exc:
            raise CrmRejectedError(f"call={record.linkedid}: {exc}") from exc
        except _UNAVAILABLE as exc:
            raise CrmUnavailableError(f"call={record.linkedid}: {exc}") from exc
