"""What the ACD reads from a channel's name and linkedid: whose phone it is, which ACD call it
belongs to. Pure."""

from __future__ import annotations

import re

from wire import names

_PJSIP_CHANNEL = re.compile(r"^PJSIP/(?P<endpoint>[^-]+)-[0-9a-f]+$")


def endpoint_of(channel: str) -> str:
    """``PJSIP/8001-0000002a`` -> ``8001``; "" for any other kind of channel."""
    match = _PJSIP_CHANNEL.match(channel)
    return match.group("endpoint") if match else ""


def call_of(linkedid: str) -> str:
    """The ACD call a channel belongs to: a callback's linkedid names the call it returns."""
    return linkedid.removesuffix(names.CALLBACK_SUFFIX)
