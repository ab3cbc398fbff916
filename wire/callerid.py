"""The caller's number as the controller reads it (AGI headers, AMI events, CDRs): ``+`` and
digits, at most :data:`MAX_DIGITS` long, else anonymous (``""``). The dialplan filters it in the
first step of every inbound context already (``wire.names.CTX_CALLER_CLEAN``); this is the second
check, for what Asterisk reports before that step (a channel's ``Newchannel``) and for a dialplan
that forgot it. A refused value is logged once (per value, while remembered)."""

from __future__ import annotations

import functools
import logging
import re
from typing import Final

log = logging.getLogger(__name__)

MAX_DIGITS: Final = 32
ANONYMOUS: Final = ""
UNKNOWN: Final = "<unknown>"  # how AMI prints an empty number: anonymous, nothing to log
_NUMBER = re.compile(rf"\+?[0-9]{{1,{MAX_DIGITS}}}")


def caller_number(raw: str) -> str:
    """``raw`` when it is ``+`` and digits (bounded), else :data:`ANONYMOUS`."""
    if not raw or _NUMBER.fullmatch(raw):
        return raw
    if raw == UNKNOWN:
        return ANONYMOUS
    _refused(raw[:80])
    return ANONYMOUS


@functools.lru_cache(maxsize=256)
def _refused(shown: str) -> None:
    log.warning("caller number %r is not + and digits: treated as anonymous", shown)


def forget_refused() -> None:
    """Log every refused value again (the once-only memory is cleared)."""
    _refused.cache_clear()
