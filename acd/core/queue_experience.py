"""What a waiting caller hears: their place in line and the estimated wait (EWT), computed from
the handle times of recent calls. Pure functions."""

from __future__ import annotations

import math
from collections.abc import Sequence

from ivr.menu import Language
from ivr.say import say_number

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


def announcement(position: int, ewt_seconds: float, language: Language, *, callback: bool) -> str:
    """The sentence the caller hears, in their language."""
    minutes = wait_minutes(ewt_seconds)
    if language == "zh":
        text = f"您前面还有{_zh_count(position - 1)}位客户，预计等待大约{_zh_count(minutes)}分钟。"
        if position == 1:
            text = f"您是下一位，预计等待大约{_zh_count(minutes)}分钟。"
        if callback:
            text += "如需保留排位并由我们回电，请按1。"
        return text
    ahead = "You are next in line." if position == 1 else f"You are number {position} in line."
    unit = "minute" if minutes == 1 else "minutes"
    text = f"{ahead} Your estimated wait is about {minutes} {unit}."
    if callback:
        text += " To keep your place and be called back, press 1."
    return text


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
