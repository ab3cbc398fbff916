"""Facts the IVR demo and the dialer rely on, checked on the seed literals."""

from __future__ import annotations

import pytest

from crm_bridge import seed_data as data
from crm_bridge.phones import cn_id_birth_date
from crm_bridge.seed import birth_date_of
from crm_bridge.vocab import FieldAgentStatus, PolicyStatus

pytestmark = pytest.mark.unit


def test_every_seeded_customer_has_the_birth_date_of_their_identity_number() -> None:
    for customer in data.CUSTOMERS:
        born = birth_date_of(customer)
        assert born is not None, customer.name
        embedded = cn_id_birth_date(customer.id_number)
        assert embedded is None or embedded == born, customer.name
        assert customer.birth_date is None or embedded is None, "one source of truth"


def test_caller_13800138004_has_an_unpaid_overdue_policy() -> None:
    holder = next(c for c in data.CUSTOMERS if ("13800138004", "mobile") in c.phones)
    overdue = [
        p
        for p in data.POLICIES
        if p.customer_id_number == holder.id_number
        and p.status is PolicyStatus.OVERDUE
        and p.paid_days_ago is None
    ]
    assert [p.number for p in overdue] == ["PL2024000503"]


def test_badges_of_every_kind_of_field_agent() -> None:
    by_badge = {agent.badge_number: agent for agent in data.FIELD_AGENTS}
    assert by_badge["FA100234"].status is FieldAgentStatus.ACTIVE
    assert by_badge["FA100234"].licence_days_left > 0
    assert by_badge["FA100236"].status is FieldAgentStatus.SUSPENDED
    assert by_badge["FA100237"].status is FieldAgentStatus.TERMINATED
    assert by_badge["FA100238"].status is FieldAgentStatus.ACTIVE
    assert by_badge["FA100238"].licence_days_left < 0
