"""The log-in page in a real browser against the real controller, in both languages: Chinese for
a browser that has never chosen (whatever its own Accept-Language says), English once its
switcher is used, every string from the catalog, a refused sign-in explained from the error's
code in the page's language, and no serious accessibility violation."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from ivr_acd.web.i18n import COOKIE
from tests.system.conftest import Stack
from tests.system.console_i18n import accessibility_violations, catalog, untranslated
from tests.system.test_console import shoot, shots_dir

pytestmark = pytest.mark.system

UI_TIMEOUT_MS = 15_000


def login_url(stack: Stack) -> str:
    return f"http://127.0.0.1:{stack.settings.web.port}/console/login"


async def check_page(page: Page, locale: str) -> None:
    assert await page.evaluate("document.documentElement.lang") == locale
    assert await untranslated(page) == []
    assert await accessibility_violations(page) == []


async def test_the_log_in_page_is_chinese_first_then_english_by_its_switcher(
    stack: Stack, browser: Browser, tmp_path: Path
) -> None:
    context = await browser.new_context(locale="en-US")  # the browser asks for English
    try:
        page = await context.new_page()
        await page.goto(login_url(stack))
        zh, en = catalog("zh-CN"), catalog("en")
        await expect(page.locator("#sign-in")).to_have_text(zh.text("login.sign-in"))
        await check_page(page, "zh-CN")
        await shoot(page, shots_dir(tmp_path) / "login-zh-CN.png")

        await page.fill("#extension", "8001")
        await page.fill("#password", "not-the-password")
        await page.click("#sign-in")
        error = page.locator("#login-error")
        await expect(error).to_have_text(zh.text("error.bad-credentials"), timeout=UI_TIMEOUT_MS)

        async with page.expect_navigation():
            await page.select_option("#lang", "en")
        await expect(page.locator("#sign-in")).to_have_text(en.text("login.sign-in"))
        await check_page(page, "en")
        cookies = {c["name"]: c["value"] for c in await context.cookies()}
        assert cookies[COOKIE] == "en"
        await page.reload()  # remembered
        assert await page.evaluate("document.documentElement.lang") == "en"

        async with page.expect_navigation():
            await page.select_option("#lang", "zh-CN")
        await expect(page.locator("#sign-in")).to_have_text(zh.text("login.sign-in"))
    finally:
        await context.close()
