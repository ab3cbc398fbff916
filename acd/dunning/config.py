"""The dunning dialer's settings section (``campaigns:`` in the YAML file,
``IVR_ACD_CAMPAIGNS__*`` in the environment): the application shell composes it into its
settings and hands it to the dialer."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class CampaignSettings(BaseModel):
    """Outbound dunning campaigns (acd.dunning.dialer)."""

    model_config = ConfigDict(extra="forbid")  # a misspelt key is an error, not ignored

    enabled: bool = Field(True, description="this controller dials campaigns (one at a time each)")
    tick_interval: float = Field(0.5, gt=0, le=10, description="seconds between dialer steps")
    ring_seconds: int = Field(30, ge=5, le=120, description="how long a customer's phone rings")
    connect_seconds: int = Field(
        2, ge=1, le=30, description="progressive: the reserved agent answers within this"
    )
    disposition_grace: float = Field(
        30.0, ge=0, description="seconds an agent has to record a connected call's disposition"
    )
    lease_seconds: float = Field(10.0, ge=2, description="a campaign's dialer lease in Redis")
    caller_id: str | None = Field(
        None, pattern=r"^[0-9]+$", description="number customers see; the hotline DID if unset"
    )
    clock_start: datetime | None = Field(
        None, description="tests and demos: the dialer's clock starts at this instant"
    )
    recover_after: float = Field(
        90.0, gt=0, description="an attempt with no channel and no CDR this long is failed"
    )
    settle_seconds: float = Field(
        2.0, ge=0, description="after a hang-up, wait this long for the payment flow's outcome"
    )
    explain_every: float = Field(30.0, gt=0, description="log waiting targets' reasons this often")
