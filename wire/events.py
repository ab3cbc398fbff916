"""Typed AMI events. :func:`parse_event` is the one place AMI headers are read; every other
module sees frozen dataclasses. Unknown events are logged at debug level and ignored; the user
events our dialplan sends (``wire.names.USEREVENT_*``) have typed payloads of their own."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from wire import callerid, names
from wire.replies import ChannelRow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AmiConnected:
    """Synthesised on every new AMI connection, before its events: time to re-synchronise."""


@dataclass(frozen=True)
class AmiDisconnected:
    reason: str


@dataclass(frozen=True)
class Resync:
    """What Asterisk has live right after a (re)connect: one ``CoreShowChannels``, delivered by
    the event pump (``wire.pump``) in place of :class:`AmiConnected`, ahead of that
    connection's events."""

    rows: tuple[ChannelRow, ...]


@dataclass(frozen=True)
class FullyBooted:
    uptime: int


@dataclass(frozen=True)
class Newchannel:
    channel: str
    uniqueid: str
    linkedid: str
    caller_number: str
    exten: str
    context: str


@dataclass(frozen=True)
class Hangup:
    channel: str
    uniqueid: str
    linkedid: str
    cause: int
    cause_text: str


@dataclass(frozen=True)
class DialBegin:
    """A channel starts ringing another (``dest_channel``), e.g. the ACD ringing an agent."""

    channel: str
    linkedid: str
    dest_channel: str
    dial_string: str


@dataclass(frozen=True)
class DialEnd:
    """How a dial attempt ended: ANSWER, NOANSWER, BUSY, CANCEL, CHANUNAVAIL, CONGESTION..."""

    channel: str
    linkedid: str
    dest_channel: str
    dial_status: str


@dataclass(frozen=True)
class CdrRecord:
    """One Asterisk CDR segment, as cdr_manager sends it (times are Asterisk's, UTC)."""

    linkedid: str
    uniqueid: str
    source: str
    destination: str
    destination_context: str
    channel: str
    destination_channel: str
    start: datetime | None
    answer: datetime | None
    end: datetime | None
    duration: int
    billsec: int
    disposition: str
    hangup_cause: int
    ivr_language: str
    ivr_path: str
    ivr_did: str
    acd_queue: str = ""
    acd_wait: str = ""
    acd_vip: str = ""
    acd_step: str = ""
    acd_blacklisted: str = ""


@dataclass(frozen=True)
class CelEvent:
    name: str
    channel: str
    uniqueid: str
    linkedid: str


@dataclass(frozen=True)
class UserEvent:
    name: str
    linkedid: str
    fields: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SpyAnswered:
    """The supervisor answered their spy leg (``uniqueid``) of session ``spy_id``."""

    uniqueid: str
    linkedid: str
    spy_id: int | None


@dataclass(frozen=True)
class SpyEnded:
    """ChanSpy returned on a spy leg: the spied call ended."""

    uniqueid: str
    linkedid: str
    spy_id: int | None
    reason: str


@dataclass(frozen=True)
class DunningAmd:
    """AMD's verdict on a dunning call: ``status`` MACHINE / HUMAN / NOTSURE, and why."""

    linkedid: str
    attempt: str
    status: str
    cause: str


@dataclass(frozen=True)
class DtmfEnd:
    """A key on a channel ended (class ``dtmf``); ``received``: keyed by the channel's phone,
    not sent to it."""

    channel: str
    uniqueid: str
    linkedid: str
    digit: str
    received: bool


@dataclass(frozen=True)
class OriginateResponse:
    """How an asynchronous Originate ended: answered (``success``) or not, and why
    (``reason``: Asterisk's code, e.g. 3 = no answer, 5 = busy, 8 = congestion)."""

    uniqueid: str
    channel: str
    success: bool
    reason: int


AmiEvent = (
    AmiConnected
    | AmiDisconnected
    | Resync
    | FullyBooted
    | Newchannel
    | Hangup
    | DialBegin
    | DialEnd
    | CdrRecord
    | CelEvent
    | UserEvent
    | SpyAnswered
    | SpyEnded
    | DunningAmd
    | DtmfEnd
    | OriginateResponse
)


def _int(value: str, default: int = 0) -> int:
    try:
        return int(value)
    except ValueError:
        return default


def _time(value: str) -> datetime | None:
    """cdr_manager prints local time of the Asterisk process (UTC in the sandbox)."""
    if not value:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return None


def _newchannel(h: Mapping[str, str]) -> Newchannel:
    return Newchannel(
        channel=h.get("Channel", ""),
        uniqueid=h.get("Uniqueid", ""),
        linkedid=h.get("Linkedid", ""),
        caller_number=callerid.caller_number(h.get("CallerIDNum", "")),
        exten=h.get("Exten", ""),
        context=h.get("Context", ""),
    )


def _hangup(h: Mapping[str, str]) -> Hangup:
    return Hangup(
        channel=h.get("Channel", ""),
        uniqueid=h.get("Uniqueid", ""),
        linkedid=h.get("Linkedid", ""),
        cause=_int(h.get("Cause", "0")),
        cause_text=h.get("Cause-txt", ""),
    )


def _dial_begin(h: Mapping[str, str]) -> DialBegin:
    return DialBegin(
        channel=h.get("Channel", ""),
        linkedid=h.get("Linkedid", ""),
        dest_channel=h.get("DestChannel", ""),
        dial_string=h.get("DialString", ""),
    )


