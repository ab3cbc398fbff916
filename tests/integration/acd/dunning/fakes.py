"""In-memory fakes the dialer's integration tests share: a lease always held, prompts already
rendered."""

from __future__ import annotations


class FakeLease:
    owner = "test-controller"

    async def hold(self, campaign_id: str) -> bool:
        return True

    async def release(self, campaign_id: str) -> None:
        return None

    async def recent_starts(self, campaign_id: str, now: float) -> list[float]:
        return []

    async def note_starts(self, campaign_id: str, starts: object, now: float) -> None:
        return None


class FakePrompts:
    async def ensure(self, language: str, text: str) -> str:
        return f"prompts/{language}-{len(text)}"
