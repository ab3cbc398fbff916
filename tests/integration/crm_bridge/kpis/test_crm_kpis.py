"""Agent KPIs per agent and day from CDRs, the agent state log and complaints, on SQLite and
PostgreSQL; and GET /api/v1/kpis/agents (JSON and CSV) through aiohttp's test client.

Two days in Shanghai (UTC+8), 2026-11-23 and -24, seen at 14:00 on the 24th: 8001 wraps up over
midnight, 8003 logged in on the evening of the 23rd and is still in, 8002 logged in at 13:00 on
the 24th and is still in, 8099 is in the log but no longer in the CRM."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from crm_bridge.db import Database
from crm_bridge.kpis.agents import KpiRepository
from crm_bridge.kpis.figures import DayKpis
from crm_bridge.models import Agent
from crm_bridge.repositories import (
    AgentStateLogRepository,
    AgentTransition,
    CallRepository,
    ComplaintRepository,
)
from crm_bridge.vocab import Role
from ivr_acd.web.app import API, ApiDeps, build_api
from ivr_acd.web.auth.principal import PRINCIPAL, Principal
from ivr_acd.web.i18n import packaged_catalogs
from ivr_acd.web.kpis.routes import CSV_FIELDS
from tests.call_records import call_record

pytestmark = pytest.mark.integration

SHANGHAI = ZoneInfo("Asia/Shanghai")
D1, D2 = date(2026, 11, 23), date(2026, 11, 24)
TOKEN = "kpi-token-123"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def local(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, second, tzinfo=SHANGHAI)


NOW = local(24, 14)

PEOPLE = [
    ("8001", "王芳", "claims", Role.AGENT),
    ("8002", "Li Lei", "claims", Role.AGENT),
    ("8003", "Sara Chen", "sales", Role.AGENT),
    ("9001", "张伟", "claims", Role.SUPERVISOR),
    ("7000", "Admin", "office", Role.ADMIN),  # not listed: no activity, no softphone
]


def _call(linkedid: str, agent: str | None, start: datetime, talk: int, **more: Any) -> Any:
    """A call with ``talk`` seconds of the agent's own leg, after 15 s of IVR and queue that
    the caller's billsec counts and talk time must not."""
    end = start + timedelta(seconds=talk + 35)
    values: dict[str, Any] = {
        "agent_extension": agent,
        "start_time": start,
        "answer_time": start + timedelta(seconds=20),
        "end_time": end,
        "duration": talk + 35,
        "billsec": talk + 15,
        "agent_answer_time": (end - timedelta(seconds=talk)) if agent else None,
        "agent_end_time": end if agent else None,
        "talk_seconds": talk,
    }
    return call_record(linkedid, **{**values, **more})


OUTBOUND = {"direction": "outbound", "ivr_path": "callback", "did": "13800138000"}
CALLS = [
    _call("d1.1", "8001", local(23, 9), 120),  # two complaints filed on it
    _call("d1.2", "8001", local(23, 10), 200),
    _call("d1.3", "8001", local(23, 23, 58), 300),  # ends after midnight: still the 23rd
    _call("d1.4-cb", "8001", local(23, 11), 60, **OUTBOUND),
    _call("d1.5", "8002", local(23, 9, 30), 100),  # complaint
    _call("d1.6", None, local(23, 9, 40), 0, abandoned=True, queue="claims"),  # complaint
    _call("d1.7", "8003", local(23, 7, 59), 90),  # 23:59 UTC on the 22nd
    _call("d2.1", "8001", local(24, 0, 5), 50),
    _call(
        "d2.2-cb", "8002", local(24, 8), 0, answer_time=None, disposition="NO ANSWER", **OUTBOUND
    ),
    _call("d2.3", "8003", local(24, 0, 0), 45),  # midnight sharp belongs to the 24th
]
COMPLAINTS = ["d1.1", "d1.1", "d1.5", "d1.6"]


def _t(ext: str, when: datetime, old: str, new: str, reason: str = "") -> AgentTransition:
    return AgentTransition(ext, old, new, when, reason=reason)