def _dial_end(h: Mapping[str, str]) -> DialEnd:
    return DialEnd(
        channel=h.get("Channel", ""),
        linkedid=h.get("Linkedid", "") or h.get("DestLinkedid", ""),
        dest_channel=h.get("DestChannel", ""),
        dial_status=h.get("DialStatus", ""),
    )


def cdr_from_headers(h: Mapping[str, str]) -> CdrRecord:
    """A CDR segment from Cdr-event headers (also used for the CDR journal's rows)."""
    return CdrRecord(
        linkedid=h.get("LinkedID", "") or h.get("UniqueID", ""),
        uniqueid=h.get("UniqueID", ""),
        source=callerid.caller_number(h.get("Source", "")),
        destination=h.get("Destination", ""),
        destination_context=h.get("DestinationContext", ""),
        channel=h.get("Channel", ""),
        destination_channel=h.get("DestinationChannel", ""),
        start=_time(h.get("StartTime", "")),
        answer=_time(h.get("AnswerTime", "")),
        end=_time(h.get("EndTime", "")),
        duration=_int(h.get("Duration", "0")),
        billsec=_int(h.get("BillableSeconds", "0")),
        disposition=h.get("Disposition", ""),
        hangup_cause=_int(h.get("HangupCause", "0")),
        ivr_language=h.get("IvrLanguage", ""),
        ivr_path=h.get("IvrPath", ""),
        acd_queue=h.get("AcdQueue", ""),
        acd_wait=h.get("AcdWait", ""),
        acd_vip=h.get("AcdVip", ""),
        acd_step=h.get("AcdStep", ""),
        acd_blacklisted=h.get("AcdBlacklisted", ""),
        ivr_did=h.get("IvrDid", ""),
    )


def _cel(h: Mapping[str, str]) -> CelEvent:
    return CelEvent(
        name=h.get("EventName", ""),
        channel=h.get("Channel", ""),
        uniqueid=h.get("UniqueID", ""),
        linkedid=h.get("LinkedID", ""),
    )


def _optional_int(value: str) -> int | None:
    return int(value) if value.isdigit() else None


def _spy_answered(h: Mapping[str, str]) -> SpyAnswered:
    return SpyAnswered(
        uniqueid=h.get("Uniqueid", ""),
        linkedid=h.get("Linkedid", ""),
        spy_id=_optional_int(h.get(names.USEREVENT_HEADER_SPY_ID, "")),
    )


def _spy_ended(h: Mapping[str, str]) -> SpyEnded:
    return SpyEnded(
        uniqueid=h.get("Uniqueid", ""),
        linkedid=h.get("Linkedid", ""),
        spy_id=_optional_int(h.get(names.USEREVENT_HEADER_SPY_ID, "")),
        reason=h.get(names.USEREVENT_HEADER_REASON, ""),
    )


def _dunning_amd(h: Mapping[str, str]) -> DunningAmd:
    return DunningAmd(
        linkedid=h.get("Linkedid", ""),
        attempt=h.get(names.USEREVENT_HEADER_ATTEMPT, ""),
        status=h.get(names.USEREVENT_HEADER_STATUS, ""),
        cause=h.get(names.USEREVENT_HEADER_CAUSE, ""),
    )


_USER_EVENTS: dict[str, Callable[[Mapping[str, str]], AmiEvent]] = {
    names.USEREVENT_SPY_ANSWERED: _spy_answered,
    names.USEREVENT_SPY_ENDED: _spy_ended,
    names.USEREVENT_DUNNING_AMD: _dunning_amd,
}


def _user_event(h: Mapping[str, str]) -> AmiEvent:
    """Our dialplan's user events typed; any other one as a plain :class:`UserEvent`."""
    name = h.get("UserEvent", "")
    typed = _USER_EVENTS.get(name)
    if typed is not None:
        return typed(h)
    skip = {"Event", "UserEvent", "Privilege", "Timestamp", "Linkedid"}
    return UserEvent(
        name=name,
        linkedid=h.get("Linkedid", ""),
        fields={k: v for k, v in h.items() if k not in skip},
    )


def _dtmf_end(h: Mapping[str, str]) -> DtmfEnd:
    return DtmfEnd(
        channel=h.get("Channel", ""),
        uniqueid=h.get("Uniqueid", ""),
        linkedid=h.get("Linkedid", ""),
        digit=h.get("Digit", ""),
        received=h.get("Direction", "").lower() == "received",
    )


def _originate_response(h: Mapping[str, str]) -> OriginateResponse:
    return OriginateResponse(
        uniqueid=h.get("Uniqueid", ""),
        channel=h.get("Channel", ""),
        success=h.get("Response", "").lower() == "success",
        reason=_int(h.get("Reason", "0")),
    )


_PARSERS: dict[str, Callable[[Mapping[str, str]], AmiEvent]] = {
    "dtmfend": _dtmf_end,
    "originateresponse": _originate_response,
    "newchannel": _newchannel,
    "hangup": _hangup,
    "dialbegin": _dial_begin,
    "dialend": _dial_end,
    "cdr": cdr_from_headers,
    "cel": _cel,
    "userevent": _user_event,
    "fullybooted": lambda h: FullyBooted(uptime=_int(h.get("Uptime", "0"))),
}


def parse_event(headers: Mapping[str, str]) -> AmiEvent | None:
    """Turn one AMI event (header name -> value) into a typed event, or None if unknown."""
    name = headers.get("Event", "")
    parser = _PARSERS.get(name.lower())
    if parser is None:
        log.debug("ignoring AMI event %s", name or "<none>")
        return None
    return parser(headers)
