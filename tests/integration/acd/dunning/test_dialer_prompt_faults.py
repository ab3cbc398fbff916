"""Issue 12, finding 4: a campaign's machine message or apology that cannot be rendered (after
the prompt store's retries) leaves that prompt out; the call is still placed (it was an
exception out of the dialer's step, and no call)."""

from __future__ import annotations

import pytest

from acd.dunning.core.codec import spec_from
from acd.dunning.repository import CampaignRepository
from crm_bridge.db import Database
from ivr.prompts import PromptError
from tests.integration.acd.dunning.test_dialer_steps import (
    NUMBERS,
    Clock,
    FakeAmi,
    FakeCdrs,
    _dialer,
    _people,
)
from wire import names

pytestmark = pytest.mark.integration


class BrokenPrompts:
    async def ensure(self, language: str, text: str) -> str:
        raise PromptError(f"espeak-ng produced no audio for {text[:40]!r}")


async def test_a_prompt_that_cannot_be_rendered_does_not_stop_the_dial(
    database: Database,
) -> None:
    await _people(database)
    clock, ami = Clock(), FakeAmi()
    repo = CampaignRepository(database.sessions, clock)
    spec = spec_from(
        {
            "id": "dial-prompts",
            "name": "prompts fail",
            "mode": "agentless",
            "rule": {"min_days_overdue": 5, "regions": ["dialer-test"]},
            "schedule": {"start_date": "2026-11-01", "end_date": "2026-11-30"},
            "caps": {"max_channels": 1, "max_calls_per_second": 5},
            "machine_message": "请尽快缴纳保费。",
        }
    )
    await repo.create(spec.campaign)
    await repo.set_state("dial-prompts", "start")
    dialer = _dialer(database, ami, FakeCdrs(), clock)
    dialer.prompts = BrokenPrompts()  # type: ignore[assignment]
    await dialer.step()
    assert [o["Channel"] for o in ami.originated] == [f"PJSIP/{NUMBERS[0]}@carrier"]
    variables = ami.originated[0]["Variable"].split(",")
    assert f"{names.VAR_DUNNING_MESSAGE}=" in variables
    assert f"{names.VAR_DUNNING_SORRY}=" in variables
