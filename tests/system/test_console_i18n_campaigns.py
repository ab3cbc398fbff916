"""The dunning campaigns page in a real browser against the real controller, in Chinese (the
default) and in English: a campaign made through the API, with the attempts and dial decisions
the dialer writes (through its own repository: a busy call known from its CDR, a promise to pay,
an answering machine, a call in progress; a paid policy, a call outside the customer's calling
hours, a dial), every string from the catalog or marked as data, states, dispositions and
reasons in the page's language from their codes, money and dates in its format, the stop
confirmation translated, the results CSV asked for in the page's language, the switcher's round
trip, and no serious accessibility violation."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect
from sqlalchemy import select

from acd.dunning.core import attempts as am
from acd.dunning.core.compliance import decide
from acd.dunning.core.model import Attempt, PromiseToPay
from acd.dunning.repository import CampaignRepository, NewAttempt
from crm_bridge.db import Database
from crm_bridge.models import Policy
from crm_bridge.vocab import CampaignMode, Disposition
from ivr_acd.web.i18n import Catalog
from tests.system.conftest import Stack
from tests.system.console_i18n import (
    accessibility_violations,
    catalog,
    untranslated,
    use_language,
)
from tests.system.test_console import (  # noqa: F401 - passwords is a fixture
    PASSWORDS,
    UI_TIMEOUT_MS,
    base_url,
    passwords,
    shoot,
    shots_dir,
)
from tests.unit.campaign_data import campaign, facts, target, utc

pytestmark = pytest.mark.system

CAMPAIGN: dict[str, Any] = {
    "name": "十二月催缴 (i18n check)",
    "mode": "agentless",
    "rule": {"min_days_overdue": 5, "regions": ["no-such-region"]},  # never dials
    "schedule": {"start_date": "2099-01-01", "end_date": "2099-01-31"},
}
PROMISE = PromiseToPay(Decimal("1293.51"), date(2026, 12, 30))
PAID = date(2026, 11, 20)
FORMATS = {  # fmt.money of the promise, fmt.date of its date and of the paid date
    "zh-CN": ("¥1,293.51", "2026年12月30日", "2026年11月20日"),
    "en": ("¥1,293.51", "Dec 30, 2026", "Nov 20, 2026"),
}


async def _attempts_and_decisions(stack: Stack, campaign_id: str) -> None:
    """What the dialer would have written for the campaign, through its repository."""
    database = Database(stack.settings.database_url)
    now = datetime.now(UTC)
    repo = CampaignRepository(database.sessions, lambda: now)
    try:
        async with database.sessions() as session:
            policy = (await session.scalars(select(Policy).order_by(Policy.id).limit(1))).one()
        number = "13800138000"
        outcomes: list[tuple[str | None, am.Finish | None, PromiseToPay | None]] = [
            (
                None,
                am.from_cdr(
                    "BUSY", None, CampaignMode.AGENTLESS, promised=False, connected_agent=None
                ),
                None,
            ),
            ("HUMAN", am.from_flow(None, True), PROMISE),
            ("MACHINE", am.Finish(Disposition.MACHINE, "AMD MACHINE", am.Why.MACHINE), None),
            (None, None, None),  # in progress
        ]
        for seq, (amd, finish, promise) in enumerate(outcomes, start=1):
            attempt = Attempt(campaign_id, policy.id, seq, number, now - timedelta(minutes=5 - seq))
            claimed = NewAttempt(attempt, policy.customer_id, f"i18n-{uuid.uuid4().hex}")
            assert await repo.claim(claimed)
            if amd is not None:
                await repo.answered(attempt.id, now, amd)
            if finish is not None:
                await repo.finish(
                    attempt.id,
                    finish.disposition,
                    now,
                    finish.reason,
                    promise,
                    why=finish.why,
                    params=finish.params,
                )
        tgt = target()
        decisions = [
            decide(facts(paid_date=PAID), campaign(), [], utc(2026, 11, 20, 4)),
            decide(facts(), campaign(), [], utc(2026, 11, 20, 15)),  # 23:00 in Shanghai
            decide(facts(), campaign(), [], utc(2026, 11, 20, 4)),  # noon: dial
        ]
        await repo.log_decisions(campaign_id, [(tgt, d, None) for d in decisions], now)
    finally:
        await database.close()


@pytest.fixture
async def campaign_id(stack: Stack) -> AsyncIterator[str]:
    status, created = await stack.send("POST", "/campaigns", CAMPAIGN)
    assert status == 201, created
    await _attempts_and_decisions(stack, created["id"])
    yield created["id"]
    await stack.send("POST", f"/campaigns/{created['id']}/stop")


async def sign_in(page: Page, stack: Stack, words: Catalog) -> None:
    """The supervisor 9001 signs in from the log-in page and lands on the campaigns page in
    ``words``' language."""
    wanted = "/console/campaigns"
    await page.goto(base_url(stack) + wanted)
    await expect(page).to_have_url(f"{base_url(stack)}/console/login?next={wanted}")
    await page.fill("#extension", "9001")
    await page.fill("#password", PASSWORDS["9001"])
    await page.click("#sign-in")
    await expect(page).to_have_url(base_url(stack) + wanted)
    await use_language(page, words.locale)  # another test may have left 9001 in English
    live = words.text("common.stream.live")
    await expect(page.locator("#stream-status")).to_have_text(live, timeout=UI_TIMEOUT_MS)


