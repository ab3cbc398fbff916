"""Issue 11, finding 5, outbound: whoever answers a dunning call keys 1 to hear the premium due
and must then prove to be the customer before the policy is read (masked) or a promise taken."""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from acd.dunning.agi import DunningCalls
from acd.dunning.records import StoredAttempt
from crm_bridge.vocab import Disposition
from ivr.menu import load_menu_tree
from tests.unit.fakes import Due, FakeCrm, Proof, flow_context

pytestmark = [pytest.mark.unit, pytest.mark.security]

POLICY = Due(9, "PD0000421234", "auto", Decimal("300.00"), date(2026, 10, 1), 5)
NUMBER = "13911110001"


@dataclass
class Facts:
    crm: FakeCrm

    async def policy_due(self, policy_id: int) -> Due | None:
        return POLICY if policy_id == POLICY.policy_id else None

    async def promise_made_on(self, linkedid: str, policy_id: int) -> Any:
        return next(iter(self.crm.promises), None)


def attempt() -> StoredAttempt:
    started = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
    return StoredAttempt(
        "c1:9:1", "c1", 9, 5, 1, NUMBER, "l.1", "ctl", started, started, None, None, None, None,
        None, "",
    )  # fmt: skip


async def converse(keys: str, crm: FakeCrm) -> tuple[Any, Any, str]:
    ctx, channel = flow_context(keys, crm)
    calls = DunningCalls(
        load_menu_tree(), None, ctx.services, None, Facts(crm), None, lambda: datetime.now(UTC)
    )  # type: ignore[arg-type]
    finish, handoff = await calls._converse(ctx.io, attempt(), "l.1")
    return finish, handoff, channel.heard


def crm() -> FakeCrm:
    service = FakeCrm()
    service.proofs[5] = Proof(date(1980, 1, 1), "0042")
    return service


async def test_whoever_answers_hears_nothing_without_a_proof_and_is_handed_to_a_person():
    service = crm()
    finish, handoff, played = await converse("1", service)
    assert handoff is not None and handoff.intent == "person"
    assert finish.disposition is Disposition.REFUSED
    assert "1234" not in played and "300" not in played and "ending" not in played
    assert service.promises == []


async def test_a_wrong_birth_date_counts_toward_the_numbers_lock_out():
    service = crm()
    _, handoff, played = await converse("119800102#0043#19800103#", service)
    assert handoff is not None and handoff.facts == {"identified": "no"}
    assert service.lookups == [(NUMBER, "", "holder_unconfirmed")] * 3
    assert "ending" not in played


async def test_the_customers_birth_date_opens_the_masked_policy_and_a_promise():
    service = crm()
    keys = "119800101#220261201#"
    finish, handoff, played = await converse(keys, service)
    assert "The policy ending one two three four" in played
    assert service.promises == [(9, Decimal("300.00"), date(2026, 12, 1), "outbound")]
    assert (finish.disposition, handoff) == (Disposition.PROMISED, None)
