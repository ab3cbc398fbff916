"""Who holds the policies a flow is about to read out. Caller ID (or the number an outbound call
dialled) only pre-selects a customer: the person on the line proves it with the birth date or
the identity number's last four before any policy detail is spoken. A caller not known by caller
ID keys a policy number and the holder's birth date instead. Every failed proof counts toward
the same lock-out per number as the verify flow's failed badge look-ups."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from ivr.caller import Say
from ivr.flows.context import FlowContext
from ivr.flows.rules import (
    HOLDER_UNCONFIRMED,
    LOOKUP_WINDOW,
    birth_digits_valid,
    confirm_step,
    holder_confirmed,
    policy_candidates,
    proof_digits_valid,
)

log = logging.getLogger(__name__)

SKILLS = ("collections",)


@dataclass(frozen=True)
class Confirmed:
    """A customer the person on the line has proved to be; only this opens policy details."""

    customer_id: int


async def confirm_holder(ctx: FlowContext, customer_id: int, intent: str = "premium") -> Confirmed:
    """Ask for the proof until it matches; a locked number or too many wrong proofs end with a
    person (``intent``), nothing revealed."""
    io = ctx.io
    proof = await ctx.services.policies.holder_proof(customer_id)
    wrong = 0
    while True:
        await _guard(ctx, wrong, intent)
        keyed = await io.number(
            "premium:confirm", (Say("premium.ask_proof"),), max_len=8, validate=proof_digits_valid
        )
        if proof is not None and holder_confirmed(keyed, proof.birth_date, proof.id_number_tail):
            await io.mark("premium:confirmed")
            return Confirmed(customer_id)
        wrong += 1
        await _failed(ctx, "wrong_proof")


async def identify_holder(ctx: FlowContext) -> Confirmed:
    """A caller not known by caller ID: a policy number and the holder's birth date."""
    io = ctx.io
    wrong = 0
    while True:
        await _guard(ctx, wrong, "premium")
        number = await io.number("premium:policy", (Say("premium.ask_policy"),), max_len=20)
        birth = await io.number(
            "premium:birth",
            (Say("premium.ask_birth"),),
            max_len=8,
            validate=lambda keyed: birth_digits_valid(keyed, ctx.today()),
        )
        for candidate in policy_candidates(number):
            holder = await ctx.services.policies.holder_by_policy_and_birth(candidate, birth)
            if holder is not None:
                await io.mark("premium:identified")
                return Confirmed(holder.id)
        wrong += 1
        await _failed(ctx, "not_found")


async def _guard(ctx: FlowContext, wrong: int, intent: str) -> None:
    """Raise the hand-off to a person when the number is locked or this call has run out of
    tries; return when the caller may try (again)."""
    io, agents = ctx.io, ctx.services.field_agents
    since = ctx.services.now() - LOOKUP_WINDOW
    step = confirm_step(
        await agents.failed_lookups_since(ctx.caller_number, since), wrong, io.retries
    )
    if step == "locked":
        await agents.log_lookup(ctx.caller_number, "", "locked", ctx.linkedid)
        log.info("call=%s policy holder proof refused: the number is locked", ctx.linkedid)
        await io.mark("premium:locked")
        await io.say(Say("premium.locked"))
        raise io.person(intent, SKILLS, lookup="locked")
    if step == "give_up":
        await io.mark("premium:unconfirmed")
        raise io.person(intent, SKILLS, identified="no")


async def _failed(ctx: FlowContext, what: str) -> None:
    """One failed proof: logged toward the lock-out, marked and said (``premium.<what>``)."""
    await ctx.services.field_agents.log_lookup(
        ctx.caller_number, "", HOLDER_UNCONFIRMED, ctx.linkedid
    )
    log.info("call=%s policy holder proof failed (%s)", ctx.linkedid, what)
    await ctx.io.mark(f"premium:{what}")
    await ctx.io.say(Say(f"premium.{what}"))
