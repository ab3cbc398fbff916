"""The console's languages: zh-CN first, English second.

Every string a person reads comes from gettext message catalogs under ``ivr_acd/web/locales``
(``<locale>/LC_MESSAGES/<domain>.po``, one domain per page plus ``common``, ``errors`` and
``exports``), read with Babel once at start-up. A message id is a stable key
(``wallboard.queues.title``), never English text; placeholders are ``{name}``; plurals are gettext
plural entries, chosen with the catalog's own plural expression here and, in the page, with the
browser's ``Intl.PluralRules`` through the CLDR category → form table :meth:`Catalog.for_script`
hands it. The Chinese terms follow ``locales/glossary.csv``.

A request is answered in the language its user chose (kept on their account, see
``PUT /api/v1/auth/me/locale``), else the one the log-in page's switcher remembered in the
``ivracd_lang`` cookie, else the install's ``web.default_locale``. The browser's
``Accept-Language`` is not consulted: the centre, not the workstation's browser, decides."""

from __future__ import annotations

import functools
import gettext
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from aiohttp import web
from babel import Locale
from babel.messages.pofile import read_po

from crm_bridge.vocab import ConsoleLocale

LOCALES: Final = tuple(locale.value for locale in ConsoleLocale)
DEFAULT_LOCALE: Final = ConsoleLocale.ZH_CN.value
COOKIE: Final = "ivracd_lang"  # the log-in page's language (its script writes it too)
LOCALES_DIR: Final = Path(__file__).with_name("locales")
_FOLDER: Final = {"zh-CN": "zh_CN", "en": "en"}  # gettext's folder names
_PLACEHOLDER: Final = re.compile(r"\{(\w+)\}")
_PLURAL_SAMPLES: Final = range(0, 1001)  # enough integers to see every CLDR category


class CatalogError(Exception):
    """A catalog is missing, unreadable or inconsistent: the install is broken."""


Message = str | tuple[str, ...]  # a plural message: one form per gettext plural index


def fill(text: str, params: Mapping[str, object]) -> str:
    """``text`` with each ``{name}`` replaced by ``params[name]`` (a missing one is an error)."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in params:
            raise KeyError(f"no value for {{{name}}} in {text!r}")
        return str(params[name])

    return _PLACEHOLDER.sub(value, text)


def placeholders(text: str) -> frozenset[str]:
    return frozenset(_PLACEHOLDER.findall(text))


@dataclass(frozen=True)
class Catalog:
    """One language's messages, from every domain."""

    locale: str
    messages: Mapping[str, Message]
    plural_index: Callable[[int], int]  # the catalog's gettext plural expression
    categories: Mapping[str, int]  # CLDR plural category → form index (for Intl.PluralRules)

    def text(self, key: str, **params: object) -> str:
        message = self.messages[key]
        return fill(message if isinstance(message, str) else message[0], params)

    def plural(self, key: str, count: int, **params: object) -> str:
        message = self.messages[key]
        forms = (message,) if isinstance(message, str) else message
        form = forms[min(self.plural_index(count), len(forms) - 1)]
        return fill(form, {"count": count, **params})

    def for_script(self) -> dict[str, Any]:
        """What the page's script needs (``console.js`` reads it from ``#catalog``)."""
        return {
            "locale": self.locale,
            "messages": {
                key: message if isinstance(message, str) else list(message)
                for key, message in self.messages.items()
            },
            "plural": dict(self.categories),
        }


def _po_files(folder: Path, locale: str) -> Iterator[Path]:
    found = sorted((folder / _FOLDER[locale] / "LC_MESSAGES").glob("*.po"))
    if not found:
        raise CatalogError(f"no catalogs for {locale} in {folder}")
    yield from found


def _read(folder: Path, locale: str) -> tuple[dict[str, Message], str]:
    messages: dict[str, Message] = {}
    plural_expr = ""
    for path in _po_files(folder, locale):
        with path.open("rb") as handle:
            po = read_po(handle, locale=_FOLDER[locale], domain=path.stem)
        plural_expr = po.plural_expr
        for entry in po:
            if not entry.id:
                continue  # the header
            key = entry.id if isinstance(entry.id, str) else entry.id[0]
            if key in messages:
                raise CatalogError(f"{key!r} is in two {locale} catalogs (second: {path.name})")
            string = entry.string
            if not string:
                raise CatalogError(f"{key!r} has no {locale} text ({path.name})")
            messages[key] = string if isinstance(string, str) else tuple(string)
    return messages, plural_expr


def _categories(locale: str, index: Callable[[int], int]) -> dict[str, int]:
    """Which gettext form each CLDR plural category takes, from Babel's CLDR rules."""
    cldr = Locale.parse(_FOLDER[locale])
    table: dict[str, int] = {}
    for n in _PLURAL_SAMPLES:
        category, form = cldr.plural_form(n), index(n)
        if table.setdefault(category, form) != form:
            raise CatalogError(f"{locale}: plural category {category} has two forms")
    return table


def load_catalog(locale: str, folder: Path = LOCALES_DIR) -> Catalog:
    messages, plural_expr = _read(folder, locale)
    index = gettext.c2py(plural_expr)
    return Catalog(locale, messages, index, _categories(locale, index))


class Catalogs:
    """Every language's catalog and the install's default language."""

    def __init__(self, catalogs: Mapping[str, Catalog], default: str = DEFAULT_LOCALE) -> None:
        if default not in catalogs:
            raise CatalogError(f"no catalog for the default language {default}")
        self._catalogs = dict(catalogs)
        self.default = default

    @classmethod
    def load(cls, default: str = DEFAULT_LOCALE, folder: Path = LOCALES_DIR) -> Catalogs:
        return cls({locale: load_catalog(locale, folder) for locale in LOCALES}, default)

    def __getitem__(self, locale: str) -> Catalog:
        return self._catalogs[locale]

    def text(self, locale: str, key: str, **params: object) -> str:
        return self._catalogs[locale].text(key, **params)

    @staticmethod
    def locale_of(value: str | None) -> str | None:
        """``value`` if it names one of the console's languages, else None."""
        return value if value in LOCALES else None

    def negotiate(self, chosen: str | None, remembered: str | None) -> str:
        """The account's choice, else the cookie's, else the install's default."""
        return self.locale_of(chosen) or self.locale_of(remembered) or self.default

    def for_request(self, request: web.Request, chosen: str | None) -> Catalog:
        return self[self.negotiate(chosen, request.cookies.get(COOKIE))]


@functools.cache
def packaged_catalogs(default: str = DEFAULT_LOCALE) -> Catalogs:
    """The package's catalogs (read once per process and default language)."""
    return Catalogs.load(default)


I18N: Final = web.AppKey("ivracd_i18n", Catalogs)
