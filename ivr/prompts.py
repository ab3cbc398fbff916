"""Prompts: text rendered with pyttsx3 (espeak-ng) into 8 kHz mono WAV files that Asterisk
plays, cached by (language, voice, text) hash. A recorded file named after the same key in the
recorded folder wins over TTS."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import io
import logging
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from ivr.menu import Language, MenuTree
from ivr.pinyin import to_pinyin

log = logging.getLogger(__name__)

# Mandarin: the cmn voice's pinyin variant, fed numbered pinyin (see ivr/pinyin.py for why).
DEFAULT_VOICES: Mapping[Language, str] = {"zh": "sit/cmn-latn-pinyin", "en": "gmw/en-us"}


class PromptError(Exception):
    """A prompt could not be rendered."""


class PromptStore:
    def __init__(
        self,
        host_dir: Path,
        asterisk_dir: str,
        voices: Mapping[Language, str] = DEFAULT_VOICES,
        recorded_dir: Path | None = None,
    ) -> None:
        self._host_dir = host_dir
        self._asterisk_dir = asterisk_dir.rstrip("/")
        self._voices = dict(voices)
        self._recorded_dir = recorded_dir
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tts")
        self._engine: Any = None
        self._pending: dict[str, asyncio.Future[None]] = {}

    def key(self, language: Language, text: str) -> str:
        digest = hashlib.sha256(f"{language}|{self._voices[language]}|{text}".encode()).hexdigest()
        return f"{language}-{digest[:20]}"

    async def ensure(self, language: Language, text: str) -> str:
        """Render the prompt if needed; returns the name Asterisk plays (no extension)."""
        key = self.key(language, text)
        target = self._host_dir / f"{key}.wav"
        if not target.is_file():
            future = self._pending.get(key)
            if future is None:
                loop = asyncio.get_running_loop()
                future = asyncio.ensure_future(
                    loop.run_in_executor(self._executor, self._render, language, text, target)
                )
                self._pending[key] = future
                future.add_done_callback(lambda _f: self._pending.pop(key, None))
            await asyncio.shield(future)
        return f"{self._asterisk_dir}/{key}"

    async def warm(self, tree: MenuTree) -> int:
        """Render every static prompt of the menu tree; returns how many exist."""
        count = 0
        for prompt in tree.all_prompts():
            for language in ("zh", "en"):
                await self.ensure(language, prompt.text(language))
                count += 1
        return count

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _render(self, language: Language, text: str, target: Path) -> None:
        target.parent.mkdir(parents=True, exist_ok=True)
        recorded = self._recorded_dir / target.name if self._recorded_dir else None
        if recorded is not None and recorded.is_file():
            shutil.copyfile(recorded, target)
            return
        with tempfile.TemporaryDirectory() as tmp:
            raw = Path(tmp) / "raw.wav"
            self._speak(language, text, raw)
            narrow = Path(tmp) / "8k.wav"
            result = subprocess.run(
                ["sox", str(raw), "-r", "8000", "-c", "1", "-b", "16", str(narrow)],
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0:
                raise PromptError(f"sox failed for {target.name}: {result.stderr.strip()}")
            narrow.replace(target)
        log.debug("rendered prompt %s (%s): %s", target.name, language, text[:40])

    def _speak(self, language: Language, text: str, path: Path) -> None:
        import pyttsx3  # imported here: only the TTS thread needs it

        if self._engine is None:
            self._engine = pyttsx3.init("espeak")
        self._engine.setProperty("voice", self._voices[language])
        spoken = to_pinyin(text) if language == "zh" else text
        self._engine.save_to_file(spoken, str(path))
        with contextlib.redirect_stdout(io.StringIO()):  # pyttsx3 prints "Audio saved to ..."
            self._engine.runAndWait()
        if not path.is_file():
            raise PromptError(f"espeak-ng produced no audio for {text[:40]!r}")
