"""AudioSocket adapter: an asyncio server for the streams Asterisk opens with
``Dial(AudioSocket/<host>:<port>/<uuid>/c(slin16))`` (or the ``AudioSocket()`` application).

Wire format (docs.asterisk.org, Channel-Drivers/AudioSocket; res_audiosocket.c): every message
is 1 byte kind, 2 bytes big-endian payload length, then the payload. Asterisk sends the UUID
first (16 bytes), then audio (signed linear 16-bit little-endian mono; the kind names the
sample rate: 0x10 = 8 kHz ... 0x12 = 16 kHz, 640 bytes per 20 ms), DTMF (0x03, one ASCII digit)
and maybe an error (0xff, optional code). Sending a hangup (0x00, empty) or closing the socket
ends the AudioSocket channel, so the ``Dial`` returns and the dialplan / AGI goes on.

Whoever wants a stream registers its UUID with :meth:`AudioSocketServer.expect` first; the
server hands the matching connection over as an :class:`AudioSocketSession`. A connection with
an unknown UUID, a bad first frame or a broken frame is logged and closed; the server never
dies of it. Frame parsing is pure (:class:`FrameDecoder`, :func:`interpret`).
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import struct
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass

log = logging.getLogger(__name__)

HEADER = struct.Struct(">BH")
UUID_TIMEOUT = 5.0
READ_CHUNK = 16 * 1024
LINGER = 1.0  # after our hangup frame, how long we wait for Asterisk to close its end
MAX_QUEUED_EVENTS = 3000  # 60 s of 20 ms frames; a consumer that stops reading loses audio


class Kind(enum.IntEnum):
    HANGUP = 0x00
    UUID = 0x01
    DTMF = 0x03
    SLIN = 0x10
    SLIN12 = 0x11
    SLIN16 = 0x12
    SLIN24 = 0x13
    SLIN32 = 0x14
    SLIN44 = 0x15
    SLIN48 = 0x16
    SLIN96 = 0x17
    SLIN192 = 0x18
    ERROR = 0xFF


SAMPLE_RATES: dict[int, int] = {
    Kind.SLIN: 8000,
    Kind.SLIN12: 12000,
    Kind.SLIN16: 16000,
    Kind.SLIN24: 24000,
    Kind.SLIN32: 32000,
    Kind.SLIN44: 44100,
    Kind.SLIN48: 48000,
    Kind.SLIN96: 96000,
    Kind.SLIN192: 192000,
}
AUDIO_KINDS = {rate: kind for kind, rate in SAMPLE_RATES.items()}


class FrameError(ValueError):
    """The peer broke the protocol; the connection is closed."""


@dataclass(frozen=True)
class Frame:
    kind: int
    payload: bytes


# ---- typed events a session delivers ---------------------------------------------------
@dataclass(frozen=True)
class Audio:
    pcm: bytes  # signed 16-bit little-endian mono
    sample_rate: int


@dataclass(frozen=True)
class Dtmf:
    digit: str


@dataclass(frozen=True)
class Hangup:
    """Asterisk ended the stream (hangup frame or socket closed)."""


@dataclass(frozen=True)
class PeerError:
    code: int | None


@dataclass(frozen=True)
class Ignored:
    """A frame we do not use (an unknown kind, a stray UUID, a bad audio payload)."""

    kind: int
    why: str


Event = Audio | Dtmf | Hangup | PeerError | Ignored


# ---- pure encoding and parsing ---------------------------------------------------------
def encode_frame(kind: int, payload: bytes = b"") -> bytes:
    if not 0 <= kind <= 0xFF:
        raise ValueError(f"kind {kind} is not a byte")
    if len(payload) > 0xFFFF:
        raise ValueError(f"payload of {len(payload)} bytes is too long for one frame")
    return HEADER.pack(kind, len(payload)) + payload


def encode_uuid(stream_id: uuid.UUID) -> bytes:
    return encode_frame(Kind.UUID, stream_id.bytes)


def encode_audio(pcm: bytes, sample_rate: int = 16000) -> bytes:
    return encode_frame(AUDIO_KINDS[sample_rate], pcm)


def encode_dtmf(digit: str) -> bytes:
    return encode_frame(Kind.DTMF, digit.encode("ascii"))


HANGUP_FRAME = encode_frame(Kind.HANGUP)


class FrameDecoder:
    """Splits a byte stream into frames; keeps a partial frame until the rest arrives."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[Frame]:
        self._buffer += data
        frames: list[Frame] = []
        while len(self._buffer) >= HEADER.size:
            kind, length = HEADER.unpack_from(self._buffer)
            end = HEADER.size + length
            if len(self._buffer) < end:
                break
            frames.append(Frame(kind, bytes(self._buffer[HEADER.size : end])))
            del self._buffer[:end]
        return frames

    @property
    def next_kind(self) -> int | None:
        """The kind of the frame being assembled (known from its first byte), if any."""
        return self._buffer[0] if self._buffer else None

    @property
    def pending(self) -> int:
        """Bytes of an incomplete frame still buffered."""
        return len(self._buffer)


