"""The CRM repositories in one import (one module each behind it)."""

from __future__ import annotations

from crm_bridge.agent_repository import AgentEndpoint, AgentProfile, AgentRepository
from crm_bridge.agent_specs import AgentChanges, NewAgent
from crm_bridge.agent_state_repository import AgentStateLogRepository, AgentTransition, Presence
from crm_bridge.callback_repository import CallbackRepository, CallbackRequest, StoredCallback
from crm_bridge.calls.repository import CallRepository, StoredCall
from crm_bridge.complaint_repository import ComplaintRepository
from crm_bridge.customer_repository import CustomerProfile, CustomerRepository
from crm_bridge.errors import (
    PolicyNotFoundError,
    PromiseRefusedError,
    QuoteNotFoundError,
)
from crm_bridge.field_agent_repository import FieldAgentProfile, FieldAgentRepository
from crm_bridge.policy_repository import PolicyDue, PolicyRepository
from crm_bridge.quote_repository import QuoteRepository

__all__ = [
    "AgentChanges",
    "AgentEndpoint",
    "AgentProfile",
    "AgentRepository",
    "AgentStateLogRepository",
    "AgentTransition",
    "CallRepository",
    "CallbackRepository",
    "CallbackRequest",
    "ComplaintRepository",
    "CustomerProfile",
    "CustomerRepository",
    "FieldAgentProfile",
    "FieldAgentRepository",
    "NewAgent",
    "PolicyDue",
    "PolicyNotFoundError",
    "PolicyRepository",
    "Presence",
    "PromiseRefusedError",
    "QuoteNotFoundError",
    "QuoteRepository",
    "StoredCall",
    "StoredCallback",
]
