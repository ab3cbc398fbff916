"""Names that cross the Python / Asterisk boundary: dialplan contexts, channel variables,
globals, AGI routes, user events and their headers, and CDR variables.
``tests/unit/wire/test_names.py`` checks that ``dialplans/`` and ``asterisk-config/`` use exactly
these."""

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
CTX_PICK_CONTROLLER: Final = "pick-controller"  # Gosub: which controller serves the call
CTX_NEXT_CONTROLLER: Final = "next-controller"  # Gosub: the next one in AGI_TARGETS
# Gosub(agi-failover,s,1(<route>[,args])): every FastAGI call; tries each controller in turn
# while the connection fails (AGISTATUS=FAILURE), never repeats a session that ran
CTX_AGI_FAILOVER: Final = "agi-failover"
# Gosub, the first step of every call from outside: caller number `+` and digits, name no
# control characters (INBOUND_CONTEXTS run it first in each of their extensions)
CTX_CALLER_CLEAN: Final = "caller-clean"
# a caller waiting for an agent: music, announcements, 1 = callback
CTX_ACD_WAIT: Final = "acd-wait"
CTX_ACD_DELIVER: Final = "acd-deliver"  # ring the agent the ACD reserved
CTX_AGENT_FEATURES: Final = "agent-features"  # *50 login, *51 logout, *52+digit pause, *53 unpause
CTX_CALLBACK_RING: Final = "acd-callback-ring"  # a callback: ring the reserved agent first
CTX_CALLBACK_CUSTOMER: Final = "acd-callback-customer"  # ...then, once they answer, the customer
CALLBACK_SUFFIX: Final = "-cb"  # a callback's linkedid: the waiting call's linkedid + this
# supervision: the supervisor's leg runs ChanSpy on the agent's channel; the controller
# originates it into `s` (REST API), a mode change redirects it to EXTEN_SPY again
CTX_SUPERVISE: Final = "supervise"
CTX_SUPERVISOR_FEATURES: Final = "supervisor-features"  # *22 / *23 / *24 + agent extension
EXTEN_SPY: Final = "spy"  # in CTX_SUPERVISE: ChanSpy(${SPY_TARGET},${SPY_OPTIONS})
SPY_CHANNEL_PREFIX: Final = "spy-"  # uniqueid of an originated supervisor leg: spy-<id>-<nonce>
SPY_PATH: Final = "spy"  # CDR(ivr_path) of a supervisor leg in CTX_SUPERVISE
USEREVENT_SPY_ANSWERED: Final = "SpyAnswered"  # the supervisor answered (SpyId)
USEREVENT_SPY_ENDED: Final = "SpyEnded"  # ChanSpy returned: the spied call ended (SpyId, Reason)
USEREVENT_HEADER_SPY_ID: Final = "SpyId"  # of SpyAnswered / SpyEnded: the spy session
USEREVENT_HEADER_REASON: Final = "Reason"  # of SpyEnded: why ("call-ended")

# outbound dunning (acd.dunning.dialer): the customer's leg, originated over the carrier trunk,
# runs CTX_DUNNING once answered: AMD(), then the message (a machine), the payment flow
# (agentless) or the collections agent reserved before the dial (progressive)
CTX_DUNNING: Final = "dunning"
DUNNING_PREFIX: Final = "dun-"  # the linkedid of a dunning call: dun-<hash of the attempt id>
USEREVENT_DUNNING_AMD: Final = "DunningAmd"  # AMD's verdict (Attempt, Status, Cause)
USEREVENT_HEADER_ATTEMPT: Final = "Attempt"  # of DunningAmd: the attempt id
USEREVENT_HEADER_STATUS: Final = "Status"  # of DunningAmd: AMDSTATUS (MACHINE, HUMAN, ...)
USEREVENT_HEADER_CAUSE: Final = "Cause"  # of DunningAmd: AMDCAUSE

# AGI routes (agi://host:port/<route>)
AGI_ROUTE_IVR: Final = "ivr"
AGI_ROUTE_ACD_ENQUEUE: Final = "acd-enqueue"  # join the line (or return to it after no answer)
AGI_ROUTE_ACD_ANNOUNCE: Final = "acd-announce"  # position and estimated wait
AGI_ROUTE_ACD_CALLBACK: Final = "acd-callback"  # the waiting caller pressed 1
AGI_ROUTE_AGENT: Final = "agent"  # the agents' feature codes
AGI_ROUTE_SPY: Final = "spy"  # a supervisor's *22 / *23 / *24 feature code: allowed or not
AGI_ROUTE_DUNNING: Final = "dunning"  # a dunning call's payment flow (agentless)

