"""Speech input against a fake Asterisk over a real loopback AudioSocket, with a fake recogniser:
speech is heard, the keypad wins, silence times out, a failed Dial is an error, and garbage on
the AudioSocket port never takes the server down."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ivr.speech_input import Heard, Recognizer, SpeechInput, Utterance
from wire.audiosocket import (
    AudioSocketServer,
    Kind,
    encode_audio,
    encode_dtmf,
    encode_frame,
    encode_uuid,
)

pytestmark = pytest.mark.integration

FRAME_S = 0.02


def silence(rate: int = 16000) -> bytes:
    return encode_audio(b"\x00\x00" * (rate // 50), rate)


def voice(rate: int = 16000) -> bytes:
    return encode_audio(b"\x10\x27" * (rate // 50), rate)


class FakeAsterisk:
    """Plays Asterisk's part of ``EXEC Dial AudioSocket/<host>:<port>/<uuid>/c(slin16),,g``:
    connects, sends the UUID, sends ``script`` one frame per 20 ms then silence, and on the
    server's hangup frame (or close) closes its end and returns, as the Dial does."""

    def __init__(self, script: Sequence[bytes], rate: int = 16000, *, connect: bool = True):
        self.script = list(script)
        self.rate = rate
        self.connect = connect
        self.commands: list[tuple[str, str]] = []
        self.got_hangup = False

    async def exec(self, application: str, arguments: str) -> str:
        self.commands.append((application, arguments))
        target, timeout, options = arguments.split(",")
        kind, hostport, stream_id, formats = target.split("/")
        assert (application, kind, formats) == ("Dial", "AudioSocket", "c(slin16)")
        assert (timeout, options) == ("", "g")
        if not self.connect:
            return "-1"
        host, port = hostport.rsplit(":", 1)
        reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(encode_uuid(uuid.UUID(stream_id)))
        sender = asyncio.create_task(self._send(writer))
        try:
            self.got_hangup = await reader.readexactly(3) == b"\x00\x00\x00"
        finally:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender
            writer.close()
            await writer.wait_closed()
        return "0"

    async def _send(self, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(ConnectionError, OSError):
            for frame in self.script:
                writer.write(frame)
                await writer.drain()
                await asyncio.sleep(FRAME_S)
            while True:
                writer.write(silence(self.rate))
                await writer.drain()
                await asyncio.sleep(FRAME_S)


@dataclass
class FakeRecognizer:
    """Hears ``text`` once it has been fed ``after`` bytes of non-silent audio."""

    text: str
    after: int
    fed: int = 0
    thread: str = ""

    def feed(self, pcm: bytes) -> Utterance | None:
        self.thread = threading.current_thread().name
        if pcm.strip(b"\x00"):
            self.fed += len(pcm)
        if self.after and self.fed >= self.after:
            self.fed = -(10**9)  # one utterance only
            return Utterance(self.text, 0.8)
        return None

    def finish(self) -> Utterance | None:
        return None


@dataclass
class FakeFactory:
    text: str = "네"
    after: int = 640 * 10
    calls: list[tuple[Path, list[str], int]] = field(default_factory=list)
    made: list[FakeRecognizer] = field(default_factory=list)

    def __call__(self, model_dir: Path, phrases: Sequence[str], sample_rate: int) -> Recognizer:
        self.calls.append((model_dir, list(phrases), sample_rate))
        recognizer = FakeRecognizer(self.text, self.after)
        self.made.append(recognizer)
        return recognizer


@pytest.fixture
async def server() -> AsyncIterator[AudioSocketServer]:
    server = AudioSocketServer("127.0.0.1", 0)
    await server.start()
    try:
        yield server
    finally:
        await server.close()


async def test_a_phrase_is_heard_and_the_stream_is_hung_up(server: AudioSocketServer) -> None:
    factory = FakeFactory(text="아니요")
    speech = SpeechInput(server, factory, Path("/models/ko"))
    asterisk = FakeAsterisk([silence()] * 5 + [voice()] * 15)

    heard = await speech.listen(asterisk, ["네", "아니요"], timeout_s=5)

    assert heard == Heard("speech", "아니요", 0.8)
    assert asterisk.got_hangup
    assert factory.calls == [(Path("/models/ko"), ["네", "아니요"], 16000)]
    assert factory.made[0].thread.startswith("speech"), "the recogniser runs off the event loop"
    assert server.live_connections == 0


async def test_the_keypad_wins_over_speech(server: AudioSocketServer) -> None:
    speech = SpeechInput(server, FakeFactory(after=640 * 10), Path("/m"))
    asterisk = FakeAsterisk([voice()] * 3 + [encode_dtmf("2")] + [voice()] * 20)

    heard = await speech.listen(asterisk, ["네", "아니요"], timeout_s=5)

    assert heard == Heard("dtmf", "2")
    assert asterisk.got_hangup


async def test_a_key_in_the_same_read_as_a_recognised_phrase_still_wins(
    server: AudioSocketServer,
) -> None:
    speech = SpeechInput(server, FakeFactory(after=640), Path("/m"))
    asterisk = FakeAsterisk([voice() * 3 + encode_dtmf("#")])

    assert await speech.listen(asterisk, ["네"], timeout_s=5) == Heard("dtmf", "#")


async def test_silence_and_other_words_time_out(server: AudioSocketServer) -> None:
    speech = SpeechInput(server, FakeFactory(text="[unk]", after=640), Path("/m"))
    asterisk = FakeAsterisk([voice()] * 10)

    started = time.monotonic()
    heard = await speech.listen(asterisk, ["네", "아니요"], timeout_s=0.6)

    assert heard == Heard("timeout")
    assert 0.55 < time.monotonic() - started < 2.0
    assert asterisk.got_hangup, "the Dial returns after a timeout too"


async def test_narrowband_audio_builds_an_8_khz_recogniser(server: AudioSocketServer) -> None:
    factory = FakeFactory(after=320 * 5)
    speech = SpeechInput(server, factory, Path("/m"))

    heard = await speech.listen(FakeAsterisk([voice(8000)] * 10, 8000), ["네"], timeout_s=5)

    assert heard.kind == "speech" and factory.calls[0][2] == 8000


async def test_a_dial_that_fails_is_an_error_not_a_hang(server: AudioSocketServer) -> None:
    speech = SpeechInput(server, FakeFactory(), Path("/m"))

    heard = await speech.listen(FakeAsterisk([], connect=False), ["네"], timeout_s=5)

    assert heard.kind == "error" and "before the audio stream connected" in heard.text


async def test_a_recogniser_that_cannot_be_built_is_an_error(server: AudioSocketServer) -> None:
    def broken(model_dir: Path, phrases: Sequence[str], rate: int) -> Recognizer:
        raise FileNotFoundError(f"no Vosk model in {model_dir}")

    speech = SpeechInput(server, broken, Path("/nowhere"))
    asterisk = FakeAsterisk([voice()] * 5)

    heard = await speech.listen(asterisk, ["네"], timeout_s=5)

    assert heard.kind == "error" and "no Vosk model in /nowhere" in heard.text
    assert asterisk.got_hangup


async def _send_raw(port: int, data: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    await writer.drain()
    writer.write_eof()
    try:
        return await asyncio.wait_for(reader.read(), 6)
    finally:
        writer.close()


async def test_garbage_and_unknown_streams_are_closed_and_the_server_keeps_serving(
    server: AudioSocketServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, "wire.audiosocket")
    replies = await asyncio.gather(
        _send_raw(server.port, b"GET / HTTP/1.1\r\n\r\n"),
        _send_raw(server.port, encode_frame(Kind.UUID, b"short")),
        _send_raw(server.port, encode_uuid(uuid.uuid4()) + silence()),
        _send_raw(server.port, b"\x01\x00\x10abc"),
        _send_raw(server.port, b""),
    )
    assert replies[2] == b"\x00\x00\x00", "an unknown stream is hung up"
    assert "nobody expects stream" in caplog.text
    assert "expected a UUID frame first" in caplog.text
    assert "closed inside a frame" in caplog.text

    waiting = server.expect(stream := uuid.uuid4())
    junk = encode_frame(0x42, b"??") + encode_frame(0x12, b"\x00") + voice()
    _, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(encode_uuid(stream) + junk + encode_dtmf("9") + b"\x12\x02")
    session = await asyncio.wait_for(waiting, 2)
    events = [await session.next_event() for _ in range(2)]
    assert [type(e).__name__ for e in events] == ["Audio", "Dtmf"]
    writer.close()  # inside a frame: logged, the session ends
    assert type(await asyncio.wait_for(session.next_event(), 2)).__name__ == "Hangup"

    speech = SpeechInput(server, FakeFactory(after=640), Path("/m"))
    heard = await speech.listen(FakeAsterisk([voice()] * 5), ["네"], timeout_s=5)
    assert heard.kind == "speech"
