"""The call detail record as plain data, with an exact JSON round trip (used by the spool)."""

from __future__ import annotations

import json
from dataclasses import MISSING, asdict, dataclass, fields
from datetime import UTC, datetime
from typing import Any

from crm_bridge.errors import InvalidRecordError
from crm_bridge.vocab import CallKind

_TIMESTAMPS = ("start_time", "answer_time", "end_time")
_OPTIONAL_TIMESTAMPS = ("agent_answer_time", "agent_end_time")
_INTS = ("duration", "billsec", "hangup_cause")
_OPTIONAL_INTS = ("wait_seconds",)
_DEFAULT_INTS = ("talk_seconds",)
_FLAGS = ("vip", "blacklisted", "abandoned")


@dataclass(frozen=True, slots=True)
class CallRecord:
    """One finished call as the engine saw it; ``linkedid`` is its idempotency key."""

    linkedid: str
    direction: str
    caller_number: str
    did: str
    start_time: datetime
    answer_time: datetime | None
    end_time: datetime
    duration: int
    billsec: int
    disposition: str
    hangup_cause: int
    hangup_cause_text: str
    language: str | None
    ivr_path: str
    agent_extension: str | None
    # routing facts from the ACD; the defaults describe a call that never queued, and a
    # document spooled before they existed reads with them
    queue: str | None = None
    wait_seconds: int | None = None
    vip: bool = False
    escalation_step: str | None = None  # the escalation step that chose the agent
    blacklisted: bool = False
    abandoned: bool = False
    # the agent's own leg: when the agent answered, when that leg ended, and the talk time
    # between (None / 0 when no agent answered)
    agent_answer_time: datetime | None = None
    agent_end_time: datetime | None = None
    talk_seconds: int = 0
    kind: str = "customer"  # crm_bridge.vocab.CallKind

    def __post_init__(self) -> None:
        for name in _TIMESTAMPS + _OPTIONAL_TIMESTAMPS:
            value = getattr(self, name)
            if value is not None and value.utcoffset() is None:
                raise InvalidRecordError(f"call {self.linkedid}: {name} is a naive datetime")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping; timestamps as ISO 8601 in UTC."""
        data = asdict(self)
        for name in _TIMESTAMPS + _OPTIONAL_TIMESTAMPS:
            value = data[name]
            data[name] = None if value is None else value.astimezone(UTC).isoformat()
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CallRecord:
        missing = _REQUIRED - data.keys()
        if missing:
            raise InvalidRecordError(f"call record misses {sorted(missing)}")
        values = {name: data[name] for name in _NAMES if name in data}
        try:
            for name in _TIMESTAMPS:
                values[name] = _parse_timestamp(values[name])
            for name in _OPTIONAL_TIMESTAMPS:
                values[name] = _parse_timestamp(values.get(name))
            for name in _DEFAULT_INTS:
                values[name] = _as_int(values.get(name, 0))
            for name in _INTS:
                values[name] = _as_int(values[name])
            for name in _OPTIONAL_INTS:
                values[name] = _as_optional_int(values.get(name))
            for name in _FLAGS:
                values[name] = _as_bool(values.get(name, False))
            values["kind"] = CallKind(values.get("kind", CallKind.CUSTOMER)).value
        except (TypeError, ValueError) as exc:
            raise InvalidRecordError(f"call record {data.get('linkedid')!r}: {exc}") from exc
        return cls(**values)

    @classmethod
    def from_json(cls, text: str | bytes) -> CallRecord:
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise InvalidRecordError(f"call record is not JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise InvalidRecordError("call record JSON is not an object")
        return cls.from_dict(data)


_NAMES = frozenset(field.name for field in fields(CallRecord))
_REQUIRED = frozenset(
    field.name
    for field in fields(CallRecord)
    if field.default is MISSING and field.default_factory is MISSING
)


def _parse_timestamp(value: Any) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"timestamp must be a string, got {type(value).__name__}")
    parsed = datetime.fromisoformat(value)
    if parsed.utcoffset() is None:
        raise ValueError(f"timestamp {value!r} has no UTC offset")
    return parsed.astimezone(UTC)


def _as_int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"expected an integer, got {value!r}")
    return value


def _as_optional_int(value: Any) -> int | None:
    return None if value is None else _as_int(value)


def _as_bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {value!r}")
    return value
