"""Call-control commands against the real Asterisk: an Originate's variables, escaped by
``wire.commands``, arrive on the new channel exactly as given (a comma, a quote, a backslash or
a bracket in one value neither cuts it short nor adds a variable), and the live-channel list
comes back as typed rows."""

from __future__ import annotations

import contextlib
import uuid

import pytest

from tests.system.conftest import Stack, eventually
from wire import names
from wire.commands import GetVar, HangupChannel, Originate

pytestmark = pytest.mark.system

VALUES = {
    "TEST_LIST": "a,TEST_EXTRA=smuggled",
    "TEST_QUOTED": 'say "hi" | C:\\dir',
    "TEST_BRACKETS": "f(x, [y]",
    "TEST_PLAIN": "张三 x=y",
}


async def test_originate_variables_arrive_exactly_as_given(stack: Stack, agi_target: str) -> None:
    first, second = f"test-{uuid.uuid4().hex[:12]}", f"test-{uuid.uuid4().hex[:12]}-2"
    await stack.ami.send(
        Originate(
            channel=f"Local/s@{names.CTX_IVR}",
            application="Wait",
            data="10",
            channel_id=first,
            other_channel_id=second,
            variables={**VALUES, names.VAR_AGI_TARGET: agi_target},
        )
    )
    try:

        async def answered() -> bool:
            rows = {row.uniqueid: row for row in await stack.ami.channels()}
            return first in rows and rows[first].up and second in rows

        await eventually(answered, 10, "the originated channel to be answered")
        for uniqueid in (first, second):  # the Local channel's other half inherits them
            for name, value in VALUES.items():
                assert await stack.ami.get_var(GetVar(name, uniqueid)) == value, (uniqueid, name)
            assert await stack.ami.get_var(GetVar("TEST_EXTRA", uniqueid)) == ""
        rows = [row for row in await stack.ami.channels() if row.linkedid == first]
        assert {row.uniqueid for row in rows} == {first, second}
        (ours,) = [row for row in rows if row.uniqueid == first]
        assert (
            ours.application == "Wait"
            and ours.data == "10"
            and ours.channel.startswith(f"Local/s@{names.CTX_IVR}-")
        )
    finally:
        with contextlib.suppress(Exception):
            await stack.ami.send(HangupChannel(first))
