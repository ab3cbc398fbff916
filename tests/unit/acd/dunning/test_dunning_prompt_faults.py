"""Issue 12, finding 4: a dunning customer who answered is never hung up on because a prompt
cannot be rendered or the flow fails; the call goes to a collections agent and counts as
reached (it was `failed`, with a hang-up)."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest

from acd.dunning.agi import DunningCalls
from acd.dunning.core.model import REACHED
from acd.dunning.records import StoredAttempt
from crm_bridge.vocab import Disposition
from ivr.menu import Language, load_menu_tree
from ivr.prompts import PromptError
from tests.unit.acd.dunning.test_dunning_holder import Facts, attempt, crm
from tests.unit.fakes import FakeChannel, FakeCrm, flow_context
from wire import names

pytestmark = pytest.mark.unit


class BrokenPrompts:
    """A prompt store whose every rendering failed (after its own retries)."""

    async def ensure(self, language: Language, text: str) -> str:
        raise PromptError(f"espeak-ng produced no audio for {text[:40]!r}")


class WorkingPrompts:
    async def ensure(self, language: Language, text: str) -> str:
        return f"{language}:{text}"


@dataclass
class AgiChannel(FakeChannel):
    uniqueid: str = "d.1"

    async def set_variables(self, variables: dict[str, str]) -> None:
        self.variables.update(variables)


@dataclass
class Campaigns:
    finished: list[tuple[str, Disposition, str]] = field(default_factory=list)

    async def attempt(self, attempt_id: str) -> StoredAttempt:
        return attempt()

    async def finish(
        self, attempt_id: str, disposition: Disposition, *args: Any, **named: Any
    ) -> bool:
        self.finished.append((attempt_id, disposition, args[1]))
        return True


class Handoffs:
    async def save(self, linkedid: str, handoff: Any) -> None:
        return None


class FailingFacts(Facts):
    async def policy_due(self, policy_id: int) -> Any:
        raise RuntimeError("CRM down")


async def _serve(keys: str, prompts: Any, facts: Facts | None = None) -> tuple[Any, Campaigns]:
    service: FakeCrm = crm()
    ctx, _ = flow_context("", service)
    channel = AgiChannel(keys=deque("" if k == "_" else k for k in keys))
    channel.variables[names.VAR_DUNNING_ATTEMPT] = "c1:9:1"
    channel.variables[names.VAR_DUNNING_LANGUAGE] = "en"
    campaigns = Campaigns()
    calls = DunningCalls(
        load_menu_tree(),
        prompts,
        ctx.services,
        campaigns,  # type: ignore[arg-type]
        facts or Facts(service),
        Handoffs(),  # type: ignore[arg-type]
        lambda: datetime.now(UTC),
    )
    await calls.serve(channel)  # type: ignore[arg-type]
    return channel, campaigns


async def test_a_customer_whose_prompts_never_render_reaches_a_collections_agent():
    channel, campaigns = await _serve("___", BrokenPrompts())
    assert channel.variables[names.VAR_NEXT] == names.NEXT_PERSON
    assert channel.played == []
    [(_, disposition, _)] = campaigns.finished
    assert disposition in REACHED


async def test_a_failing_flow_hands_the_customer_to_collections_counted_as_reached():
    channel, campaigns = await _serve("1", WorkingPrompts(), FailingFacts(crm()))
    assert channel.variables[names.VAR_NEXT] == names.NEXT_PERSON
    assert '"skills": ["collections"]' in channel.variables[names.VAR_HANDOFF]
    [(_, disposition, reason)] = campaigns.finished
    assert disposition is Disposition.REFUSED
    assert "payment flow failed (RuntimeError)" in reason


async def test_zero_at_the_opening_is_a_person_not_a_failure():
    channel, campaigns = await _serve("0", WorkingPrompts())
    assert channel.variables[names.VAR_NEXT] == names.NEXT_PERSON
    assert campaigns.finished[0][1] is Disposition.REFUSED
