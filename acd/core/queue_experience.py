"""What a waiting caller hears: their place in line and the estimated wait (EWT), computed from
the handle times of recent calls. Pure functions."""

from __future__ import annotations

import math
from collections.abc import Sequence

from ivr.menu import LANGUAGES, Language
from ivr.say import say_number
from ivr.sentences import sentence_pieces, template_literals

DEFAULT_HANDLE_SECONDS = 180.0  # before the queue has any history


def average_handle_time(recent: Sequence[float], default: float = DEFAULT_HANDLE_SECONDS) -> float:
    """Mean of the recent handle times (talk + after-call work); ``default`` without history."""
    usable = [t for t in recent if t > 0]
    return sum(usable) / len(usable) if usable else default


def estimated_wait(position: int, handle_seconds: float, agents: int) -> float:
    """Seconds until an agent is free for the caller at ``position`` (1 = next): each of the
    ``agents`` serving the queue frees up once per handle time on average."""
    if position < 1:
        return 0.0
    return position * handle_seconds / max(agents, 1)


def wait_minutes(seconds: float) -> int:
    """Rounded up to whole minutes, at least one: callers hear "about 1 minute", never 0."""
    return max(1, math.ceil(seconds / 60))


def _zh_count(n: int) -> str:
    """Before a measure word 2 is 两, not 二 (两位, 两分钟)."""
    return "两" if n == 2 else say_number(n, "zh")


_ZH_AHEAD = "您前面还有{ahead}位客户，预计等待大约{minutes}分钟。"
_ZH_NEXT = "您是下一位，预计等待大约{minutes}分钟。"
_ZH_CALLBACK = "如需保留排位并由我们回电，请按1。"
_EN_AHEAD = "You are number {position} in line."
_EN_NEXT = "You are next in line."
_EN_WAIT = " Your estimated wait is about {minutes} minutes."
_EN_WAIT_ONE = " Your estimated wait is about {minutes} minute."
_EN_CALLBACK = " To keep your place and be called back, press 1."
TEMPLATES: dict[Language, tuple[str, ...]] = {
    "zh": (_ZH_AHEAD, _ZH_NEXT, _ZH_CALLBACK),
    "en": (_EN_AHEAD, _EN_NEXT, _EN_WAIT, _EN_WAIT_ONE, _EN_CALLBACK),
}


def _sentence(
    position: int, ewt_seconds: float, language: Language, callback: bool
) -> tuple[list[str], dict[str, str]]:
    """The announcement's templates, said one after the other, and their placeholders' values."""
    minutes = wait_minutes(ewt_seconds)
    if language == "zh":
        values = {"ahead": _zh_count(position - 1), "minutes": _zh_count(minutes)}
        templates = [_ZH_NEXT if position == 1 else _ZH_AHEAD]
        return templates + ([_ZH_CALLBACK] if callback else []), values
    templates = [
        _EN_NEXT if position == 1 else _EN_AHEAD,
        _EN_WAIT_ONE if minutes == 1 else _EN_WAIT,
    ]
    templates += [_EN_CALLBACK] if callback else []
    return templates, {"position": str(position), "minutes": str(minutes)}


def announcement(position: int, ewt_seconds: float, language: Language, *, callback: bool) -> str:
    """The sentence the caller hears, in their language."""
    templates, values = _sentence(position, ewt_seconds, language, callback)
    return "".join(template.format(**values) for template in templates)


def announcement_pieces(
    position: int, ewt_seconds: float, language: Language, *, callback: bool
) -> list[str]:
    """The same sentence as the prompts played in a row: its fixed text and the numbers as
    pre-rendered fragments (:mod:`ivr.sentences`), so a waiting caller needs no TTS."""
    templates, values = _sentence(position, ewt_seconds, language, callback)
    return [piece for t in templates for piece in sentence_pieces(t, values, language)]


def fixed_texts() -> list[tuple[Language, str]]:
    """Every fixed text a waiting caller may hear, for start-up to render."""
    texts = [(lang, text) for lang, t in TEMPLATES.items() for text in _literals(t)]
    messages = (callback_confirmation, callback_refused, blacklist_message)
    return texts + [(lang, message(lang)) for lang in LANGUAGES for message in messages]


def _literals(templates: tuple[str, ...]) -> list[str]:
    return [text for template in templates for text in template_literals(template)]


def callback_confirmation(language: Language) -> str:
    if language == "zh":
        return "好的，我们会保留您的排位，轮到您时给您回电。再见。"
    return "Thank you. We have kept your place in line and will call you back. Goodbye."


def callback_refused(language: Language) -> str:
    """The caller's number is not one the contact centre calls back (premium-rate, abroad,
    hidden): they keep their place in the line."""
    if language == "zh":
        return "抱歉，我们无法回拨您的号码。请继续等候，您的排位不变。"
    return "Sorry, we cannot call you back on this number. Please hold: you keep your place."


def blacklist_message(language: Language) -> str:
    if language == "zh":
        return "抱歉，我们无法接通您的电话。再见。"
    return "We are sorry, we cannot take your call. Goodbye."
