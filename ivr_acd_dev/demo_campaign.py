"""The demo's last part: a small agentless dunning campaign through the sandbox. Five overdue
customers are added to the CRM; one simulated SIP UA plays the carrier (every outbound call
reaches it) and answers as each number's customer would: one keys a promise-to-pay date, one is
busy twice, one is an answering machine; one number is on the do-not-call list and one customer
has opted out (never dialled, the reasons logged). Prints the attempts, the skipped targets and
the campaign's progress."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from acd.dunning.core.codec import spec_from
from acd.dunning.repository import CampaignStateError
from crm_bridge.models import Customer, CustomerPhone, Policy
from crm_bridge.vocab import Disposition
from ivr_acd.controller import Controller
from ivr_acd.settings import Settings
from ivr_acd.wiring.dunning import DialerParts
from ivr_acd_dev.simulator import Call, Phone, PhoneError, PhonePool, PhoneTimeout

Say = Callable[[str], None]
ROLES = ("promise", "busy", "machine", "do-not-call", "opted-out")
BORN = date(1980, 1, 1)  # the demo customers' birth date, keyed to prove who answered
WAIT_SECONDS = 150


def _speech(text: str, wav: Path, pad_after: float) -> Path | None:
    if shutil.which("espeak-ng") is None or shutil.which("sox") is None:
        return None
    raw = wav.with_suffix(".raw.wav")
    subprocess.run(["espeak-ng", "-v", "en", "-w", str(raw), text], check=True)
    pcm = ["-r", "8000", "-c", "1", "-b", "16", "-e", "signed-integer"]
    subprocess.run(["sox", str(raw), *pcm, str(wav), "pad", "0.2", str(pad_after)], check=True)
    raw.unlink()
    return wav


async def _add_customers(
    controller: Controller, zone: str
) -> tuple[str, dict[str, str], dict[str, int]]:
    """Five customers with an overdue premium, in a region of their own: the region, and
    role -> number, role -> customer id."""
    region = f"demo-{secrets.token_hex(3)}"
    base = 13970000000 + secrets.randbelow(9_000) * 10
    numbers = {role: str(base + n) for n, role in enumerate(ROLES)}
    customers: dict[str, int] = {}
    async with controller.database.sessions.begin() as session:
        for n, role in enumerate(ROLES):
            customer = Customer(
                name=f"Demo {role}",
                id_number=f"{region}-{n}",
                region=region,
                time_zone=zone,
                language="en",
                birth_date=BORN,
                phones=[CustomerPhone(number=numbers[role], kind="mobile")],
            )
            session.add(customer)
            await session.flush()
            customers[role] = customer.id
            session.add(
                Policy(
                    number=f"PL{base % 10**8:08d}{n}",
                    customer_id=customer.id,
                    product="auto",
                    premium=Decimal("480.00") - 10 * n,
                    due_date=date.today() - timedelta(days=20 + n),
                    status="overdue",
                )
            )
    return region, numbers, customers


async def _customer(call: Call, role: str, hello: Path, greeting: Path, promise: date) -> None:
    with contextlib.suppress(PhoneError, PhoneTimeout):  # the call may end under the script
        await _behave(call, role, hello, greeting, promise)


async def _behave(call: Call, role: str, hello: Path, greeting: Path, promise: date) -> None:
    if role == "busy":
        await call.hangup(486)
        return
    await call.answer()
    await call.wait_state("CONFIRMED", 10)
    await call.play(greeting if role == "machine" else hello)
    if role == "promise":
        for step in (5.0, "1", 6.0, f"{BORN:%Y%m%d}#", 6.0, "2", 9.0, f"{promise:%Y%m%d}#"):
            if isinstance(step, float):
                await asyncio.sleep(step)
            else:
                await call.dtmf(step)
    await call.wait_state("DISCONNECTED", 90)


async def _carrier(
    phone: Phone, roles: dict[str, str], wavs: tuple[Path, Path], promise: date
) -> None:
    tasks: set[asyncio.Task[None]] = set()
    try:
        while True:
            call = await phone.wait_incoming(3600)
            role = roles.get(call.dialled, "")
            task = asyncio.create_task(_customer(call, role, wavs[0], wavs[1], promise))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
    finally:
        for task in tasks:
            task.cancel()


def _document(region: str, today: date) -> dict[str, object]:
    retry = {"delay_seconds": 10, "max_attempts": 2}
    return {
        "name": f"Demo dunning {region}",
        "mode": "agentless",
        "rule": {"min_days_overdue": 10, "min_amount": "100", "regions": [region]},
        "schedule": {
            "start_date": (today - timedelta(days=1)).isoformat(),
            "end_date": (today + timedelta(days=30)).isoformat(),
            "weekdays": list(range(7)),
            "hours": {"start": "00:00", "end": "23:59"},
        },
        "caps": {"max_channels": 2, "max_calls_per_second": 1},
        "retry": {
            "busy": retry,
            "no_answer": retry,
            "failed": {"delay_seconds": 5, "max_attempts": 3},
            "machine": {"delay_seconds": 10, "max_attempts": 1},
        },
        "machine_message": "This is your insurer. A premium is due; please call us back.",
    }


async def _wait(parts: DialerParts, campaign_id: str, numbers: dict[str, str], say: Say) -> bool:
    """Until every customer is settled: decided on for good, or promised (and so not called
    again before the promised date); True when that happened in time."""
    deadline = time.monotonic() + WAIT_SECONDS
    reported: set[str] = set()
    while time.monotonic() < deadline:
        attempts = await parts.campaigns.attempts(campaign_id, limit=1000)
        for a in attempts:
            if a.disposition is not None and a.attempt_id not in reported:
                reported.add(a.attempt_id)
                say(f"campaign: {a.number} attempt {a.seq} -> {a.disposition}")
        decisions = await parts.campaigns.decisions(campaign_id, limit=1000)
        settled = {d.number for d in decisions if d.final}
        settled |= {a.number for a in attempts if a.disposition is Disposition.PROMISED}
        if settled >= set(numbers.values()) and all(not a.in_progress for a in attempts):
            return True
        await asyncio.sleep(1.0)
    return False


async def _report(parts: DialerParts, campaign_id: str, numbers: dict[str, str]) -> list[str]:
    role_of = {number: role for role, number in numbers.items()}
    lines = ["", f"Dunning campaign {campaign_id} (agentless), attempts:"]
    lines.append(f"  {'number':<13} {'customer':<12} seq {'disposition':<13} reason")
    for a in await parts.campaigns.attempts(campaign_id, limit=1000):
        promise = f" ({a.promise})" if a.promise else ""
        disposition = a.disposition.value if a.disposition else "in progress"
        lines.append(
            f"  {a.number:<13} {role_of.get(a.number, ''):<12} {a.seq:>3} "
            f"{disposition:<13} {a.reason}{promise}"
        )
    skipped = [
        d
        for d in await parts.campaigns.decisions(campaign_id, limit=1000)
        if d.final and not d.dial
    ]
    lines.append("Targets never (or no more) dialled, from the decision log:")
    for d in sorted(skipped, key=lambda d: d.number):
        lines.append(f"  {d.number:<13} {role_of.get(d.number, ''):<12} {d.reason}")
    progress = (await parts.campaigns.progress(campaign_id)).to_dict()
    lines.append(
        f"Progress: attempted {progress['attempted']}, reached {progress['reached']}, "
        f"promised {progress['promised']} ({progress['promised_amount']} yuan), "
        f"paid {progress['paid']}, abandon rate {progress['abandon_rate']:.1%}"
    )
    return lines


async def run_campaign_demo(
    controller: Controller, settings: Settings, say: Say
) -> tuple[bool, list[str]]:
    """Run the campaign: whether it completed, and its results to print."""
    parts = controller.dunning
    if parts is None or not settings.campaigns.enabled:
        say("campaign: the dialer is off (campaigns.enabled = false); skipped")
        return True, []
    zone = settings.ivr.time_zone
    today = datetime.now(ZoneInfo(zone)).date()
    with tempfile.TemporaryDirectory(prefix="ivr-acd-demo-") as folder:
        hello = _speech("Hello?", Path(folder) / "hello.wav", 30.0)
        greeting = _speech(
            "Hello, you have reached the Li family. We are not at home. Please leave a message "
            "with your name and number after the tone and we will call you back. Thank you.",
            Path(folder) / "greeting.wav",
            1.0,
        )
        if hello is None or greeting is None:
            say("campaign: espeak-ng and sox are needed for the simulated customers; skipped")
            return True, []
        region, numbers, customers = await _add_customers(controller, zone)
        await parts.facts.add_do_not_call(numbers["do-not-call"], "demo: asked in writing")
        await parts.facts.opt_out(customers["opted-out"], "demo: no payment calls")
        ast = settings.asterisk
        async with PhonePool(rtp_base=44000) as carrier_pool:
            phone = await carrier_pool.add_phone(
                "demo-carrier",
                ast.carrier_username,
                settings.secret(ast.carrier_password, "asterisk.carrier_password"),
                f"127.0.0.1:{ast.sip_port}",
            )
            await phone.register()
            roles = {number: role for role, number in numbers.items()}
            carrier = asyncio.create_task(
                _carrier(phone, roles, (hello, greeting), today + timedelta(days=3))
            )
            try:
                spec = spec_from(_document(region, today), campaign_id=f"demo-{region[-6:]}")
                stored = await parts.campaigns.create(spec.campaign, spec.machine_message, "demo")
                await parts.campaigns.set_state(stored.id, "start")
                say(f"campaign {stored.id} started: 5 overdue customers, 2 channels, 1 call/s")
                settled = await _wait(parts, stored.id, numbers, say)
                with contextlib.suppress(CampaignStateError):  # completed already
                    await parts.campaigns.set_state(stored.id, "stop")  # a promise waits: done
            finally:
                carrier.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await carrier
        return settled, await _report(parts, stored.id, numbers)
