"""Typed replies to AMI actions. A ``CoreShowChannels`` reply is parsed here, once, into
:class:`ChannelRow`s; every other module reads those, never the raw rows (whose missing headers
read as ``""`` and hide a typo)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Final

from wire import callerid

ROW_EVENT: Final = "CoreShowChannel"  # one row of a CoreShowChannels reply


@dataclass(frozen=True)
class ChannelRow:
    """One live channel as ``CoreShowChannels`` lists it."""

    channel: str  # PJSIP/8001-0000002a
    uniqueid: str
    linkedid: str
    state: str = ""  # ChannelStateDesc: Up, Ring, Ringing, Down...
    context: str = ""
    exten: str = ""
    application: str = ""
    data: str = ""  # the application's arguments
    caller_number: str = ""
    connected_number: str = ""  # ConnectedLineNum: whom the channel talks to
    bridge_id: str = ""  # "" when not bridged
    duration: int = 0  # seconds up

    @property
    def up(self) -> bool:
        return self.state == "Up"

    @property
    def bridged(self) -> bool:
        return bool(self.bridge_id)

    @property
    def first_leg(self) -> bool:
        """The channel that started the call (its uniqueid is the call's linkedid)."""
        return self.uniqueid == self.linkedid


def _seconds(value: str) -> int:
    """``01:02:03`` (how Asterisk prints a duration) or plain seconds; 0 when unreadable."""
    total = 0
    for part in value.split(":"):
        if not part.isdigit():
            return 0
        total = total * 60 + int(part)
    return total


def channel_row(h: Mapping[str, str]) -> ChannelRow:
    return ChannelRow(
        channel=h.get("Channel", ""),
        uniqueid=h.get("Uniqueid", ""),
        linkedid=h.get("Linkedid", ""),
        state=h.get("ChannelStateDesc", ""),
        context=h.get("Context", ""),
        exten=h.get("Exten", ""),
        application=h.get("Application", ""),
        data=h.get("ApplicationData", ""),
        caller_number=callerid.caller_number(h.get("CallerIDNum", "")),
        connected_number=callerid.caller_number(h.get("ConnectedLineNum", "")),
        bridge_id=h.get("BridgeId", ""),
        duration=_seconds(h.get("Duration", "")),
    )


def channel_rows(reply: Iterable[Mapping[str, str]]) -> tuple[ChannelRow, ...]:
    """The rows of a ``CoreShowChannels`` reply (its other messages, such as the closing
    ``CoreShowChannelsComplete``, are not rows)."""
    return tuple(channel_row(h) for h in reply if h.get("Event", ROW_EVENT) == ROW_EVENT)


def linkedids(rows: Iterable[ChannelRow]) -> set[str]:
    """The calls the rows belong to."""
    return {row.linkedid for row in rows} - {""}
