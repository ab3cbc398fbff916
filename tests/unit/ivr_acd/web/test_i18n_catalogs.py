"""The console's catalogs: both languages say the same things, every key the pages and scripts
ask for exists, every API error code and agent state has its words, plural forms follow CLDR."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_javascript
from jinja2.ext import babel_extract

from acd.core.model import AgentState, PauseReason
from ivr_acd.web import core
from ivr_acd.web.i18n import (
    LOCALES,
    LOCALES_DIR,
    CatalogError,
    Catalogs,
    fill,
    load_catalog,
    placeholders,
)

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[4]
CONSOLE = ROOT / "ivr_acd" / "web" / "console"
SOURCES = ("wire", "crm_bridge", "ivr", "acd", "ivr_acd")
RAISED = re.compile(
    r"""(?:Error|Refused)\(\s*"([a-z][a-z-]+)"|\bcode(?::\s*str)?\s*=\s*"([a-z][a-z-]+)\""""
)


@pytest.fixture(scope="module")
def catalogs() -> Catalogs:
    return Catalogs.load()


def _text_forms(message: str | tuple[str, ...]) -> tuple[str, ...]:
    return (message,) if isinstance(message, str) else message


def test_every_language_has_the_same_keys_in_the_same_domains() -> None:
    domains = {
        locale: sorted(p.name for p in (LOCALES_DIR / folder / "LC_MESSAGES").glob("*.po"))
        for locale, folder in (("zh-CN", "zh_CN"), ("en", "en"))
    }
    assert domains["zh-CN"] == domains["en"]
    keys = {locale: set(load_catalog(locale).messages) for locale in LOCALES}
    assert keys["zh-CN"] - keys["en"] == set()
    assert keys["en"] - keys["zh-CN"] == set()


def test_a_message_has_the_same_placeholders_in_every_language(catalogs: Catalogs) -> None:
    zh, en = catalogs["zh-CN"], catalogs["en"]
    differ = {
        key: (sorted(placeholders(" ".join(_text_forms(zh.messages[key])))), sorted(names))
        for key, message in en.messages.items()
        if (names := placeholders(" ".join(_text_forms(message))))
        != placeholders(" ".join(_text_forms(zh.messages[key])))
    }
    assert differ == {}


def test_plurals_follow_cldr_english_one_and_other_chinese_one_form(catalogs: Catalogs) -> None:
    assert catalogs["en"].categories == {"one": 0, "other": 1}
    assert catalogs["zh-CN"].categories == {"other": 0}


def _used_in_templates() -> set[str]:
    keys: set[str] = set()
    for template in (CONSOLE / "templates").glob("*.html"):
        with template.open("rb") as handle:
            for _line, _function, message, _comments in babel_extract(handle, ("_",), [], {}):
                if isinstance(message, str):
                    keys.add(message)
    return keys


def _used_in_scripts() -> set[str]:
    keys: set[str] = set()
    for script in (CONSOLE / "static").glob("*.js"):
        with script.open("rb") as handle:
            found = extract_javascript(handle, {"t": None, "tn": None, "confirmText": None}, [], {})
            for _line, _function, message, _comments in found:
                first = message[0] if isinstance(message, tuple) else message
                if isinstance(first, str) and "${" not in first:  # a key made at run time
                    keys.add(first)
    return keys


def test_every_key_the_pages_and_scripts_ask_for_is_in_the_catalog(catalogs: Catalogs) -> None:
    used = _used_in_templates() | _used_in_scripts()
    assert {"login.sign-in", "common.stream.live"} <= used  # the extraction works
    assert sorted(used - set(catalogs["en"].messages)) == []


def _error_codes() -> set[str]:
    codes = set(core.STATUS_BY_CODE)
    for package in SOURCES:
        for source in (ROOT / package).rglob("*.py"):
            for match in RAISED.finditer(source.read_text(encoding="utf-8")):
                codes.add(match.group(1) or match.group(2))
    return codes


def test_every_api_error_code_is_translated_so_the_console_never_shows_english(
    catalogs: Catalogs,
) -> None:
    codes = _error_codes()
    assert {"bad-credentials", "call-has-no-agent", "campaign-state"} <= codes
    assert sorted(c for c in codes if f"error.{c}" not in catalogs["zh-CN"].messages) == []


def test_every_agent_state_and_pause_reason_has_its_words(catalogs: Catalogs) -> None:
    zh = catalogs["zh-CN"]
    assert [s for s in AgentState if f"state.{s.value}" not in zh.messages] == []
    assert [r for r in PauseReason if f"pause.{r.value}" not in zh.messages] == []
    assert zh.text("state.wrap-up") == "话后整理"
    assert zh.text("state.paused") == "示忙"


def test_durations_read_as_people_expect(catalogs: Catalogs) -> None:
    assert catalogs.text("zh-CN", "common.duration.ms", m=3, s=25) == "3分25秒"
    assert catalogs.text("en", "common.duration.ms", m=3, s=25) == "3m 25s"


def test_the_account_then_the_cookie_then_the_install_decides_the_language() -> None:
    catalogs = Catalogs.load(default="zh-CN")
    assert catalogs.negotiate(None, None) == "zh-CN"
    assert catalogs.negotiate(None, "en") == "en"
    assert catalogs.negotiate("zh-CN", "en") == "zh-CN"
    assert catalogs.negotiate("fr", "de") == "zh-CN"  # neither is a console language
    assert Catalogs.load(default="en").negotiate(None, None) == "en"


def test_a_missing_placeholder_value_is_an_error_not_a_half_sentence() -> None:
    assert fill("{m}分{s}秒", {"m": 3, "s": 25}) == "3分25秒"
    with pytest.raises(KeyError):
        fill("{m}分{s}秒", {"m": 3})


def test_a_catalog_with_an_empty_translation_fails_at_start_up(tmp_path: Path) -> None:
    for folder, text in (("zh_CN", ""), ("en", "Sign in")):
        target = tmp_path / folder / "LC_MESSAGES"
        target.mkdir(parents=True)
        (target / "login.po").write_text(
            f'msgid ""\nmsgstr ""\n"Language: {folder}\\n"\n\n'
            f'msgid "login.sign-in"\nmsgstr "{text}"\n',
            encoding="utf-8",
        )
    with pytest.raises(CatalogError, match=r"login\.sign-in"):
        Catalogs.load(folder=tmp_path)


def test_the_chinese_catalog_uses_the_glossary_s_words_not_the_ones_it_rejected(
    catalogs: Catalogs,
) -> None:
    with (LOCALES_DIR / "glossary.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len({row["term_en"] for row in rows}) == len(rows)  # one row per concept
    rejected = {word for row in rows for word in row["rejected_zh"].split(";") if word}
    assert {"坐席", "话后处理", "承诺还款"} <= rejected
    zh = catalogs["zh-CN"]
    used = {
        key: word
        for key, message in zh.messages.items()
        for word in rejected
        if word in " ".join(_text_forms(message))
    }
    assert used == {}
    glossary = {row["term_en"]: row["zh_CN"] for row in rows}
    assert zh.text("state.wrap-up") == glossary["wrap-up"]
    assert zh.text("common.role.agent") == glossary["agent"]
