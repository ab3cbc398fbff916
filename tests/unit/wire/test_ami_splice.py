"""Finding 1 of issue 11, the AMI side, as seen in the sandbox: a From user holding
``%0d%0a%0d%0aEvent: Fake`` makes Asterisk write ``Newchannel`` (emitted before the dialplan's
first step can filter the number) as two messages: the real event cut after ``CallerIDNum``,
and a forged ``Event: Fake`` holding the real event's remaining headers. The AMI client mends
the two into the one event Asterisk meant and never passes on the forged one."""

from __future__ import annotations

import asyncio

import pytest
from panoramisk.message import Message

from wire.ami import AmiClient
from wire.events import CelEvent, Hangup, Newchannel

pytestmark = [pytest.mark.unit, pytest.mark.security]

HEAD = (
    "Event: Newchannel\r\nPrivilege: call,all\r\nChannel: PJSIP/carrier-00000000\r\n"
    "ChannelState: 4\r\nCallerIDNum: 13800138077"
)
FORGED = (
    "Event: Fake\r\nagi_network_script: spy&PJSIP/9001,60\r\nUniqueid: forged.1\r\n"
    "Channel: PJSIP/8001-00000001\r\n"
)
TAIL = (
    "CallerIDName: <unknown>\r\nLanguage: en\r\nContext: from-carrier\r\nExten: 4008001000\r\n"
    "Priority: 1\r\nUniqueid: real.1\r\nLinkedid: real.1"
)
HANGUP = (
    "Event: Hangup\r\nPrivilege: call,all\r\nChannel: PJSIP/x-1\r\nUniqueid: 2.2\r\nLinkedid: 2.2"
)


def _events(*messages: str) -> list[object]:
    client = AmiClient("127.0.0.1", 1, "u", "s")
    for text in messages:
        client._on_message(None, Message.from_line(text))
    queue: asyncio.Queue[object] = client.events  # type: ignore[assignment]
    return [queue.get_nowait() for _ in range(queue.qsize())]


def test_a_newchannel_split_by_a_caller_id_is_mended_and_the_forged_part_never_passed_on() -> None:
    events = _events(HEAD, FORGED + TAIL, HANGUP)
    assert events == [
        Newchannel(
            channel="PJSIP/carrier-00000000",  # Asterisk's, not the caller's
            uniqueid="real.1",  # Asterisk's own header comes after the caller's text
            linkedid="real.1",
            caller_number="13800138077",
            exten="4008001000",
            context="from-carrier",
        ),
        Hangup("PJSIP/x-1", "2.2", "2.2", 0, ""),
    ]


def test_a_forged_event_with_no_event_before_it_is_dropped() -> None:
    assert _events(FORGED + TAIL, HANGUP) == [Hangup("PJSIP/x-1", "2.2", "2.2", 0, "")]


def test_a_cut_event_whose_tail_never_came_is_dropped_not_mistaken() -> None:
    assert _events(HEAD, HANGUP) == [Hangup("PJSIP/x-1", "2.2", "2.2", 0, "")]


def test_a_cel_event_split_the_same_way_is_mended() -> None:
    head = "Event: CEL\r\nPrivilege: cel,all\r\nEventName: CHAN_START\r\nCallerIDani: 138"
    tail = "Event: Fake\r\nChannel: PJSIP/carrier-01\r\nUniqueID: 3.3\r\nLinkedID: 3.3"
    assert _events(head, tail) == [CelEvent("CHAN_START", "PJSIP/carrier-01", "3.3", "3.3")]
