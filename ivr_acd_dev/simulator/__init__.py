"""Simulated SIP phones (pjsua2 in worker subprocesses) for tests and the demo."""

from ivr_acd_dev.simulator.link import PhoneError, PhoneTimeout
from ivr_acd_dev.simulator.phones import Call, CallState, CallStats, Phone
from ivr_acd_dev.simulator.pool import PhonePool
from ivr_acd_dev.simulator.worker_client import PhoneWorker

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
