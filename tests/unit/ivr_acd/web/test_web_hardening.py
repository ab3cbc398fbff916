"""Issue 11, web, the pure parts: the JSON depth scan, what of a body the audit log may keep,
and the web settings (TLS files, trusted proxies, audit retention) refused at start-up with a
one-line message."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from crm_bridge.audit.entry import SECRET_MARK, redacted
from ivr_acd.settings import ConfigError, load_settings
from ivr_acd.web.core import nests_deeper_than
from ivr_acd.web.transport import server_ssl_context

pytestmark = [pytest.mark.unit, pytest.mark.security]


@pytest.mark.parametrize(
    ("text", "limit", "deeper"),
    [
        ("{}", 1, False),
        ("[[]]", 1, True),
        ("[[]]", 2, False),
        ('{"a": [1, {"b": [2]}]}', 4, False),
        ('{"a": [1, {"b": [2]}]}', 3, True),
        ('["[[[[", "{{{{"]', 1, False),  # brackets in strings are text
        (r'["\"[[[", "\\", [[]]]', 2, True),  # escaped quotes and backslashes
        (r'["\"[[[", "\\", [[]]]', 3, False),
        ("[" * 50_000 + "]" * 50_000, 32, True),
    ],
)
def test_the_depth_scan(text: str, limit: int, deeper: bool) -> None:
    assert nests_deeper_than(text.encode(), limit) is deeper


def test_a_document_the_scan_lets_through_parses_without_recursion_trouble() -> None:
    text = "[" * 32 + "]" * 32
    assert not nests_deeper_than(text.encode(), 32)
    assert json.loads(text)  # and the refused one would have crashed the parser:
    with pytest.raises(RecursionError):
        json.loads("[" * 50_000 + "]" * 50_000)


def test_the_audit_log_never_keeps_a_secret() -> None:
    body = {
        "name": "赵敏",
        "password": "hunter22",
        "current_password": "x",
        "nested": {"api_token": "t", "team": "claims"},
        "sip_secret": "s",
    }
    assert redacted(body) == {
        "name": "赵敏",
        "password": SECRET_MARK,
        "current_password": SECRET_MARK,
        "nested": {"api_token": SECRET_MARK, "team": "claims"},
        "sip_secret": SECRET_MARK,
    }


def _one_line_error(monkeypatch: pytest.MonkeyPatch, **env: str) -> str:
    monkeypatch.delenv("IVR_ACD_CONFIG", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(f"IVR_ACD_WEB__{name.upper()}", value)
    with pytest.raises(ConfigError) as raised:
        load_settings()
    message = str(raised.value)
    assert "\n" not in message
    return message


def test_a_missing_tls_file_is_a_one_line_settings_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    missing = str(tmp_path / "nowhere.pem")
    message = _one_line_error(monkeypatch, tls_cert=missing, tls_key=missing)
    assert "web.tls_cert" in message and "nowhere.pem" in message
    cert = tmp_path / "cert.pem"
    cert.write_text("not a certificate")
    alone = _one_line_error(monkeypatch, tls_cert=str(cert), tls_key="")
    assert "web" in alone


def test_a_file_that_is_no_certificate_is_a_one_line_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.pem"
    junk.write_text("-----BEGIN CERTIFICATE-----\nnonsense\n-----END CERTIFICATE-----\n")
    with pytest.raises(ConfigError) as raised:
        server_ssl_context(junk, junk)
    assert "web.tls_cert" in str(raised.value) and "\n" not in str(raised.value)


def test_a_bad_trusted_proxy_and_a_short_audit_retention_are_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    proxy = _one_line_error(monkeypatch, trusted_proxies='["10.0.0.0/8", "proxy.example"]')
    assert "web.trusted_proxies" in proxy and "proxy.example" in proxy
    monkeypatch.delenv("IVR_ACD_WEB__TRUSTED_PROXIES")
    retention = _one_line_error(monkeypatch, audit_retention_days="100")
    assert "web.audit_retention_days" in retention and "183" in retention


def test_the_defaults_trust_no_proxy_and_keep_the_audit_log_six_months_at_least(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("IVR_ACD_CONFIG", raising=False)
    web = load_settings().web
    assert web.trusted_proxies == [] and web.tls_cert is None
    assert web.audit_retention_days >= 183
