"""Mandarin text as numbered pinyin, for espeak-ng's `cmn-latn-pinyin` voice.

Debian 12's espeak-ng 1.51 reads the tone numbers of its own `cmn` dictionary in English
("三" comes out as "san" + "one"); given pinyin with tone numbers, its pinyin voice speaks the
tones right (with third-tone sandhi). pypinyin does the character-to-pinyin conversion."""

from __future__ import annotations

from typing import Final

from pypinyin import Style, lazy_pinyin

DIGITS: Final = str.maketrans("0123456789", "零一二三四五六七八九")
PUNCTUATION: Final = {
    "，": ",",
    "、": ",",
    "。": ".",
    "！": "!",
    "？": "?",
    "：": ":",
    "；": ";",
    "（": ",",
    "）": ",",
    "“": "",
    "”": "",
    "《": "",
    "》": "",
}


def to_pinyin(text: str) -> str:
    """'请按一，谢谢。' -> 'qing3 an4 yi1, xie4 xie5.' (ASCII digits are read as Chinese)."""
    syllables = lazy_pinyin(
        text.translate(DIGITS),
        style=Style.TONE3,
        neutral_tone_with_five=True,
        errors=lambda chars: chars,
    )
    words: list[str] = []
    for piece in syllables:
        text_piece = "".join(f" {PUNCTUATION[ch]} " if ch in PUNCTUATION else ch for ch in piece)
        for word in text_piece.split():
            if words and not any(c.isalnum() for c in word):
                words[-1] += word  # punctuation sticks to the syllable before it
            else:
                words.append(word)
    return " ".join(words)


def romanize(text: str) -> str:
    """Chinese names for English callers: '孙浩' -> 'Sun Hao'; other text is left as it is."""
    if not any("\u4e00" <= ch <= "\u9fff" for ch in text):
        return text
    return " ".join(
        word.capitalize()
        for word in lazy_pinyin(text, style=Style.NORMAL, errors=lambda chars: chars)
        if word.strip()
    )
