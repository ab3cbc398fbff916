"""Time to first audio of a sentence with an amount: the premium-due sentence ("The policy
ending 1234, motor insurance, premium due <amount>, by <date>"), a new amount on every call,
played from pre-rendered fragments (the template's fixed text and one file per character or
word of the amount and date, all rendered at start-up) against rendering the whole sentence
with TTS (pyttsx3 / espeak-ng + sox, as before) when the call needs it.

"First audio" is the moment the IVR has every file of the sentence to stream (it asks for them
all before the first STREAM FILE). One caller at a time, then CONCURRENT callers at once (the
TTS has one thread, so callers queue behind each other's renderings). Real espeak-ng and sox,
in a temporary folder; figures and ratios are printed, never asserted."""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from ivr.menu import Language, load_menu_tree
from ivr.prompts import PromptStore
from ivr.say import say_date, say_digits, say_money
from ivr.sentences import sentence_pieces

SEED = 20261207
CALLS, QUICK_CALLS = 40, 10
CONCURRENT = 20
TREE = load_menu_tree()

Sentence = Callable[[Language, Decimal, date], Awaitable[int]]  # -> files to play


def _values(language: Language, amount: Decimal, due: date) -> dict[str, str]:
    return {
        "tail": say_digits("1234", language),
        "product": TREE.texts["product.auto"].text(language),
        "amount": say_money(amount, language),
        "date": say_date(due, language),
    }


def _ways(store: PromptStore) -> dict[str, Sentence]:
    async def fragments(language: Language, amount: Decimal, due: date) -> int:
        template = TREE.texts["premium.policy"].text(language)
        pieces = sentence_pieces(template, _values(language, amount, due), language)
        return len([await store.ensure(language, piece) for piece in pieces])

    async def tts(language: Language, amount: Decimal, due: date) -> int:
        template = TREE.texts["premium.policy"].text(language)
        await store.ensure(language, template.format(**_values(language, amount, due)))
        return 1

    return {"fragments": fragments, "TTS": tts}


def _amounts(rng: random.Random, n: int) -> list[tuple[Decimal, date]]:
    start = date(2026, 1, 1)
    return [
        (Decimal(rng.randrange(100, 10_000_000)) / 100, start + timedelta(days=rng.randrange(700)))
        for _ in range(n)
    ]


async def _timed(way: Sentence, language: Language, amount: Decimal, due: date) -> float:
    started = time.perf_counter()
    await way(language, amount, due)
    return (time.perf_counter() - started) * 1000


async def _one_at_a_time(way: Sentence, language: Language, n: int, seed: int) -> list[float]:
    return [await _timed(way, language, a, d) for a, d in _amounts(random.Random(seed), n)]


async def _together(way: Sentence, language: Language, seed: int) -> list[float]:
    amounts = _amounts(random.Random(seed), CONCURRENT)
    return list(await asyncio.gather(*(_timed(way, language, a, d) for a, d in amounts)))


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _row(label: str, ours: list[float], peer: list[float]) -> None:
    o50, o99, p50, p99 = _pct(ours, 0.5), _pct(ours, 0.99), _pct(peer, 0.5), _pct(peer, 0.99)
    ratio = p50 / o50 if o50 else 0.0
    print(f"  {label:<24} {o50:8.2f} {o99:8.2f} ms   {p50:8.1f} {p99:8.1f} ms   {ratio:8.0f}x")


async def main(quick: bool = False) -> None:
    calls = QUICK_CALLS if quick else CALLS
    print(
        f"\nPrompts: time to first audio of the premium-due sentence with a new amount, "
        f"fragments vs TTS ({calls} calls one at a time, then {CONCURRENT} at once; seed {SEED})"
    )
    with tempfile.TemporaryDirectory(prefix="bench-prompts-") as folder:
        store = PromptStore(Path(folder), "/sounds")
        try:
            started = time.perf_counter()
            ready = await store.warm(TREE)
            print(f"  start-up: {ready} prompts and fragments rendered in "
                  f"{time.perf_counter() - started:.1f} s")  # fmt: skip
            await _compare(_ways(store), calls)
        finally:
            store.close()


async def _compare(ways: dict[str, Sentence], calls: int) -> None:
    print("  sentence                 fragments p50 / p99   TTS p50 / p99          TTS/fragments")
    for language in ("zh", "en"):
        seed = SEED + (language == "en")
        ours = await _one_at_a_time(ways["fragments"], language, calls, seed)
        peer = await _one_at_a_time(ways["TTS"], language, calls, seed)
        _row(f"{language}, one caller", ours, peer)
        ours = await _together(ways["fragments"], language, seed + 10)
        peer = await _together(ways["TTS"], language, seed + 10)
        _row(f"{language}, {CONCURRENT} callers at once", ours, peer)


if __name__ == "__main__":
    import sys

    asyncio.run(main("--quick" in sys.argv))
