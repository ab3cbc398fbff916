"""A menu sentence as the row of prompts Asterisk plays: the template's fixed text between the
placeholders, and each filled-in value as its vocabulary fragments (:func:`ivr.say.fragments`)
when it is a number, an amount, a date or a digit string, or as one TTS prompt when it is free
text (a name, a branch). Pure; what start-up renders (:func:`warm_texts`) comes from here too,
so a live call asks the TTS only for free text."""

from __future__ import annotations

import re
import string
from collections.abc import Mapping

from ivr.menu import LANGUAGES, Language, MenuTree, Prompt
from ivr.say import LIMIT, VOCABULARY, fragments, say_number

_SPEAKABLE = re.compile(r"\w")


def template_literals(template: str) -> list[str]:
    """The template's fixed text between placeholders, stripped, that has something to say."""
    parsed = string.Formatter().parse(template)
    return [text.strip() for text, _, _, _ in parsed if _SPEAKABLE.search(text)]


def sentence_pieces(template: str, values: Mapping[str, str], language: Language) -> list[str]:
    """The texts to play in a row for ``template`` with its placeholders filled from
    ``values``; raises KeyError for a placeholder without a value, as str.format does."""
    pieces: list[str] = []
    for text, field, _, _ in string.Formatter().parse(template):
        if _SPEAKABLE.search(text):
            pieces.append(text.strip())
        if field is not None:
            pieces.extend(value_pieces(values[field], language))
    return pieces


def value_pieces(value: str, language: Language) -> list[str]:
    """A filled-in value: its fragments where it has them; a plain count or key ("3") is said
    as a number; anything else is one prompt of its own (nothing for an empty value)."""
    if value.isascii() and value.isdigit() and int(value) < LIMIT:
        value = say_number(int(value), language)
    words = fragments(value, language)
    if words is not None:
        return list(words)
    return [value.strip()] if _SPEAKABLE.search(value) else []


def warm_texts(tree: MenuTree) -> list[tuple[Language, str]]:
    """Every text start-up renders: the static prompts, the fixed text of every template and
    the fragment vocabulary, in both languages, each once."""
    texts: dict[tuple[Language, str], None] = {}
    templates = [t for t in tree.texts.values() if "{" in t.zh + t.en]
    for language in LANGUAGES:
        for prompt in tree.all_prompts():
            texts[(language, prompt.text(language))] = None
        for template in templates:
            texts.update(dict.fromkeys((language, t) for t in _literals(template, language)))
        texts.update(dict.fromkeys((language, word) for word in sorted(VOCABULARY[language])))
    return list(texts)


def _literals(template: Prompt, language: Language) -> list[str]:
    return template_literals(template.text(language))
