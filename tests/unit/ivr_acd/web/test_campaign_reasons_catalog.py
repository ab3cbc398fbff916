"""The campaigns page can say every dunning reason: each compliance check (and each cause of a
check with several), each attempt outcome code, each campaign state, mode and disposition has its
message in both languages, with the placeholders the code's parameters fill."""

from __future__ import annotations

import pytest

from acd.dunning.core.attempts import Why
from acd.dunning.core.compliance import Check
from acd.dunning.core.schedule import DayKind
from crm_bridge.vocab import CampaignMode, CampaignState, Disposition, PolicyStatus
from ivr_acd.web.i18n import LOCALES, load_catalog, placeholders

pytestmark = pytest.mark.unit

KINDS = {  # checks whose cause is params["kind"]
    Check.SCHEDULE: [kind.value for kind in DayKind],
    Check.POLICY_CLOSED: ["status", "attempt"],
    Check.TARGET_RULE: ["days-overdue", "amount", "product", "region"],
}


def _keys() -> list[str]:
    checks = [
        f"campaigns.check.{check}.{kind}" if check in KINDS else f"campaigns.check.{check}"
        for check in Check
        for kind in KINDS.get(check, [""])
    ]
    return [
        *checks,
        *(f"campaigns.why.{why}" for why in Why),
        *(f"campaigns.state.{state}" for state in CampaignState),
        *(f"campaigns.mode.{mode}" for mode in CampaignMode),
        *(f"campaigns.disposition.{d}" for d in Disposition),
        *(f"campaigns.policy-status.{s}" for s in (PolicyStatus.CANCELLED, PolicyStatus.LAPSED)),
    ]


@pytest.mark.parametrize("locale", LOCALES)
def test_every_reason_code_has_its_message(locale: str) -> None:
    messages = load_catalog(locale).messages
    assert [key for key in _keys() if key not in messages] == []


def test_the_calling_hours_message_names_what_the_decision_carries() -> None:
    for locale in LOCALES:
        text = load_catalog(locale).messages["campaigns.check.calling-hours"]
        assert isinstance(text, str)
        assert placeholders(text) == {"local", "zone", "start", "end"}
