"""A campaign as JSON and back: what the REST API accepts and the CRM stores (pure).

Every value is checked; anything wrong raises :class:`CampaignError` naming the field (the API
answers 422 with it). The document::

    {"id": "dun-nov", "name": "November dunning", "mode": "agentless",
     "rule": {"min_days_overdue": 5, "min_amount": "100.00", "products": ["auto"],
              "regions": ["north"]},
     "schedule": {"start_date": "2026-11-01", "end_date": "2026-11-30",
                  "weekdays": [0, 1, 2, 3, 4], "hours": {"start": "09:00", "end": "20:00"},
                  "holidays": []},
     "caps": {"max_channels": 10, "max_calls_per_second": 2},
     "retry": {"busy": {"delay_seconds": 600, "max_attempts": 3}, "no_answer": {...},
               "failed": {...}, "machine": {...}, "abandoned": {...},
               "max_attempts_per_policy": 6, "max_attempts_per_number_per_day": 2},
     "abandon": {"target": 0.02, "ceiling": 0.03, ...},
     "machine_message": "text left on an answering machine, or null to hang up"}

Only ``name``, ``rule`` and ``schedule`` (its two dates) are required; the rest has the model's
defaults. ``state`` is never read from a client: a new campaign is a draft.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from datetime import date, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from acd.dunning.core.model import (
    AbandonPolicy,
    CallingHours,
    Campaign,
    CampaignError,
    Caps,
    RetryPolicy,
    RetryRule,
    Schedule,
    TargetRule,
)
from crm_bridge.vocab import CampaignMode, CampaignState, Product

T = TypeVar("T")
RETRY_OUTCOMES = ("busy", "no_answer", "failed", "machine", "abandoned")
MAX_MESSAGE = 500


@dataclass(frozen=True)
class CampaignSpec:
    """A campaign and what it leaves on an answering machine (``None``: hang up)."""

    campaign: Campaign
    machine_message: str | None = None


def _fail(where: str, why: str) -> CampaignError:
    return CampaignError(f"{where}: {why}")


def _mapping(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(where, "must be an object")
    return value


def _known(data: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise _fail(where, f"unknown field(s) {', '.join(unknown)}")


def _int(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(where, "must be a whole number")
    return value


def _number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(where, "must be a number")
    return float(value)


def _decimal(value: object, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _fail(where, 'must be an amount such as "100.00"')
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise _fail(where, f"{value!r} is not an amount") from None
    if not amount.is_finite():
        raise _fail(where, f"{value!r} is not an amount")
    return amount.quantize(Decimal("0.01"))


def _text(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise _fail(where, "must be text")
    return value


def _date(value: object, where: str) -> date:
    try:
        return date.fromisoformat(_text(value, where))
    except ValueError:
        raise _fail(where, f"{value!r} is not a date YYYY-MM-DD") from None


def _time(value: object, where: str) -> time:
    try:
        parsed = time.fromisoformat(_text(value, where))
    except ValueError:
        raise _fail(where, f"{value!r} is not a time HH:MM") from None
    if parsed.tzinfo is not None:
        raise _fail(where, "calling hours are local times, without a zone")
    return parsed


def _list(value: object, where: str, item: Callable[[object, str], T]) -> frozenset[T]:
    if not isinstance(value, list):
        raise _fail(where, "must be a list")
    return frozenset(item(v, f"{where}[{i}]") for i, v in enumerate(value))


def _product(value: object, where: str) -> Product:
    try:
        return Product(_text(value, where))
    except ValueError:
        allowed = ", ".join(p.value for p in Product)
        raise _fail(where, f"{value!r} is not one of {allowed}") from None


# ---- parts ---------------------------------------------------------------------------------


def rule_from(value: object, where: str = "rule") -> TargetRule:
    data = _mapping(value, where)
    _known(data, {"min_days_overdue", "min_amount", "products", "regions"}, where)
    rule = TargetRule()
    if "min_days_overdue" in data:
        rule = replace(
            rule, min_days_overdue=_int(data["min_days_overdue"], f"{where}.min_days_overdue")
        )
    if "min_amount" in data:
        rule = replace(rule, min_amount=_decimal(data["min_amount"], f"{where}.min_amount"))
    if "products" in data:
        rule = replace(rule, products=_list(data["products"], f"{where}.products", _product))
    if "regions" in data:
        rule = replace(rule, regions=_list(data["regions"], f"{where}.regions", _text))
    return rule


def hours_from(value: object, where: str = "schedule.hours") -> CallingHours:
    data = _mapping(value, where)
    _known(data, {"start", "end"}, where)
    hours = CallingHours()
    start = _time(data["start"], f"{where}.start") if "start" in data else hours.start
    end = _time(data["end"], f"{where}.end") if "end" in data else hours.end
    return CallingHours(start, end)


def _weekday(value: object, where: str) -> int:
    day = _int(value, where)
    if not 0 <= day <= 6:
        raise _fail(where, "weekdays are 0 (Monday) to 6 (Sunday)")
    return day


def schedule_from(value: object, where: str = "schedule") -> Schedule:
    data = _mapping(value, where)
    _known(data, {"start_date", "end_date", "weekdays", "hours", "holidays"}, where)
    for key in ("start_date", "end_date"):
        if key not in data:
            raise _fail(f"{where}.{key}", "is required")
    schedule = Schedule(
        _date(data["start_date"], f"{where}.start_date"),
        _date(data["end_date"], f"{where}.end_date"),
    )
    if "weekdays" in data:
        schedule = replace(
            schedule, weekdays=_list(data["weekdays"], f"{where}.weekdays", _weekday)
        )
    if "hours" in data:
        schedule = replace(schedule, hours=hours_from(data["hours"], f"{where}.hours"))
    if "holidays" in data:
        schedule = replace(schedule, holidays=_list(data["holidays"], f"{where}.holidays", _date))
    return schedule


def caps_from(value: object, where: str = "caps") -> Caps:
    data = _mapping(value, where)
    _known(data, {"max_channels", "max_calls_per_second"}, where)
    caps = Caps()
    if "max_channels" in data:
        caps = replace(caps, max_channels=_int(data["max_channels"], f"{where}.max_channels"))
    if "max_calls_per_second" in data:
        cps = _number(data["max_calls_per_second"], f"{where}.max_calls_per_second")
        caps = replace(caps, max_calls_per_second=cps)
    return caps


def _retry_rule(value: object, where: str, default: RetryRule) -> RetryRule:
    data = _mapping(value, where)
    _known(data, {"delay_seconds", "max_attempts"}, where)
    delay = default.delay
    if "delay_seconds" in data:
        delay = timedelta(seconds=_number(data["delay_seconds"], f"{where}.delay_seconds"))
    most = default.max_attempts
    if "max_attempts" in data:
        most = _int(data["max_attempts"], f"{where}.max_attempts")
    return RetryRule(delay, most)


def retry_from(value: object, where: str = "retry") -> RetryPolicy:
    data = _mapping(value, where)
    caps = {"max_attempts_per_policy", "max_attempts_per_number_per_day"}
    _known(data, set(RETRY_OUTCOMES) | caps, where)
    policy = RetryPolicy()
    changes: dict[str, Any] = {}
    for outcome in RETRY_OUTCOMES:
        if outcome in data:
            default = getattr(policy, outcome)
            changes[outcome] = _retry_rule(data[outcome], f"{where}.{outcome}", default)
    for key in sorted(caps):
        if key in data:
            changes[key] = _int(data[key], f"{where}.{key}")
    return replace(policy, **changes)


def abandon_from(value: object, where: str = "abandon") -> AbandonPolicy:
    data = _mapping(value, where)
    names = {f.name for f in fields(AbandonPolicy)}
    _known(data, names, where)
    ints = {"window_calls", "answer_window"}
    changes: dict[str, Any] = {
        key: _int(v, f"{where}.{key}") if key in ints else _number(v, f"{where}.{key}")
        for key, v in data.items()
    }
    return replace(AbandonPolicy(), **changes)


def _mode(value: object, where: str = "mode") -> CampaignMode:
    try:
        return CampaignMode(_text(value, where))
    except ValueError:
        allowed = ", ".join(m.value for m in CampaignMode)
        raise _fail(where, f"{value!r} is not one of {allowed}") from None


def _message(value: object) -> str | None:
    if value is None:
        return None
    text = _text(value, "machine_message").strip()
    if not text or len(text) > MAX_MESSAGE:
        raise _fail("machine_message", f"must be 1-{MAX_MESSAGE} characters, or null")
    return text


# ---- the document ---------------------------------------------------------------------------

TOP_LEVEL = {"id", "name", "mode", "rule", "schedule", "caps", "retry", "abandon"}
TOP_LEVEL |= {"machine_message"}


def spec_from(document: object, *, campaign_id: str | None = None) -> CampaignSpec:
    """A new campaign (a draft) from a client's JSON document; ``campaign_id`` is used when
    the document has no ``id``."""
    data = _mapping(document, "campaign")
    _known(data, TOP_LEVEL, "campaign")
    for key in ("name", "rule", "schedule"):
        if key not in data:
            raise _fail(key, "is required")
    ident = _text(data["id"], "id") if "id" in data else campaign_id
    if not ident:
        raise _fail("id", "is required")
    campaign = Campaign(
        id=ident,
        name=_text(data["name"], "name"),
        rule=rule_from(data["rule"]),
        schedule=schedule_from(data["schedule"]),
        mode=_mode(data["mode"]) if "mode" in data else CampaignMode.PROGRESSIVE,
        caps=caps_from(data["caps"]) if "caps" in data else Caps(),
        retry=retry_from(data["retry"]) if "retry" in data else RetryPolicy(),
        abandon=abandon_from(data["abandon"]) if "abandon" in data else AbandonPolicy(),
    )
    return CampaignSpec(campaign, _message(data.get("machine_message")))


def _rule_json(rule: RetryRule) -> dict[str, Any]:
    return {"delay_seconds": rule.delay.total_seconds(), "max_attempts": rule.max_attempts}


def spec_json(campaign: Campaign) -> dict[str, Any]:
    """What the CRM keeps of a campaign besides its id, name, mode and state (``spec``)."""
    rule, schedule, retry = campaign.rule, campaign.schedule, campaign.retry
    return {
        "rule": {
            "min_days_overdue": rule.min_days_overdue,
            "min_amount": f"{rule.min_amount:.2f}",
            "products": sorted(p.value for p in rule.products),
            "regions": sorted(rule.regions),
        },
        "schedule": {
            "start_date": schedule.start_date.isoformat(),
            "end_date": schedule.end_date.isoformat(),
            "weekdays": sorted(schedule.weekdays),
            "hours": {
                "start": schedule.hours.start.isoformat("minutes"),
                "end": schedule.hours.end.isoformat("minutes"),
            },
            "holidays": sorted(d.isoformat() for d in schedule.holidays),
        },
        "caps": {
            "max_channels": campaign.caps.max_channels,
            "max_calls_per_second": campaign.caps.max_calls_per_second,
        },
        "retry": {
            **{outcome: _rule_json(getattr(retry, outcome)) for outcome in RETRY_OUTCOMES},
            "max_attempts_per_policy": retry.max_attempts_per_policy,
            "max_attempts_per_number_per_day": retry.max_attempts_per_number_per_day,
        },
        "abandon": {f.name: getattr(campaign.abandon, f.name) for f in fields(AbandonPolicy)},
    }


def campaign_from_stored(
    ident: str, name: str, mode: str, state: str, spec: Mapping[str, Any]
) -> Campaign:
    """A campaign as the CRM stored it (``spec_json``'s document)."""
    return Campaign(
        id=ident,
        name=name,
        rule=rule_from(spec["rule"]),
        schedule=schedule_from(spec["schedule"]),
        mode=_mode(mode),
        caps=caps_from(spec["caps"]),
        retry=retry_from(spec["retry"]),
        abandon=abandon_from(spec["abandon"]),
        state=CampaignState(state),
    )
