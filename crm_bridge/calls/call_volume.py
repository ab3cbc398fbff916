"""A day's customer call volume per hour from the CDRs, for the wallboard's chart (a spy leg or
a staff phone's own call is not counted). The day and its hours are the contact centre's local
ones (``ivr.time_zone``), so a day in Shanghai is not cut at UTC midnight. Counting is pure
(:func:`hourly`); the repository only reads the day's rows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from crm_bridge.models import Call
from crm_bridge.vocab import CallKind, Direction

HOURS = 24


@dataclass(frozen=True, slots=True)
class CallFacts:
    """What the chart needs of one CDR."""

    start_time: datetime
    direction: str
    answered: bool
    abandoned: bool


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The local day as an instant range [start, end); 23 or 25 hours across a DST change."""
    start = datetime.combine(day, time(0), zone)
    end = datetime.combine(day + timedelta(days=1), time(0), zone)
    return start, end


def hourly(
    day: date, zone: ZoneInfo, calls: Iterable[CallFacts], now: datetime | None = None
) -> dict[str, Any]:
    """``{"day", "time_zone", "hours": [{"hour", "inbound", "outbound", "answered",
    "abandoned"}] × 24, "total", "now_hour"}``; calls outside the day are not counted;
    ``now_hour`` is the local hour now when ``day`` is today (else null)."""
    hours = [
        {"hour": hour, "inbound": 0, "outbound": 0, "answered": 0, "abandoned": 0}
        for hour in range(HOURS)
    ]
    total = 0
    for call in calls:
        local = call.start_time.astimezone(zone)
        if local.date() != day:
            continue
        bucket = hours[local.hour]
        outbound = call.direction == Direction.OUTBOUND.value
        bucket["outbound" if outbound else "inbound"] += 1
        bucket["answered"] += 1 if call.answered else 0
        bucket["abandoned"] += 1 if call.abandoned else 0
        total += 1
    local_now = None if now is None else now.astimezone(zone)
    now_hour = local_now.hour if local_now is not None and local_now.date() == day else None
    return {
        "day": day.isoformat(),
        "time_zone": zone.key,
        "hours": hours,
        "total": total,
        "now_hour": now_hour,
    }


class CallVolume:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], zone: ZoneInfo) -> None:
        self._sessions = sessions
        self.zone = zone

    def today(self) -> date:
        return datetime.now(self.zone).date()

    async def hourly(self, day: date) -> dict[str, Any]:
        start, end = day_bounds(day, self.zone)
        query = select(Call.start_time, Call.direction, Call.answer_time, Call.abandoned).where(
            Call.start_time >= start,
            Call.start_time < end,
            Call.kind == CallKind.CUSTOMER.value,  # a spy leg is no customer call
        )
        async with self._sessions() as session:
            rows = (await session.execute(query)).all()
        facts = [
            CallFacts(row.start_time, row.direction, row.answer_time is not None, row.abandoned)
            for row in rows
        ]
        return hourly(day, self.zone, facts, datetime.now(self.zone))
