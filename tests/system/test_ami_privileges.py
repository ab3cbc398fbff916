"""Finding 4 of issue 11, replayed against the real Asterisk: with the controller's own AMI
credentials, an Originate that runs ``System`` used to execute a shell command as Asterisk's
user (manager.conf gave `write = all`). The user now lacks the `system` class: Asterisk
refuses the action and the command never runs, while the controller's own actions still work."""

from __future__ import annotations

import asyncio
import contextlib
import uuid

import pytest

from tests.system.conftest import Stack, eventually
from wire import names
from wire.ami import AmiError
from wire.commands import HangupChannel, Originate

pytestmark = [pytest.mark.system, pytest.mark.security]


def _originate(application: str, data: str, agi_target: str, channel_id: str) -> Originate:
    return Originate(
        channel=f"Local/s@{names.CTX_IVR}",  # answered by the IVR entry (our AGI target)
        application=application,
        data=data,
        channel_id=channel_id,
        variables={names.VAR_AGI_TARGET: agi_target},
    )


async def test_originate_system_is_refused_and_runs_nothing(stack: Stack, agi_target: str) -> None:
    marker = f"tmp/ivr-acd-ami-{uuid.uuid4().hex[:12]}"  # inside the chroot Asterisk runs in
    touched = stack.settings.paths.chroot / marker
    with pytest.raises(AmiError) as refused:
        await stack.ami.send(
            _originate("System", f"touch /{marker}", agi_target, f"test-{uuid.uuid4().hex[:12]}")
        )
    assert "Originate Access Forbidden" in str(refused.value)
    # The same Originate with a harmless application is accepted and answered, so the refusal
    # above is the missing `system` class, not a bad channel; by then System would have run.
    allowed = f"test-{uuid.uuid4().hex[:12]}"
    await stack.ami.send(_originate("Wait", "2", agi_target, allowed))
    try:

        async def answered() -> bool:
            rows = {row.uniqueid: row for row in await stack.ami.channels()}
            return allowed in rows and rows[allowed].up

        await eventually(answered, 10, "the harmless originate to be answered")
        await asyncio.sleep(1)
        assert not touched.exists()
    finally:
        with contextlib.suppress(Exception):
            await stack.ami.send(HangupChannel(allowed))
