"""Prompts: text rendered with pyttsx3 (espeak-ng) into 8 kHz mono WAV files that Asterisk
plays, cached by (language, voice, text) hash. A recorded file named after the same key in the
recorded folder wins over TTS.

Rendering never fails a call on a transient error: espeak-ng now and then produces no audio
(or its file appears late), so any rendering error is retried with exponential backoff
(tenacity); concurrent ``ensure`` calls for one text share one rendering (one in-flight future
per key); the temporary folder's cleanup cannot raise. Start-up renders every static prompt,
template segment and number/money/date fragment (:func:`ivr.sentences.warm_texts`); one that still
fails is logged and rendered on first use instead."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import logging
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from ivr.menu import Language, MenuTree
from ivr.pinyin import to_pinyin
from ivr.prompt_errors import PromptError
from ivr.sentences import warm_texts

__all__ = ["DEFAULT_VOICES", "PromptError", "PromptStore", "RenderRetry", "Speak"]

log = logging.getLogger(__name__)

# Mandarin: the cmn voice's pinyin variant, fed numbered pinyin (see ivr/pinyin.py for why).
DEFAULT_VOICES: Mapping[Language, str] = {"zh": "sit/cmn-latn-pinyin", "en": "gmw/en-us"}

# The TTS step: (language, text to speak, WAV path to write); raises when no audio came.
Speak = Callable[[Language, str, Path], None]


@dataclass(frozen=True)
class RenderRetry:
    """How often, and how patiently, one prompt is rendered before PromptError."""

    attempts: int = 4
    first_wait: float = 0.1  # seconds; doubled after every failure
    max_wait: float = 1.0


class PromptStore:
    def __init__(
        self,
        host_dir: Path,
        asterisk_dir: str,
        voices: Mapping[Language, str] = DEFAULT_VOICES,
        recorded_dir: Path | None = None,
        *,
        speak: Speak | None = None,
        retry: RenderRetry = RenderRetry(),
    ) -> None:
        self._host_dir = host_dir
        self._asterisk_dir = asterisk_dir.rstrip("/")
        self._voices = dict(voices)
        self._recorded_dir = recorded_dir
        self._speak = speak or self._espeak
        self._retry = retry
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tts")
        self._engine: Any = None
        self._pending: dict[str, asyncio.Future[None]] = {}

    def key(self, language: Language, text: str) -> str:
        digest = hashlib.sha256(f"{language}|{self._voices[language]}|{text}".encode()).hexdigest()
        return f"{language}-{digest[:20]}"

    async def ensure(self, language: Language, text: str) -> str:
        """Render the prompt if needed; returns the name Asterisk plays (no extension).
        Raises PromptError when every try failed."""
        key = self.key(language, text)
        target = self._host_dir / f"{key}.wav"
        if not target.is_file():
            await asyncio.shield(self._in_flight(key, language, text, target))
        return f"{self._asterisk_dir}/{key}"

    async def warm(self, tree: MenuTree, extra: Iterable[tuple[Language, str]] = ()) -> int:
        """Render every static prompt, template segment and fragment of the menu tree, and the
        ``extra`` texts (other features' fixed sentences); returns how many are ready. A prompt
        that fails every try is logged, not raised: it is rendered on first use (and the call
        falls back to a retry, then a person, if that fails too)."""
        ready = 0
        for language, text in dict.fromkeys([*warm_texts(tree), *extra]):
            try:
                await self.ensure(language, text)
                ready += 1
            except PromptError as exc:
                log.warning("prompt not rendered at start-up, rendered on first use: %s", exc)
        return ready

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _in_flight(
        self, key: str, language: Language, text: str, target: Path
    ) -> asyncio.Future[None]:
        """The one rendering of ``key`` under way, started if there is none."""
        future = self._pending.get(key)
        if future is None:
            future = asyncio.ensure_future(self._render_with_retries(language, text, target))
            self._pending[key] = future
            future.add_done_callback(lambda f: self._forget(key, f))
        return future

    def _forget(self, key: str, future: asyncio.Future[None]) -> None:
        self._pending.pop(key, None)
        if not future.cancelled():
            future.exception()  # retrieved here: every waiter may have gone

    async def _render_with_retries(self, language: Language, text: str, target: Path) -> None:
        loop = asyncio.get_running_loop()
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._retry.attempts),
            wait=wait_exponential(multiplier=self._retry.first_wait, max=self._retry.max_wait),
            retry=retry_if_exception_type(Exception),
            before_sleep=_log_retry,
            reraise=True,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    await loop.run_in_executor(self._executor, self._render, language, text, target)
        except Exception as exc:
            raise PromptError(f"{text[:40]!r} ({language}) not rendered: {exc}") from exc

    def _render(self, language: Language, text: str, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        recorded = self._recorded_dir / target.name if self._recorded_dir else None
        if recorded is not None and recorded.is_file():
            shutil.copyfile(recorded, target)
            return
        with _scratch_folder() as tmp:
            raw = Path(tmp) / "raw.wav"
            self._speak(language, text, raw)
            if not raw.is_file() or raw.stat().st_size <= 44:
                raise PromptError(f"espeak-ng produced no audio for {text[:40]!r}")
            narrow = Path(tmp) / "8k.wav"
            _to_narrowband(raw, narrow)
            narrow.replace(target)
        log.debug("rendered prompt %s (%s): %s", target.name, language, text[:40])

    def _espeak(self, language: Language, text: str, path: Path) -> None:
        import pyttsx3  # imported here: only the TTS thread needs it

        if self._engine is None:
            self._engine = pyttsx3.init("espeak")
        self._engine.setProperty("voice", self._voices[language])
        spoken = to_pinyin(text) if language == "zh" else text
        self._engine.save_to_file(spoken, str(path))
        with contextlib.redirect_stdout(io.StringIO()):  # pyttsx3 prints "Audio saved to ..."
            self._engine.runAndWait()


@contextlib.contextmanager
def _scratch_folder() -> Iterator[str]:
    """A temporary folder whose removal cannot raise: espeak may still be writing into it
    ("Directory not empty"), or leave what cannot be removed; a rendering that produced its
    file must not fail for that. (TemporaryDirectory's ignore_cleanup_errors still raises
    PermissionError on CPython 3.11/3.12.)"""
    folder = tempfile.mkdtemp(prefix="ivr-prompt-")
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# espeak-ng pads every rendering with about 0.25 s of silence: trimmed, with a short pause
# kept, so the fragments of a number follow each other as one sentence does.
_TRIM = ["silence", "1", "0.01", "1%", "reverse", "silence", "1", "0.01", "1%", "reverse"]
_PAD_BEFORE, _PAD_AFTER = 0.02, 0.06
_PAD = ["pad", str(_PAD_BEFORE), str(_PAD_AFTER)]
# the WAV header, the pauses and at least 50 ms of speech, at 8 kHz 16-bit
_MIN_BYTES = 44 + int((_PAD_BEFORE + _PAD_AFTER + 0.05) * 8000 * 2)


def _to_narrowband(raw: Path, narrow: Path) -> None:
    """8 kHz mono 16-bit, silence trimmed; PromptError when no audible speech is left."""
    result = subprocess.run(
        ["sox", str(raw), "-r", "8000", "-c", "1", "-b", "16", str(narrow), *_TRIM, *_PAD],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise PromptError(f"sox failed for {raw.name}: {result.stderr.strip()}")
    if narrow.stat().st_size < _MIN_BYTES:
        raise PromptError(f"espeak-ng produced only silence ({narrow.stat().st_size} bytes)")


def _log_retry(state: RetryCallState) -> None:
    outcome = state.outcome
    error = outcome.exception() if outcome is not None else None
    log.warning("prompt rendering failed (try %d): %s; trying again", state.attempt_number, error)
