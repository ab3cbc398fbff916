"""The caller's CRM record is looked up once a minute at most."""

import pytest

from crm_bridge.customer_cache import CachedCustomers

pytestmark = pytest.mark.unit


class CountingLookup:
    def __init__(self) -> None:
        self.calls: list[str] = []

    async def by_phone(self, number: str):
        self.calls.append(number)
        return None if number.startswith("0") else f"customer {number}"


async def test_a_number_is_looked_up_again_only_after_the_ttl():
    now = [100.0]
    lookup = CountingLookup()
    cache = CachedCustomers(lookup, ttl_seconds=60, clock=lambda: now[0])
    assert await cache.by_phone("138") == "customer 138"
    assert await cache.by_phone("138") == "customer 138"
    assert await cache.by_phone("0") is None and await cache.by_phone("0") is None
    assert lookup.calls == ["138", "0"]
    now[0] += 61
    await cache.by_phone("138")
    assert lookup.calls == ["138", "0", "138"]


async def test_the_oldest_entries_make_room():
    lookup = CountingLookup()
    cache = CachedCustomers(lookup, max_entries=2)
    for number in ("1", "2", "3", "1"):
        await cache.by_phone(number)
    assert lookup.calls == ["1", "2", "3", "1"]
