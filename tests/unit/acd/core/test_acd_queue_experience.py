"""Place in line and estimated wait, as the waiting caller hears them."""

import pytest

from acd.core.queue_experience import (
    DEFAULT_HANDLE_SECONDS,
    announcement,
    announcement_pieces,
    average_handle_time,
    estimated_wait,
    fixed_texts,
    wait_minutes,
)
from ivr.say import VOCABULARY

pytestmark = pytest.mark.unit


def test_average_handle_time_uses_history_and_ignores_empty_entries():
    assert average_handle_time([120.0, 240.0, 0.0]) == 180.0
    assert average_handle_time([]) == DEFAULT_HANDLE_SECONDS


def test_estimated_wait_divides_the_line_among_the_agents():
    assert estimated_wait(3, 120.0, 2) == 180.0
    assert estimated_wait(1, 120.0, 0) == 120.0  # nobody logged in: as if one agent
    assert estimated_wait(0, 120.0, 2) == 0.0


@pytest.mark.parametrize(("seconds", "minutes"), [(0, 1), (59, 1), (60, 1), (61, 2), (600, 10)])
def test_wait_is_rounded_up_to_whole_minutes(seconds, minutes):
    assert wait_minutes(seconds) == minutes


def test_english_announcement():
    assert announcement(3, 150, "en", callback=True) == (
        "You are number 3 in line. Your estimated wait is about 3 minutes."
        " To keep your place and be called back, press 1."
    )
    assert announcement(1, 30, "en", callback=False) == (
        "You are next in line. Your estimated wait is about 1 minute."
    )


def test_mandarin_announcement_counts_the_callers_ahead():
    assert announcement(3, 150, "zh", callback=False) == "您前面还有两位客户，预计等待大约三分钟。"
    assert announcement(1, 30, "zh", callback=True).startswith("您是下一位，预计等待大约一分钟。")


def test_mandarin_says_liang_before_a_measure_word():
    assert announcement(2, 100, "zh", callback=False) == "您前面还有一位客户，预计等待大约两分钟。"


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize(("position", "ewt"), [(1, 30), (2, 100), (3, 150), (12, 3600)])
def test_the_announcement_is_played_from_prompts_rendered_at_start_up(language, position, ewt):
    """Issue 12, finding 4: a waiting caller's place and wait need no TTS on the call."""
    warmed = {text for lang, text in fixed_texts() if lang == language} | VOCABULARY[language]
    for callback in (False, True):
        pieces = announcement_pieces(position, ewt, language, callback=callback)
        assert set(pieces) <= warmed, pieces


def test_announcement_pieces_say_the_numbers_as_fragments():
    assert announcement_pieces(3, 150, "zh", callback=False) == [
        "您前面还有", "两", "位客户，预计等待大约", "三", "分钟。",
    ]  # fmt: skip
    assert announcement_pieces(12, 150, "en", callback=False) == [
        "You are number", "twelve", "in line.", "Your estimated wait is about", "three",
        "minutes.",
    ]  # fmt: skip
