"""The CRM repositories in one import (one module each behind it)."""

from __future__ import annotations

from crm_bridge.agent_repository import AgentEndpoint, AgentProfile, AgentRepository
from crm_bridge.call_repository import CallRepository, StoredCall
from crm_bridge.customer_repository import CustomerProfile, CustomerRepository
from crm_bridge.field_agent_repository import FieldAgentProfile, FieldAgentRepository
from crm_bridge.ivr_records import ComplaintRepository, QuoteRepository
from crm_bridge.policy_repository import PolicyDue, PolicyRepository, PromiseRefusedError

__all__ = [
    "AgentEndpoint",
    "AgentProfile",
    "AgentRepository",
    "CallRepository",
    "ComplaintRepository",
    "CustomerProfile",
    "CustomerRepository",
    "FieldAgentProfile",
    "FieldAgentRepository",
    "PolicyDue",
    "PolicyRepository",
    "PromiseRefusedError",
    "QuoteRepository",
    "StoredCall",
]
