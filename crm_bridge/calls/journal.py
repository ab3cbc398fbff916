"""The CDR journal Asterisk writes itself (cdr_custom.conf): reading it, and deciding which
calls in it still need a record in the CRM (pure). Rows are the fields of the Cdr AMI event."""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from wire.events import CdrRecord, cdr_from_headers

log = logging.getLogger(__name__)

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


def segment_of(values: list[str]) -> CdrRecord | None:
    """One journal row's fields as a segment; None when they are not a complete row."""
    if len(values) not in (len(FIELDS), len(LEGACY_FIELDS)) or not values[0]:
        return None
    return cdr_from_headers(dict(zip(FIELDS[: len(values)], values, strict=True)))


def parse_row(text: str) -> CdrRecord | None:
    """One journal row (its quoted fields may hold line breaks); None if it is not one."""
    try:
        values = next(csv.reader(io.StringIO(text), strict=True))
    except (csv.Error, StopIteration):
        return None
    return segment_of(values)


class _Lines:
    """The journal's complete lines from ``offset`` on, for the csv reader, counting the bytes
    handed out; a last line without its newline (Asterisk still writing it) is not handed out."""

    def __init__(self, handle: BinaryIO, offset: int) -> None:
        self._handle = handle
        self.position = offset
        self.exhausted = False

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        raw = self._handle.readline()
        if not raw.endswith(b"\n"):
            self.exhausted = True
            raise StopIteration
        self.position += len(raw)
        return raw.decode(errors="replace")


def journal_end(path: Path) -> int:
    """Where a reader that has seen everything so far starts: the offset after the journal's
    last complete line (0 without a journal)."""
    if not path.is_file():
        return 0
    with path.open("rb") as handle:
        size = handle.seek(0, 2)
        position = size
        while position > 0:
            step = min(4096, position)
            handle.seek(position - step)
            chunk = handle.read(step)
            newline = chunk.rfind(b"\n")
            if newline >= 0:
                return position - step + newline + 1
            position -= step
        return 0


def read_rows(path: Path, offset: int) -> tuple[list[JournalRow], int]:
    """Rows from ``offset`` on (from 0 if the file was truncated); returns them and the offset
    after the last complete row. The file is read as CSV, so a quoted field holding a line
    break stays in its row; a row that cannot be read is logged with its offset and skipped."""
    if not path.is_file():
        return [], 0
    with path.open("rb") as handle:
        handle.seek(0, 2)
        if handle.tell() < offset:
            offset = 0
        handle.seek(offset)
        lines = _Lines(handle, offset)
        return _rows(path, lines, csv.reader(lines, strict=True), offset)


def _rows(
    path: Path, lines: _Lines, reader: Iterator[list[str]], offset: int
) -> tuple[list[JournalRow], int]:
    rows: list[JournalRow] = []
    start = offset  # where the row being read begins
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return rows, start
        except csv.Error as exc:
            if lines.exhausted:
                return rows, start  # a quoted field still being written: read it again later
            log.warning("CDR journal %s: row at byte %d unreadable (%s): skipped", path, start, exc)
            start = lines.position
            continue
        segment = segment_of(values)
        if segment is not None:
            rows.append(JournalRow(start, segment))
        elif values:
            shown = ",".join(values)[:200]
            log.warning(
                "CDR journal %s: row at byte %d is not a CDR: skipped %r", path, start, shown
            )
        start = lines.position


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
