"""One dunning attempt as a state machine (pure): what Asterisk reports about the call moves it
on, and each transition returns the commands for the dialer to run — stamp the answer, record
the one disposition, let the reserved agent go — rather than running them.

States: ``dialling`` (originated, ringing) -> ``answered`` (the customer picked up; AMD runs)
-> ``machine`` / ``human`` (AMD's verdict; NOTSURE counts as a person) -> in progressive mode
``connected`` (the reserved agent answered within the connect time) -> ``ended``.

Dispositions at the end (one per attempt):

- not answered: Asterisk's hang-up cause decides: busy (cause 17), no answer (causes 18/19),
  declined (cause 21, what chan_pjsip makes of a SIP 603 Decline): refused, closing like any
  refusal; anything else failed. The originate reason only says which control frame came last
  (a phone that rang, then declined, reports "ringing" like one that rang out), so a failed
  Originate waits for the call's CDR and its cause, whichever of the two events comes first
  (but busy, reason 5, which Asterisk derives from cause 17 itself); the reason is only the
  fallback when no CDR comes;
- answered, hung up before AMD's verdict: no answer ("hung up during detection", retried);
- machine: machine (the message left, or not);
- a person, agentless: what the payment flow recorded (paid, promised, disputed, wrong number,
  refused; written by the flow itself), else refused ("hung up in the payment flow");
- a person, progressive, no agent within the connect time: abandoned;
- a person talking to the agent: the agent's disposition (REST), else refused once the grace
  after the hang-up is over ("no disposition from agent 8001").

Each disposition's English ``reason`` (the log's, the CSV's) comes with a stable ``why`` code and
the ``params`` it names (strings), from which the console says it in the reader's language;
``params["source"] == "cdr"`` when the call's CDR told.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from crm_bridge.vocab import CampaignMode, Disposition

ORIGINATE_BUSY = 5  # AST_CONTROL_BUSY
ORIGINATE_NO_ANSWER = 3  # AST_CONTROL_RINGING: it rang until the timeout
CAUSE_BUSY = 17
CAUSES_NO_ANSWER = frozenset({18, 19})  # no user responding, no answer
CAUSE_REJECTED = 21  # call rejected: chan_pjsip's cause for SIP 603 Decline (and 401/403/407)
HUMAN_VERDICTS = frozenset({"HUMAN", "NOTSURE"})
FLOW_FAILED = "dunning:flow-failed"  # the dialplan's mark: the payment flow's controller failed


class Why(StrEnum):
    """Why an attempt ended as it did: a stable code for the console (with ``Finish.params``)."""

    BUSY = "busy"
    RANG_OUT = "rang-out"
    NO_ANSWER = "no-answer"  # params: cause
    DECLINED = "declined"
    NOT_CONNECTED = "not-connected"  # params: detail (an originate reason, a cause, a CDR's)
    ORIGINATE_ERROR = "originate-error"
    LOST = "lost"  # no channel and no CDR after a restart
    HUNG_UP_IN_DETECTION = "hung-up-in-detection"
    MACHINE = "machine"
    NO_AGENT_IN_TIME = "no-agent-in-time"
    NO_AGENT_DISPOSITION = "no-agent-disposition"  # params: agent
    HUNG_UP_IN_FLOW = "hung-up-in-flow"
    SAID_WRONG_NUMBER = "said-wrong-number"
    PROMISED = "promised"
    PROMISED_THEN_HUNG_UP = "promised-then-hung-up"
    NO_PROMISE_STORED = "no-promise-stored"
    CHOSE = "chose"  # params: intent (pay, dispute)
    LEFT_FLOW = "left-flow"  # params: intent
    NO_PROMISE = "no-promise"
    FLOW_FAILED = "flow-failed"
    AGENT = "agent"  # recorded by the agent (params: note, their own words, if any)


class AttemptState(StrEnum):
    DIALLING = "dialling"
    ANSWERED = "answered"
    MACHINE = "machine"
    HUMAN = "human"
    CONNECTED = "connected"
    ENDED = "ended"


# ---- events (from AMI, parsed by the dialer) ----------------------------------------------


@dataclass(frozen=True)
class OriginateFailed:
    reason: int  # OriginateResponse's Reason


@dataclass(frozen=True)
class Answered:
    pass


@dataclass(frozen=True)
class AmdVerdict:
    status: str  # AMDSTATUS: MACHINE, HUMAN, NOTSURE, HANGUP
    cause: str = ""  # AMDCAUSE, e.g. LONGGREETING-1600-1500


@dataclass(frozen=True)
class AgentDialEnded:
    agent: str
    dial_status: str  # ANSWER, NOANSWER, BUSY, CANCEL...


@dataclass(frozen=True)
class HungUp:
    cause: int


AttemptEvent = OriginateFailed | Answered | AmdVerdict | AgentDialEnded | HungUp


# ---- commands (run by the dialer) ---------------------------------------------------------


@dataclass(frozen=True)
class StampAnswer:
    amd_status: str | None = None
    agent: str | None = None


@dataclass(frozen=True)
class Finish:
    disposition: Disposition
    reason: str
    why: Why
    params: Mapping[str, str] = field(default_factory=dict)

    def noting(self, suffix: str, **params: str) -> Finish:
        """The same finish, its reason extended (``" (from the CDR)"``) and ``params`` added."""
        return Finish(self.disposition, self.reason + suffix, self.why, {**self.params, **params})


@dataclass(frozen=True)
class FinishFromFlow:
    """A person hung up in the payment flow: keep what the flow recorded (a promise made on
    this call counts), else ``fallback``."""

    fallback: Finish


@dataclass(frozen=True)
class FinishFromCdr:
    """The call ended without telling how (an originate failure without a clear reason, a
    hang-up whose AMD verdict was missed): read its CDR (Asterisk's disposition, the path the
    dialplan kept), else ``fallback``."""

    fallback: Finish


@dataclass(frozen=True)
class AwaitAgentDisposition:
    """The agent's call ended: give them the grace to record a disposition, then ``fallback``."""

    agent: str
    fallback: Finish


