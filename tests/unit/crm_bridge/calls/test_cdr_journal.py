from pathlib import Path

import pytest

from crm_bridge.calls.assembly import assemble, from_segments
from crm_bridge.calls.journal import FIELDS, calls_to_finish, journal_end, parse_row, read_rows

pytestmark = pytest.mark.unit

ROW = (
    '"a.1","a.1","13800138000","s","to-person","PJSIP/carrier-01","PJSIP/8001-02",'
    '"2026-11-22 22:21:46","2026-11-22 22:21:46","2026-11-22 22:21:55","9","9","ANSWERED",'
    '"16","en","language:2>main:0>person","4008001000"\n'
)


def test_the_journal_matches_the_cdr_custom_template():
    template = (Path(__file__).parents[4] / "asterisk-config/cdr_custom.conf").read_text()
    assert template.count("CSV_QUOTE") == len(FIELDS)


def test_a_row_becomes_a_segment_and_a_record():
    segment = parse_row(ROW)
    assert segment is not None and segment.hangup_cause == 16 and segment.billsec == 9
    record = assemble(from_segments("a.1", [segment]), segment.end)  # type: ignore[arg-type]
    assert record.agent_extension == "8001" and record.hangup_cause_text == "Normal Clearing"
    assert record.ivr_path == "language:2>main:0>person" and record.duration == 9


def test_broken_lines_are_ignored():
    assert parse_row('"only","three","fields"\n') is None
    assert parse_row("") is None


def test_reading_stops_before_a_half_written_line_and_restarts_after_truncation(tmp_path):
    journal = tmp_path / "ivr-acd.csv"
    journal.write_text(ROW + ROW.replace("a.1", "b.1")[:40])
    rows, end = read_rows(journal, 0)
    assert [r.segment.linkedid for r in rows] == ["a.1"] and end == len(ROW.encode())
    rows, _ = read_rows(journal, 10_000)
    assert len(rows) == 1


def test_calls_in_progress_are_left_for_later(tmp_path):
    journal = tmp_path / "ivr-acd.csv"
    journal.write_text(ROW.replace("a.1", "live.1") + ROW)
    rows, end = read_rows(journal, 0)
    finished, cursor = calls_to_finish(rows, {"live.1"}, end)
    assert list(finished) == ["a.1"]
    assert cursor == 0, "the cursor stays before the live call's first row"
    finished, cursor = calls_to_finish(rows, set(), end)
    assert set(finished) == {"a.1", "live.1"} and cursor == end


@pytest.mark.parametrize(
    ("content", "end"),
    [
        (b"", 0),
        (b"a,b\n", 4),
        (b"a,b\nc,d", 4),  # a row still being written is not seen yet
        (b"x" * 5000 + b"\n" + b"y" * 5000, 5001),  # the newline is chunks back
        (b"no newline at all", 0),
    ],
)
def test_the_journal_end_is_after_its_last_complete_line(
    tmp_path: Path, content: bytes, end: int
) -> None:
    journal = tmp_path / "ivr-acd.csv"
    journal.write_bytes(content)
    assert journal_end(journal) == end
    assert journal_end(tmp_path / "missing.csv") == 0
