"""Issue 11: schemathesis generates requests from the API's own OpenAPI document and sends them,
as the admin (the bearer token), to a real aiohttp server over a real CRM (SQLite), the real
Redis and a dict-backed ACD: no answer is a 5xx (but a 503 naming a part this test does not run),
and every answer conforms to the document. The example count is bounded so the tier stays fast.

The server runs in a thread of its own with its own event loop: schemathesis calls it with
blocking requests from the test's thread."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import schemathesis
from aiohttp import web
from aiohttp.test_utils import unused_port
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.specs.openapi.checks import response_schema_conformance

from crm_bridge.callback_repository import CallbackRepository
from crm_bridge.db import Database
from crm_bridge.kpis.agents import KpiRepository
from crm_bridge.migrate import upgrade
from ivr_acd.settings import WebSettings
from ivr_acd.web.app import API, build_api
from ivr_acd.web.openapi import OPENAPI
from ivr_acd.web.transport import start_site
from tests.integration.ivr_acd.web.hardening_stack import BEARER, stack

pytestmark = [pytest.mark.integration, pytest.mark.security]

EXAMPLES = 12  # per operation
SKIPPED = frozenset({"/stream"})  # an endless event stream: nothing to fuzz, it never answers


class ServedInThread:
    """The API on the loopback, served by an event loop in a thread of its own."""

    def __init__(self, db_url: str) -> None:
        self.db_url = db_url
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.exits = AsyncExitStack()
        self.url = ""

    def __enter__(self) -> ServedInThread:
        self.thread.start()
        self.url = self._run(self._start())
        return self

    def __exit__(self, *_: object) -> None:
        self._run(self.exits.aclose())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()

    def _run(self, work: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(timeout=60)

    async def _start(self) -> str:
        await upgrade(self.db_url)
        database = Database(self.db_url)
        self.exits.push_async_callback(database.close)
        world = await self.exits.enter_async_context(stack(database))
        deps = world.deps(
            callbacks=CallbackRepository(database.sessions),
            kpis=KpiRepository(database.sessions, ZoneInfo("Asia/Shanghai")),
        )
        runner = web.AppRunner(build_api(deps), access_log=None)
        await runner.setup()
        self.exits.push_async_callback(runner.cleanup)
        return await start_site(runner, WebSettings(host="127.0.0.1", port=unused_port()))


@pytest.fixture
def served(tmp_path: Path) -> Iterator[ServedInThread]:
    with ServedInThread(f"sqlite+aiosqlite:///{tmp_path}/crm.db") as server:
        yield server


def _no_server_error(response: Any) -> None:
    if response.status_code < 500:
        return
    answer = response.json()
    assert response.status_code == 503 and answer["error"].endswith("-unavailable"), (
        response.request.method,
        response.request.url,
        response.status_code,
        response.text,
    )


def _fuzz(operation: Any, base_url: str) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case: Any) -> None:
        response = case.call(base_url=base_url, headers=BEARER, timeout=10)
        _no_server_error(response)
        case.validate_response(response, checks=[response_schema_conformance], headers=BEARER)

    run()


def test_generated_requests_get_no_5xx_and_answers_that_conform(served: ServedInThread) -> None:
    schema = schemathesis.openapi.from_dict(OPENAPI)
    fuzzed = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path in SKIPPED:
            continue
        _fuzz(operation, f"{served.url}{API}")
        fuzzed += 1
    assert fuzzed >= 30  # every documented operation but the stream
