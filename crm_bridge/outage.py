"""Logging a dependency that fails in a loop: once per change of state, not once per tick.

A loop that retries every half second while the database is down would otherwise write a
traceback twice a second. :class:`OutageLog` writes the first failure with its traceback, a
different failure (another exception type) as one warning line, each repeat only at debug
level, and one line when the dependency works again (with how many tries failed)."""

from __future__ import annotations

import logging


class OutageLog:
    def __init__(self, logger: logging.Logger, what: str) -> None:
        self._log = logger
        self._what = what  # e.g. "dialer step", "CDR spool replay"
        self._failing: str | None = None  # the failure's exception type, while failing
        self.failures = 0

    @property
    def failing(self) -> bool:
        return self._failing is not None

    def failed(self, exc: BaseException) -> None:
        """Call from the ``except`` block of one failed try."""
        kind = type(exc).__name__
        self.failures += 1
        if self._failing is None:
            self._log.error(
                "%s failed; retrying quietly until it works: %s", self._what, exc, exc_info=exc
            )
        elif kind != self._failing:
            self._log.warning("%s still failing, now %s: %s", self._what, kind, exc)
        else:
            self._log.debug("%s failed again (%d): %s", self._what, self.failures, exc)
        self._failing = kind

    def succeeded(self) -> None:
        """Call after a try that worked: logs the recovery once."""
        if self._failing is not None:
            self._log.warning("%s works again after %d failed tries", self._what, self.failures)
        self._failing, self.failures = None, 0
