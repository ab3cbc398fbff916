"""What premium is due, and paying or promising to pay it. Nothing about a policy is spoken
before the person on the line has proved who they are (:mod:`ivr.flows.holder`), and a policy
number is only ever read by its last four digits. :func:`offer_policies` takes the policies as
a parameter, so outbound dunning calls play the same flow for the policy they are about."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from ivr.caller import Say
from ivr.flows.context import FlowContext, PolicyDueInfo
from ivr.flows.holder import Confirmed, confirm_holder, identify_holder
from ivr.flows.rules import policy_tail, promise_date
from ivr.say import say_date, say_digits, say_money

log = logging.getLogger(__name__)


async def premium(ctx: FlowContext) -> None:
    if ctx.customer is not None:
        holder = await confirm_holder(ctx, ctx.customer.id)
    else:
        holder = await identify_holder(ctx)
    due = await ctx.services.policies.due_for_customer(holder.customer_id)
    if not due:
        await ctx.io.mark("premium:none")
        await ctx.io.say(Say("premium.none"))
        return
    await offer_policies(ctx, holder, due, channel="inbound")


async def offer_policies(
    ctx: FlowContext, holder: Confirmed, policies: Sequence[PolicyDueInfo], *, channel: str
) -> None:
    """Read each of the confirmed holder's policies (masked) with the amount and due date;
    1 pay now, 2 promise to pay, 3 dispute, 4 the next policy."""
    io = ctx.io
    language = io.language or "zh"
    theirs = [policy for policy in policies if policy.customer_id == holder.customer_id]
    await io.say(Say("premium.count", {"count": str(len(theirs))}))
    for policy in theirs:
        details = Say(
            "premium.policy",
            {
                "tail": say_digits(policy_tail(policy.number), language),
                "product": io.text(Say(f"product.{policy.product}"), language)
                if io.has_text(f"product.{policy.product}")
                else policy.product,
                "amount": say_money(policy.amount_due, language),
                "date": say_date(policy.due_date, language),
            },
        )
        key = await io.choose("premium:policy", (details, Say("premium.options")), "1234")
        facts = {"policy": policy.number, "amount": str(policy.amount_due)}
        if key == "1":
            raise io.person("pay", ("collections",), **facts)
        if key == "2":
            await _promise(ctx, policy, channel)
        if key == "3":
            raise io.person("dispute", ("collections",), **facts)
    await io.say(Say("premium.done"))


async def _promise(ctx: FlowContext, policy: PolicyDueInfo, channel: str) -> None:
    io = ctx.io
    language = io.language or "zh"
    today = ctx.today()

    def check(keyed: str) -> Say | None:
        result = promise_date(keyed, today)
        return result if isinstance(result, Say) else None

    keyed = await io.number(
        "premium:promise_date", (Say("promise.ask_date"),), max_len=8, validate=check
    )
    when = promise_date(keyed, today)
    assert not isinstance(when, Say)
    promise = await ctx.services.policies.promise(
        policy.policy_id, policy.amount_due, when, ctx.caller_number, ctx.linkedid, channel
    )
    log.info(
        "call=%s promise %d to pay policy %s on %s",
        ctx.linkedid,
        promise,
        policy.number,
        when.isoformat(),
    )
    await io.mark("premium:promised")
    thanks = {"amount": say_money(policy.amount_due, language), "date": say_date(when, language)}
    await io.say(Say("promise.thanks", thanks))
