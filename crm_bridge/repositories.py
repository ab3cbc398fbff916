"""The CRM repositories in one import (one module each behind it)."""

from __future__ import annotations

from crm_bridge.agent_repository import AgentEndpoint, AgentProfile, AgentRepository
from crm_bridge.call_repository import CallRepository, StoredCall
from crm_bridge.customer_repository import CustomerProfile, CustomerRepository

__all__ = [
    "AgentEndpoint",
    "AgentProfile",
    "AgentRepository",
    "CallRepository",
    "CustomerProfile",
    "CustomerRepository",
    "StoredCall",
]
