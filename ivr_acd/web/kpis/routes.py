"""/api/v1/kpis/agents: agent KPIs for one calendar day, as JSON or as a CSV download (its
header row in a person's language with ``lang``, see ``ivr_acd.web.exports``).

Who sees what (``ivr_acd.web.auth.principal``): an agent their own row, a supervisor their team's
(and
their own), an admin and the API token everyone. Asking for another's ``extension`` is 403."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Final

from aiohttp import web

from crm_bridge.kpis.figures import REPORT_FIELDS, AgentKpis, DayKpis, parse_day
from ivr_acd.web.auth.principal import Principal, principal
from ivr_acd.web.core import API, DEPS, ApiError, KpiQuery, choice_param, unavailable
from ivr_acd.web.exports import csv_response, csv_text, export_locale, header_row

_EXTENSION: Final = re.compile(r"[0-9]{2,16}")
FORMATS: Final = frozenset({"json", "csv"})
CSV_FIELDS: Final = ("day", *REPORT_FIELDS)


def _port(request: web.Request) -> KpiQuery:
    kpis = request.app[DEPS].kpis
    if kpis is None:
        raise unavailable("the KPI report")
    return kpis


def _day(request: web.Request) -> date | None:
    raw = request.query.get("day")
    if raw is None or raw == "":
        return None
    try:
        return parse_day(raw)
    except ValueError as exc:
        raise ApiError("bad-request", str(exc)) from exc


def _extension(request: web.Request) -> str | None:
    raw = request.query.get("extension")
    if raw is None or raw == "":
        return None
    if not _EXTENSION.fullmatch(raw):
        raise ApiError("bad-request", "extension must be 2 to 16 digits")
    return raw


def _wants_csv(request: web.Request) -> bool:
    asked = choice_param(request, "format", FORMATS)
    by_path = request.path.endswith(".csv")
    if by_path and asked == "json":
        raise ApiError("bad-request", "agents.csv is CSV; drop format=json or use /kpis/agents")
    return by_path or asked == "csv"


def visible_rows(who: Principal, report: DayKpis, extension: str | None) -> list[AgentKpis]:
    """The rows ``who`` may see; 403 when they asked for an agent they may not see."""
    rows = [row for row in report.agents if who.may_act_for(row.extension, row.team)]
    if extension is not None and not rows and not who.may_act_for(extension, None):
        raise ApiError("forbidden", f"you may not see the figures of agent {extension}")
    return rows


def kpi_csv(day: date, rows: list[AgentKpis], header: Sequence[str] = CSV_FIELDS) -> str:
    """A header row, then one row per agent; an unknown complaint rate is empty."""
    values = (row.to_dict() for row in rows)
    return csv_text(
        header, ([day.isoformat(), *(v[name] for name in REPORT_FIELDS)] for v in values)
    )


async def agent_kpis(request: web.Request) -> web.Response:
    who = principal(request)
    kpis = _port(request)
    day, extension, as_csv = _day(request), _extension(request), _wants_csv(request)
    locale = export_locale(request)
    report = await kpis.agents_day(day, extension)
    rows = visible_rows(who, report, extension)
    if not as_csv:
        return web.json_response(DayKpis(report.day, tuple(rows)).to_dict())
    header = header_row(request, locale, "kpis", CSV_FIELDS)
    filename = f"agent-kpis-{report.day.isoformat()}.csv"
    return csv_response(kpi_csv(report.day, rows, header), filename, locale)


def add_kpi_routes(app: web.Application) -> None:
    app.router.add_get(f"{API}/kpis/agents", agent_kpis)
    app.router.add_get(f"{API}/kpis/agents.csv", agent_kpis)
