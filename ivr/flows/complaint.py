"""Complaint intake: a category by keypad, a recorded message (at most 60 s, `#` ends), a
ticket in the CRM with the recording's file name, then a person with the `complaints` skill."""

from __future__ import annotations

import logging
from typing import Final

from ivr.caller import Say
from ivr.flows.context import FlowContext
from ivr.flows.rules import COMPLAINT_CATEGORIES
from ivr.say import say_digits

log = logging.getLogger(__name__)

MAX_SECONDS: Final = 60


async def complaint(ctx: FlowContext) -> None:
    io = ctx.io
    key = await io.choose(
        "complaint:category", (Say("complaint.category"),), "".join(COMPLAINT_CATEGORIES)
    )
    category = COMPLAINT_CATEGORIES[key]
    stamp = ctx.services.now().strftime("%Y%m%dT%H%M%S")
    recording = f"{ctx.services.recordings_dir}/complaint-{ctx.linkedid}-{stamp}"
    await io.play(Say("complaint.record"), keys="")  # keys now would cut the recording short
    await io.record(recording, MAX_SECONDS)
    await io.mark("complaint:recorded")
    ticket = await ctx.services.complaints.create(
        ctx.caller_number, category, f"{recording}.wav", ctx.linkedid
    )
    log.info("call=%s complaint ticket %d category=%s", ctx.linkedid, ticket, category)
    language = io.language or "zh"
    await io.play(Say("complaint.ticket", {"ticket": say_digits(str(ticket), language)}), keys="")
    raise io.person("complaint", ("complaints",), ticket=str(ticket), category=category)
