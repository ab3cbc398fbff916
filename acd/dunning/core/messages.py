"""What a dunning call says of its own (pure): the opening of the payment flow, the answer to a
wrong number, the apology when no agent could take a person in time, and the default message
left on an answering machine. The payment flow's own sentences are the menu file's."""

from __future__ import annotations

from ivr.menu import Language, Prompt

INTRO = Prompt(
    zh="您好，这里是保险公司的缴费提醒。收听应缴保费请按一，如果我们打错了电话请按九。",
    en=(
        "Hello, this is a premium payment reminder from your insurer. To hear the premium due, "
        "press one. If we have the wrong number, press nine."
    ),
)
WRONG_NUMBER = Prompt(
    zh="抱歉打扰了，我们不会再拨打这个号码。再见。",
    en="Sorry to have troubled you. We will not call this number again. Goodbye.",
)
SORRY = Prompt(
    zh="您好，这里是保险公司。很抱歉，我们的客服人员暂时无法接听，我们稍后再与您联系。",
    en=(
        "Hello, this is your insurer. We are sorry, no one is free to take your call right "
        "now; we will call you again later."
    ),
)
MACHINE = Prompt(
    zh="您好，这里是保险公司。您有一笔保费尚未缴纳，请回电我们的客服热线。谢谢。",
    en="Hello, this is your insurer. A premium on your policy is due; please call our hotline.",
)


def text(prompt: Prompt, language: str) -> str:
    """The prompt in ``language`` (Mandarin for anything else)."""
    chosen: Language = "en" if language == "en" else "zh"
    return prompt.text(chosen)
