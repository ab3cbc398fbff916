"""The IVR's hand-off to the ACD: what the caller wants, which skills serve it, who the caller is
and what they already told us, so that an agent never asks twice. Also the two ways a flow leaves
its normal course: back one level, or to a person."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class Handoff:
    intent: str  # "person", "verify-agent", "quote", "pay", "dispute", "complaint", ...
    skills: tuple[str, ...] = ()
    language: str | None = None
    customer_id: int | None = None
    tier: str | None = None
    facts: dict[str, str] = field(default_factory=dict)

    def with_facts(self, **facts: str) -> Handoff:
        return replace(self, facts={**self.facts, **facts})

    def to_json(self) -> str:
        data: dict[str, Any] = {
            "intent": self.intent,
            "skills": list(self.skills),
            "language": self.language,
            "customer_id": self.customer_id,
            "tier": self.tier,
            "facts": self.facts,
        }
        return json.dumps(data, ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Handoff:
        data = json.loads(text)
        return cls(
            intent=str(data["intent"]),
            skills=tuple(str(s) for s in data.get("skills", ())),
            language=data.get("language"),
            customer_id=data.get("customer_id"),
            tier=data.get("tier"),
            facts={str(k): str(v) for k, v in data.get("facts", {}).items()},
        )


class ToPerson(Exception):  # a control-flow signal, not an error
    """Leave the IVR for a person, carrying the hand-off."""

    def __init__(self, handoff: Handoff, reason: str = "") -> None:
        super().__init__(reason or handoff.intent)
        self.handoff = handoff
        self.reason = reason


class Back(Exception):  # a control-flow signal, not an error
    """The caller pressed `*`: back one level."""
