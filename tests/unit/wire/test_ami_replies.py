"""A CoreShowChannels reply read once into typed rows."""

from __future__ import annotations

import pytest

from wire.replies import ChannelRow, channel_row, channel_rows, linkedids

pytestmark = pytest.mark.unit


def test_a_row_has_what_its_readers_need() -> None:
    row = channel_row(
        {
            "Event": "CoreShowChannel",
            "Channel": "PJSIP/8001-0000002a",
            "ChannelState": "6",
            "ChannelStateDesc": "Up",
            "CallerIDNum": "8001",
            "ConnectedLineNum": "13800138000",
            "Context": "acd-deliver",
            "Exten": "s",
            "Priority": "3",
            "Uniqueid": "1.2",
            "Linkedid": "1.1",
            "Application": "Dial",
            "ApplicationData": "PJSIP/8001,20",
            "Duration": "01:02:03",
            "BridgeId": "b-1",
        }
    )
    assert row == ChannelRow(
        "PJSIP/8001-0000002a", "1.2", "1.1", "Up", "acd-deliver", "s", "Dial",
        "PJSIP/8001,20", "8001", "13800138000", "b-1", 3723,
    )  # fmt: skip
    assert row.up and row.bridged and not row.first_leg


@pytest.mark.parametrize(("duration", "seconds"), [("00:00:07", 7), ("42", 42), ("", 0), ("x", 0)])
def test_durations(duration: str, seconds: int) -> None:
    assert channel_row({"Duration": duration}).duration == seconds


def test_missing_headers_read_empty_and_only_rows_count() -> None:
    rows = channel_rows(
        [
            {"Channel": "PJSIP/carrier-1", "Uniqueid": "1.1", "Linkedid": "1.1"},
            {"Event": "CoreShowChannel", "Channel": "Local/s@x-1;1", "Linkedid": "2.1"},
            {"Event": "CoreShowChannelsComplete", "ListItems": "2"},
        ]
    )
    assert [r.channel for r in rows] == ["PJSIP/carrier-1", "Local/s@x-1;1"]
    assert rows[0].first_leg and not rows[0].up and not rows[0].bridged
    assert rows[1].uniqueid == "" and rows[1].state == ""
    assert linkedids([*rows, ChannelRow("x", "", "")]) == {"1.1", "2.1"}
