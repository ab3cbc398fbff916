"""Simulated SIP phones (pjsua2 in worker subprocesses) for tests and the demo."""

from ivr_acd_dev.simulator.phones import (
    Call,
    CallState,
    CallStats,
    Phone,
    PhoneError,
    PhoneTimeout,
    PhoneWorker,
)
from ivr_acd_dev.simulator.pool import PhonePool

__all__ = [
    "Call",
    "CallState",
    "CallStats",
    "Phone",
    "PhoneError",
    "PhonePool",
    "PhoneTimeout",
    "PhoneWorker",
]
