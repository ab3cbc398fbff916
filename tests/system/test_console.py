"""The web console in a real browser (Debian's headless Chromium, driven by Playwright) against
the real stack: supervisor 9001 signs in to the wallboard, sees a live call (a pjsua2 customer
through the IVR, answered by agent 8001's pjsua2 softphone), clicks Listen and their pjsua2
softphone rings and hears the call, switches to Barge and is heard by both parties; the agent
desktop, signed in as 8001 in a second browser context, shows the screen-pop of the offered
call. Also who may do what: no session 401, an agent 403. The campaigns page lists a campaign
made through the API and stops it. Screenshots of the pages are saved (``IVR_ACD_SCREENSHOTS``
or the test's tmp folder) and their paths printed."""

from __future__ import annotations

import array
import asyncio
import contextlib
import math
import os
import struct
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from playwright.async_api import (
    Browser,
    BrowserContext,
    Page,
    ViewportSize,
    expect,
)

from ivr_acd.web.i18n import COOKIE
from ivr_acd_dev.simulator import Call, Phone
from tests.system.conftest import DIRECT_LINE, Stack, eventually, utc_now_iso
from tests.system.console_i18n import catalog, use_language

pytestmark = pytest.mark.system

PASSWORDS = {"9001": "supervisor-9001-pw", "8001": "agent-8001-pw"}
CALLER = "13800138004"  # 陈静, VIP, in the seeded CRM
WAITING = "13800138001"  # 王芳, VIP: waits while 8001 talks
ENGLISH_PERSON = "20"
CUSTOMER_HZ, AGENT_HZ, SUPERVISOR_HZ = 440, 660, 1020
HEARD = 2000.0  # a tone another party plays, as heard (about 12,000 here)
LISTEN_SECONDS = 2.5
WAV_HEADER = 44
UI_TIMEOUT_MS = 15_000
ENGLISH = catalog("en")  # the wallboard's and the desktop's words these tests look for


def tone_level(path: Path, freq_hz: int, skip_s: float = 0.5) -> float:
    """The amplitude of ``freq_hz`` in a WAV still being recorded (Goertzel)."""
    data = path.read_bytes()
    rate = struct.unpack_from("<I", data, 24)[0] if len(data) >= WAV_HEADER else 8000
    samples = array.array("h")
    pcm = data[WAV_HEADER:]
    samples.frombytes(pcm[: len(pcm) - len(pcm) % 2])
    window = samples[int(skip_s * rate) :]
    if len(window) < rate // 4:
        return 0.0
    coeff = 2 * math.cos(2 * math.pi * freq_hz / rate)
    s1 = s2 = 0.0
    for sample in window:
        s1, s2 = sample + coeff * s1 - s2, s1
    return 2 * math.sqrt(max(s1 * s1 + s2 * s2 - coeff * s1 * s2, 0.0)) / len(window)


