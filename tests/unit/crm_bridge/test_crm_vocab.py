"""The CRM's closed vocabularies agree with what the IVR writes, and its pure helpers."""

from __future__ import annotations

from datetime import date

import pytest

from crm_bridge.errors import CrmRejectedError, PromiseRefusedError
from crm_bridge.field_agent_repository import SUCCESSFUL_OUTCOME, normalise_badge
from crm_bridge.policy_repository import check_promise_date
from crm_bridge.quote_repository import quote_parameters
from crm_bridge.vocab import ComplaintCategory, LookupOutcome, Product, member_of
from ivr.flows import rules
from ivr.rating import load_tables

pytestmark = pytest.mark.unit


def test_ivr_outcomes_and_categories_are_crm_vocabulary() -> None:
    logged = {*rules.OUTCOMES, "locked", rules.HOLDER_UNCONFIRMED}
    assert logged == {member.value for member in LookupOutcome}
    assert SUCCESSFUL_OUTCOME.value == rules.GENUINE
    assert set(rules.COMPLAINT_CATEGORIES.values()) == {m.value for m in ComplaintCategory}


def test_quoted_products_are_policy_products() -> None:
    products = {product.key for product in load_tables().products}
    assert products <= {member.value for member in Product}


def test_member_of_refuses_unknown_values_with_a_stable_code() -> None:
    assert member_of(LookupOutcome, "unknown") is LookupOutcome.UNKNOWN
    with pytest.raises(CrmRejectedError) as refused:
        member_of(ComplaintCategory, "rude")
    assert refused.value.code == "crm-rejected"


def test_badges_are_normalised() -> None:
    assert normalise_badge(" fa-100 234 ") == "FA100234"
    assert normalise_badge("--") == ""


@pytest.mark.parametrize("days", [0, 1, 29, 30])
def test_promise_dates_today_to_thirty_days_ahead(days: int) -> None:
    today = date(2026, 12, 20)
    check_promise_date(date.fromordinal(today.toordinal() + days), today)


@pytest.mark.parametrize("promised", [date(2026, 12, 19), date(2027, 1, 20), date(2025, 12, 20)])
def test_promise_dates_outside_are_refused(promised: date) -> None:
    with pytest.raises(PromiseRefusedError) as refused:
        check_promise_date(promised, date(2026, 12, 20))
    assert refused.value.code == "promise-date-out-of-range"


def test_quote_parameters_are_names_to_integers() -> None:
    assert quote_parameters({"driver_age": 35}) == {"driver_age": 35}
    for bad in ({"driver_age": True}, {"driver_age": "35"}, {"driver_age": 3.5}):
        with pytest.raises(CrmRejectedError):
            quote_parameters(bad)  # type: ignore[arg-type]
