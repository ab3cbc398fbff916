"""A durable on-disk spool of CDRs that could not be written to the database yet.

One JSON file per call, named from its linkedid, written atomically (temp file, fsync,
rename, fsync of the folder), so spooling the same call twice leaves one file.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from pathlib import Path

from crm_bridge.calls.records import CallRecord

SUFFIX = ".json"
REJECTED = "rejected"
_SAFE_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}")


def spool_name(linkedid: str) -> str:
    """File name for a call: the linkedid itself when it is a safe name, else its hash."""
    if _SAFE_NAME.fullmatch(linkedid):
        return linkedid + SUFFIX
    return "h-" + hashlib.sha256(linkedid.encode("utf-8")).hexdigest()[:40] + SUFFIX


class CdrSpool:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path_for(self, linkedid: str) -> Path:
        return self.directory / spool_name(linkedid)

    def put(self, record: CallRecord) -> Path:
        """Write ``record`` durably; replaces an earlier spool file of the same call."""
        self.directory.mkdir(parents=True, exist_ok=True)
        target = self.path_for(record.linkedid)
        temp = self.directory / f".{target.name}.{secrets.token_hex(4)}.tmp"
        try:
            with temp.open("wb") as handle:
                handle.write(record.to_json().encode("utf-8"))
                handle.flush()
                os.fsync(handle.fileno())
            temp.replace(target)
        finally:
            temp.unlink(missing_ok=True)
        _fsync_dir(self.directory)
        return target

    def pending(self) -> list[Path]:
        """Spooled calls, oldest first."""
        if not self.directory.is_dir():
            return []
        files = [p for p in self.directory.glob("*" + SUFFIX) if p.is_file()]
        return sorted(files, key=lambda p: (p.stat().st_mtime_ns, p.name))

    def health(self) -> dict[str, bool | int]:
        """For ``/health``: degraded while any CDR waits in the spool for the database."""
        count = len(self.pending())
        return {"ok": count == 0, "count": count}

    def load(self, path: Path) -> CallRecord:
        return CallRecord.from_json(path.read_bytes())

    def remove(self, path: Path) -> None:
        path.unlink(missing_ok=True)
        _fsync_dir(self.directory)

    def reject(self, path: Path) -> Path:
        """Move a file the database will never accept aside, for a person to look at."""
        folder = self.directory / REJECTED
        folder.mkdir(exist_ok=True)
        target = folder / path.name
        path.replace(target)
        _fsync_dir(self.directory)
        return target


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