TRANSITIONS = [
    _t("8001", local(23, 8), "logged-out", "ready"),
    _t("8001", local(23, 9), "ready", "reserved"),
    _t("8001", local(23, 9, 0, 5), "reserved", "on-call"),
    _t("8001", local(23, 9, 2), "on-call", "wrap-up"),
    _t("8001", local(23, 9, 2, 30), "wrap-up", "ready"),
    _t("8001", local(23, 9, 50), "ready", "reserved"),
    _t("8001", local(23, 9, 50, 20), "reserved", "paused", "no-answer"),
    _t("8001", local(23, 9, 55), "paused", "ready"),
    _t("8001", local(23, 23, 55), "ready", "reserved"),
    _t("8001", local(23, 23, 55, 10), "reserved", "on-call"),
    _t("8001", local(23, 23, 59), "on-call", "wrap-up"),
    _t("8001", local(24, 0, 1), "wrap-up", "ready"),  # wrap-up over midnight: 60 s + 60 s
    _t("8001", local(24, 0, 30), "ready", "logged-out"),
    _t("8002", local(23, 9), "logged-out", "ready"),
    _t("8002", local(23, 9, 10), "ready", "reserved"),
    _t("8002", local(23, 9, 10, 15), "reserved", "paused", "no-answer"),
    _t("8002", local(23, 9, 20), "paused", "ready"),
    _t("8002", local(23, 17), "ready", "logged-out"),
    _t("8002", local(24, 13), "logged-out", "ready"),  # still in at 14:00
    _t("8002", local(24, 13, 30), "ready", "reserved"),
    _t("8002", local(24, 13, 30, 10), "reserved", "paused", "no-answer"),
    _t("8003", local(23, 20), "logged-out", "ready"),  # over midnight and still in
    _t("8003", local(24, 9), "ready", "reserved"),
    _t("8003", local(24, 9, 0, 30), "reserved", "ready"),  # the lease ran out: not a miss
    _t("8099", local(23, 10), "logged-out", "ready"),
    _t("8099", local(23, 10, 30), "ready", "logged-out"),
]


def kpis(ext: str, name: str, **figures: Any) -> dict[str, Any]:
    zero = {
        "calls_handled": 0,
        "outbound_calls": 0,
        "talk_seconds": 0,
        "online_seconds": 0,
        "wrapup_seconds": 0,
        "missed_offers": 0,
        "complaint_rate": None,
    }
    return {"extension": ext, "name": name, **zero, **figures}


DAY1 = [
    kpis("8001", "王芳", calls_handled=3, outbound_calls=1, talk_seconds=620,
         online_seconds=16 * 3600, wrapup_seconds=90, missed_offers=1, complaint_rate=0.3333),
    kpis("8002", "Li Lei", calls_handled=1, talk_seconds=100, online_seconds=8 * 3600,
         missed_offers=1, complaint_rate=1.0),
    kpis("8003", "Sara Chen", calls_handled=1, talk_seconds=90, online_seconds=4 * 3600,
         complaint_rate=0.0),
    kpis("8099", "", online_seconds=1800),
    kpis("9001", "张伟"),
]  # fmt: skip
DAY2 = [
    kpis("8001", "王芳", calls_handled=1, talk_seconds=50, online_seconds=1800,
         wrapup_seconds=60, complaint_rate=0.0),
    kpis("8002", "Li Lei", outbound_calls=1, online_seconds=3600, missed_offers=1),
    kpis("8003", "Sara Chen", calls_handled=1, talk_seconds=45, online_seconds=14 * 3600,
         complaint_rate=0.0),
    kpis("8099", ""),
    kpis("9001", "张伟"),
]  # fmt: skip


async def _seed(database: Database) -> None:
    async with database.sessions.begin() as session:
        for ext, name, team, role in PEOPLE:
            session.add(
                Agent(
                    extension=ext,
                    name=name,
                    password_hash="-",
                    sip_secret="-",
                    languages=["zh"],
                    team=team,
                    role=role.value,
                )
            )
    calls = CallRepository(database.sessions)
    for record in CALLS:
        assert await calls.save(record)
    complaints = ComplaintRepository(database.sessions)
    for linkedid in COMPLAINTS:
        await complaints.create("13800138000", "service", None, linkedid)
    await AgentStateLogRepository(database.sessions).record(TRANSITIONS)


@pytest.fixture
async def seeded(database: Database) -> Database:
    await _seed(database)
    return database


def repository(database: Database, now: datetime = NOW) -> KpiRepository:
    return KpiRepository(database.sessions, SHANGHAI, lambda: now)


def as_dicts(report: Any) -> list[dict[str, Any]]:
    return [row.to_dict() for row in report.agents]


async def test_two_days_of_figures_per_agent(seeded: Database) -> None:
    kpi = repository(seeded)
    first, second = await kpi.agents_day(D1), await kpi.agents_day(D2)
    assert (first.day, second.day) == (D1, D2)
    assert as_dicts(first) == DAY1
    assert as_dicts(second) == DAY2


