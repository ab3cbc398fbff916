"""Shared test policy: a skipped real-Asterisk (system) test is a failure, not a skip."""

from __future__ import annotations

from collections.abc import Generator

import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, None]:
    outcome = yield
    report = outcome.get_result()
    if report.skipped and item.get_closest_marker("system") is not None:
        report.outcome = "failed"
        report.longrepr = f"system test skipped ({call.when}); a real-Asterisk test must run"
