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
