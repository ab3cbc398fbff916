"""The CDR journal Asterisk writes itself (cdr_custom.conf): reading it, and deciding which
calls in it still need a record in the CRM (pure). Rows are the fields of the Cdr AMI event."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from wire.events import CdrRecord, cdr_from_headers

FIELDS = (
    "LinkedID",
    "UniqueID",
    "Source",
    "Destination",
    "DestinationContext",
    "Channel",
    "DestinationChannel",
    "StartTime",
    "AnswerTime",
    "EndTime",
    "Duration",
    "BillableSeconds",
    "Disposition",
    "HangupCause",
    "IvrLanguage",
    "IvrPath",
    "IvrDid",
    "AcdQueue",
    "AcdWait",
    "AcdVip",
    "AcdStep",
    "AcdBlacklisted",
)
LEGACY_FIELDS = FIELDS[:17]  # rows written before the ACD's fields were journalled


@dataclass(frozen=True)
class JournalRow:
    offset: int  # byte offset where the row starts
    segment: CdrRecord


def parse_row(line: str) -> CdrRecord | None:
    """One journal line; None for a line that is not a complete row."""
    try:
        values = next(csv.reader(io.StringIO(line)))
    except (csv.Error, StopIteration):
        return None
    if len(values) not in (len(FIELDS), len(LEGACY_FIELDS)) or not values[0]:
        return None
    return cdr_from_headers(dict(zip(FIELDS[: len(values)], values, strict=True)))


def read_rows(path: Path, offset: int) -> tuple[list[JournalRow], int]:
    """Rows from ``offset`` on (from 0 if the file was truncated); returns them and the offset
    after the last complete line."""
    if not path.is_file():
        return [], 0
    with path.open("rb") as handle:
        handle.seek(0, 2)
        if handle.tell() < offset:
            offset = 0
        handle.seek(offset)
        rows: list[JournalRow] = []
        position = offset
        for raw in handle:
            if not raw.endswith(b"\n"):
                break  # Asterisk is still writing this line
            segment = parse_row(raw.decode(errors="replace"))
            if segment is not None:
                rows.append(JournalRow(position, segment))
            position += len(raw)
    return rows, position


def calls_to_finish(
    rows: Iterable[JournalRow], in_progress: set[str], end: int
) -> tuple[dict[str, list[CdrRecord]], int]:
    """Group rows by call. Calls still in progress (live in Asterisk or being finished from AMI
    events) are left for later, and the returned cursor stops before their first row."""
    finished: dict[str, list[CdrRecord]] = {}
    cursor = end
    for row in rows:
        linkedid = row.segment.linkedid
        if linkedid in in_progress:
            cursor = min(cursor, row.offset)
            continue
        finished.setdefault(linkedid, []).append(row.segment)
    return finished, cursor
