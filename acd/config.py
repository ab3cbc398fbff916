"""The ACD's settings section (``acd:`` in the YAML file, ``IVR_ACD_ACD__*`` in the
environment): the application shell composes it into its settings and hands it to the ACD; and
the routing policy those settings describe."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from acd.core.routing import EscalationStep, RoutingPolicy


class EscalationStepSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt key is an error, not ignored

    after_seconds: float = Field(ge=0)
    name: str = Field(pattern=r"^[a-z0-9-]+$")
    min_level: int | None = Field(None, ge=1, le=5, description="relax the required level")
    any_agent_with_language: bool = False
    offer_callback: bool = False


class BlacklistPolicy(StrEnum):
    REJECT = "reject"  # a short message, then the call ends
    STANDARD = "standard"  # served, but without VIP or account-manager preference
    NORMAL = "normal"  # served like anyone else (still flagged on the CDR)


class AcdSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt key is an error, not ignored

    announce_every: int = Field(20, ge=5, le=300, description="seconds between announcements")
    vip_min_level: int = Field(4, ge=1, le=5, description="a VIP needs this level in the skill")
    vip_skill: str = Field("vip", description="...or this skill at any level")
    vip_priority: float = Field(60.0, ge=0, description="seconds of waiting a VIP is worth")
    account_manager_seconds: float = Field(20.0, ge=0, description="wait for the own manager")
    escalation: list[EscalationStepSettings] = Field(
        default_factory=lambda: [
            EscalationStepSettings(after_seconds=30, name="relax-level", min_level=1),
            EscalationStepSettings(
                after_seconds=60, name="any-agent-with-language", any_agent_with_language=True
            ),
            EscalationStepSettings(after_seconds=120, name="offer-callback", offer_callback=True),
        ]
    )
    wrapup_seconds: dict[str, int] = Field(
        default_factory=lambda: {"default": 10},
        description="after-call work per team; 'default' for teams not listed",
    )
    blacklist_policy: BlacklistPolicy = BlacklistPolicy.REJECT
    default_skill: str = Field("service", description="for a hand-off that names no skill")
    tick_interval: float = Field(1.0, gt=0, le=10, description="escalation / lease / wrap-up")
    lease_margin: float = Field(5.0, gt=0, description="seconds past the ring time a lease lasts")
    dial_allow: list[Annotated[str, Field(pattern=r"^\+?[0-9]{1,16}$")]] = Field(
        default_factory=list,
        description="number prefixes a callback or campaign may dial although the national "
        "numbering plan refuses them (international, premium-rate, short), e.g. ['00852', '95555']",
    )

    @field_validator("escalation")
    @classmethod
    def _steps_in_order(cls, steps: list[EscalationStepSettings]) -> list[EscalationStepSettings]:
        times = [step.after_seconds for step in steps]
        if times != sorted(times):
            raise ValueError("escalation steps must be in order of after_seconds")
        return steps

    def wrapup_for(self, team: str, own: int | None = None) -> int:
        if own is not None:
            return own
        return self.wrapup_seconds.get(team, self.wrapup_seconds.get("default", 0))


def routing_policy(acd: AcdSettings) -> RoutingPolicy:
    return RoutingPolicy(
        vip_min_level=acd.vip_min_level,
        vip_skill=acd.vip_skill,
        vip_priority=acd.vip_priority,
        account_manager_seconds=acd.account_manager_seconds,
        steps=tuple(
            EscalationStep(
                after_seconds=step.after_seconds,
                name=step.name,
                min_level=step.min_level,
                any_skill_with_language=step.any_agent_with_language,
                offer_callback=step.offer_callback,
            )
            for step in acd.escalation
        ),
    )
