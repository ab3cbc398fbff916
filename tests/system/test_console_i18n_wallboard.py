"""The supervisors' wallboard in zh-CN (the default) and in English, in a real Chromium against
the real stack. With a live call agent 8001 answered, a VIP caller waiting behind it, the
supervisor listening in and other agents paused, every string a person reads on the board
(tiles, rows, badges, spy buttons and their titles, the spy line, the chart's legend, axis and
bar titles, the KPI table) comes from the active catalog or is data marked translate="no".
Also: ``<html lang>``, durations and percentages formatted for the locale, the KPI CSV link
asking for the page's language, the switcher's round trip (English survives a reload), no
serious or critical axe-core violation, and a zh-CN screenshot (``wallboard-zh-CN.png``)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from ivr_acd.web.i18n import Catalog
from ivr_acd_dev.simulator import Call, Phone
from tests.system.conftest import DIRECT_LINE, Stack, eventually
from tests.system.console_i18n import accessibility_violations, catalog, untranslated, use_language
from tests.system.test_console import UI_TIMEOUT_MS, base_url, shoot, shots_dir

pytestmark = pytest.mark.system

SUPERVISOR, PASSWORD = "9001", "supervisor-9001-wallboard"
AGENT = "8001"
OTHER = "8002"  # signed in and paused: a pause reason on the board
ANSWERED = "13800138004"  # 陈静, VIP: 8001 answers
WAITING = "13800138001"  # 王芳, VIP: waits while 8001 talks
PERCENT = re.compile(r"^\d+(\.\d+)?\s?%$")


@pytest.fixture(scope="module")
async def supervisor(stack: Stack) -> AsyncIterator[Phone]:
    """9001 with a console password and a registered softphone (the spy leg rings it)."""
    status, body = await stack.send(
        "POST", f"/agents/{SUPERVISOR}/password", {"password": PASSWORD}
    )
    assert status == 204, body
    phone = await stack.pool.add_phone(
        "wallboard-9001", SUPERVISOR, stack.secret_of(SUPERVISOR), stack.domain
    )
    await phone.register()
    yield phone
    await phone.close()


@pytest.fixture
async def others_paused(stack: Stack, agent_8001: Phone) -> AsyncIterator[None]:
    """8001 ready, every other ready agent paused so the calls go to 8001's phone, and 8002
    signed in and paused for training (a badge with a pause reason). Restored afterwards."""
    status, body = await stack.get("/agents")
    assert status == 200, body
    states: dict[str, str] = {}
    for agent in body["agents"]:
        status, state = await stack.get(f"/agents/{agent['extension']}/state")
        if status == 200:  # an account the ACD does not route to has no state
            states[agent["extension"]] = state["state"]
    signed_in = states.get(OTHER) == "logged-out"
    if signed_in:
        await stack.agent_action(OTHER, "login")
        states[OTHER] = (await stack.agent_state(OTHER))["state"]
    paused = [e for e, state in states.items() if e != AGENT and state == "ready"]
    for extension in paused:
        await stack.agent_action(extension, "pause", reason="training")
    if states[AGENT] == "paused":
        await stack.agent_action(AGENT, "unpause")
    try:
        yield
    finally:
        for extension in paused:
            with contextlib.suppress(Exception):
                await stack.agent_action(extension, "unpause")
        if signed_in:
            with contextlib.suppress(Exception):
                await stack.agent_action(OTHER, "logout")


async def test_the_wallboard_reads_in_chinese_and_english(
    stack: Stack,
    agent_8001: Phone,
    supervisor: Phone,
    others_paused: None,
    browser: Browser,
    tmp_path: Path,
) -> None:
    legs: list[Call] = []
    phones: list[Phone] = []
    # a Chinese workstation: the browser draws the date field as its users expect
    context = await browser.new_context(viewport={"width": 1400, "height": 1100}, locale="zh-CN")
    wall = await context.new_page()
    errors: list[str] = []
    wall.on("pageerror", lambda exc: errors.append(f"script error: {exc}"))
    wall.on(  # console.js warns of a key its catalog lacks
        "console",
        lambda msg: errors.append(msg.text) if msg.text.startswith("no message") else None,
    )
    try:
        phone, customer = await _call_direct(stack, ANSWERED)
        phones.append(phone)
        ring = await agent_8001.wait_incoming(30)
        legs += [customer, ring]
        await ring.answer()
        await ring.wait_state("CONFIRMED", 10)
        linkedid = await _live_linkedid(stack, ANSWERED)
        phone, waiting = await _call_direct(stack, WAITING)
        phones.append(phone)
        legs.append(waiting)

        await _sign_in(wall, stack)
        await use_language(wall, "zh-CN")  # whatever an earlier test left on 9001's account
        await _check_board(wall, "zh-CN", linkedid, supervisor, legs, tmp_path)

        await wall.select_option("#lang", "en")  # the page reloads in English
        await expect(wall.locator("html")).to_have_attribute("lang", "en", timeout=UI_TIMEOUT_MS)
        await _check_board(wall, "en", linkedid, supervisor, legs, tmp_path)
        await wall.reload()
        await expect(wall.locator("html")).to_have_attribute("lang", "en")
        await wall.select_option("#lang", "zh-CN")
        await expect(wall.locator("html")).to_have_attribute("lang", "zh-CN", timeout=UI_TIMEOUT_MS)
        await expect(wall.locator("main h2").first).to_contain_text(
            catalog("zh-CN").text("wallboard.queues.title")
        )
        assert errors == [], "no script error, no message missing from a catalog"
    finally:
        # last in first out: the waiting caller leaves before 8001 is free to be offered it
        for leg in reversed(legs):
            with contextlib.suppress(Exception):
                await leg.hangup()
        for phone in phones:
            await phone.close()
        await context.close()
        await eventually(lambda: _no_calls(stack), 10, "the test's calls to end")


async def _check_board(
    wall: Page, locale: str, linkedid: str, supervisor: Phone, legs: list[Call], tmp_path: Path
) -> None:
    """The board in ``locale`` with real rows; the supervisor listens to the call (the spy
    line, the active mode and the Stop button on the page) while every check runs."""
    words = catalog(locale)
    await expect(wall.locator("html")).to_have_attribute("lang", locale)
    await expect(wall.locator("#stream-status")).to_have_class(re.compile(r"\bok\b"))
    row = wall.locator(f'#calls tr[data-call="{linkedid}"]')
    await expect(row.locator('button[data-mode="listen"]')).to_be_enabled(timeout=UI_TIMEOUT_MS)
    barge = words.text("wallboard.spy.barge")
    await expect(row.locator('button[data-mode="barge"]')).to_have_text(barge)
    await expect(row.locator('button[data-mode="barge"]')).to_have_attribute(
        "title", words.text("wallboard.spy.title", mode=barge)
    )
    await expect(wall.locator("#waiting tbody tr", has_text=WAITING)).to_have_count(1)
    await expect(wall.locator(f'#agents tr[data-agent="{OTHER}"]')).to_contain_text(
        words.text("pause.training")
    )
    kpi = wall.locator(f'#kpis tr[data-agent="{AGENT}"] td')
    await expect(kpi.first).to_be_visible(timeout=UI_TIMEOUT_MS)
    await expect(wall.locator("#hourly svg text.axis").last).to_have_text(
        words.text("wallboard.hourly.hour", hour="21")
    )

    await row.locator('button[data-mode="listen"]').click()
    legs.append(await supervisor.wait_incoming(15))
    await expect(row.locator("button.spy-listen")).to_have_class(re.compile(r"\bactive\b"))
    await expect(wall.locator("#spy")).to_have_text(
        words.text("wallboard.spy.line.listen", call=f"{ANSWERED} ↔ {AGENT}", phone=SUPERVISOR)
    )
    await expect(row.locator("button.spy-stop")).to_have_text(words.text("wallboard.spy.stop"))

    assert await untranslated(wall) == [], f"every string on the {locale} board is translated"
    signed_in = await wall.locator("#agents-count").inner_text()
    assert like(words, "wallboard.agents.signed_in").fullmatch(signed_in), signed_in
    bar = await wall.locator("#hourly svg g.bar title").first.text_content() or ""
    assert like(words, "wallboard.hourly.bar").fullmatch(bar), bar
    online = await kpi.nth(4).inner_text()  # 8001 has been signed in for some seconds
    durations = ("common.duration.s", "common.duration.ms", "common.duration.hms")
    assert any(like(words, key, r"\d+").fullmatch(online) for key in durations), online
    level = await wall.locator('.tile[data-queue="service"] dd').first.inner_text()
    assert PERCENT.fullmatch(level), level
    csv = await wall.locator("#kpi-csv").get_attribute("href") or ""
    assert csv.endswith(f"&lang={locale}"), "the CSV's header row in the page's language"
    violations = await accessibility_violations(wall)
    assert violations == [], f"axe-core on the {locale} board: {violations}"
    if locale == "zh-CN":
        await shoot(wall, shots_dir(tmp_path) / "wallboard-zh-CN.png")

    await row.locator("button.spy-stop").click()
    await expect(wall.locator("#spy")).to_be_hidden()


def like(words: Catalog, key: str, value: str = ".+?") -> re.Pattern[str]:
    """The message ``key`` (any of its plural forms) as a pattern, each ``{placeholder}``
    standing for a ``value``."""
    message = words.messages[key]
    forms = [message] if isinstance(message, str) else list(message)
    escaped = "|".join(re.escape(form) for form in forms)
    return re.compile(re.sub(r"\\\{\w+\\\}", lambda _: value, escaped))


async def _sign_in(page: Page, stack: Stack) -> None:
    await page.goto(base_url(stack) + "/console")
    await expect(page).to_have_url(f"{base_url(stack)}/console/login?next=/console")
    await page.fill("#extension", SUPERVISOR)
    await page.fill("#password", PASSWORD)
    await page.click("#sign-in")
    await expect(page).to_have_url(base_url(stack) + "/console")


async def _call_direct(stack: Stack, number: str) -> tuple[Phone, Call]:
    """``number`` calls the ACD's direct line (no IVR): answered by the line, then queued."""
    phone = await stack.caller(number)
    call = await phone.call(f"sip:{DIRECT_LINE}@{stack.domain}")
    await call.wait_state("CONFIRMED", 10)
    return phone, call


async def _no_calls(stack: Stack) -> bool:
    status, body = await stack.get("/calls/live")
    return status == 200 and not body["calls"]


async def _live_linkedid(stack: Stack, caller: str) -> str:
    found: list[str] = []

    async def listed() -> bool:
        status, body = await stack.get("/calls/live")
        found[:] = [c["linkedid"] for c in body["calls"] if c["caller_number"] == caller]
        return status == 200 and bool(found)

    await eventually(listed, 10, f"{caller}'s call among the live calls")
    return found[0]