# Channel variables set by the dialplan or by the controller
VAR_AGI_STATUS: Final = "AGISTATUS"
VAR_NEXT: Final = "IVR_NEXT"  # what the dialplan does after the AGI session: "person" / "hangup"
VAR_AGENT_TARGETS: Final = "IVR_AGENT_TARGETS"  # "PJSIP/8001&PJSIP/8002"
VAR_INTENT: Final = "IVR_INTENT"  # the hand-off: what the caller wants
VAR_SKILLS: Final = "IVR_SKILLS"  # the hand-off: required skills, comma-separated
VAR_HANDOFF: Final = "IVR_HANDOFF"  # the whole hand-off as JSON (ivr.handoff.Handoff)
VAR_AGI_TARGET: Final = "AGI_TARGET"  # the controller (host:port/secret) serving this call
VAR_AGI_TARGET_INDEX: Final = "AGI_TARGET_INDEX"  # its place in AGI_TARGETS (1-based)
# set by a controller that ended a session on purpose with no decision (the route crashed or is
# unknown): the dialplan falls back at once, no other controller is tried
VAR_AGI_FAILED: Final = "AGI_FAILED"
VAR_RESUMES: Final = "IVR_RESUMES"  # how often the IVR was resumed on another controller
VAR_IVR_DID: Final = "IVR_DID"  # the number the caller dialled, inherited by the call's channels
VAR_ACD_AGENT: Final = "ACD_AGENT"  # the extension the ACD reserved for this caller
VAR_ACD_NEXT: Final = "ACD_NEXT"  # after acd-enqueue: "deliver" / "wait" / "hangup"
# the call as the ACD admitted it (its enqueue time and priority), set at enqueue and read back
# from the waiting channels when Redis lost the line (acd.live.codec.call_to_token)
VAR_ACD_CALL: Final = "ACD_CALL"
VAR_ACD_CALLBACK_NUMBER: Final = "ACD_CALLBACK_NUMBER"  # whom a callback dials
VAR_ACD_FEATURE: Final = "ACD_FEATURE"  # the feature the agent keyed ("login", "pause:1", ...)
VAR_SPY_ID: Final = "SPY_ID"  # the spy session (audit row) of a supervisor leg
VAR_SPY_TARGET: Final = "SPY_TARGET"  # the agent's channel ChanSpy listens to
VAR_SPY_OPTIONS: Final = "SPY_OPTIONS"  # ChanSpy's options for the mode (acd.supervision.rules)
VAR_SPY_MODE: Final = "SPY_MODE"  # listen / whisper / barge (the feature code's, or the API's)
VAR_SPY_AGENT: Final = "SPY_AGENT"  # the agent extension keyed after *22 / *23 / *24
VAR_SPY_NEXT: Final = "SPY_NEXT"  # after the spy route: "spy" (allowed) / "hangup"
VAR_DUNNING_ATTEMPT: Final = "DUNNING_ATTEMPT"  # the attempt id (campaign:policy:seq)
VAR_DUNNING_NUMBER: Final = "DUNNING_NUMBER"  # the customer's number dialled
VAR_DUNNING_MODE: Final = "DUNNING_MODE"  # agentless / progressive
VAR_DUNNING_AGENT: Final = "DUNNING_AGENT"  # progressive: the reserved agent's extension
VAR_DUNNING_CONNECT: Final = "DUNNING_CONNECT"  # progressive: seconds the agent has to answer
VAR_DUNNING_MESSAGE: Final = "DUNNING_MESSAGE"  # prompt left on a machine ("" = hang up)
VAR_DUNNING_SORRY: Final = "DUNNING_SORRY"  # prompt for a person no agent could take
VAR_DUNNING_LANGUAGE: Final = "DUNNING_LANGUAGE"  # the customer's language (zh / en)

# CDR variables the IVR keeps current (cdr_manager.conf maps them into the Cdr event)
CDR_PATH: Final = "CDR(ivr_path)"
CDR_LANGUAGE: Final = "CDR(ivr_language)"
CDR_DID: Final = "CDR(ivr_did)"  # the number called: the DID, or whom an outbound call dials
CDR_HANGUP_CAUSE: Final = (
    "CDR(hangupcause)"  # Asterisk's hangup cause, kept on the caller's hang-up
)
CDR_ACD_QUEUE: Final = "CDR(acd_queue)"
CDR_ACD_WAIT: Final = "CDR(acd_wait)"
CDR_ACD_VIP: Final = "CDR(acd_vip)"
CDR_ACD_STEP: Final = "CDR(acd_step)"
CDR_ACD_BLACKLISTED: Final = "CDR(acd_blacklisted)"

# Dialplan globals rendered from settings / the CRM
GLOBAL_ALL_AGENTS: Final = "ALL_AGENTS"
GLOBAL_AGENT_RING: Final = "AGENT_RING_SECONDS"
GLOBAL_AGI_TARGETS: Final = "AGI_TARGETS"  # "host:port/secret&...": the controllers
GLOBAL_AGI_TARGET_COUNT: Final = "AGI_TARGET_COUNT"  # how many ([pick-controller] draws one)
GLOBAL_ACD_ANNOUNCE_EVERY: Final = "ACD_ANNOUNCE_EVERY"

NEXT_PERSON: Final = "person"
NEXT_HANGUP: Final = "hangup"
ACD_DELIVER: Final = "deliver"
ACD_WAIT: Final = "wait"
SPY_NEXT_SPY: Final = "spy"

# Where a call from outside enters the dialplan (the carrier trunk, a dunning call answered):
# every extension of these runs CTX_CALLER_CLEAN as its first step (tests/unit/wire/test_names.py)
INBOUND_CONTEXTS: Final = (CTX_CARRIER, CTX_DUNNING)