async def _shows_the_campaign(page: Page, campaign_id: str, words: Catalog) -> None:
    """The campaign, its attempts and decisions, in ``words``' language and formats."""
    locale = words.locale
    row = page.locator(f'#campaigns tr[data-campaign="{campaign_id}"]')
    await expect(row.locator("[data-state]")).to_have_text(words.text("campaigns.state.draft"))
    await row.click()
    await expect(page.locator("#detail-name")).to_have_text(CAMPAIGN["name"])
    attempts = page.locator("#attempts tbody tr")
    await expect(attempts).to_have_count(4, timeout=UI_TIMEOUT_MS)
    await expect(page.locator("#decisions tbody tr")).to_have_count(3)
    money, day, paid_on = FORMATS[locale]
    promised = page.locator('#attempts [data-disposition="promised"]')
    await expect(promised).to_have_text(words.text("campaigns.disposition.promised"))
    promise = words.text("campaigns.attempts.promise", amount=money, date=day)
    await expect(page.locator("#attempts")).to_contain_text(promise)
    busy = words.text("campaigns.why.from-cdr", reason=words.text("campaigns.why.busy"))
    await expect(page.locator('#attempts td[data-reason="busy"]')).to_have_text(busy)
    paid = words.text("campaigns.check.paid", date=paid_on)
    await expect(page.locator('#decisions tr[data-check="paid"] td.reason')).to_have_text(paid)
    href = await page.locator("#results-csv").get_attribute("href")
    assert href == f"/api/v1/campaigns/{campaign_id}/results.csv?lang={locale}", href


async def _follows_the_rule(page: Page, locale: str) -> None:
    assert await page.evaluate("document.documentElement.lang") == locale
    assert await untranslated(page) == []
    assert await accessibility_violations(page) == []


async def test_the_campaigns_page_in_chinese_and_in_english(
    stack: Stack,
    passwords: dict[str, str],  # noqa: F811 - the fixture imported above
    browser: Browser,
    campaign_id: str,
    tmp_path: Path,
) -> None:
    zh, en = catalog("zh-CN"), catalog("en")
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"script error: {exc}"))
    dialogs: list[str] = []

    async def refuse(dialog: Any) -> None:
        dialogs.append(dialog.message)
        await dialog.dismiss()

    page.on("dialog", refuse)
    try:
        await sign_in(page, stack, zh)
        await _shows_the_campaign(page, campaign_id, zh)
        await _follows_the_rule(page, "zh-CN")
        await shoot(page, shots_dir(tmp_path) / "campaigns-zh-CN.png")
        row = page.locator(f'#campaigns tr[data-campaign="{campaign_id}"]')
        await row.locator('button[data-action="stop"]').click()
        assert dialogs == [zh.text("campaigns.confirm.stop", name=CAMPAIGN["name"])]

        async with page.expect_navigation():
            await page.select_option("#lang", "en")
        await expect(page.locator("#stream-status")).to_have_text(en.text("common.stream.live"))
        await _shows_the_campaign(page, campaign_id, en)
        await _follows_the_rule(page, "en")
        await page.reload()  # the choice is kept
        await expect(page.locator("#stream-status")).to_have_text(en.text("common.stream.live"))
        assert await page.evaluate("document.documentElement.lang") == "en"

        async with page.expect_navigation():
            await page.select_option("#lang", "zh-CN")
        await expect(page.locator("#stream-status")).to_have_text(zh.text("common.stream.live"))
        assert await page.evaluate("document.documentElement.lang") == "zh-CN"
        assert problems == []
    finally:
        await context.close()
