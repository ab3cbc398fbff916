"""Dunning campaigns in the CRM (SQLite and PostgreSQL): campaigns and their states, attempts
claimed once and finished once, the decision log, progress, the facts re-read before a dial,
the do-not-call list and opt-outs; revision 0005 up and down."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import update

from acd.dunning.core.codec import spec_from
from acd.dunning.core.compliance import Check, Decision
from acd.dunning.core.model import Attempt, Campaign, PromiseToPay, Target, TargetRule
from acd.dunning.core.targets import select_targets, target_of
from acd.dunning.facts import CampaignFacts
from acd.dunning.repository import (
    CampaignExistsError,
    CampaignNotFoundError,
    CampaignRepository,
    CampaignStateError,
    NewAttempt,
)
from crm_bridge.db import Database
from crm_bridge.migrate import current_revision, downgrade, upgrade
from crm_bridge.models import Customer, CustomerPhone, PaymentPromise, Policy
from crm_bridge.vocab import CampaignState, Disposition
from tests.integration.migration_checks import inspected, schema_diff, tables

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
CAMPAIGN_TABLES = {
    "campaigns",
    "campaign_attempts",
    "campaign_decisions",
    "do_not_call",
    "customer_opt_outs",
}
DOCUMENT = {
    "id": "dun-nov",
    "name": "November dunning",
    "mode": "agentless",
    "rule": {"min_days_overdue": 5, "min_amount": "100.00"},
    "schedule": {"start_date": "2026-11-01", "end_date": "2026-11-30", "weekdays": [0, 1, 2, 3, 4]},
    "caps": {"max_channels": 3, "max_calls_per_second": 1},
    "retry": {"busy": {"delay_seconds": 5, "max_attempts": 2}},
    "machine_message": "Please call us back about your premium.",
}


def _campaign(**changes: object) -> Campaign:
    return spec_from({**DOCUMENT, **changes}).campaign


async def _people(db: Database) -> dict[str, int]:
    """Three customers with an overdue policy each; one of them blacklisted."""
    ids: dict[str, int] = {}
    async with db.sessions.begin() as session:
        for n, (name, number, premium, blacklisted) in enumerate(
            (
                ("Zhang", "13900000001", "580.00", False),
                ("Smith", "13900000002", "1200.00", False),
                ("Black", "13900000003", "900.00", True),
            )
        ):
            customer = Customer(
                name=name,
                id_number=f"ID-{n}",
                region="north",
                time_zone="Asia/Shanghai",
                language="zh",
                blacklisted=blacklisted,
                phones=[CustomerPhone(number=number, kind="mobile")],
            )
            session.add(customer)
            await session.flush()
            policy = Policy(
                number=f"PL-{n}",
                customer_id=customer.id,
                product="auto",
                premium=Decimal(premium),
                due_date=date(2026, 10, 1),
                status="overdue",
            )
            session.add(policy)
            await session.flush()
            ids[name] = policy.id
            ids[f"{name}-customer"] = customer.id
    return ids


async def _target(db: Database, policy_id: int) -> Target:
    facts = await CampaignFacts(db.sessions).unpaid_policies(TargetRule(min_amount=Decimal(0)))
    found = next(f for f in facts if f.policy_id == policy_id)
    target = target_of(found, NOW)
    assert target is not None
    return target


def _attempt(policy_id: int, seq: int, number: str = "13900000001") -> Attempt:
    return Attempt("dun-nov", policy_id, seq, number, NOW + timedelta(minutes=seq))


async def test_a_campaign_is_stored_as_a_draft_and_read_back(database: Database) -> None:
    repo = CampaignRepository(database.sessions, lambda: NOW)
    created = await repo.create(_campaign(), "Please call us back.", created_by="api-token")

    stored = await repo.get("dun-nov")
    assert stored.campaign == created.campaign
    assert stored.campaign.state is CampaignState.DRAFT
    assert stored.campaign.retry.busy.delay == timedelta(seconds=5)
    assert stored.machine_message == "Please call us back."
    assert stored.to_dict()["schedule"]["weekdays"] == [0, 1, 2, 3, 4]
    assert [c.id for c in await repo.list()] == ["dun-nov"]
    with pytest.raises(CampaignExistsError):
        await repo.create(_campaign())
    with pytest.raises(CampaignNotFoundError):
        await repo.get("nope")


async def test_state_transitions_follow_the_table(database: Database) -> None:
    repo = CampaignRepository(database.sessions, lambda: NOW)
    await repo.create(_campaign())
    with pytest.raises(CampaignStateError, match="draft: cannot resume"):
        await repo.set_state("dun-nov", "resume")
    assert (await repo.set_state("dun-nov", "start")).campaign.state is CampaignState.RUNNING
    assert (await repo.set_state("dun-nov", "pause")).campaign.state is CampaignState.PAUSED
    assert (await repo.set_state("dun-nov", "pause")).campaign.state is CampaignState.PAUSED
    assert (await repo.set_state("dun-nov", "resume")).campaign.state is CampaignState.RUNNING
    assert (await repo.set_state("dun-nov", "stop")).campaign.state is CampaignState.STOPPED
    with pytest.raises(CampaignStateError):
        await repo.set_state("dun-nov", "start")
    assert [c.id for c in await repo.list(state="stopped")] == ["dun-nov"]


async def test_an_attempt_is_claimed_once_and_finished_once(database: Database) -> None:
    people = await _people(database)
    repo = CampaignRepository(database.sessions, lambda: NOW)
    await repo.create(_campaign())
    zhang = people["Zhang"]
    first = NewAttempt(_attempt(zhang, 1), people["Zhang-customer"], "dun-a1", "ctl-1")

    assert await repo.claim(first)
    assert not await repo.claim(first)  # a restarted dialer derives the same id
    assert not await repo.claim(NewAttempt(_attempt(zhang, 1), 1, "dun-other"))
    assert [a.attempt_id for a in await repo.in_progress("dun-nov")] == [f"dun-nov:{zhang}:1"]

    await repo.answered(first.attempt.id, NOW + timedelta(seconds=5), amd_status="HUMAN")
    promise = PromiseToPay(Decimal("580.00"), date(2026, 11, 25))
    at = NOW + timedelta(seconds=60)
    assert await repo.finish(first.attempt.id, Disposition.PROMISED, at, "keyed", promise)
    assert not await repo.finish(first.attempt.id, Disposition.REFUSED, at)  # the first wins

    stored = await repo.by_linkedid("dun-a1")
    assert stored is not None and stored.disposition is Disposition.PROMISED
    assert stored.promise == promise and stored.amd_status == "HUMAN"
    assert stored.answered_at == NOW + timedelta(seconds=5) and stored.ended_at == at
    assert stored.as_attempt().promise == promise and not stored.in_progress
    assert await repo.in_progress("dun-nov") == []
    assert [a.seq for a in await repo.hopper_attempts("dun-nov")] == [1]
    rows = await repo.results("dun-nov")
    assert [(a.attempt_id, number) for a, number in rows] == [(first.attempt.id, "PL-0")]


async def test_progress_counts_reached_promised_paid_and_abandoned(database: Database) -> None:
    people = await _people(database)
    repo = CampaignRepository(database.sessions, lambda: NOW)
    await repo.create(_campaign())
    outcomes = [
        (Disposition.PROMISED, PromiseToPay(Decimal("580.00"), date(2026, 11, 25))),
        (Disposition.PAID, None),
        (Disposition.ABANDONED, None),
        (Disposition.BUSY, None),
        (None, None),
    ]
    for seq, (disposition, promise) in enumerate(outcomes, start=1):
        new = NewAttempt(_attempt(people["Zhang"], seq), 1, f"dun-{seq}")
        assert await repo.claim(new)
        if disposition is not None:
            await repo.finish(new.attempt.id, disposition, NOW + timedelta(hours=seq), "", promise)
    target = await _target(database, people["Zhang"])
    skip = Decision(False, "skipped: paid 2026-11-20", None, Check.PAID, final=True)
    await repo.log_decisions("dun-nov", [(target, skip, None)], NOW)

    progress = await repo.progress("dun-nov")
    assert (progress.attempted, progress.in_progress, progress.reached) == (5, 1, 3)
    assert (progress.promised, progress.promised_amount, progress.paid) == (1, Decimal("580.00"), 1)
    assert progress.abandon_rate == pytest.approx(1 / 3)
    assert progress.to_dict()["by_disposition"] == {
        "abandoned": 1,
        "busy": 1,
        "paid": 1,
        "promised": 1,
    }
    assert (progress.policies, progress.skipped) == (1, 1)
    logged = await repo.decisions("dun-nov")
    assert [(d.reason, d.check, d.final) for d in logged] == [
        ("skipped: paid 2026-11-20", "paid", True)
    ]


async def test_facts_before_a_dial_see_payments_lists_and_promises(database: Database) -> None:
    people = await _people(database)
    facts = CampaignFacts(database.sessions, lambda: NOW)
    rule = TargetRule(min_days_overdue=5, min_amount=Decimal("100"))

    targets = select_targets(rule, await facts.unpaid_policies(rule), NOW)
    assert [t.policy_id for t in targets] == [people["Smith"], people["Zhang"]]  # larger first
    assert await facts.unpaid_policies(TargetRule(min_amount=Decimal("1000"))) != []
    assert [
        p.policy_id for p in await facts.unpaid_policies(TargetRule(min_amount=Decimal("1000")))
    ] == [people["Smith"]]

    zhang = await _target(database, people["Zhang"])
    clean = await facts.target_facts(zhang)
    assert (clean.paid_date, clean.do_not_call, clean.opted_out, clean.blacklisted) == (
        None,
        False,
        False,
        False,
    )

    assert await facts.add_do_not_call("13900000001", "asked by letter")
    assert not await facts.add_do_not_call("13900000001")
    assert await facts.opt_out(people["Zhang-customer"], "no payment calls")
    async with database.sessions.begin() as session:
        session.add(
            PaymentPromise(
                policy_id=people["Zhang"],
                customer_id=people["Zhang-customer"],
                amount=Decimal("580.00"),
                promised_date=date(2026, 11, 28),
                caller_number="13900000001",
                linkedid="in-1",
                channel="inbound",
            )
        )
    await facts.mark_paid(people["Zhang"], date(2026, 11, 20))
    now = await facts.target_facts(zhang)
    assert now.paid_date == date(2026, 11, 20) and now.do_not_call and now.opted_out
    assert now.promise == PromiseToPay(Decimal("580.00"), date(2026, 11, 28))
    assert await facts.promise_made_on("in-1", people["Zhang"]) == now.promise
    assert await facts.promise_made_on("other", people["Zhang"]) is None
    assert [e.number for e in await facts.do_not_call()] == ["13900000001"]
    assert await facts.remove_do_not_call("13900000001")
    assert await facts.cancel_opt_out(people["Zhang-customer"])
    assert not (await facts.target_facts(zhang)).do_not_call


async def test_a_number_of_a_blacklisted_customer_is_blacklisted(database: Database) -> None:
    people = await _people(database)
    facts = CampaignFacts(database.sessions, lambda: NOW)
    zhang = await _target(database, people["Zhang"])
    async with database.sessions.begin() as session:
        await session.execute(
            update(Customer).where(Customer.id == people["Zhang-customer"]).values(blacklisted=True)
        )
    assert (await facts.target_facts(zhang)).blacklisted


async def test_0005_up_and_down(db_url: str) -> None:
    await upgrade(db_url, "0004")
    await upgrade(db_url, "0005")
    assert await current_revision(db_url) == "0005"
    db = Database(db_url)
    try:
        await CampaignRepository(db.sessions).create(_campaign())
        async with db.engine.connect() as connection:
            assert await connection.run_sync(tables) >= CAMPAIGN_TABLES
    finally:
        await db.close()

    await downgrade(db_url, "0004")
    assert await current_revision(db_url) == "0004"
    assert not CAMPAIGN_TABLES & await inspected(db_url, tables)

    await upgrade(db_url)
    assert await inspected(db_url, schema_diff) == []


async def test_a_restarted_dialer_knows_what_was_scheduled(database: Database) -> None:
    people = await _people(database)
    repo = CampaignRepository(database.sessions, lambda: NOW)
    facts = CampaignFacts(database.sessions, lambda: NOW)
    await repo.create(_campaign())
    zhang, smith = (
        await _target(database, people["Zhang"]),
        await _target(database, people["Smith"]),
    )
    wait = Decision(False, "skipped: outside calling hours", NOW, Check.CALLING_HOURS)
    gone = Decision(False, "skipped: paid 2026-11-19", None, Check.PAID, final=True)
    await repo.log_decisions("dun-nov", [(zhang, wait, None), (smith, gone, None)], NOW)
    assert await repo.scheduled_policies("dun-nov") == {people["Zhang"]}

    await facts.mark_paid(people["Zhang"], date(2026, 11, 19))
    (paid,) = await facts.policies([people["Zhang"]])
    assert paid.paid_date == date(2026, 11, 19) and paid.phones[0].number == "13900000001"
    assert await facts.policies([]) == []