@dataclass(frozen=True)
class AgentConnected:
    agent: str


@dataclass(frozen=True)
class ReleaseAgent:
    """The reserved agent is not needed (no answer, machine, abandoned): ready again."""

    agent: str


@dataclass(frozen=True)
class AgentCallEnded:
    agent: str


Command = (
    StampAnswer
    | Finish
    | FinishFromFlow
    | FinishFromCdr
    | AwaitAgentDisposition
    | AgentConnected
    | ReleaseAgent
    | AgentCallEnded
)


@dataclass(frozen=True)
class Live:
    """What the dialer knows of an attempt while its call is up."""

    attempt_id: str
    mode: CampaignMode
    agent: str = ""  # progressive: the agent reserved before the dial
    state: AttemptState = AttemptState.DIALLING
    amd: str = ""  # AMD's verdict and cause, for the reason


@dataclass(frozen=True)
class Step:
    live: Live
    commands: tuple[Command, ...] = ()

    @property
    def changed(self) -> bool:
        return bool(self.commands)


# ---- dispositions of calls nobody answered -----------------------------------------------


def unanswered(reason: int) -> Finish:
    """After an Originate that was not answered, by its reason code."""
    if reason == ORIGINATE_BUSY:
        return Finish(Disposition.BUSY, "busy", Why.BUSY)
    if reason == ORIGINATE_NO_ANSWER:
        return Finish(Disposition.NO_ANSWER, "rang out without an answer", Why.RANG_OUT)
    why = f"not connected (originate reason {reason})"
    return Finish(Disposition.FAILED, why, Why.NOT_CONNECTED, {"detail": f"reason {reason}"})


def unanswered_cause(cause: int) -> Finish:
    """After a hang-up before any answer, by Asterisk's hang-up cause."""
    known = _known_cause(cause)
    why = f"not connected (cause {cause})"
    detail = {"detail": f"cause {cause}"}
    return known or Finish(Disposition.FAILED, why, Why.NOT_CONNECTED, detail)


def _known_cause(cause: int) -> Finish | None:
    if cause == CAUSE_BUSY:
        return Finish(Disposition.BUSY, "busy (cause 17)", Why.BUSY)
    if cause in CAUSES_NO_ANSWER:
        why = f"no answer (cause {cause})"
        return Finish(Disposition.NO_ANSWER, why, Why.NO_ANSWER, {"cause": str(cause)})
    if cause == CAUSE_REJECTED:
        return Finish(Disposition.REFUSED, "declined the call (cause 21, SIP 603)", Why.DECLINED)
    return None


# ---- the machine --------------------------------------------------------------------------


def _to(live: Live, state: AttemptState, *commands: Command, amd: str | None = None) -> Step:
    changed = Live(live.attempt_id, live.mode, live.agent, state, live.amd if amd is None else amd)
    return Step(changed, commands)