async def test_no_day_is_today_in_the_centres_zone(seeded: Database) -> None:
    early = local(24, 0, 10)  # still the 23rd in UTC
    today = await repository(seeded, early).agents_day()
    assert today.day == D2
    by_ext = {row["extension"]: row for row in as_dicts(today)}
    assert by_ext["8003"]["online_seconds"] == 10 * 60  # open: until now
    assert by_ext["8001"]["wrapup_seconds"] == 60 and by_ext["8001"]["online_seconds"] == 600


async def test_one_agent_and_a_day_still_to_come(seeded: Database) -> None:
    kpi = repository(seeded)
    only = await kpi.agents_day(D1, "8001")
    assert as_dicts(only) == DAY1[:1]
    later = await kpi.agents_day(date(2026, 11, 25))
    assert all(row["online_seconds"] == 0 for row in as_dicts(later))
    assert await kpi.agents_day(D1, "8555") == DayKpis(D1, ())


async def test_an_admin_is_listed_only_with_figures(seeded: Database) -> None:
    await CallRepository(seeded.sessions).save(_call("d1.8", "7000", local(23, 15), 30))
    report = await repository(seeded).agents_day(D1)
    assert [r["extension"] for r in as_dicts(report)] == [
        "7000",
        "8001",
        "8002",
        "8003",
        "8099",
        "9001",
    ]
    assert as_dicts(report)[0] == kpis(
        "7000", "Admin", calls_handled=1, talk_seconds=30, complaint_rate=0.0
    )
    next_day = await repository(seeded).agents_day(D2)
    assert next_day.agents[0].extension == "8001"  # no figures that day: not listed


async def test_a_team_is_known_for_every_listed_agent(seeded: Database) -> None:
    report = await repository(seeded).agents_day(D1)
    assert {row.extension: row.team for row in report.agents} == {
        "8001": "claims",
        "8002": "claims",
        "8003": "sales",
        "8099": None,
        "9001": "claims",
    }


# ---- the API --------------------------------------------------------------------------------

