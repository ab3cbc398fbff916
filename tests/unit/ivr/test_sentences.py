"""A sentence with numbers, amounts and dates is played as fixed template text plus
pre-rendered fragments (as Asterisk's Say applications do), so a live call needs no TTS for it;
everything it plays is rendered at start-up."""

from datetime import date
from decimal import Decimal

import pytest

from ivr.menu import LANGUAGES, load_menu_tree
from ivr.say import VOCABULARY, fragments, say_date, say_digits, say_money, say_number
from ivr.sentences import sentence_pieces, template_literals, value_pieces, warm_texts

pytestmark = pytest.mark.unit

TREE = load_menu_tree()


def _policy(language: str) -> list[str]:
    lang = "zh" if language == "zh" else "en"
    values = {
        "tail": say_digits("1234", lang),
        "product": TREE.texts["product.auto"].text(lang),
        "amount": say_money(Decimal("1234.05"), lang),
        "date": say_date(date(2026, 11, 22), lang),
    }
    return sentence_pieces(TREE.texts["premium.policy"].text(lang), values, lang)


def test_a_mandarin_policy_sentence_is_template_text_and_one_fragment_per_character():
    assert _policy("zh") == [
        "尾号", *"幺二三四", "的保单，", "车险", "，应缴保费",
        *"一千二百三十四元零五分", "，缴费截止日期", *"二〇二六年十一月二十二日",
    ]  # fmt: skip


def test_an_english_policy_sentence_is_template_text_and_one_fragment_per_word():
    assert _policy("en") == [
        "The policy ending", "one", "two", "three", "four", "motor insurance",
        ", premium due", "one", "thousand", "two", "hundred", "and", "thirty", "four",
        "yuan", "and", "five", "fen", ", by",
        "the", "twenty", "second", "of", "November", "twenty", "twenty", "six",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("spoken", "language", "expected"),
    [
        ("两万零三十五元五角", "zh", tuple("两万零三十五元五角")),
        ("F A 幺零零", "zh", ("F", "A", "幺", "零", "零")),
        ("nineteen oh five", "en", ("nineteen", "oh", "five")),
        ("the thirty-first of May, twenty twenty", "en",
         ("the", "thirty", "first", "of", "May", "twenty", "twenty")),
        ("fifty fen", "en", ("fifty", "fen")),
        ("李明", "zh", None),  # a name is free text: one TTS prompt
        ("Pudong", "en", None),
        ("", "en", None),
    ],
)  # fmt: skip
def test_fragments_split_spoken_values_into_the_vocabulary(spoken, language, expected):
    assert fragments(spoken, language) == expected


def test_a_count_or_key_is_said_as_a_number_and_free_text_stays_whole():
    assert value_pieces("12", "zh") == ["十", "二"]
    assert value_pieces("21", "en") == ["twenty", "one"]
    assert value_pieces("Li Ming", "en") == ["Li Ming"]
    assert value_pieces(" ", "en") == []


def test_punctuation_alone_is_not_a_prompt():
    assert template_literals("{name}请按{digit}。") == ["请按"]
    assert sentence_pieces("{a}, {b}.", {"a": "1", "b": "2"}, "en") == ["one", "two"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_number_amount_and_date_is_made_of_warmed_fragments(language):
    samples = [say_number(n, language) for n in (0, 7, 10, 15, 99, 105, 1010, 22000, 10**9 + 1)]
    samples += [say_money(Decimal(a), language) for a in ("0", "0.05", "3.5", "10200.35")]
    samples += [say_date(date(y, m, d), language) for y, m, d in ((2026, 12, 31), (1905, 2, 1))]
    samples += [say_digits("PL-2026*#+", language)]
    for spoken in samples:
        words = fragments(spoken, language)
        assert words is not None, spoken
        assert set(words) <= VOCABULARY[language]


def test_start_up_renders_every_piece_a_sentence_plays_except_free_text():
    warmed = set(warm_texts(TREE))
    for language in LANGUAGES:
        pieces = _policy(language)
        assert {(language, piece) for piece in pieces} <= warmed
    assert not any("{" in text for _, text in warmed)
