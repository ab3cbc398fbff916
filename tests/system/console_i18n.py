"""What the console's browser tests ask of every page in every language: no string a person
reads that the active catalog does not have (``untranslated``), and no serious or critical
accessibility violation by axe-core (``accessibility_violations``).

A string passes when it is a catalog message of the page's language, its ``{placeholders}``
matching anything, or when it sits inside an element marked ``translate="no"`` (data: names,
numbers, extensions, formatted values). Strings without a letter (``·``, ``3``, ``–``) are not
language. Read are: every text node of the body, the title, and the ``title``, ``aria-label``,
``placeholder`` and ``alt`` attributes."""

from __future__ import annotations

import functools
import re
from typing import Any

from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Page

from ivr_acd.web.i18n import Catalog, load_catalog

_COLLECT = """() => {
  const found = [document.title];
  const skip = (node) => node.closest('[translate="no"], script, style, template');
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!skip(node.parentElement)) found.push(node.nodeValue);
  }
  for (const element of document.querySelectorAll("[title], [aria-label], [placeholder], [alt]")) {
    if (skip(element)) continue;
    for (const name of ["title", "aria-label", "placeholder", "alt"]) {
      if (element.hasAttribute(name)) found.push(element.getAttribute(name));
    }
  }
  for (const title of document.querySelectorAll("svg title")) {
    if (!skip(title)) found.push(title.textContent);
  }
  return found;
}"""
_LETTER = re.compile(r"[^\W\d_]")
_PLACEHOLDER = re.compile(r"\\\{\w+\\\}")  # {name} as re.escape writes it


@functools.cache
def catalog(locale: str) -> Catalog:
    return load_catalog(locale)


def _pattern(text: str) -> re.Pattern[str] | None:
    """``text`` as a pattern that also matches a piece of it cut at a placeholder (the page
    puts data in its own ``translate="no"`` element); None for a message that is only data."""
    escaped = re.escape(" ".join(text.split()))
    if not _LETTER.search(_PLACEHOLDER.sub("", escaped)):
        return None
    flexible = _PLACEHOLDER.sub(r"[\\s\\S]*", escaped).replace(r"\ ", r"\s*")
    return re.compile(flexible, re.DOTALL)


@functools.cache
def _patterns(locale: str) -> tuple[re.Pattern[str], ...]:
    texts: list[str] = []
    for message in catalog(locale).messages.values():
        texts.extend([message] if isinstance(message, str) else message)
    return tuple(p for p in map(_pattern, texts) if p is not None)


def is_message(text: str, locale: str) -> bool:
    """``text`` is (a piece of) one of the catalog's messages, or has no letter in it."""
    text = " ".join(text.split())
    if not _LETTER.search(text):
        return True
    return any(pattern.fullmatch(text) for pattern in _patterns(locale))


async def untranslated(page: Page) -> list[str]:
    """The strings on ``page`` that break the rule above (``[]`` when none does)."""
    locale = await page.evaluate("document.documentElement.lang")
    strings: list[str] = await page.evaluate(_COLLECT)
    return sorted({s.strip() for s in strings if not is_message(s, locale)})


async def accessibility_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on ``page`` (id, impact, where)."""
    results = await Axe().run(page)
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "nodes": [node["target"] for node in violation["nodes"]][:5],
        }
        for violation in results.response["violations"]
        if violation["impact"] in {"serious", "critical"}
    ]


async def use_language(page: Page, locale: str) -> None:
    """Have ``page`` (signed in) in ``locale``: the switcher, as a person would, when another
    test left the account in the other language (the account's choice outlives the browser)."""
    if await page.evaluate("document.documentElement.lang") == locale:
        return
    async with page.expect_navigation():
        await page.select_option("#lang", locale)
    assert await page.evaluate("document.documentElement.lang") == locale
