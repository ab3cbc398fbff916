"""In-memory fakes the dialer's integration tests share: a lease always held, prompts already
rendered, and the dialer built around them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from acd.dunning.config import CampaignSettings
from acd.dunning.dialer import Dialer, Trunk
from acd.dunning.events import AttemptTracker
from acd.dunning.facts import CampaignFacts
from acd.dunning.repository import CampaignRepository


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

    async def warm(self) -> int:
        return 0


def make_dialer(
    campaigns: CampaignRepository,
    facts: CampaignFacts,
    tracker: AttemptTracker,
    clock: Callable[[], datetime],
) -> Dialer:
    """A dialer with no settle time, on the test trunk, its lease held and prompts rendered."""
    config = CampaignSettings(settle_seconds=0, recover_after=60)
    trunk = Trunk(carrier="carrier", caller_id="4008001000")
    return Dialer(config, trunk, campaigns, facts, tracker, FakeLease(), FakePrompts(), clock)  # type: ignore[arg-type]
