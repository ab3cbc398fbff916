"""The port the REST API drives supervision through (``acd.supervision.service.Supervision``).

Refusals raise an exception with a stable string ``code`` (``forbidden``, ``call-not-found``,
``call-has-no-agent``, ``invalid-spy-mode``, ``supervisor-required``, ``invalid-supervisor``,
``supervisor-unavailable``, ``spy-not-found``, ``spy-ended``, ``asterisk-unavailable``); the API
answers it with the status ``STATUS_BY_CODE`` gives."""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Protocol

from acd.supervision.repository import StoredSpySession
from acd.supervision.rules import Requester


class SpyControl(Protocol):
    async def start(
        self, call_id: str, mode: str, supervisor: str | None, requester: Requester
    ) -> StoredSpySession: ...

    async def change_mode(
        self, spy_id: int, mode: str, requester: Requester
    ) -> StoredSpySession: ...

    async def end(self, spy_id: int, requester: Requester) -> StoredSpySession: ...

    async def audit(
        self, requester: Requester, since: datetime | None, limit: int
    ) -> builtins.list[StoredSpySession]: ...