def parse_uuid(frame: Frame) -> uuid.UUID:
    """The stream's UUID from the first frame; anything else is a :class:`FrameError`."""
    if frame.kind != Kind.UUID:
        raise FrameError(f"expected a UUID frame first, got kind 0x{frame.kind:02x}")
    if len(frame.payload) != 16:
        raise FrameError(f"UUID payload of {len(frame.payload)} bytes (want 16)")
    return uuid.UUID(bytes=frame.payload)


def interpret(frame: Frame) -> Event:
    """Turn one frame after the UUID into a typed event."""
    rate = SAMPLE_RATES.get(frame.kind)
    if rate is not None:
        if len(frame.payload) % 2:
            return Ignored(frame.kind, f"odd audio payload length {len(frame.payload)}")
        return Audio(frame.payload, rate)
    if frame.kind == Kind.DTMF:
        digit = frame.payload[:1].decode("ascii", errors="replace")
        if len(frame.payload) != 1 or digit not in "0123456789*#ABCD":
            return Ignored(frame.kind, f"bad DTMF payload {frame.payload!r}")
        return Dtmf(digit)
    if frame.kind == Kind.HANGUP:
        return Hangup()
    if frame.kind == Kind.ERROR:
        return PeerError(frame.payload[0] if frame.payload else None)
    if frame.kind == Kind.UUID:
        return Ignored(frame.kind, "a second UUID frame")
    return Ignored(frame.kind, "unknown kind")


# ---- sessions and the server -----------------------------------------------------------
class AudioSocketSession:
    """One live stream: read its events in order; :meth:`hangup` ends it."""

    def __init__(self, stream_id: uuid.UUID, writer: asyncio.StreamWriter) -> None:
        self.uuid = stream_id
        self.peer = str(writer.get_extra_info("peername"))
        self._writer = writer
        self._events: asyncio.Queue[Event] = asyncio.Queue(MAX_QUEUED_EVENTS)
        self._ended = asyncio.Event()
        self._peer_closed = asyncio.Event()
        self.dropped = 0

    @property
    def ended(self) -> bool:
        """True once either side ended the stream."""
        return self._ended.is_set()

    async def next_event(self) -> Event:
        """The next event; :class:`Hangup` (again and again) once the stream has ended."""
        if self._events.empty() and self.ended:
            return Hangup()
        return await self._events.get()

    def next_nowait(self) -> Event | None:
        """The next queued event, or None when nothing is queued right now."""
        try:
            return self._events.get_nowait()
        except asyncio.QueueEmpty:
            return None

    async def hangup(self) -> None:
        """Send a hangup frame; Asterisk's AudioSocket channel then hangs up and closes its end.
        We close ours after that (or after :data:`LINGER` s): closing first, with its audio
        still unread, would reset the connection."""
        self._end()
        if not self._writer.is_closing():
            with contextlib.suppress(ConnectionError, OSError):
                self._writer.write(HANGUP_FRAME)
                await self._writer.drain()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._peer_closed.wait(), LINGER)
            self._writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self._writer.wait_closed()

    async def wait_ended(self) -> None:
        await self._ended.wait()

    def _deliver(self, event: Event) -> None:
        try:
            self._events.put_nowait(event)
        except asyncio.QueueFull:
            self.dropped += 1

    def _end(self) -> None:
        if not self._ended.is_set():
            self._ended.set()
            with contextlib.suppress(asyncio.QueueFull):
                self._events.put_nowait(Hangup())


