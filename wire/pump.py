"""The one consumer of AMI events: each event is applied, in order, to every subscriber (call
tracking, the ACD, supervision, the dialer), one after the other; a subscriber that fails is
logged and the others still get the event.

On every AMI (re)connect the pump asks Asterisk once what it has live (one
``CoreShowChannels``) and delivers it as :class:`~wire.events.Resync` in place of
:class:`~wire.events.AmiConnected`, in the same ordered stream: the new connection's events
wait behind it, so none of a call's events can overtake it, and no subscriber asks again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Protocol

from wire.errors import AmiError
from wire.events import AmiConnected, AmiEvent, Resync
from wire.replies import ChannelRow

log = logging.getLogger(__name__)

Subscriber = Callable[[AmiEvent], Awaitable[None]]


class EventSource(Protocol):
    """``wire.ami.AmiClient``: its ordered queue of typed events, and the live channels."""

    @property
    def events(self) -> asyncio.Queue[AmiEvent]: ...

    async def channels(self) -> tuple[ChannelRow, ...]: ...


class EventPump:
    def __init__(self, source: EventSource, subscribers: Iterable[Subscriber] = ()) -> None:
        self.source = source
        self.subscribers = list(subscribers)

    def subscribe(self, subscriber: Subscriber) -> None:
        self.subscribers.append(subscriber)

    async def run(self) -> None:
        """Forever: the next event (a reconnect turned into its resync) to every subscriber."""
        while True:
            event = await self.source.events.get()
            delivered = await self.resync() if isinstance(event, AmiConnected) else event
            if delivered is not None:
                await self.deliver(delivered)

    async def resync(self) -> Resync | None:
        """What Asterisk has live now; None (logged) when it cannot say: the next reconnect
        tries again."""
        try:
            rows = await self.source.channels()
        except AmiError as exc:
            log.warning("AMI resync failed: %s", exc)
            return None
        log.info("AMI resync: %d live channel(s)", len(rows))
        return Resync(rows)

    async def deliver(self, event: AmiEvent) -> None:
        for subscriber in self.subscribers:
            try:
                await subscriber(event)
            except Exception:
                log.exception("failed to apply AMI event %s", type(event).__name__)