def shots_dir(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("IVR_ACD_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def shoot(page: Page, path: Path) -> None:
    await page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")


@pytest.fixture(scope="module")
async def passwords(stack: Stack) -> dict[str, str]:
    """Console passwords for 9001 and 8001, set by the admin token."""
    for extension, password in PASSWORDS.items():
        status, body = await stack.send(
            "POST", f"/agents/{extension}/password", {"password": password}
        )
        assert status == 204, body
    return PASSWORDS


@pytest.fixture(scope="module")
async def supervisor_phone(stack: Stack) -> AsyncIterator[Phone]:
    phone = await stack.pool.add_phone(
        "console-9001", "9001", stack.secret_of("9001"), stack.domain
    )
    await phone.register()
    yield phone
    await phone.close()


def base_url(stack: Stack) -> str:
    return f"http://127.0.0.1:{stack.settings.web.port}"


async def english(stack: Stack, browser: Browser, viewport: ViewportSize) -> BrowserContext:
    """A browser whose log-in page remembered English (these tests read English labels; the
    Chinese pages are tested in the test_console_i18n_* modules)."""
    context = await browser.new_context(viewport=viewport)
    await context.add_cookies([{"name": COOKIE, "value": "en", "url": base_url(stack)}])
    return context


async def sign_in(page: Page, stack: Stack, extension: str, wanted: str) -> None:
    """Open ``wanted`` without a session: the console sends us to the log-in page and back."""
    await page.goto(base_url(stack) + wanted)
    await expect(page).to_have_url(f"{base_url(stack)}/console/login?next={wanted}")
    await page.fill("#extension", extension)
    await page.fill("#password", PASSWORDS[extension])
    await page.click("#sign-in")
    await expect(page).to_have_url(base_url(stack) + wanted)
    await use_language(page, "en")  # these tests read the English labels
    await expect(page.locator("#stream-status")).to_have_text("live", timeout=UI_TIMEOUT_MS)


async def http_login(stack: Stack, extension: str) -> dict[str, str]:
    """A console session over plain HTTP: the cookie and CSRF headers to send."""
    async with (
        aiohttp.ClientSession() as session,
        session.post(
            f"{stack.api}/auth/login",
            json={"extension": extension, "password": PASSWORDS[extension]},
        ) as response,
    ):
        body = await response.json()
        assert response.status == 200, body
        token = response.cookies["ivracd_session"].value
    return {"Cookie": f"ivracd_session={token}", "X-CSRF-Token": body["csrf_token"]}


async def http(method: str, url: str, headers: dict[str, str], body: Any = None) -> tuple[int, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, url, json=body, headers=headers, allow_redirects=False) as resp,
    ):
        text = await resp.text()
        return resp.status, (await resp.json() if resp.content_type == "application/json" else text)


async def test_who_may_supervise_and_watch(stack: Stack, passwords: dict[str, str]) -> None:
    agent = await http_login(stack, "8001")
    supervisor = await http_login(stack, "9001")
    status, body = await http("POST", f"{stack.api}/calls/1.1/spy", {}, {"mode": "listen"})
    assert (status, body["error"]) == (401, "unauthenticated"), "no session: 401"
    status, body = await http("POST", f"{stack.api}/calls/1.1/spy", agent, {"mode": "listen"})
    assert (status, body["error"]) == (403, "forbidden"), "an agent cannot listen"
    status, body = await http("GET", f"{stack.api}/spy", agent)
    assert status == 403, "an agent cannot read the audit trail"
    status, body = await http("GET", f"{stack.api}/stream?agent=8002", agent)
    assert status == 403, "an agent watches no other agent's desktop"
    status, body = await http("GET", f"{stack.api}/stream", {})
    assert status == 401
    status, _page = await http("GET", f"{base_url(stack)}/console", agent)
    assert status == 302, "an agent asking for the wallboard gets their desktop"
    status, _page = await http("GET", f"{base_url(stack)}/console", supervisor)
    assert status == 200
    status, body = await http("POST", f"{stack.api}/calls/1.1/spy", supervisor, {"mode": "x"})
    assert status == 422, "a supervisor gets past the role check"


async def _live_linkedid(stack: Stack, caller: str) -> str:
    found: list[str] = []

    async def listed() -> bool:
        status, body = await stack.get("/calls/live")
        found[:] = [c["linkedid"] for c in body["calls"] if c["caller_number"] == caller]
        return status == 200 and bool(found)

    await eventually(listed, 10, f"{caller}'s call among the live calls")
    return found[0]


async def _hear(folder: Path, phase: str, **calls: Call) -> dict[str, dict[int, float]]:
    for who, call in calls.items():
        await call.record(folder / f"{phase}-{who}.wav")
    await asyncio.sleep(LISTEN_SECONDS)
    freqs = (CUSTOMER_HZ, AGENT_HZ, SUPERVISOR_HZ)
    heard = {
        who: {f: round(tone_level(folder / f"{phase}-{who}.wav", f)) for f in freqs}
        for who in calls
    }
    print(f"{phase}: tone levels heard {heard}")
    return heard


async def test_the_wallboard_listens_and_barges_and_the_desktop_pops(
    stack: Stack,
    agent_8001: Phone,
    supervisor_phone: Phone,
    passwords: dict[str, str],
    browser: Browser,
    tmp_path: Path,
) -> None:
    since = utc_now_iso()
    shots = shots_dir(tmp_path)
    board_context = await english(stack, browser, {"width": 1400, "height": 1000})
    desk_context = await english(stack, browser, {"width": 1280, "height": 900})
    wall, desk = await board_context.new_page(), await desk_context.new_page()
    page_errors: list[str] = []
    for page in (wall, desk):
        page.on("pageerror", lambda exc: page_errors.append(f"script error: {exc}"))
        page.on(
            "console",
            lambda msg: (
                page_errors.append(f"console: {msg.text} ({msg.location.get('url')})")
                if msg.type == "error"
                else None
            ),
        )
    legs: list[Call] = []
    caller: Phone | None = None
    try:
        await sign_in(wall, stack, "9001", "/console")
        await sign_in(desk, stack, "8001", "/console/agent")
        ready = ENGLISH.text("state.ready")
        await expect(desk.locator("#my-state")).to_contain_text(ready, timeout=UI_TIMEOUT_MS)
        await desk.select_option("#pause-reason", "lunch")  # the desk's own POSTs (CSRF)
        await desk.click("#pause")
        lunch = f"{ENGLISH.text('state.paused')} · {ENGLISH.text('pause.lunch')}"
        await expect(desk.locator("#my-state")).to_have_text(lunch)
        await expect(wall.locator('#agents tr[data-agent="8001"]')).to_contain_text(
            ENGLISH.text("pause.lunch")
        )
        await desk.click("#unpause")
        await expect(desk.locator("#my-state")).to_have_text(ready)

        caller, customer = await stack.dial(CALLER, ENGLISH_PERSON)
        ring = await agent_8001.wait_incoming(30)
        legs += [customer, ring]
        # the desktop pops while 8001's phone rings
        await expect(desk.locator("#pop-caller")).to_have_text(CALLER, timeout=UI_TIMEOUT_MS)
        await expect(desk.locator("#pop-title")).to_have_text(ENGLISH.text("agent.pop.ringing"))
        await expect(desk.locator("#pop-name")).to_have_text("陈静")
        await expect(desk.locator("#pop-vip")).to_be_visible()
        id_number = await desk.locator("#screen-pop dd").first.inner_text()
        assert id_number.startswith("*" * 10) and id_number[-4:].isalnum(), id_number
        await expect(desk.locator("#pop-ivr")).to_contain_text("language")

        await ring.answer()
        await ring.wait_state("CONFIRMED", 10)
        await customer.play_tone(CUSTOMER_HZ)
        await ring.play_tone(AGENT_HZ)
        linkedid = await _live_linkedid(stack, CALLER)
        row = wall.locator(f'#calls tr[data-call="{linkedid}"]')
        await expect(row).to_contain_text("8001", timeout=UI_TIMEOUT_MS)
        await expect(row).to_contain_text(ENGLISH.text("state.on-call"), timeout=UI_TIMEOUT_MS)
        await expect(desk.locator("#pop-title")).to_have_text(ENGLISH.text("agent.pop.on-call"))

        second, waiting = await _call_direct(stack, WAITING)  # 8001 is busy: it waits
        legs.append(waiting)
        queued = wall.locator("#waiting tbody tr", has_text=WAITING)
        await expect(queued).to_contain_text("service", timeout=UI_TIMEOUT_MS)
        await expect(queued.locator(".badge.vip")).to_be_visible()
        await expect(
            wall.locator('.tile[data-queue="service"] [data-field="waiting"]')
        ).to_have_text("1")
        await shoot(wall, shots / "wallboard-live-call.png")

        clicked = time.monotonic()
        await row.locator('button[data-mode="listen"]').click()
        spy_leg = await supervisor_phone.wait_incoming(15)
        click_to_ring = time.monotonic() - clicked
        print(f"click-to-ring: {click_to_ring * 1000:.0f} ms from clicking Listen to 9001 ringing")
        legs.append(spy_leg)
        await spy_leg.answer()
        await spy_leg.wait_state("CONFIRMED", 5)
        await spy_leg.play_tone(SUPERVISOR_HZ)
        await expect(row.locator("button.spy-listen")).to_have_class("spy-listen active")
        listen = await _hear(tmp_path, "listen", sup=spy_leg, customer=customer, agent=ring)
        stats = await spy_leg.stats()
        print(f"supervisor leg while listening: {stats}")
        assert stats.rx_packets > 50 and stats.rms > 300, stats
        assert listen["sup"][CUSTOMER_HZ] > HEARD, "the supervisor hears the customer"
        assert listen["sup"][AGENT_HZ] > HEARD, "the supervisor hears the agent"
        assert listen["customer"][SUPERVISOR_HZ] < HEARD / 10, "listening is silent"

        await row.locator('button[data-mode="barge"]').click()
        await expect(row.locator("button.spy-barge")).to_have_class("spy-barge active")
        await expect(wall.locator("#spy")).to_have_text(
            ENGLISH.text("wallboard.spy.line.barge", call=f"{CALLER} ↔ 8001", phone="9001")
        )
        barge = await _hear(tmp_path, "barge", sup=spy_leg, customer=customer, agent=ring)
        assert barge["customer"][SUPERVISOR_HZ] > HEARD, "barge: the customer hears them"
        assert barge["agent"][SUPERVISOR_HZ] > HEARD, "barge: the agent hears them"
        await shoot(wall, shots / "wallboard-barge.png")
        await shoot(desk, shots / "agent-desktop.png")

        await row.locator("button.spy-stop").click()
        await spy_leg.wait_state("DISCONNECTED", 10)
        assert customer.state == "CONFIRMED", "stopping leaves the call up"
        await waiting.hangup()  # abandoned, before 8001 is free again
        await second.close()
        await expect(queued).to_have_count(0, timeout=UI_TIMEOUT_MS)
        await customer.hangup()
        await eventually(lambda: _gone(stack, linkedid), 10, "the call to end")
        await expect(row).to_have_count(0, timeout=UI_TIMEOUT_MS)
        await stack.cdr(CALLER, since)
        await wall.reload()  # the chart and the KPIs with the calls just made
        await expect(wall.locator("#stream-status")).to_have_text("live", timeout=UI_TIMEOUT_MS)
        await expect(wall.locator("#hourly rect.inbound").first).to_be_visible()
        await shoot(wall, shots / "wallboard-after-calls.png")

        assert page_errors == [], "the pages ran without script or console errors"

        status, body = await stack.get(f"/spy?since={since}")
        assert status == 200, body
        audit = next(s for s in body["sessions"] if s["call_id"] == linkedid)
        assert (audit["supervisor"], audit["agent"], audit["origin"]) == ("9001", "8001", "api")
        assert (audit["start_mode"], audit["mode"]) == ("listen", "barge")
        assert audit["requested_by"] != "api-token" and audit["answered_at"]
        assert audit["ended_at"] is not None
    finally:
        for leg in legs:
            with contextlib.suppress(Exception):
                await leg.hangup()
        if caller is not None:
            await caller.close()
        await board_context.close()
        await desk_context.close()


async def test_the_campaigns_page_lists_a_campaign_and_stops_it(
    stack: Stack, passwords: dict[str, str], browser: Browser, tmp_path: Path
) -> None:
    """A campaign created with the admin token (a draft no policy matches: it never dials) is
    listed with its progress; the supervisor stops it from the page (a POST with the CSRF
    token)."""
    status, created = await stack.send("POST", "/campaigns", CONSOLE_CAMPAIGN)
    assert status == 201, created
    context = await english(stack, browser, {"width": 1400, "height": 900})
    page = await context.new_page()
    page_errors: list[str] = []
    page.on("pageerror", lambda exc: page_errors.append(f"script error: {exc}"))
    page.on("dialog", lambda dialog: dialog.accept())  # "Stop ... for good?"
    try:
        await sign_in(page, stack, "9001", "/console/campaigns")
        row = page.locator(f'#campaigns tr[data-campaign="{created["id"]}"]')
        await expect(row).to_contain_text(CONSOLE_CAMPAIGN["name"], timeout=UI_TIMEOUT_MS)
        en = catalog("en")  # this browser chose English on the log-in page
        await expect(row.locator("[data-state]")).to_have_text(en.text("campaigns.state.draft"))
        await expect(row.locator('[data-field="attempted"]')).to_have_text("0")
        await expect(row.locator('button[data-action="start"]')).to_be_enabled()
        await expect(row.locator('button[data-action="pause"]')).to_be_disabled()
        await row.click()
        await expect(page.locator("#detail-name")).to_have_text(CONSOLE_CAMPAIGN["name"])
        csv = await page.locator("#results-csv").get_attribute("href")
        assert csv == f"/api/v1/campaigns/{created['id']}/results.csv?lang=en", csv
        await row.locator('button[data-action="stop"]').click()
        stopped = en.text("campaigns.state.stopped")
        await expect(row.locator("[data-state]")).to_have_text(stopped, timeout=UI_TIMEOUT_MS)
        await expect(row.locator('button[data-action="start"]')).to_be_disabled()
        await shoot(page, shots_dir(tmp_path) / "campaigns.png")
        status, body = await stack.get(f"/campaigns/{created['id']}")
        assert (status, body["state"]) == (200, "stopped"), body
        assert page_errors == [], "the page ran without script errors"
    finally:
        await context.close()


CONSOLE_CAMPAIGN: dict[str, Any] = {
    "name": "Console check (no policy matches)",
    "mode": "agentless",
    "rule": {"min_days_overdue": 5, "regions": ["no-such-region"]},
    "schedule": {"start_date": "2099-01-01", "end_date": "2099-01-31"},
}


async def _call_direct(stack: Stack, number: str) -> tuple[Phone, Call]:
    """``number`` calls the ACD's direct line (no IVR) and is answered by the line."""
    phone = await stack.caller(number)
    call = await phone.call(f"sip:{DIRECT_LINE}@{stack.domain}")
    await call.wait_state("CONFIRMED", 10)
    return phone, call


async def _gone(stack: Stack, linkedid: str) -> bool:
    status, body = await stack.get("/calls/live")
    return status == 200 and all(c["linkedid"] != linkedid for c in body["calls"])
