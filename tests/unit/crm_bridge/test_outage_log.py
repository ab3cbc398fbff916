"""A failing dependency is logged once per change of state, not once per tick (issue 12: the
dialer logged a full traceback every 0.5 s while the database was down)."""

from __future__ import annotations

import logging

import pytest

from crm_bridge.outage import OutageLog

pytestmark = pytest.mark.unit


def _fail(outage: OutageLog, exc: Exception) -> None:
    try:
        raise exc
    except Exception as caught:  # noqa: BLE001 - the test's own failure
        outage.failed(caught)


def test_one_traceback_per_outage_one_line_per_new_failure_one_on_recovery(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="test.outage")
    outage = OutageLog(logging.getLogger("test.outage"), "dialer step")
    for _ in range(120):  # a minute of 0.5 s ticks with the database down
        _fail(outage, ConnectionRefusedError("database down"))
    _fail(outage, TimeoutError("still down, differently"))
    assert outage.failing
    outage.succeeded()
    outage.succeeded()  # working on: nothing more to say
    loud = [(r.levelname, r.exc_info is not None) for r in caplog.records if r.levelno >= 30]
    assert loud == [("ERROR", True), ("WARNING", False), ("WARNING", False)]
    assert "after 121 failed tries" in caplog.records[-1].message
    assert not outage.failing and outage.failures == 0

    caplog.clear()
    _fail(outage, ConnectionRefusedError("down again"))  # a new outage: its traceback again
    assert [r.levelname for r in caplog.records] == ["ERROR"]