Client = TestClient[web.Request, web.Application]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def principal_header(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Stands in for the console's sign-in: ``X-Test-Principal: role:extension:team``."""
    raw = request.headers.get("X-Test-Principal")
    if raw:
        role, extension, team = raw.split(":")
        request[PRINCIPAL] = Principal(Role(role), extension, team)
    return await handler(request)


class NoCalls:
    async def list(self, *_args: Any, **_kwargs: Any) -> list[Any]:
        return []


async def _nothing() -> list[Any]:
    return []


async def _healthy() -> dict[str, Any]:
    return {}


async def _serve(kpi: KpiRepository | None) -> AsyncIterator[Client]:
    app = build_api(ApiDeps(NoCalls(), _nothing, _healthy, TOKEN, kpis=kpi))
    app.middlewares.append(principal_header)
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        yield client
    finally:
        await client.close()


@pytest.fixture
async def client(seeded: Database) -> AsyncIterator[Client]:
    async for served in _serve(repository(seeded)):
        yield served


async def _json(response: Any, status: int) -> Any:
    assert response.status == status, await response.text()
    assert response.content_type == "application/json"
    return await response.json()


async def test_the_day_as_json_with_the_token(client: Client) -> None:
    first = await _json(await client.get(f"{API}/kpis/agents?day=2026-11-23", headers=AUTH), 200)
    second = await _json(await client.get(f"{API}/kpis/agents", headers=AUTH), 200)
    one = await client.get(f"{API}/kpis/agents?day=2026-11-23&extension=8001", headers=AUTH)
    assert first == {"day": "2026-11-23", "agents": DAY1}
    assert second == {"day": "2026-11-24", "agents": DAY2}  # no day: today
    assert await _json(one, 200) == {"day": "2026-11-23", "agents": DAY1[:1]}


def _parsed(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _csv_row(day: str, row: dict[str, Any]) -> dict[str, str]:
    return {"day": day, **{k: "" if v is None else str(v) for k, v in row.items()}}


@pytest.mark.parametrize(
    "path", ["/kpis/agents?day=2026-11-23&format=csv", "/kpis/agents.csv?day=2026-11-23"]
)
async def test_the_day_as_csv(client: Client, path: str) -> None:
    response = await client.get(API + path, headers=AUTH)
    assert response.status == 200, await response.text()
    assert response.content_type == "text/csv" and response.charset == "utf-8"
    disposition = response.headers["Content-Disposition"]
    assert disposition == 'attachment; filename="agent-kpis-2026-11-23.csv"'
    text = await response.text()
    assert text.splitlines()[0] == (
        "day,extension,name,calls_handled,outbound_calls,talk_seconds,online_seconds,"
        "wrapup_seconds,missed_offers,complaint_rate"
    )
    assert _parsed(text) == [_csv_row("2026-11-23", row) for row in DAY1]


@pytest.mark.parametrize("lang", ["zh-CN", "en"])
async def test_the_csv_for_people_has_headers_in_their_language_and_a_bom(
    client: Client, lang: str
) -> None:
    """``lang``: the header row from the ``exports`` catalog, a byte-order mark for Excel; the
    cells are the machine values of the CSV without ``lang``."""
    query = "day=2026-11-23&format=csv"
    people = await client.get(f"{API}/kpis/agents?{query}&lang={lang}", headers=AUTH)
    programs = await client.get(f"{API}/kpis/agents?{query}", headers=AUTH)
    assert (people.status, programs.status) == (200, 200), await people.text()
    raw = await people.read()
    assert raw.startswith(codecs.BOM_UTF8) and not (await programs.read()).startswith(b"\xef")
    header, *rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    catalogs = packaged_catalogs()
    assert header == [catalogs.text(lang, f"exports.kpis.{field}") for field in CSV_FIELDS]
    assert header[0] == {"zh-CN": "日期", "en": "Day"}[lang]
    machine_header, *machine_rows = list(csv.reader(io.StringIO(await programs.text())))
    assert machine_header == list(CSV_FIELDS) and rows == machine_rows


async def test_a_csv_in_another_language_is_422_invalid_locale(client: Client) -> None:
    response = await client.get(f"{API}/kpis/agents.csv?day=2026-11-23&lang=fr", headers=AUTH)
    assert (await _json(response, 422))["error"] == "invalid-locale"


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("day=2026-11-31", "calendar date"),
        ("day=23.11.2026", "YYYY-MM-DD"),
        ("day=2026-11-23T00:00Z", "YYYY-MM-DD"),
        ("day=2026-11-23&extension=80x1", "extension"),
        ("day=2026-11-23&format=xml", "format"),
    ],
)
async def test_bad_input_is_400_with_a_reason(client: Client, query: str, words: str) -> None:
    body = await _json(await client.get(f"{API}/kpis/agents?{query}", headers=AUTH), 400)
    assert body["error"] == "bad-request" and words in body["reason"]
    csv_too = await client.get(f"{API}/kpis/agents.csv?{query}", headers=AUTH)
    assert (await _json(csv_too, 400))["error"] == "bad-request"


async def test_csv_path_refuses_format_json(client: Client) -> None:
    response = await client.get(f"{API}/kpis/agents.csv?format=json", headers=AUTH)
    assert (await _json(response, 400))["error"] == "bad-request"


@pytest.mark.filterwarnings("ignore::aiohttp.web_exceptions.NotAppKeyWarning")  # a str key
async def test_who_may_see_which_rows(client: Client) -> None:
    async def rows(principal: str, query: str = "") -> Any:
        headers = {"X-Test-Principal": principal}
        return await client.get(f"{API}/kpis/agents?day=2026-11-23{query}", headers=headers)

    agent = await _json(await rows("agent:8002:claims"), 200)
    team = await _json(await rows("supervisor:9001:claims"), 200)
    admin = await _json(await rows("admin:7000:office"), 200)
    assert [r["extension"] for r in agent["agents"]] == ["8002"]
    assert [r["extension"] for r in team["agents"]] == ["8001", "8002", "9001"]
    assert admin["agents"] == DAY1
    assert (await _json(await rows("agent:8002:claims", "&extension=8001"), 403))["error"] == (
        "forbidden"
    )
    assert (await _json(await rows("supervisor:9001:claims", "&extension=8003"), 403))[
        "error"
    ] == "forbidden"


async def test_without_a_token_401_with_a_wrong_one_403(client: Client) -> None:
    anonymous = await client.get(f"{API}/kpis/agents.csv")
    wrong = await client.get(f"{API}/kpis/agents", headers={"Authorization": "Bearer nope"})
    assert (await _json(anonymous, 401))["error"] == "unauthenticated"
    assert (await _json(wrong, 403))["error"] == "forbidden"


async def test_without_the_kpi_port_503() -> None:
    async for bare in _serve(None):
        response = await bare.get(f"{API}/kpis/agents", headers=AUTH)
        assert (await _json(response, 503))["error"] == "acd-unavailable"
