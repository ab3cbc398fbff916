"""A pool of phone workers: phones are spread so no worker nears pjsua2's per-process limits."""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import Any, Self

from ivr_acd_dev.simulator.phones import Phone
from ivr_acd_dev.simulator.worker_client import PhoneWorker

ACCOUNTS_PER_WORKER = 3
CALLS_PER_WORKER = 3


class PhonePool:
    """Creates phones on workers with at most ``accounts_per_worker`` accounts each.

    Each worker gets its own RTP port range (``rtp_base + i * rtp_span``) so workers never
    contend for ports; every worker also refuses a fourth simultaneous call.
    """

    def __init__(
        self,
        *,
        accounts_per_worker: int = ACCOUNTS_PER_WORKER,
        calls_per_worker: int = CALLS_PER_WORKER,
        rtp_base: int = 40000,
        rtp_span: int = 100,
        log_level: int = 1,
    ) -> None:
        self.accounts_per_worker = accounts_per_worker
        self.calls_per_worker = calls_per_worker
        self.rtp_base = rtp_base
        self.rtp_span = rtp_span
        self.log_level = log_level
        self.workers: list[PhoneWorker] = []
        self._lock = asyncio.Lock()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def add_phone(
        self, name: str, username: str, password: str, domain: str, **options: Any
    ) -> Phone:
        """Like :meth:`PhoneWorker.add_phone`, on a worker with room (started when needed)."""
        async with self._lock:
            worker = await self._worker_with_room()
            return await worker.add_phone(name, username, password, domain, **options)

    def phone(self, name: str) -> Phone:
        for worker in self.workers:
            if name in worker.phones:
                return worker.phones[name]
        raise KeyError(name)

    async def revive(self) -> list[Phone]:
        """Replace every worker that died by a new one (same RTP ports) carrying the same
        phones; returns the phones moved (those that register start registering again)."""
        moved: list[Phone] = []
        async with self._lock:
            for at, worker in enumerate(self.workers):
                if worker.alive:
                    continue
                await worker.close()
                fresh = await self._start_worker(at)
                for phone in list(worker.phones.values()):
                    await fresh.adopt(phone)
                    moved.append(phone)
                self.workers[at] = fresh
        return moved

    async def close(self) -> None:
        workers, self.workers = self.workers, []
        await asyncio.gather(*(worker.close() for worker in workers))

    async def _worker_with_room(self) -> PhoneWorker:
        for worker in self.workers:
            if len(worker.phones) < self.accounts_per_worker:
                return worker
        worker = await self._start_worker(len(self.workers))
        self.workers.append(worker)
        return worker

    async def _start_worker(self, at: int) -> PhoneWorker:
        rtp_port = self.rtp_base + at * self.rtp_span
        worker = PhoneWorker(
            rtp_port=rtp_port, max_calls=self.calls_per_worker, log_level=self.log_level
        )
        return await worker.start()
