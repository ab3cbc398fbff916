"""The controller's REST API as the benchmarks use it: the API token, JSON in and out."""

from __future__ import annotations

from typing import Any

import aiohttp

from ivr_acd.settings import Settings


async def api(settings: Settings, method: str, path: str, body: Any = None) -> Any:
    """``method`` ``/api/v1<path>`` with ``body`` as JSON; the JSON answer, or RuntimeError
    for any status from 300 up."""
    token = settings.secret(settings.web.api_token, "api_token")
    url = f"http://127.0.0.1:{settings.web.port}/api/v1{path}"
    headers = {"Authorization": f"Bearer {token}"}
    async with (
        aiohttp.ClientSession() as session,
        session.request(method, url, json=body, headers=headers) as resp,
    ):
        answer = await resp.json()
        if resp.status >= 300:
            raise RuntimeError(f"{method} {path}: {resp.status} {answer}")
        return answer