class AudioSocketServer:
    """Accepts AudioSocket connections and hands each to whoever :meth:`expect`-ed its UUID."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self._port = port
        self._server: asyncio.Server | None = None
        self._waiting: dict[uuid.UUID, asyncio.Future[AudioSocketSession]] = {}
        self._connections: set[asyncio.Task[None]] = set()

    @property
    def port(self) -> int:
        """The listening port (the real one when started with port 0)."""
        if self._server is not None and self._server.sockets:
            return int(self._server.sockets[0].getsockname()[1])
        return self._port

    @property
    def live_connections(self) -> int:
        return len(self._connections)

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, self.host, self._port)
        log.info("AudioSocket listening on %s:%d", self.host, self.port)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for future in self._waiting.values():
            future.cancel()
        self._waiting.clear()
        for task in list(self._connections):
            task.cancel()
        if self._connections:
            await asyncio.wait(set(self._connections), timeout=5)

    def expect(self, stream_id: uuid.UUID) -> Awaitable[AudioSocketSession]:
        """A future that resolves with the session when Asterisk connects with ``stream_id``.

        Cancel it (or let it be garbage) to stop waiting: a late connection is then closed.
        """
        future: asyncio.Future[AudioSocketSession] = asyncio.get_running_loop().create_future()
        self._waiting[stream_id] = future
        future.add_done_callback(lambda done: self._forget(stream_id, done))
        return future

    def _forget(self, stream_id: uuid.UUID, future: asyncio.Future[AudioSocketSession]) -> None:
        if self._waiting.get(stream_id) is future:
            del self._waiting[stream_id]

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        peer = writer.get_extra_info("peername")
        try:
            await self._serve(reader, writer)
        except (FrameError, TimeoutError, ConnectionError, OSError) as exc:
            log.warning("AudioSocket: closing the connection from %s: %s", peer, exc or type(exc))
        finally:
            self._connections.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        decoder = FrameDecoder()
        async with asyncio.timeout(UUID_TIMEOUT):
            frames = await _read_frames(reader, decoder, first=True)
        if not frames:
            raise FrameError("closed before sending its UUID")
        stream_id = parse_uuid(frames[0])
        future = self._waiting.pop(stream_id, None)
        if future is None or future.done():
            log.warning("AudioSocket: nobody expects stream %s; hanging it up", stream_id)
            with contextlib.suppress(ConnectionError, OSError):
                writer.write(HANGUP_FRAME)
                await writer.drain()
            return
        session = AudioSocketSession(stream_id, writer)
        future.set_result(session)
        log.debug("AudioSocket: stream %s connected from %s", stream_id, session.peer)
        try:
            await _pump(reader, decoder, frames[1:], session)
        finally:
            session._end()
            session._peer_closed.set()


async def _read_frames(
    reader: asyncio.StreamReader, decoder: FrameDecoder, *, first: bool = False
) -> list[Frame]:
    """Read until at least one whole frame is decoded; [] on EOF. The ``first`` frame must be
    a UUID: anything else is refused at its first byte, not after its (bogus) length."""
    while True:
        data = await reader.read(READ_CHUNK)
        if not data:
            if decoder.pending:
                raise FrameError(f"closed inside a frame ({decoder.pending} bytes pending)")
            return []
        frames = decoder.feed(data)
        kind = frames[0].kind if frames else decoder.next_kind
        if first and kind is not None and kind != Kind.UUID:
            raise FrameError(f"expected a UUID frame first, got kind 0x{kind:02x}")
        if frames:
            return frames


async def _pump(
    reader: asyncio.StreamReader,
    decoder: FrameDecoder,
    first: list[Frame],
    session: AudioSocketSession,
) -> None:
    """Deliver events until Asterisk hangs up or closes; once we ended the session, read and
    drop what still arrives until Asterisk closes its end."""
    frames = first
    while True:
        for frame in frames:
            if session.ended:
                continue
            event = interpret(frame)
            if isinstance(event, Ignored):
                log.debug(
                    "AudioSocket %s: ignored kind 0x%02x: %s", session.uuid, event.kind, event.why
                )
                continue
            if isinstance(event, PeerError):
                log.warning("AudioSocket %s: Asterisk reported error %s", session.uuid, event.code)
            session._deliver(event)
            if isinstance(event, Hangup | PeerError):
                return
        frames = await _read_frames(reader, decoder)
        if not frames:
            session._deliver(Hangup())
            return