def _release(live: Live) -> tuple[Command, ...]:
    return (ReleaseAgent(live.agent),) if live.agent else ()


def _ended(live: Live, finish: Command) -> Step:
    return _to(live, AttemptState.ENDED, finish, *_release(live))


def _on_amd(live: Live, event: AmdVerdict) -> Step:
    verdict = f"AMD {event.status}" + (f" ({event.cause})" if event.cause else "")
    stamp = StampAnswer(amd_status=event.status)
    if event.status == "MACHINE":
        return _to(live, AttemptState.MACHINE, stamp, *_release(live), amd=verdict)
    if event.status in HUMAN_VERDICTS:
        return _to(live, AttemptState.HUMAN, stamp, amd=verdict)
    return _to(live, live.state, stamp, amd=verdict)  # HANGUP: the hang-up follows


def _on_hangup(live: Live, cause: int) -> Step:
    state = live.state
    if state is AttemptState.DIALLING:
        return _ended(live, unanswered_cause(cause))
    if state is AttemptState.ANSWERED:  # the verdict was missed, or the person hung up first
        why = "hung up during answering-machine detection"
        detection = Finish(Disposition.NO_ANSWER, why, Why.HUNG_UP_IN_DETECTION)
        return _ended(live, FinishFromCdr(detection))
    if state is AttemptState.MACHINE:
        return _to(live, AttemptState.ENDED, Finish(Disposition.MACHINE, live.amd, Why.MACHINE))
    if state is AttemptState.CONNECTED:
        why = f"no disposition from agent {live.agent}"
        agent = {"agent": live.agent}
        fallback = Finish(Disposition.REFUSED, why, Why.NO_AGENT_DISPOSITION, agent)
        return _to(
            live,
            AttemptState.ENDED,
            AgentCallEnded(live.agent),
            AwaitAgentDisposition(live.agent, fallback),
        )
    if live.mode is CampaignMode.PROGRESSIVE:
        why = f"{live.amd}; no agent within the connect time"
        return _ended(live, Finish(Disposition.ABANDONED, why, Why.NO_AGENT_IN_TIME))
    why = f"{live.amd}; hung up in the payment flow"
    fallback = Finish(Disposition.REFUSED, why, Why.HUNG_UP_IN_FLOW)
    return _to(live, AttemptState.ENDED, FinishFromFlow(fallback))


# Which states each event may arrive in (any other: a stale or repeated event, ignored).
_ACCEPTS: dict[type, frozenset[AttemptState]] = {
    OriginateFailed: frozenset({AttemptState.DIALLING}),
    Answered: frozenset({AttemptState.DIALLING}),
    AmdVerdict: frozenset({AttemptState.DIALLING, AttemptState.ANSWERED}),
    AgentDialEnded: frozenset({AttemptState.HUMAN}),
    HungUp: frozenset(set(AttemptState) - {AttemptState.ENDED}),
}


def _on_agent(live: Live, event: AgentDialEnded) -> Step:
    if event.agent != live.agent or event.dial_status != "ANSWER":
        return Step(live)  # not connected: abandoned when the customer's leg ends
    stamp = StampAnswer(agent=live.agent)
    return _to(live, AttemptState.CONNECTED, stamp, AgentConnected(live.agent))


def apply(live: Live, event: AttemptEvent) -> Step:
    """The attempt after ``event``; an event that does not fit its state changes nothing."""
    if live.state not in _ACCEPTS[type(event)]:
        return Step(live)
    if isinstance(event, OriginateFailed):
        finish = unanswered(event.reason)
        if event.reason == ORIGINATE_BUSY:  # Asterisk's own reading of cause 17: certain
            return _ended(live, finish)
        return _ended(live, FinishFromCdr(finish))  # the cause is in the CDR; this a guess
    if isinstance(event, Answered):
        return _to(live, AttemptState.ANSWERED, StampAnswer())
    if isinstance(event, AmdVerdict):
        return _on_amd(live, event)
    if isinstance(event, AgentDialEnded):
        return _on_agent(live, event)
    return _on_hangup(live, event.cause)


def line(before: Live, after: Live) -> str:
    """The log line of a transition (STYLE: one per transition)."""
    agent = f" agent={after.agent}" if after.agent else ""
    return f"attempt={after.attempt_id}{agent} {before.state} -> {after.state}"


# ---- outcomes known only afterwards ---------------------------------------------------------

