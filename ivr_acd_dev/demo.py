"""``ivr-acd demo``: the whole system on this machine. It starts the Asterisk sandbox, Redis (a
private one if needed), the CRM (SQLite, seeded) and the controller; registers simulated agent
softphones; places simulated calls with real SIP user agents; prints progress; and ends with a
summary of the call detail records."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from crm_bridge.calls.records import CallRecord
from ivr.handoff import Handoff
from ivr_acd.asterisk_config import ProvisionedPhone
from ivr_acd.controller import Controller, running_controller
from ivr_acd.settings import Settings
from ivr_acd_dev.demo_campaign import run_campaign_demo
from ivr_acd_dev.simulator import Call, Phone, PhoneError, PhonePool, PhoneTimeout
from ivr_acd_dev.stack import ensure_redis, prepare_crm, start_sandbox

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Scenario:
    caller: str
    keys: tuple[str | float, ...]  # keys pressed about a second apart; a number is a pause
    talk_seconds: float  # with the agent; 0 = hang up in the IVR after the keys
    story: str


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        "13800138000",
        ("2", "1", "100234#", 2.0, "*", "0"),
        4,
        "English, verifies field agent FA100234 (genuine), back, 0 for a person",
    ),
    Scenario("13800138001", ("1", "0"), 5, "VIP (account manager 8005), Mandarin, 0 for a person"),
    Scenario("13800138002", (), 0, "hangs up during the language prompt"),
    Scenario(
        "13800138005",
        ("2", "2", "1", "200000#", "35#", "3#", "2#", 2.0, "1"),
        3,
        "English, motor quote (200,000 yuan car, driver 35, 3 claim-free years), sales",
    ),
    Scenario(
        "13800138003",
        ("2", "3", 3.0, "19921111#", 3.0, "1"),
        3,
        "English, keys the birth date, hears the premium due, pays now with collections",
    ),
    Scenario(
        "13800138004",
        ("1", "1", "100237#", 2.0, "1", 2.0, "0"),
        3,
        "Mandarin, badge FA100237 (terminated): fraud warning, report, a person",
    ),
)


def _say(started: float, text: str) -> None:
    print(f"[{time.monotonic() - started:6.1f}s] {text}", flush=True)


async def _register_agents(
    pool: PhonePool, phones: Sequence[ProvisionedPhone], domain: str, count: int
) -> list[Phone]:
    agents = [p for p in phones if p.role == "agent"][:count]
    registered = []
    for agent in agents:
        phone = await pool.add_phone(
            f"agent-{agent.extension}",
            agent.extension,
            agent.sip_secret,
            domain,
            auto_answer_ms=800,
            display_name=agent.name,
        )
        await phone.register()
        registered.append(phone)
    return registered


async def _agent_loop(phone: Phone, started: float) -> None:
    """A simulated agent: answers (auto), talks (a tone), and lets the caller hang up."""
    while True:
        try:
            call = await phone.wait_incoming(3600)
        except PhoneTimeout:
            continue
        _say(started, f"  agent {phone.name[6:]} rings: {call.remote_user} {call.remote_name}")
        try:
            await call.wait_state("CONFIRMED", 5)
            await call.play_tone(600)
        except (PhoneError, PhoneTimeout):
            continue


async def _place(
    pool: PhonePool, scenario: Scenario, number: int, settings: Settings, started: float
) -> None:
    ast = settings.asterisk
    domain = f"127.0.0.1:{ast.sip_port}"
    caller = await pool.add_phone(
        f"caller-{number}",
        ast.carrier_username,
        settings.secret(ast.carrier_password, "carrier_password"),
        domain,
        register=False,
        from_user=scenario.caller,
    )
    _say(started, f"call {number}: {scenario.caller} dials {ast.hotline_did} ({scenario.story})")
    try:
        call = await caller.call(f"sip:{ast.hotline_did}@{domain}")
        await call.wait_state("CONFIRMED", 10)
        await call.play_tone(440)
        await _walk(call, scenario)
    except (PhoneError, PhoneTimeout) as exc:
        _say(started, f"call {number}: failed: {exc}")
    finally:
        await caller.close()
    _say(started, f"call {number}: caller hung up")


async def _walk(call: Call, scenario: Scenario) -> None:
    await asyncio.sleep(0.5)
    for key in scenario.keys:
        if isinstance(key, float):
            await asyncio.sleep(key)
            continue
        await asyncio.sleep(1.2)
        await call.dtmf(key)
    if scenario.talk_seconds:
        await asyncio.sleep(3.5 + scenario.talk_seconds)  # hand-off prompt, ringing, talking
    await call.hangup()


def _handoffs(handoffs: Mapping[str, Handoff | None]) -> list[str]:
    lines = ["", "Hand-offs to the ACD (what the agent will know without asking):"]
    for linkedid, handoff in handoffs.items():
        if handoff is None:
            continue
        facts = ", ".join(f"{k}={v}" for k, v in sorted(handoff.facts.items())) or "-"
        lines.append(
            f"  {linkedid}: intent={handoff.intent} skills="
            f"{','.join(handoff.skills) or '-'} tier={handoff.tier or '-'} {facts}"
        )
    return lines


def _summary(records: Sequence[CallRecord]) -> str:
    lines = [
        f"{'caller':<13} {'lang':<4} {'ivr path':<58} {'queue':<11} {'vip':<3} "
        f"{'step':<11} {'wait':>4} {'agent':<6} {'dur':>4} {'bill':>4} cause"
    ]
    for r in sorted(records, key=lambda r: r.start_time):
        wait = "-" if r.wait_seconds is None else str(r.wait_seconds)
        lines.append(
            f"{r.caller_number:<13} {r.language or '-':<4} {r.ivr_path[:58]:<58} "
            f"{r.queue or '-':<11} {'yes' if r.vip else '-':<3} "
            f"{(r.escalation_step or '-')[:11]:<11} {wait:>4} "
            f"{r.agent_extension or '-':<6} {r.duration:>4} {r.billsec:>4} "
            f"{r.hangup_cause_text or r.hangup_cause}"
        )
    answered = [r for r in records if r.agent_extension]
    talk = sum(r.billsec for r in answered)
    lines.append("")
    lines.append(
        f"calls {len(records)} | reached an agent {len(answered)} | ended in the IVR "
        f"{len(records) - len(answered)} | billable seconds with agents {talk}"
    )
    return "\n".join(lines)


def _experts(records: Sequence[CallRecord], skills: Mapping[str, Mapping[str, int]]) -> list[str]:
    lines = ["", "VIP callers and the seats they reached:"]
    for r in records:
        if r.vip and r.agent_extension:
            levels = skills.get(r.agent_extension, {})
            shown = ", ".join(f"{k} {v}" for k, v in sorted(levels.items()))
            lines.append(f"  {r.caller_number} -> agent {r.agent_extension} ({shown})")
    return lines


def _live(snapshot: Mapping[str, object]) -> list[str]:
    lines = ["", "Live statistics (GET /api/v1/queues):"]
    queues = snapshot.get("queues", [])
    for q in queues if isinstance(queues, list) else []:
        lines.append(
            f"  queue {q['queue']:<11} offered {q['offered']:>3} answered {q['answered']:>3} "
            f"abandoned {q['abandoned']:>3} ASA {q['asa_seconds']:>5.1f} s "
            f"service level {q['service_level']:.0%} abandon rate {q['abandon_rate']:.0%}"
        )
    agents = snapshot.get("agents", [])
    states = [f"{a['extension']} {a['state']}" for a in agents] if isinstance(agents, list) else []
    lines.append("  agents: " + ", ".join(states))
    return lines


async def _wait_for_cdrs(
    controller: Controller, expected: int, timeout_s: float
) -> list[CallRecord]:
    deadline = time.monotonic() + timeout_s
    records: list[CallRecord] = []
    while time.monotonic() < deadline:
        records = await controller.calls.list(None, None, None, limit=1000)
        if len(records) >= expected and not controller.recorder.finishing:
            break
        await asyncio.sleep(0.5)
    return records


async def run_demo(settings: Settings, calls: int = 6) -> int:
    started = time.monotonic()
    logging.getLogger().setLevel(logging.WARNING)
    _say(started, "preparing Redis and the CRM (migrate, seed)")
    settings = ensure_redis(settings)
    phones = await prepare_crm(settings)
    _say(started, "starting the Asterisk sandbox (built once, about 30 s the first time)")
    sandbox = await start_sandbox(settings, phones)
    try:
        async with running_controller(settings) as controller, PhonePool() as pool:
            await controller.ami.wait_ready(10)
            before = len(await controller.calls.list(None, None, None, limit=1000))
            _say(
                started,
                f"controller up; FastAGI :{settings.agi.port}, "
                f"API http://{settings.web.host}:{settings.web.port}/api/v1",
            )
            domain = f"127.0.0.1:{settings.asterisk.sip_port}"
            agents = await _register_agents(pool, phones, domain, 6)
            profiles = {p.extension: p for p in await controller.acd.profiles()}
            for agent in agents:
                await controller.acd.login(agent.name[6:])
            _say(
                started,
                f"{len(agents)} simulated agents registered and logged in: "
                + "; ".join(
                    f"{a.name[6:]} "
                    + ",".join(f"{k}{v}" for k, v in profiles[a.name[6:]].skills.items())
                    for a in agents
                ),
            )
            loops = [asyncio.create_task(_agent_loop(a, started)) for a in agents]
            chosen = [SCENARIOS[i % len(SCENARIOS)] for i in range(calls)]
            for batch in range(0, len(chosen), 2):
                await asyncio.gather(
                    *(
                        _place(pool, s, batch + i + 1, settings, started)
                        for i, s in enumerate(chosen[batch : batch + 2])
                    )
                )
            records = await _wait_for_cdrs(controller, before + len(chosen), 20)
            handoffs = {
                r.linkedid: await controller.ivr.handoffs.get(r.linkedid)
                for r in records[: len(chosen)]
            }
            snapshot = await controller.acd.snapshot()
            for task in loops:
                task.cancel()
            await asyncio.gather(*loops, return_exceptions=True)
            for agent in agents:
                with contextlib.suppress(Exception):
                    await controller.acd.logout(agent.name[6:])
            campaign_ok, campaign_lines = await run_campaign_demo(
                controller, settings, lambda text: _say(started, text)
            )
        print("\nCall detail records (from the CRM):")
        print(_summary(records[: len(chosen)]))
        skills = {e: p.skills for e, p in profiles.items()}
        print("\n".join(_experts(records[: len(chosen)], skills)))
        print("\n".join(_live(snapshot)))
        print("\n".join(_handoffs(handoffs)))
        print("\n".join(campaign_lines))
        ok = len(records) - before >= len(chosen) and campaign_ok
    finally:
        await sandbox.stop()
    _say(started, "demo finished" if ok else "demo finished, but some CDRs are missing")
    return 0 if ok else 1
