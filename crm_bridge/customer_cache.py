"""Callers' CRM records kept for a minute: the IVR looks the caller up when the call arrives,
and the ACD needs the same record (tier, account manager, blacklist) seconds later, on the path
where every millisecond delays the agent's phone ringing."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

from crm_bridge.customer_repository import CustomerProfile


class CustomerLookup(Protocol):
    async def by_phone(self, number: str) -> CustomerProfile | None: ...


class CachedCustomers:
    def __init__(
        self,
        lookup: CustomerLookup,
        *,
        ttl_seconds: float = 60.0,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lookup = lookup
        self._ttl = ttl_seconds
        self._max = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, CustomerProfile | None]] = OrderedDict()

    async def by_phone(self, number: str) -> CustomerProfile | None:
        now = self._clock()
        hit = self._entries.get(number)
        if hit is not None and hit[0] > now:
            return hit[1]
        customer = await self._lookup.by_phone(number)
        self._entries[number] = (now + self._ttl, customer)
        self._entries.move_to_end(number)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)
        return customer
