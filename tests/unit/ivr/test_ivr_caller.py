import pytest

from ivr.caller import Say
from ivr.handoff import Back, ToPerson
from ivr.prompts import PromptError
from tests.unit.fakes import caller

pytestmark = pytest.mark.unit


async def test_a_choice_is_recorded_on_the_path():
    io, channel = caller("2")
    assert await io.choose("menu", (Say("invalid"),), "12") == "2"
    assert channel.variables["CDR(ivr_path)"] == "menu:2"


async def test_an_invalid_key_then_silence_then_a_valid_key():
    io, channel = caller("9_1")
    assert await io.choose("menu", (Say("invalid"),), "12") == "1"
    assert any("not a valid choice" in p for p in channel.played)
    assert any("did not hear" in p for p in channel.played)


async def test_three_failures_go_to_a_person():
    io, channel = caller("9__")
    with pytest.raises(ToPerson) as signal:
        await io.choose("menu", (Say("invalid"),), "12")
    assert signal.value.reason == "retries"
    assert channel.variables["CDR(ivr_path)"] == "menu:retries"


async def test_star_goes_back_and_zero_reaches_a_person():
    io, _ = caller("*")
    with pytest.raises(Back):
        await io.choose("menu", (Say("invalid"),), "12")
    io, _ = caller("0")
    with pytest.raises(ToPerson):
        await io.choose("menu", (Say("invalid"),), "12")


async def test_a_number_ends_with_hash_or_the_inter_digit_timeout():
    io, _ = caller("1234#")
    assert await io.number("badge", (Say("invalid"),)) == "1234"
    io, _ = caller("56_")
    assert await io.number("badge", (Say("invalid"),)) == "56"


async def test_a_number_may_contain_zeros_but_zero_alone_is_a_person():
    io, _ = caller("100234#")
    assert await io.number("badge", (Say("invalid"),)) == "100234"
    io, _ = caller("0#")
    with pytest.raises(ToPerson):
        await io.number("badge", (Say("invalid"),))


async def test_a_number_is_validated_with_a_spoken_reason():
    io, channel = caller("5#42#")
    value = await io.number(
        "age", (Say("invalid"),), validate=lambda v: None if int(v) > 17 else Say("no_input")
    )
    assert value == "42"
    assert sum("did not hear" in p for p in channel.played) == 1


async def test_star_while_keying_a_number_goes_back():
    io, _ = caller("12*")
    with pytest.raises(Back):
        await io.number("badge", (Say("invalid"),))


async def test_the_hash_after_a_full_entry_is_consumed_not_left_for_the_next_question():
    io, _ = caller("20261201#2")
    assert await io.number("date", (Say("invalid"),), max_len=8) == "20261201"
    assert await io.choose("menu", (Say("invalid"),), "12") == "2"


async def test_a_key_during_an_announcement_answers_the_next_question():
    io, channel = caller("")
    channel.stream_file = _pressing("0")  # type: ignore[method-assign]
    await io.say(Say("invalid"))
    channel.stream_file = _pressing("")  # type: ignore[method-assign]
    with pytest.raises(ToPerson):
        await io.choose("menu", (Say("invalid"),), "12")


def _pressing(key: str):  # type: ignore[no-untyped-def]
    async def stream_file(prompt: str, escape_digits: str = "") -> str:
        return key if escape_digits else ""

    return stream_file


class OnePromptFails:
    """A prompt store that cannot render one text (after its own retries)."""

    def __init__(self, broken: str) -> None:
        self.broken = broken

    async def ensure(self, language, text):
        if self.broken in text:
            raise PromptError(f"espeak-ng produced no audio for {text!r}")
        return f"{language}:{text}"


async def test_a_prompt_that_cannot_be_rendered_is_left_out_and_the_call_goes_on():
    io, channel = caller("9_1")
    io._prompts = OnePromptFails("not a valid choice")
    assert await io.choose("menu", (Say("invalid"), Say("no_input")), "12") == "1"
    assert "not a valid choice" not in channel.heard
    # three questions, each with the rest of its parts, and the reason after the silence
    assert channel.heard.count("did not hear") == 4


async def test_a_question_that_cannot_be_rendered_ends_with_a_person_not_a_crash():
    io, channel = caller("___")
    io._prompts = OnePromptFails("")
    with pytest.raises(ToPerson) as signal:
        await io.choose("menu", (Say("invalid"),), "12")
    assert signal.value.reason == "retries"
    assert channel.played == []
