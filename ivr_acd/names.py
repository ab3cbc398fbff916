"""Names that cross the Python / Asterisk boundary: dialplan contexts, channel variables,
AGI routes and CDR variables. ``tests/unit/test_names.py`` checks that ``dialplans/`` and
``asterisk-config/`` use exactly these."""

from __future__ import annotations

from typing import Final

# Dialplan contexts
CTX_CARRIER: Final = "from-carrier"
CTX_IVR: Final = "ivr-entry"
CTX_AGENTS: Final = "agents"
CTX_SUPERVISORS: Final = "supervisors"
CTX_TO_PERSON: Final = "to-person"
CTX_FALLBACK: Final = "ivr-fallback"
CTX_HANGUP: Final = "ivr-hangup"

# AGI routes (agi://host:port/<route>)
AGI_ROUTE_IVR: Final = "ivr"

# Channel variables set by the dialplan or by the controller
VAR_AGI_STATUS: Final = "AGISTATUS"
VAR_NEXT: Final = "IVR_NEXT"  # what the dialplan does after the AGI session: "person" / "hangup"
VAR_AGENT_TARGETS: Final = "IVR_AGENT_TARGETS"  # "PJSIP/8001&PJSIP/8002"
VAR_INTENT: Final = "IVR_INTENT"  # the hand-off: what the caller wants
VAR_SKILLS: Final = "IVR_SKILLS"  # the hand-off: required skills, comma-separated
VAR_HANDOFF: Final = "IVR_HANDOFF"  # the whole hand-off as JSON (ivr.handoff.Handoff)

# CDR variables the IVR keeps current (cdr_manager.conf maps them into the Cdr event)
CDR_PATH: Final = "CDR(ivr_path)"
CDR_LANGUAGE: Final = "CDR(ivr_language)"

# Dialplan globals rendered from settings / the CRM
GLOBAL_ALL_AGENTS: Final = "ALL_AGENTS"
GLOBAL_AGENT_RING: Final = "AGENT_RING_SECONDS"

NEXT_PERSON: Final = "person"
NEXT_HANGUP: Final = "hangup"
