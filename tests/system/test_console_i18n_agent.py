"""The agent desktop (``/console/agent``) in a real browser against the real stack, in zh-CN and
en: agent 8001 logs in to the ACD, pauses with a reason and unpauses from the keyboard alone; one
call (李娜, a gold-tier customer with an active and an overdue policy, files a complaint in the
IVR and asks for a person) rings 8001's pjsua2 softphone and pops with the customer's tier, the
policies' statuses, premiums and due dates, the IVR's intent and facts, in the page's language
and formats; English by the switcher, remembered, and back; after the call the wrap-up ends from
the keyboard and "My calls today" shows the call's time and outcome. Every string a person reads
is a catalog message or data marked translate="no", and axe-core finds no serious or critical
violation."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, Page, expect

from ivr_acd.web.i18n import Catalog
from ivr_acd_dev.simulator import Phone
from tests.system.conftest import Stack, utc_now_iso
from tests.system.console_i18n import accessibility_violations, catalog, untranslated, use_language
from tests.system.test_console import (
    PASSWORDS,
    UI_TIMEOUT_MS,
    base_url,
    shoot,
    shots_dir,
)
from tests.system.test_ivr_flows import rows

pytestmark = pytest.mark.system

LI_NA = "13800138002"  # gold tier: PL2024000301 (motor, active), PL2024000302 (accident, overdue)
# Chinese, the complaint menu, about claims, a few seconds of message, then # ends the recording
COMPLAINT_KEYS: tuple[str | float, ...] = ("1", "4", "2", 5.0, "#")
KEY_PAUSE = 1.2  # between keys: the prompt starts, the key barges in
WRAP_UP_SECONDS = 300  # long enough that only the agent's key press ends it
OVERDUE_POLICY = "PL2024000302"


@dataclass(frozen=True)
class Policy:
    premium: Decimal
    due: date

    def money(self) -> str:
        return f"¥{self.premium:,.2f}"  # the same in both languages

    def due_date(self, locale: str) -> str:
        day = self.due
        return (
            f"{day.year}年{day.month}月{day.day}日"
            if locale == "zh-CN"
            else f"{day:%b} {day.day}, {day.year}"
        )


async def ready_agents(stack: Stack) -> list[str]:
    status, body = await stack.get("/agents")
    assert status == 200, body
    ready = []
    for agent in body["agents"]:
        status, state = await stack.get(f"/agents/{agent['extension']}/state")
        if status == 200 and state["state"] == "ready":  # the ACD routes to them
            ready.append(agent["extension"])
    return ready


@pytest.fixture
async def desk_agent(stack: Stack, agent_8001: Phone) -> AsyncIterator[Phone]:
    """8001 with a console password, logged out of the ACD and with a long wrap-up, every other
    ready agent paused (the call is 8001's); afterwards 8001 ready again without wrap-up and the
    others unpaused, as the session's other tests expect them."""
    status, body = await stack.send(
        "POST", "/agents/8001/password", {"password": PASSWORDS["8001"]}
    )
    assert status == 204, body
    status, body = await stack.send("PATCH", "/agents/8001", {"wrapup_seconds": WRAP_UP_SECONDS})
    assert status == 200, body
    others = [extension for extension in await ready_agents(stack) if extension != "8001"]
    for extension in others:
        await stack.agent_action(extension, "pause", reason="training")
    if (await stack.agent_state("8001"))["state"] != "logged-out":
        await stack.agent_action("8001", "logout")
    try:
        yield agent_8001
    finally:
        for extension in others:
            with contextlib.suppress(Exception):
                await stack.agent_action(extension, "unpause")
        await stack.send("PATCH", "/agents/8001", {"wrapup_seconds": 0})
        state = (await stack.agent_state("8001"))["state"]
        action = {"logged-out": "login", "paused": "unpause", "wrap-up": "ready"}.get(state)
        if action:
            await stack.send("POST", f"/agents/8001/{action}")


async def sign_in(page: Page, stack: Stack) -> None:
    """The desktop without a session: the log-in page, then back to the desktop, live."""
    await page.goto(base_url(stack) + "/console/agent")
    await page.fill("#extension", "8001")
    await page.fill("#password", PASSWORDS["8001"])
    await page.click("#sign-in")
    await expect(page).to_have_url(base_url(stack) + "/console/agent")
    await use_language(page, "zh-CN")  # the account may keep another test's English
    await expect(page.locator("#stream-status")).to_have_class("pill ok", timeout=UI_TIMEOUT_MS)


async def press(page: Page, control: str, key: str) -> None:
    """Tab (only the keyboard) until ``#control`` has the focus, then press ``key``."""
    for _ in range(30):
        if await page.evaluate("document.activeElement?.id") == control:
            await page.keyboard.press(key)
            return
        await page.keyboard.press("Tab")
    raise AssertionError(f"#{control} cannot be reached with the Tab key")


async def choose_by_keyboard(page: Page, control: str, wanted: str) -> None:
    """Tab to the <select> ``#control`` and move through its options with the arrow keys."""
    await press(page, control, "Home")
    for _ in range(10):
        if await page.locator(f"#{control}").input_value() == wanted:
            return
        await page.keyboard.press("ArrowDown")
    raise AssertionError(f"{wanted} is not an option of #{control}")


async def state_is(page: Page, text: Catalog, state: str, reason: str = "") -> None:
    badge = page.locator("#my-state")
    await expect(badge).to_have_attribute("data-state", state, timeout=UI_TIMEOUT_MS)
    wanted = text.text(f"state.{state}")
    if reason:
        wanted += f" · {text.text(f'pause.{reason}')}"
    await expect(badge).to_have_text(wanted)


async def check_language(page: Page, locale: str) -> None:
    assert await page.evaluate("document.documentElement.lang") == locale
    assert await untranslated(page) == []
    assert await accessibility_violations(page) == []


async def overdue_policy(stack: Stack) -> Policy:
    found = await rows(
        stack, "SELECT premium, due_date FROM policies WHERE number = :n", n=OVERDUE_POLICY
    )
    premium, due = found[0]
    return Policy(Decimal(str(premium)), date.fromisoformat(str(due)[:10]))


async def check_pop(page: Page, text: Catalog, policy: Policy) -> None:
    """The pop of 李娜's complaint call while 8001 talks: everything in the page's language."""
    await expect(page.locator("#pop-caller")).to_have_text(LI_NA, timeout=UI_TIMEOUT_MS)
    await expect(page.locator("#pop-title")).to_have_text(text.text("agent.pop.on-call"))
    await expect(page.locator("#pop-name")).to_have_text("李娜")
    await expect(page.locator("#pop-tier")).to_have_text(text.text("agent.tier.gold"))
    ivr = page.locator("#pop-ivr")
    for key in ("agent.intent.complaint", "agent.fact.ticket", "agent.fact.category"):
        await expect(ivr).to_contain_text(text.text(key))
    await expect(ivr).to_contain_text(text.text("agent.fact-value.category.claims"))
    overdue = page.locator(f'#pop-policies tr[data-policy="{OVERDUE_POLICY}"]')
    await expect(overdue).to_contain_text(text.text("agent.policy-status.overdue"))
    await expect(overdue).to_contain_text(text.text("agent.product.accident"))
    active = page.locator('#pop-policies tr[data-policy="PL2024000301"]')
    await expect(active).to_contain_text(text.text("agent.policy-status.active"))
    await expect(overdue.locator("td").nth(2)).to_have_text(policy.money())
    await expect(overdue.locator("td").nth(3)).to_have_text(policy.due_date(text.locale))


async def test_the_agent_desktop_in_chinese_and_english_from_the_keyboard(
    stack: Stack, desk_agent: Phone, browser: Browser, tmp_path: Path
) -> None:
    zh, en = catalog("zh-CN"), catalog("en")
    since = utc_now_iso()
    context = await browser.new_context(viewport={"width": 1280, "height": 1000})
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(f"script error: {exc}"))
    page.on(  # console.js warns of a key its catalog lacks
        "console",
        lambda msg: errors.append(msg.text) if msg.type in ("warning", "error") else None,
    )
    caller: Phone | None = None
    policy = await overdue_policy(stack)
    try:
        await sign_in(page, stack)
        await expect(page.locator("h2").first).to_have_text(zh.text("agent.state.title"))
        await state_is(page, zh, "logged-out")
        await press(page, "acd-login", "Enter")  # 签入
        await state_is(page, zh, "ready")
        await choose_by_keyboard(page, "pause-reason", "lunch")
        await press(page, "pause", " ")  # 示忙, with its reason
        await state_is(page, zh, "paused", "lunch")
        await press(page, "unpause", "Enter")  # 示闲
        await state_is(page, zh, "ready")

        caller, call = await stack.dial(LI_NA)
        await call.play_tone(500)  # the complaint's message
        for step in COMPLAINT_KEYS:
            await asyncio.sleep(step if isinstance(step, float) else KEY_PAUSE)
            if isinstance(step, str):
                await call.dtmf(step)
        ring = await desk_agent.wait_incoming(30)
        await expect(page.locator("#pop-title")).to_have_text(zh.text("agent.pop.ringing"))
        await ring.answer()
        await ring.wait_state("CONFIRMED", 10)
        await check_pop(page, zh, policy)
        waited = await page.locator("#pop-customer dd").last.inner_text()
        assert re.fullmatch(r"(\d+分)?\d+秒", waited), waited
        await check_language(page, "zh-CN")

        async with page.expect_navigation():
            await page.select_option("#lang", "en")
        await check_pop(page, en, policy)  # the desktop reconnects mid-call
        await check_language(page, "en")
        await page.reload()
        await expect(page.locator("#pop-title")).to_have_text(en.text("agent.pop.on-call"))
        assert await page.evaluate("document.documentElement.lang") == "en"
        async with page.expect_navigation():
            await page.select_option("#lang", "zh-CN")
        await expect(page.locator("#pop-title")).to_have_text(zh.text("agent.pop.on-call"))

        await call.hangup()
        await state_is(page, zh, "wrap-up")
        await expect(page.locator("#pop-title")).to_have_text(zh.text("agent.pop.wrap-up"))
        record = await stack.cdr(LI_NA, since)
        await press(page, "ready", "Enter")  # 结束话后处理
        await state_is(page, zh, "ready")
        await expect(page.locator("#pop-title")).to_have_text(zh.text("agent.pop.last"))
        row = page.locator("#history tbody tr", has_text=LI_NA)
        await expect(row.locator('[data-field="outcome"]')).to_have_text(
            zh.text("agent.outcome.answered"), timeout=UI_TIMEOUT_MS
        )
        started = record.start_time.astimezone(ZoneInfo(stack.settings.ivr.time_zone))
        await expect(row.locator("td").first).to_have_text(f"{started:%H:%M:%S}")  # the centre's
        await expect(page.locator("#history-count")).to_have_text(
            zh.plural("agent.history.count", await page.locator("#history tbody tr").count())
        )
        await check_language(page, "zh-CN")
        await shoot(page, shots_dir(tmp_path) / "agent-zh-CN.png")
        await press(page, "acd-logout", "Enter")  # 签出
        await state_is(page, zh, "logged-out")
        assert errors == [], "the page ran without script errors or missing messages"
    finally:
        if caller is not None:
            await caller.close()
        await context.close()
