"""Mending AMI events that a value split in two on the wire.

Asterisk writes a channel's caller ID into its events as it is, and PJSIP decodes ``%0d%0a`` in
a From user: a caller number holding CR LF CR LF ends the event early (``Newchannel`` without its
``Uniqueid``) and makes the rest look like an event of the caller's choosing (``Event: Fake``),
before the dialplan's first step can filter the number (``Newchannel``, CEL ``CHAN_START``).

Every event Asterisk writes carries ``Privilege`` as its second header. A message without it
is never an event of its own: it is the tail of the event held before it, which lacked its
identity (``Uniqueid``, ``Linkedid``). The two are spliced: the head's headers as Asterisk
wrote them, then the tail's headers the head lacks, the last of a repeated header winning
(Asterisk's own come after the caller's text). A tail with no head is dropped; each splice or
drop is logged.

Limit: a caller who also forges ``Privilege`` (and a whole event between two CR LF CR LF) is
not told apart here; only what Asterisk writes before the dialplan's first step (Newchannel,
CEL CHAN_START) can carry it, the dialplan filters the number, name and ANI from then on.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Final

log = logging.getLogger(__name__)

Headers = Mapping[str, str]

# Events whose parse needs the channel's identity; one without any of it was cut short (every
# one of these writes its caller ID before its Uniqueid and Linkedid).
_IDS: Final = frozenset({"Uniqueid", "UniqueID", "Linkedid", "LinkedID"})
_NEEDS_ID: Final = frozenset(
    {"newchannel", "hangup", "cdr", "cel", "dialbegin", "dialend", "userevent", "dtmfend"}
)


def _cut_short(headers: Headers) -> bool:
    name = headers.get("Event", "").lower()
    return name in _NEEDS_ID and not (_IDS & headers.keys())


class Splicer:
    """Feed every AMI event in order; get back the events to parse (none, one or two)."""

    def __init__(self) -> None:
        self._held: dict[str, str] | None = None

    def feed(self, headers: Headers) -> list[dict[str, str]]:
        if "Privilege" not in headers and "ActionID" not in headers:
            return self._tail(headers)
        out = self._flush()
        if _cut_short(headers):
            self._held = dict(headers)
            return out
        return [*out, dict(headers)]

    def _tail(self, tail: Headers) -> list[dict[str, str]]:
        head, self._held = self._held, None
        if head is None:
            name = tail.get("Event", "")
            log.warning("AMI message %r without Privilege, no event before it: dropped", name)
            return []
        log.warning(
            "AMI event %s (%s) was split by a value holding a line break: mended",
            head.get("Event", ""),
            head.get("Channel", ""),
        )
        return [{**{k: v for k, v in tail.items() if k != "Event"}, **head}]

    def _flush(self) -> list[dict[str, str]]:
        """A held head with no tail after it: an event without its channel, dropped (logged)."""
        head, self._held = self._held, None
        if head is not None:
            log.warning("AMI event %s without its Uniqueid: dropped", head.get("Event", ""))
        return []
