"""Issue 12, finding 2: the dialplan resumes an IVR whose controller died on the next one, but
never a session a live controller ended on purpose. Over real sockets against the real
FastAgiServer: a crashed or unknown route sets AGI_FAILED; a route that ran to its end, or a
caller who hung up, does not."""

from __future__ import annotations

import pytest

from tests.agi_client import AgiClient
from tests.integration.wire.test_agi_security import SECRET, serving
from wire import names
from wire.agi import AgiChannel, AgiHangup

pytestmark = pytest.mark.integration

MARK = f'SET VARIABLE {names.VAR_AGI_FAILED} "{names.AGI_ROUTE_IVR}"'


async def _crashes(channel: AgiChannel) -> None:
    await channel.answer()
    raise RuntimeError("a bug in a flow")


async def _decides(channel: AgiChannel) -> None:
    await channel.set_variable(names.VAR_NEXT, names.NEXT_PERSON)


async def _hung_up(channel: AgiChannel) -> None:
    raise AgiHangup("STREAM FILE x")


async def test_a_route_that_crashes_marks_the_session_failed() -> None:
    async with serving({names.AGI_ROUTE_IVR: _crashes}) as server:
        client = await AgiClient().session(server.port, f"{SECRET}/{names.AGI_ROUTE_IVR}")
    assert client.commands == ["ANSWER", MARK]


async def test_an_unknown_route_runs_the_fallback_and_marks_the_session_failed() -> None:
    async with serving({names.AGI_ROUTE_IVR: _decides}) as server:
        client = await AgiClient().session(server.port, f"{SECRET}/no-such-route")
    mark = f'SET VARIABLE {names.VAR_AGI_FAILED} "no-such-route"'
    assert client.commands == ['SET VARIABLE FALLBACK "1"', mark]


@pytest.mark.parametrize("route", [_decides, _hung_up])
async def test_a_session_that_ran_to_its_end_or_lost_its_caller_is_not_marked(route) -> None:
    async with serving({names.AGI_ROUTE_IVR: route}) as server:
        client = await AgiClient().session(server.port, f"{SECRET}/{names.AGI_ROUTE_IVR}")
    assert not any(names.VAR_AGI_FAILED in command for command in client.commands)
    assert client.closed_by_server
