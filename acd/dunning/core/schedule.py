"""Calling days and calling hours in the customer's own time zone, correct across DST changes.

Every instant is handled in UTC and turned into local wall time only through ``zoneinfo``:
Python compares and adds aware datetimes that share a ``tzinfo`` by *wall clock* (fold and
DST ignored), so ``09:00 local + 1 day`` is never computed that way here. A window opens at
``start`` on each calling day, i.e. ``datetime.combine(day, start, tz)`` converted to UTC; on a
DST day that instant is an hour nearer or farther from the previous evening, as it should be.
A wall time that does not exist (spring forward) resolves to the instant just after the gap;
one that occurs twice (fall back) to its first occurrence (``fold=0``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from acd.dunning.core.model import CampaignError, Schedule

ONE_DAY = timedelta(days=1)
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def utc(at: datetime) -> datetime:
    """``at`` as a UTC instant; :class:`CampaignError` for a naive datetime."""
    if at.tzinfo is None or at.utcoffset() is None:
        raise CampaignError(f"{at.isoformat()} has no time zone")
    return at.astimezone(UTC)


def local_date(at: datetime, tz: ZoneInfo) -> date:
    return utc(at).astimezone(tz).date()


def local_instant(day: date, wall: time, tz: ZoneInfo) -> datetime:
    """The UTC instant at which the wall clock in ``tz`` reads ``wall`` on ``day``."""
    return datetime.combine(day, wall, tzinfo=tz).astimezone(UTC)


def start_of_day(day: date, tz: ZoneInfo) -> datetime:
    return local_instant(day, time(0, 0), tz)


def next_local_midnight(at: datetime, tz: ZoneInfo) -> datetime:
    """The UTC instant the customer's next local day begins."""
    return start_of_day(local_date(at, tz) + ONE_DAY, tz)


def describe(at: datetime, tz: ZoneInfo) -> str:
    """``2026-11-23 09:00 CST (Monday)``: an instant on the customer's wall clock."""
    local = utc(at).astimezone(tz)
    return f"{local:%Y-%m-%d %H:%M %Z} ({WEEKDAY_NAMES[local.weekday()]})"


class DayKind(StrEnum):
    """Why a local date is not a calling day: a stable code for the console's translations."""

    BEFORE_START = "before-start"
    AFTER_END = "after-end"
    HOLIDAY = "holiday"
    WEEKDAY = "weekday"


def day_kind(schedule: Schedule, day: date) -> DayKind | None:
    """Which rule keeps ``day`` (a local date) from being a calling day; ``None`` when it is one."""
    if day < schedule.start_date:
        return DayKind.BEFORE_START
    if day > schedule.end_date:
        return DayKind.AFTER_END
    if day in schedule.holidays:
        return DayKind.HOLIDAY
    if day.weekday() not in schedule.weekdays:
        return DayKind.WEEKDAY
    return None


def day_problem(schedule: Schedule, day: date) -> str | None:
    """Why ``day`` (a local date) is not a calling day; ``None`` when it is one."""
    kind = day_kind(schedule, day)
    if kind is DayKind.BEFORE_START:
        return f"{day.isoformat()} is before the campaign starts ({schedule.start_date})"
    if kind is DayKind.AFTER_END:
        return f"{day.isoformat()} is after the campaign ended ({schedule.end_date})"
    if kind is DayKind.HOLIDAY:
        return f"{day.isoformat()} is a holiday"
    if kind is DayKind.WEEKDAY:
        return f"{day.isoformat()} is a {WEEKDAY_NAMES[day.weekday()]}, not a calling day"
    return None


def wall_time(at: datetime, tz: ZoneInfo) -> str:
    """``09:00``: an instant on the customer's wall clock, for a decision's parameters."""
    return f"{utc(at).astimezone(tz):%H:%M}"


def window_on(schedule: Schedule, day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants the calling window opens and closes on local ``day``."""
    hours = schedule.hours
    return local_instant(day, hours.start, tz), local_instant(day, hours.end, tz)


def in_window(schedule: Schedule, tz: ZoneInfo, at: datetime) -> bool:
    """Whether ``at`` falls in a calling window (calling day, ``start <= t < end``)."""
    at = utc(at)
    day = local_date(at, tz)
    if day_kind(schedule, day) is not None:
        return False
    opens, closes = window_on(schedule, day, tz)
    return opens <= at < closes


def next_open(schedule: Schedule, tz: ZoneInfo, at: datetime) -> datetime | None:
    """The first instant at or after ``at`` inside a calling window (``at`` itself when it is
    inside one); ``None`` when no window is left before the schedule ends."""
    at = utc(at)
    day = max(local_date(at, tz), schedule.start_date)
    while day <= schedule.end_date:
        if day_kind(schedule, day) is None:
            opens, closes = window_on(schedule, day, tz)
            if opens < closes and at < closes:  # (a window a DST gap swallowed is none)
                return max(at, opens)
        day += ONE_DAY
    return None
