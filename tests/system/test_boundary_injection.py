"""Issue 11, findings 1 and 2, replayed through the real sandbox.

1. A carrier call whose From user carries ``%0d%0a``, an AMI event, an AGI header and ``&`` /
   ``,``: it is served like any call (the IVR's first menu), its one CDR has a clean number, and
   the forged event Asterisk writes is never passed on by the AMI client (mended, see
   ``wire/splice.py``).
2. An agent name that would add a section to pjsip.conf: the API answers 422 naming the field,
   and the rendered pjsip.conf is unchanged.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import urllib.parse
from pathlib import Path

import pytest

from tests.system.conftest import HOTLINE, Stack, utc_now_iso
from wire.events import CelEvent, Newchannel, UserEvent

pytestmark = [pytest.mark.system, pytest.mark.security]

SCENARIO = Path(__file__).parent / "sipp" / "injected_caller.xml"
INJECTED = "13800138077\r\n\r\nEvent: Fake\r\nagi_network_script: spy&PJSIP/9001,60"
FROM_USER = urllib.parse.quote(INJECTED, safe="&,")  # & and , are legal in a SIP user part
CLEAN = re.sub(r"[^+0-9]", "", INJECTED)[:32]  # what the dialplan's FILTER() leaves


async def _sipp(stack: Stack, workdir: Path) -> int:
    settings = stack.settings
    secret = settings.secret(settings.asterisk.carrier_password, "carrier_password")
    proc = await asyncio.create_subprocess_exec(
        *("sipp", f"127.0.0.1:{settings.asterisk.sip_port}", "-sf", str(SCENARIO)),
        *("-s", HOTLINE, "-au", settings.asterisk.carrier_username, "-ap", secret),
        *("-key", "from_user", FROM_USER),
        *("-i", "127.0.0.1", "-p", "0", "-m", "1", "-nostdin", "-timeout", "30s"),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
        cwd=workdir,
    )
    return await proc.wait()


async def _events_until(stack: Stack, done: asyncio.Task[object]) -> list[object]:
    """Every typed event the project's AMI client (the controller's code) passes on."""
    seen: list[object] = []
    while not done.done() or not stack.ami.events.empty():
        with contextlib.suppress(TimeoutError):
            seen.append(await asyncio.wait_for(stack.ami.events.get(), 0.2))
    return seen


async def test_a_caller_id_with_line_breaks_and_dial_syntax_is_served_with_a_clean_number(
    stack: Stack, tmp_path: Path
) -> None:
    """Seen on the wire (Asterisk 22): PJSIP decodes the From user, Newchannel and CEL
    CHAN_START (written before the dialplan's first step) carry it raw, so Asterisk writes a
    separate ``Event: Fake`` message. The old client then saw a Newchannel without Uniqueid,
    never tracked the call and wrote no CDR for it."""
    while not stack.ami.events.empty():
        stack.ami.events.get_nowait()
    since = utc_now_iso()
    call = asyncio.create_task(_sipp(stack, tmp_path))
    events = await _events_until(stack, call)
    assert call.result() == 0, "the call was answered and ended normally"
    record = await stack.cdr(CLEAN, since)
    assert record.caller_number == CLEAN and record.did == HOTLINE
    assert record.ivr_path == "language", "the IVR ran its first menu, not another route"
    status, body = await stack.get(f"/calls?caller={CLEAN}&since={since}")
    assert status == 200 and len(body["calls"]) == 1, "exactly one CDR"
    carrier = [e for e in events if isinstance(e, Newchannel) and e.context == "from-carrier"]
    assert [e.linkedid for e in carrier] == [record.linkedid], "one Newchannel, mended"
    assert all(e.caller_number.isdigit() for e in carrier)
    names = {getattr(e, "name", "") for e in events if isinstance(e, UserEvent | CelEvent)}
    assert "Fake" not in names and not any("spy" in repr(e) for e in events)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "Eve <8001>\n\n[8999]\ntype=endpoint\ncontext=supervise\n" + "x" * 20),
        ("name", "Eve; [8999]"),
        ("team", "claims\r\n[evil]"),
    ],
)
async def test_an_agent_name_that_would_add_an_endpoint_is_refused_and_nothing_rendered(
    stack: Stack, field: str, value: str
) -> None:
    pjsip = stack.settings.paths.asterisk_config / "pjsip.conf"
    before = pjsip.read_bytes()
    body = {
        "extension": "8999",
        "name": "Eve",
        "password": "s3cret-pass",
        "languages": ["zh"],
        "team": "claims",
        field: value,
    }
    status, answer = await stack.send("POST", "/agents", body)
    assert status == 422, answer
    assert answer["error"] == "invalid-agent" and answer["reason"].startswith(field)
    assert (await stack.send("GET", "/agents/8999"))[0] == 404
    assert pjsip.read_bytes() == before
    assert b"[8999]" not in before
