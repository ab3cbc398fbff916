"""Domain errors of the CRM bridge; every one carries a stable ``code``."""

from __future__ import annotations


class CrmError(Exception):
    """Base class; ``code`` is stable and safe to show to API clients."""

    code = "crm-error"


class CrmUnavailableError(CrmError):
    """The database cannot be reached (connection refused, dropped, timed out)."""

    code = "database-unavailable"


class CrmRejectedError(CrmError):
    """The database refused the data itself (constraint, type); retrying will not help."""

    code = "crm-rejected"


class InvalidRecordError(CrmError):
    """A CDR document (JSON) is malformed or misses a field."""

    code = "cdr-invalid"


class PolicyNotFoundError(CrmError):
    """No policy has the id given."""

    code = "policy-not-found"


class PromiseRefusedError(CrmError):
    """A promise-to-pay date in the past or more than 30 days ahead."""

    code = "promise-date-out-of-range"


class QuoteNotFoundError(CrmError):
    """No quote has the id given."""

    code = "quote-not-found"


class UnknownAgentError(CrmError):
    """No agent has the extension given."""

    code = "unknown-agent"


class AgentExistsError(CrmError):
    """An agent with this extension exists already."""

    code = "agent-exists"


class InvalidAgentError(CrmError):
    """An agent's data is malformed: a skill level outside 1–5, an unknown language or role..."""

    code = "invalid-agent"


class InvalidStateRecordError(CrmError):
    """An agent state transition to log is malformed (empty state, naive time...)."""

    code = "invalid-state-record"


class InvalidCallbackError(CrmError):
    """A callback to store is malformed (unknown kind or language, naive time...)."""

    code = "invalid-callback"


class CallbackNotFoundError(CrmError):
    """No callback has the id given."""

    code = "callback-not-found"


class CallbackTransitionError(CrmError):
    """A callback cannot move from its current status to the one asked (e.g. done → pending)."""

    code = "invalid-callback-transition"


class SpySessionNotFoundError(CrmError):
    """No spy session has the id given."""

    code = "spy-not-found"


class SpySessionEndedError(CrmError):
    """The spy session is over: its mode can no longer change."""

    code = "spy-ended"


class InvalidSpySessionError(CrmError):
    """A spy session or mode change to store is malformed (unknown mode, naive time...)."""

    code = "invalid-spy-session"
