"""SQLAlchemy 2 declarative models of the CRM: customers, policies, agents and CDRs, what the
IVR's self-service flows record (look-ups, fraud reports, quotes, promises, complaints), what the
ACD keeps (agent state log and last known presence, callbacks), the supervision audit trail,
the outbound dunning campaigns and the audit log of administrative actions.

One module per area; every model and ``Base`` are re-exported here, so importing this package
registers every table on ``Base.metadata`` (the Alembic environment relies on it)."""

from __future__ import annotations

from crm_bridge.models.agents import Agent, AgentPresence, AgentSkill, AgentStateLog
from crm_bridge.models.audit import AuditRecord
from crm_bridge.models.base import NAMING_CONVENTION, Base
from crm_bridge.models.calls import (
    Call,
    Callback,
    Complaint,
    FieldAgentLookup,
    FraudReport,
    JournalCursor,
    PaymentPromise,
    Quote,
)
from crm_bridge.models.campaigns import (
    CampaignAttempt,
    CampaignDecision,
    CustomerOptOut,
    DoNotCall,
    DunningCampaign,
)
from crm_bridge.models.customers import Customer, CustomerPhone, FieldAgent, Policy
from crm_bridge.models.supervision import SpyModeChange, SpySession

__all__ = [
    "NAMING_CONVENTION",
    "Agent",
    "AgentPresence",
    "AgentSkill",
    "AgentStateLog",
    "AuditRecord",
    "Base",
    "Call",
    "Callback",
    "CampaignAttempt",
    "CampaignDecision",
    "Complaint",
    "Customer",
    "CustomerOptOut",
    "CustomerPhone",
    "DoNotCall",
    "DunningCampaign",
    "FieldAgent",
    "FieldAgentLookup",
    "FraudReport",
    "JournalCursor",
    "PaymentPromise",
    "Policy",
    "Quote",
    "SpyModeChange",
    "SpySession",
]