HANDOFF_DISPOSITIONS = {"pay": Disposition.PAID, "dispute": Disposition.DISPUTED}


def from_flow(intent: str | None, promised: bool, wrong_number: bool = False) -> Finish:
    """What the payment flow came to: ``intent`` of the hand-off to a person (None: the flow
    ended without one), whether a promise to pay was recorded on the call."""
    if wrong_number:
        why = "the person said it is a wrong number (9)"
        return Finish(Disposition.WRONG_NUMBER, why, Why.SAID_WRONG_NUMBER)
    if promised:
        why = "promised a payment date in the payment flow"
        return Finish(Disposition.PROMISED, why, Why.PROMISED)
    if intent in HANDOFF_DISPOSITIONS:
        why = f"chose {intent}: transferred to collections"
        return Finish(HANDOFF_DISPOSITIONS[intent], why, Why.CHOSE, {"intent": intent})
    if intent is not None:
        why = f"left the payment flow for a person ({intent})"
        return Finish(Disposition.REFUSED, why, Why.LEFT_FLOW, {"intent": intent})
    return Finish(Disposition.REFUSED, "heard the premium due, made no promise", Why.NO_PROMISE)


def verdict_in_path(ivr_path: str) -> str | None:
    """AMD's verdict as the dialplan left it in the CDR's path (``dunning:machine``, ...)."""
    if ivr_path.startswith("dunning:machine"):
        return "MACHINE"
    if ivr_path.startswith(("dunning:person", "dunning>", "dunning:agent", "dunning:abandoned")):
        return "HUMAN"
    return None


def from_cdr(
    cdr_disposition: str,
    amd_status: str | None,
    mode: CampaignMode,
    *,
    promised: bool,
    connected_agent: str | None,
    ivr_path: str = "",
    hangup_cause: int = 0,
) -> Finish:
    """An attempt whose call ended unwatched (a controller restart) or without saying how,
    from its CDR (Asterisk's disposition: ANSWERED, NO ANSWER, BUSY, FAILED; its hang-up
    cause, which wins over the disposition of a call never answered; the path the dialplan
    kept) and what the attempt's row kept."""
    amd_status = amd_status or verdict_in_path(ivr_path)
    known = _known_cause(hangup_cause)
    if cdr_disposition != "ANSWERED" and known is not None:
        finish = known
    elif cdr_disposition != "ANSWERED":
        finish = _unanswered_cdr(cdr_disposition)
    else:
        finish = _answered_cdr(amd_status, mode, promised, connected_agent, ivr_path)
    return finish.noting(" (from the CDR)", source="cdr")


def _unanswered_cdr(cdr_disposition: str) -> Finish:
    if cdr_disposition == "BUSY":
        return Finish(Disposition.BUSY, "busy", Why.BUSY)
    if cdr_disposition == "NO ANSWER":
        return Finish(Disposition.NO_ANSWER, "rang out without an answer", Why.RANG_OUT)
    why = f"not connected ({cdr_disposition})"
    return Finish(Disposition.FAILED, why, Why.NOT_CONNECTED, {"detail": cdr_disposition})


def _answered_cdr(
    amd_status: str | None,
    mode: CampaignMode,
    promised: bool,
    connected_agent: str | None,
    ivr_path: str,
) -> Finish:
    if amd_status == "MACHINE":
        return Finish(Disposition.MACHINE, "AMD MACHINE", Why.MACHINE)
    if ivr_path.endswith(FLOW_FAILED):
        why = "the payment flow failed (controller unreachable)"
        return Finish(Disposition.FAILED, why, Why.FLOW_FAILED)
    if amd_status not in HUMAN_VERDICTS:
        why = "hung up during answering-machine detection"
        return Finish(Disposition.NO_ANSWER, why, Why.HUNG_UP_IN_DETECTION)
    if promised:
        return Finish(Disposition.PROMISED, "promised a payment date", Why.PROMISED)
    if mode is CampaignMode.PROGRESSIVE and not connected_agent:
        why = "no agent within the connect time"
        return Finish(Disposition.ABANDONED, why, Why.NO_AGENT_IN_TIME)
    if connected_agent:
        why = f"no disposition from agent {connected_agent}"
        agent = {"agent": connected_agent}
        return Finish(Disposition.REFUSED, why, Why.NO_AGENT_DISPOSITION, agent)
    return Finish(Disposition.REFUSED, "hung up in the payment flow", Why.HUNG_UP_IN_FLOW)
