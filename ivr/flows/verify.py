"""Is the person at the door a genuine field agent? The caller keys the badge number; we say who
it belongs to, or warn of fraud and offer to report it. Every look-up is logged; too many failed
look-ups from one number lock the menu and send the caller to a person."""

from __future__ import annotations

import logging

from ivr.caller import CallerIO, Say
from ivr.flows.context import FieldAgentInfo, FlowContext
from ivr.flows.rules import (
    GENUINE,
    LOOKUP_WINDOW,
    WRONG_BADGES_PER_CALL,
    badge_candidates,
    menu_locked,
    verification_outcome,
)
from ivr.say import say_date, say_digits

log = logging.getLogger(__name__)


async def verify(ctx: FlowContext) -> None:
    io, agents = ctx.io, ctx.services.field_agents
    wrong: list[str] = []
    while True:
        since = ctx.services.now() - LOOKUP_WINDOW
        if menu_locked(await agents.failed_lookups_since(ctx.caller_number, since)):
            await agents.log_lookup(ctx.caller_number, "", "locked", ctx.linkedid)
            await io.mark("verify:locked")
            await io.say(Say("verify.locked"))
            raise io.person("verify-agent", ("service",), lookup="locked")
        badge = await io.number("verify:badge", (Say("verify.ask_badge"),), max_len=12)
        agent = await _look_up(ctx, badge)
        outcome = verification_outcome(agent, ctx.today())
        await agents.log_lookup(ctx.caller_number, badge, outcome, ctx.linkedid)
        log.info("call=%s badge look-up outcome=%s", ctx.linkedid, outcome)
        await io.mark(f"verify:{outcome}")
        if outcome == GENUINE and agent is not None:
            await _genuine(io, agent)
            continue
        wrong.append(badge)
        if len(wrong) >= WRONG_BADGES_PER_CALL:
            await io.say(Say("verify.too_many"))
            raise io.person("verify-agent", ("service",), badges=",".join(wrong))
        await _warn(ctx, badge, outcome)


async def _look_up(ctx: FlowContext, badge: str) -> FieldAgentInfo | None:
    for candidate in badge_candidates(badge):
        agent = await ctx.services.field_agents.by_badge(candidate)
        if agent is not None:
            return agent
    return None


async def _genuine(io: CallerIO, agent: FieldAgentInfo) -> None:
    """Say who the badge belongs to; 1 hears it again, 2 checks another badge, * goes back."""
    language = io.language or "zh"
    details = Say(
        "verify.genuine",
        {
            "name": agent.name,
            "branch": agent.branch,
            "badge": say_digits(agent.badge_number, language),
            "expiry": say_date(agent.licence_expiry, language),
        },
    )
    while await io.choose("verify:next", (details, Say("verify.after_genuine")), "12") == "1":
        continue


async def _warn(ctx: FlowContext, badge: str, outcome: str) -> None:
    """Fraud warning; 1 reports it, 2 tries another badge, 0 a person, * back."""
    io = ctx.io
    language = io.language or "zh"
    warning = Say(f"verify.warning_{outcome}", {"badge": say_digits(badge, language)})
    key = await io.choose("verify:warning", (warning, Say("verify.after_warning")), "12")
    if key == "2":
        return
    report = await ctx.services.field_agents.report_fraud(
        ctx.caller_number, badge, ctx.linkedid, f"IVR look-up outcome {outcome}"
    )
    log.info("call=%s fraud report %d for badge look-up", ctx.linkedid, report)
    reported = Say("verify.reported", {"report": say_digits(str(report), language)})
    await io.choose("verify:reported", (reported, Say("verify.after_report")), "2")
