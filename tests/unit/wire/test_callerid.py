"""Finding 1 of issue 11, the controller's side: a caller number that is not ``+`` and digits
(CR/LF, an AGI header smuggled in, ``&`` or ``,`` for a dial string) is read as anonymous,
wherever the controller reads it (AGI headers, AMI events, CoreShowChannels rows, CDRs)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any, cast

import pytest

from wire import callerid
from wire.agi import AgiChannel
from wire.events import Newchannel, cdr_from_headers, parse_event
from wire.replies import channel_row

pytestmark = [pytest.mark.unit, pytest.mark.security]

INJECTED = (
    "13800138000\nagi_network_script: spy",
    "13800138000\r\n\r\nEvent: Fake",
    "13800138000&PJSIP/9001",
    "13800138000,60,G(spy)",
    "1380013800|0",
    "13800138000\x00",
    "+",
    "++8613800138000",
    "1" * (callerid.MAX_DIGITS + 1),
    "anonymous",
    "１３８００１３８０００",  # full-width digits: \d would take them, Asterisk's FILTER not
)


@pytest.mark.parametrize("number", ["13800138000", "+8613800138000", "4008001000", "8001", ""])
def test_a_plain_number_is_read_as_it_is(number: str) -> None:
    assert callerid.caller_number(number) == number


@pytest.mark.parametrize("number", INJECTED)
def test_anything_else_is_anonymous(number: str) -> None:
    assert callerid.caller_number(number) == callerid.ANONYMOUS


def test_a_refused_number_is_logged_once_and_asterisks_unknown_not_at_all(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="wire.callerid")
    callerid.forget_refused()
    for _ in range(3):
        callerid.caller_number("13900139000\r\nEvent: Fake")
        callerid.caller_number("<unknown>")
    assert len(caplog.records) == 1
    assert "13900139000" in caplog.text


@pytest.mark.parametrize("number", INJECTED)
def test_the_agi_channel_reads_an_injected_number_as_anonymous(number: str) -> None:
    reader = asyncio.StreamReader()
    channel = AgiChannel({"agi_callerid": number}, reader, cast(Any, None))
    assert channel.caller_number == ""
    assert AgiChannel({"agi_callerid": "13800138000"}, reader, cast(Any, None)).caller_number


@pytest.mark.parametrize("number", INJECTED)
def test_ami_events_rows_and_cdrs_read_an_injected_number_as_anonymous(number: str) -> None:
    event = parse_event({"Event": "Newchannel", "Uniqueid": "1.1", "CallerIDNum": number})
    assert isinstance(event, Newchannel) and event.caller_number == ""
    assert cdr_from_headers({"UniqueID": "1.1", "Source": number}).source == ""
    row = channel_row({"Uniqueid": "1.1", "CallerIDNum": number, "ConnectedLineNum": number})
    assert (row.caller_number, row.connected_number) == ("", "")
