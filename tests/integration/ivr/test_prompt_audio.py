"""The ear substitute: every static prompt of the hotline, rendered in both languages the way
Asterisk will play it, is 8 kHz mono audio of a length that fits its words; Mandarin goes through
espeak-ng without falling back to English (its phonemes are all pinyin syllables)."""

from __future__ import annotations

import re
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest

from ivr.menu import LANGUAGES, Language, load_menu_tree
from ivr.pinyin import to_pinyin
from ivr.prompts import PromptStore
from ivr.say import VOCABULARY, say_money

pytestmark = pytest.mark.integration

TREE = load_menu_tree()
HAN = re.compile(r"[\u4e00-\u9fff]")


def _stats(path: Path) -> tuple[int, int, float, float]:
    info = subprocess.run(["soxi", str(path)], capture_output=True, text=True, check=True).stdout
    rate = int(re.search(r"Sample Rate\s*:\s*(\d+)", info).group(1))  # type: ignore[union-attr]
    channels = int(re.search(r"Channels\s*:\s*(\d+)", info).group(1))  # type: ignore[union-attr]
    stat = subprocess.run(["sox", str(path), "-n", "stat"], capture_output=True, text=True).stderr
    length = float(re.search(r"Length \(seconds\):\s*([\d.]+)", stat).group(1))  # type: ignore[union-attr]
    rms = float(re.search(r"RMS\s+amplitude:\s*([\d.]+)", stat).group(1))  # type: ignore[union-attr]
    return rate, channels, length, rms


def _units(language: Language, text: str) -> int:
    return len(HAN.findall(text)) if language == "zh" else len(re.findall(r"[A-Za-z]+", text))


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> PromptStore:
    return PromptStore(tmp_path_factory.mktemp("sounds"), "/sounds")


@pytest.mark.parametrize("language", LANGUAGES)
async def test_static_prompts_are_narrowband_speech_of_a_fitting_length(
    store: PromptStore, language: Language, tmp_path: Path
) -> None:
    texts = [p.text(language) for p in TREE.all_prompts()]
    texts.append(say_money(Decimal("10200.35"), language))
    for text in texts:
        name = (await store.ensure(language, text)).rsplit("/", 1)[1]
        rate, channels, length, rms = _stats(store._host_dir / f"{name}.wav")
        units = max(1, _units(language, text))
        assert (rate, channels) == (8000, 1), text
        assert rms > 0.02, f"silent prompt: {text}"
        assert 0.12 * units <= length <= 0.9 * units + 1.0, f"{length:.1f}s for {units}: {text}"


def test_mandarin_prompts_stay_mandarin() -> None:
    for prompt in TREE.all_prompts():
        text = prompt.text("zh")
        phonemes = subprocess.run(
            ["espeak-ng", "-q", "-x", "-v", "sit/cmn-latn-pinyin", to_pinyin(text)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert "(en)" not in phonemes, f"{text} -> {phonemes}"
        syllables = len(re.findall(r"_\|", phonemes)) + phonemes.count("'")
        assert syllables >= len(HAN.findall(text)) // 2, f"{text} -> {phonemes}"


@pytest.mark.parametrize("language", LANGUAGES)
async def test_every_fragment_is_short_audible_speech(
    store: PromptStore, language: Language
) -> None:
    """The pieces numbers, amounts and dates are assembled from (ivr.say.VOCABULARY): each one
    a word or a syllable, none silent (a silent 〇 or 角 would drop a digit of an amount)."""
    for word in sorted(VOCABULARY[language]):
        name = (await store.ensure(language, word)).rsplit("/", 1)[1]
        rate, channels, length, rms = _stats(store._host_dir / f"{name}.wav")
        assert (rate, channels) == (8000, 1), word
        assert rms > 0.02, f"silent fragment: {word}"
        assert 0.1 <= length <= 1.5, f"{length:.2f}s: {word}"
