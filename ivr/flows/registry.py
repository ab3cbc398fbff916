"""The flows a menu file may name (`flow: <name>`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from ivr.flows.complaint import complaint
from ivr.flows.context import Flow
from ivr.flows.premium import premium
from ivr.flows.quote import quote
from ivr.flows.verify import verify

FLOWS: Final[Mapping[str, Flow]] = {
    "verify": verify,
    "quote": quote,
    "premium": premium,
    "complaint": complaint,
}
