"""A premium quote by phone: choose a product, key what its rating needs (each value checked,
with the reason spoken), hear the premium; then 1 talks to sales, 2 hears it again, 3 asks for a
call back. The quote is stored in the CRM against the caller."""

from __future__ import annotations

import logging
from typing import Any

from ivr.caller import CallerIO, Part, Say
from ivr.flows.context import FlowContext
from ivr.menu import Prompt
from ivr.rating import check
from ivr.rating import quote as rate
from ivr.say import say_money

log = logging.getLogger(__name__)


def _prompt(text: Any) -> Prompt:
    return Prompt(zh=text.zh, en=text.en)


async def quote(ctx: FlowContext) -> None:
    io, tables = ctx.io, ctx.services.rating
    product = await _choose_product(io, tables)
    values: dict[str, int] = {}
    for parameter in tables.parameters(product.key):

        def validate(keyed: str, parameter: Any = parameter) -> Part | None:
            reason = check(parameter, int(keyed)) if keyed.isdigit() else "not-a-number"
            return None if reason is None else _prompt(parameter.out_of_range)

        keyed = await io.number(
            f"quote:{parameter.key}", (_prompt(parameter.prompt),), max_len=9, validate=validate
        )
        values[parameter.key] = int(keyed)
    result = rate(tables, product.key, values)
    quote_id = await ctx.services.quotes.save(
        ctx.caller_number, product.key, values, result.premium, ctx.linkedid
    )
    log.info(
        "call=%s quote %d product=%s premium=%s",
        ctx.linkedid,
        quote_id,
        product.key,
        result.premium,
    )
    await _offer(ctx, product, result.premium, quote_id, values)


async def _choose_product(io: CallerIO, tables: Any) -> Any:
    options = tuple(
        Say("quote.product_option", {"name": name, "digit": product.digit})
        for product in tables.products
        for name in [product.name.zh if io.language == "zh" else product.name.en]
    )
    digits = "".join(product.digit for product in tables.products)
    key = await io.choose("quote:product", (Say("quote.choose"), *options), digits)
    return next(product for product in tables.products if product.digit == key)


async def _offer(
    ctx: FlowContext, product: Any, premium: Any, quote_id: int, values: dict[str, int]
) -> None:
    io = ctx.io
    language = io.language or "zh"
    name = product.name.zh if language == "zh" else product.name.en
    spoken = Say("quote.premium", {"product": name, "amount": say_money(premium, language)})
    while True:
        key = await io.choose("quote:next", (spoken, Say("quote.options")), "123")
        if key == "1":
            facts = {k: str(v) for k, v in values.items()}
            raise io.person(
                "quote",
                ("sales", product.key),
                product=product.key,
                premium=str(premium),
                quote=str(quote_id),
                **facts,
            )
        if key == "3":
            await ctx.services.quotes.request_callback(quote_id)
            await io.mark("quote:callback")
            await io.say(Say("quote.callback"))
            return
