"""A campaign from a client's JSON and back: defaults, every field checked with its name."""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal
from typing import Any

import pytest

from acd.dunning.core.codec import campaign_from_stored, spec_from, spec_json
from acd.dunning.core.model import CampaignError, Caps, RetryPolicy
from crm_bridge.vocab import CampaignMode, CampaignState, Product

pytestmark = pytest.mark.unit

MINIMAL: dict[str, Any] = {
    "name": "November dunning",
    "rule": {},
    "schedule": {"start_date": "2026-11-01", "end_date": "2026-11-30"},
}
FULL: dict[str, Any] = {
    "id": "dun-nov",
    "name": "November dunning",
    "mode": "agentless",
    "rule": {"min_days_overdue": 5, "min_amount": "100", "products": ["auto"], "regions": ["n"]},
    "schedule": {
        "start_date": "2026-11-01",
        "end_date": "2026-11-30",
        "weekdays": [0, 2, 4],
        "hours": {"start": "09:30", "end": "18:00"},
        "holidays": ["2026-11-11"],
    },
    "caps": {"max_channels": 4, "max_calls_per_second": 0.5},
    "retry": {
        "busy": {"delay_seconds": 30, "max_attempts": 2},
        "max_attempts_per_policy": 4,
        "max_attempts_per_number_per_day": 3,
    },
    "abandon": {"target": 0.01, "ceiling": 0.02, "window_calls": 100},
    "machine_message": "Please call us back.",
}


def test_the_minimal_document_takes_the_models_defaults() -> None:
    spec = spec_from(MINIMAL, campaign_id="c-1")
    campaign = spec.campaign
    assert (campaign.id, campaign.mode, campaign.state) == (
        "c-1",
        CampaignMode.PROGRESSIVE,
        CampaignState.DRAFT,
    )
    assert campaign.caps == Caps() and campaign.retry == RetryPolicy()
    assert spec.machine_message is None


def test_every_field_is_read() -> None:
    spec = spec_from(FULL)
    c = spec.campaign
    assert c.mode is CampaignMode.AGENTLESS
    assert c.rule.min_amount == Decimal("100.00") and c.rule.products == {Product.AUTO}
    assert c.schedule.weekdays == {0, 2, 4} and c.schedule.hours.start == time(9, 30)
    assert c.schedule.holidays == {date(2026, 11, 11)}
    assert c.caps.max_calls_per_second == 0.5
    assert c.retry.busy.delay == timedelta(seconds=30) and c.retry.busy.max_attempts == 2
    assert c.retry.no_answer == RetryPolicy().no_answer
    assert c.abandon.target == 0.01 and c.abandon.window_calls == 100
    assert spec.machine_message == "Please call us back."


def test_stored_and_read_back_it_is_the_same_campaign() -> None:
    campaign = spec_from(FULL).campaign
    again = campaign_from_stored(
        campaign.id, campaign.name, campaign.mode, "running", spec_json(campaign)
    )
    assert again == campaign.__class__(**{**campaign.__dict__, "state": CampaignState.RUNNING})


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"name": 3}, "name"),
        ({"rule": []}, "rule"),
        ({"rule": {"min_amount": "lots"}}, "rule.min_amount"),
        ({"rule": {"products": ["boat"]}}, "rule.products[0]"),
        ({"rule": {"colour": "red"}}, "colour"),
        ({"schedule": {"start_date": "2026-11-01"}}, "schedule.end_date"),
        ({"schedule": {**MINIMAL["schedule"], "weekdays": [7]}}, "schedule.weekdays[0]"),
        ({"schedule": {**MINIMAL["schedule"], "hours": {"start": "25:00"}}}, "hours.start"),
        ({"schedule": {**MINIMAL["schedule"], "hours": {"start": "20:00", "end": "09:00"}}}, ""),
        ({"mode": "predictive"}, "mode"),
        ({"caps": {"max_channels": 0}}, "max_channels"),
        ({"caps": {"max_channels": True}}, "caps.max_channels"),
        ({"retry": {"busy": {"delay_seconds": -1}}}, "delay"),
        ({"machine_message": ""}, "machine_message"),
        ({"state": "running"}, "state"),
        ({"id": "bad id!"}, "campaign id"),
    ],
)
def test_bad_input_names_the_field(change: dict[str, Any], named: str) -> None:
    with pytest.raises(CampaignError) as refused:
        spec_from({**MINIMAL, "id": "c-1", **change})
    assert named in str(refused.value)
    assert refused.value.code == "campaign-invalid"


def test_a_document_without_id_needs_one_given() -> None:
    with pytest.raises(CampaignError, match="id"):
        spec_from(MINIMAL)
