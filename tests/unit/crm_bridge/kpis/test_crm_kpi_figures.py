"""Agent KPIs, the pure part: day bounds, state spans clipped to the day and to now, missed
offers, the report's rows, who sees which row, and the CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from crm_bridge.kpis.figures import (
    LOGGED_OUT,
    REPORT_FIELDS,
    AgentKpis,
    CallFigures,
    DayKpis,
    StateChange,
    StateSpan,
    day_window,
    missed_offers,
    online_seconds,
    overlap_seconds,
    parse_day,
    state_at_start,
    state_spans,
    time_figures,
    wrapup_seconds,
)
from crm_bridge.vocab import Role
from ivr_acd.web.auth.principal import TOKEN_PRINCIPAL, Principal
from ivr_acd.web.core import ApiError
from ivr_acd.web.kpis.routes import CSV_FIELDS, kpi_csv, visible_rows

pytestmark = pytest.mark.unit

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = date(2026, 11, 23)
START = datetime(2026, 11, 23, tzinfo=SHANGHAI)
END = START + timedelta(days=1)


def at(hour: int, minute: int = 0) -> datetime:
    return START + timedelta(hours=hour, minutes=minute)


def change(hour: int, minute: int, old: str, new: str, reason: str = "") -> StateChange:
    return StateChange(at(hour, minute), old, new, reason)


# ---- days -----------------------------------------------------------------------------------


@pytest.mark.parametrize("raw", ["2026-11-23", "1970-01-01", "2024-02-29"])
def test_a_day_is_iso_year_month_day(raw: str) -> None:
    assert parse_day(raw) == date.fromisoformat(raw)


@pytest.mark.parametrize(
    "raw", ["", "2026-11-31", "2026-13-01", "20261123", "2026-1-5", "23.11.2026", "１９７０-01-01",
            "2026-11-23T00:00", "1969-12-31", "9999-12-31", " 2026-11-23"],
)  # fmt: skip
def test_anything_else_is_refused(raw: str) -> None:
    with pytest.raises(ValueError, match="day must be"):
        parse_day(raw)


def test_a_day_runs_from_midnight_to_midnight_in_the_centres_zone() -> None:
    start, end = day_window(DAY, SHANGHAI)
    assert start.astimezone(UTC) == datetime(2026, 11, 22, 16, tzinfo=UTC)
    assert end - start == timedelta(days=1)


def test_a_day_with_a_clock_change_is_23_hours_long() -> None:
    start, end = day_window(date(2026, 3, 29), ZoneInfo("Europe/Berlin"))
    assert (end.astimezone(UTC) - start.astimezone(UTC)) == timedelta(hours=23)


# ---- clipping -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("begin", "end", "seconds"),
    [
        (at(9), at(10), 3600.0),  # inside
        (at(-2), at(1), 3600.0),  # over the previous midnight
        (at(23), at(26), 3600.0),  # over the next midnight
        (at(-5), at(-1), 0.0),  # before
        (at(25), at(26), 0.0),  # after
        (at(-1), at(25), 86400.0),  # around the whole day
        (at(10), at(9), 0.0),  # backwards
    ],
)
def test_overlap_is_clipped_to_the_window(begin: datetime, end: datetime, seconds: float) -> None:
    assert overlap_seconds(begin, end, START, END) == seconds


def test_the_state_at_midnight_comes_from_before_else_from_the_first_change() -> None:
    first = [change(9, 0, "paused", "ready")]
    assert state_at_start("ready", first) == "ready"
    assert state_at_start(None, first) == "paused"
    assert state_at_start(None, []) == LOGGED_OUT


def test_spans_follow_the_transitions_and_end_at_the_upper_bound() -> None:
    changes = [
        change(8, 0, "logged-out", "ready"),
        change(9, 0, "ready", "reserved"),
        change(9, 0, "reserved", "on-call"),  # answered within the second
        change(9, 5, "on-call", "wrap-up"),
        change(9, 6, "wrap-up", "ready"),
    ]
    spans = state_spans("logged-out", changes, START, at(10))
    assert spans == [
        StateSpan("logged-out", START, at(8)),
        StateSpan("ready", at(8), at(9)),
        StateSpan("on-call", at(9), at(9, 5)),
        StateSpan("wrap-up", at(9, 5), at(9, 6)),
        StateSpan("ready", at(9, 6), at(10)),
    ]
    assert online_seconds(spans) == 2 * 3600
    assert wrapup_seconds(spans) == 60


def test_a_state_entered_before_midnight_counts_from_midnight() -> None:
    spans = state_spans("wrap-up", [change(0, 30, "wrap-up", "logged-out")], START, END)
    assert spans == [
        StateSpan("wrap-up", START, at(0, 30)),
        StateSpan("logged-out", at(0, 30), END),
    ]
    assert (online_seconds(spans), wrapup_seconds(spans)) == (1800, 1800)


def test_an_open_state_ends_now() -> None:
    now = at(12)
    spans = state_spans("logged-out", [change(11, 0, "logged-out", "ready")], START, now)
    assert online_seconds(spans) == 3600


def test_a_day_in_the_future_has_no_time() -> None:
    now = START - timedelta(hours=1)
    assert state_spans("ready", [], START, now) == []


def test_changes_outside_the_bounds_only_set_the_state() -> None:
    changes = [StateChange(at(-1), "logged-out", "paused"), change(30, 0, "paused", "ready")]
    spans = state_spans("logged-out", changes, START, END)
    assert spans == [StateSpan("paused", START, END)]


def test_changes_are_taken_in_time_order() -> None:
    late, early = change(10, 0, "ready", "logged-out"), change(9, 0, "logged-out", "ready")
    assert online_seconds(state_spans("logged-out", [late, early], START, END)) == 3600


def test_missed_offers_are_ring_no_answer_only() -> None:
    changes = [
        change(9, 0, "reserved", "paused", "no-answer"),  # missed
        change(9, 1, "reserved", "ready"),  # lease expired, withdrawn or caller gone
        change(9, 2, "reserved", "paused", "break"),  # a pause pending while it rang
        change(9, 3, "ready", "paused", "no-answer"),  # not an offer
        change(9, 4, "reserved", "paused", "no-answer"),  # missed
    ]
    assert missed_offers(changes) == 2


def test_time_figures_round_to_whole_seconds() -> None:
    changes = [StateChange(START + timedelta(seconds=10.6), "logged-out", "wrap-up")]
    online, wrapup, missed = time_figures(None, changes, START, START + timedelta(seconds=20))
    assert (online, wrapup, missed) == (9, 9, 0)


# ---- rows, who sees them, CSV ---------------------------------------------------------------


def row(extension: str, team: str | None, handled: int = 0, complained: int = 0) -> AgentKpis:
    calls = CallFigures(
        calls_handled=handled, talk_seconds=60 * handled, complained_calls=complained
    )
    return AgentKpis(extension, f"agent {extension}", team, calls, online_seconds=3600)


def test_the_complaint_rate_is_complained_over_handled() -> None:
    assert row("8001", "claims", handled=3, complained=1).complaint_rate == 0.3333
    assert row("8001", "claims", handled=2).complaint_rate == 0.0
    assert row("8001", "claims").complaint_rate is None


def test_a_row_has_the_report_fields_and_no_team() -> None:
    data = row("8001", "claims", handled=2, complained=1).to_dict()
    assert tuple(data) == REPORT_FIELDS
    assert data["complaint_rate"] == 0.5 and "team" not in data


REPORT = DayKpis(DAY, (row("8001", "claims"), row("8002", "claims"), row("8003", "sales")))


def extensions(rows: list[AgentKpis]) -> list[str]:
    return [r.extension for r in rows]


def test_an_agent_sees_only_their_own_row() -> None:
    agent = Principal(Role.AGENT, "8001", "claims")
    assert extensions(visible_rows(agent, REPORT, None)) == ["8001"]
    with pytest.raises(ApiError) as refused:
        visible_rows(agent, DayKpis(DAY, (row("8002", "claims"),)), "8002")
    assert refused.value.code == "forbidden"


def test_a_supervisor_sees_their_team_and_an_admin_everyone() -> None:
    supervisor = Principal(Role.SUPERVISOR, "9001", "claims")
    assert extensions(visible_rows(supervisor, REPORT, None)) == ["8001", "8002"]
    assert extensions(visible_rows(TOKEN_PRINCIPAL, REPORT, None)) == ["8001", "8002", "8003"]
    with pytest.raises(ApiError):
        visible_rows(supervisor, DayKpis(DAY, (row("8003", "sales"),)), "8003")


def test_asking_for_an_extension_without_figures_is_empty_for_whoever_may_see_it() -> None:
    empty = DayKpis(DAY, ())
    assert visible_rows(TOKEN_PRINCIPAL, empty, "8999") == []
    assert visible_rows(Principal(Role.AGENT, "8001", "claims"), empty, "8001") == []
    with pytest.raises(ApiError):
        visible_rows(Principal(Role.AGENT, "8001", "claims"), empty, "8999")


def test_the_csv_has_a_header_and_one_row_per_agent() -> None:
    rows = [row("8001", "claims", handled=4, complained=1), row("8002", "claims")]
    parsed = list(csv.DictReader(io.StringIO(kpi_csv(DAY, rows))))
    assert tuple(parsed[0]) == CSV_FIELDS
    assert parsed[0]["day"] == "2026-11-23" and parsed[0]["complaint_rate"] == "0.25"
    assert parsed[0]["talk_seconds"] == "240" and parsed[0]["name"] == "agent 8001"
    assert parsed[1]["complaint_rate"] == ""


def test_the_csv_defuses_spreadsheet_formulas() -> None:
    rogue = AgentKpis("8001", '=HYPERLINK("x")', "claims")
    parsed = list(csv.reader(io.StringIO(kpi_csv(DAY, [rogue]))))
    assert parsed[1][2] == '\'=HYPERLINK("x")'
