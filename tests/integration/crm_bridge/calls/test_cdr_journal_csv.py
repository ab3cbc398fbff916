"""Finding 1 of issue 11, the CDR journal: a caller number with a line break in it (as Asterisk
wrote it before the dialplan filtered caller IDs) makes a quoted CSV field span two lines. The
journal is read as CSV over the file, so that row is one row and the row after it is read too;
a row that cannot be read at all is logged with its offset and skipped, and stalls nothing.
Both calls end in the real CRM (SQLite and PostgreSQL)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, cast

import pytest

from crm_bridge.calls.cdr_writer import CdrWriter
from crm_bridge.calls.journal_cursors import JournalCursors
from crm_bridge.calls.repository import CallRepository
from crm_bridge.calls.spool import CdrSpool
from crm_bridge.calls.tracking import CallRecorder
from crm_bridge.db import Database
from tests.fake_ami import FakeAmi

pytestmark = [pytest.mark.integration, pytest.mark.security]


def _row(linkedid: str, source: str) -> str:
    values = (
        *(linkedid, linkedid, source, "s", "to-person", "PJSIP/carrier-01", "PJSIP/8001-02"),
        *("2026-11-22 22:21:46", "2026-11-22 22:21:47", "2026-11-22 22:21:55", "9", "8"),
        *("ANSWERED", "16", "en", "language:2>main:0>person", "4008001000"),
    )
    return ",".join('"' + value.replace('"', '""') + '"' for value in values) + "\n"


INJECTED = _row("inj.1", "13800138000\r\n\r\nEvent: Fake")
NORMAL = _row("ok.1", "13900139000")
GARBAGE = '"half","a row"x,"with a stray quote"\n'
LATER = _row("ok.2", "13700137000")


async def _recorder(database: Database, tmp_path: Path) -> tuple[CallRecorder, CallRepository]:
    """A recorder whose CRM has seen the journal empty: every row written later is new."""
    calls = CallRepository(database.sessions)
    recorder = CallRecorder(
        cast(Any, FakeAmi()),
        calls,
        cast(Any, None),  # the live list: reconciling the journal never touches it
        CdrWriter(calls, CdrSpool(tmp_path / "spool")),
        journal=tmp_path / "ivr-acd.csv",
        cursors=JournalCursors(database.sessions),
        settle_seconds=0,
    )
    assert await recorder.reconcile_journal(set()) == 0
    return recorder, calls


async def test_a_row_with_a_line_break_and_the_rows_after_it_are_all_recorded(
    database: Database, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    recorder, calls = await _recorder(database, tmp_path)
    recorder.journal.write_bytes((INJECTED + NORMAL + GARBAGE + LATER).encode())
    caplog.set_level(logging.WARNING, logger="crm_bridge.calls.journal")

    assert await recorder.reconcile_journal(set()) == 3

    injected, normal, later = [await calls.get(i) for i in ("inj.1", "ok.1", "ok.2")]
    assert injected is not None and injected.caller_number == "", "the number is anonymous"
    assert normal is not None and normal.caller_number == "13900139000"
    assert later is not None and later.caller_number == "13700137000"
    offset = len((INJECTED + NORMAL).encode())
    assert f"row at byte {offset} unreadable" in caplog.text, "the skipped row is not silent"
    cursor = await recorder.cursors.get(str(recorder.journal))
    assert cursor == recorder.journal.stat().st_size


async def test_a_quoted_line_break_still_being_written_is_read_once_complete(
    database: Database, tmp_path: Path
) -> None:
    recorder, calls = await _recorder(database, tmp_path)
    cut = INJECTED.index("\n") + 1  # Asterisk has written the first line of the row only
    recorder.journal.write_bytes((NORMAL + INJECTED[:cut]).encode())
    assert await recorder.reconcile_journal(set()) == 1
    assert await recorder.cursors.get(str(recorder.journal)) == len(NORMAL.encode())

    with recorder.journal.open("ab") as journal:
        journal.write((INJECTED[cut:] + LATER).encode())
    assert await recorder.reconcile_journal(set()) == 2
    assert await calls.get("inj.1") is not None and await calls.get("ok.2") is not None


async def test_a_new_crm_imports_nothing_the_journal_held_before_it(
    database: Database, tmp_path: Path
) -> None:
    """Issue 12: a fresh CRM on an old sandbox instance imported the instance's whole CDR
    history. It starts at the journal's end and reads on from there; its cursor is in the CRM,
    not in a file of the controller."""
    calls = CallRepository(database.sessions)
    journal = tmp_path / "ivr-acd.csv"
    journal.write_bytes((NORMAL + LATER).encode())
    recorder = CallRecorder(
        cast(Any, FakeAmi()),
        calls,
        cast(Any, None),
        CdrWriter(calls, CdrSpool(tmp_path / "spool")),
        journal=journal,
        cursors=JournalCursors(database.sessions),
        settle_seconds=0,
    )
    assert await recorder.reconcile_journal(set()) == 0
    assert await calls.get("ok.1") is None and await calls.get("ok.2") is None
    assert await recorder.reconcile_journal(set()) == 0  # the second look: still nothing old

    with journal.open("ab") as handle:  # a new call ends
        handle.write(_row("new.1", "13600136000").encode())
    assert await recorder.reconcile_journal(set()) == 1
    assert await calls.get("new.1") is not None and await calls.get("ok.1") is None
    assert await JournalCursors(database.sessions).get(str(journal)) == journal.stat().st_size
