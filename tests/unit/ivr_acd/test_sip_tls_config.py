"""SIP over TLS and SRTP for the softphones are settings (issue 11): pjsip.conf gets a TLS
transport and SDES media only when they are set, and a setting that cannot work is refused at
start-up with a one-line reason."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import SecretStr

from ivr_acd.asterisk_config import render_config
from ivr_acd.settings import ConfigError, Settings, load_settings

pytestmark = pytest.mark.unit

TLS = {
    "port": 5161,
    "cert_file": "/etc/ivr-acd/tls/cert.pem",
    "key_file": "/etc/ivr-acd/tls/key.pem",
}


@dataclass(frozen=True)
class Softphone:
    extension: str
    name: str = "Ann"
    sip_secret: str = "s3"
    role: str = "agent"


def _settings(tmp_path: Path, **asterisk: object) -> Settings:
    secrets = {"ami_secret": SecretStr("s1"), "carrier_password": SecretStr("s2")}
    return load_settings(
        state_dir=tmp_path / "state",
        sandbox={"instance": "test7", "cache_dir": str(tmp_path / "cache")},
        asterisk={**secrets, **asterisk},
        agi={"secret": SecretStr("agi-secret-for-tests-0123")},
    )


def _sections(settings: Settings) -> dict[str, list[dict[str, str]]]:
    """pjsip.conf as rendered: section name -> its bodies (one name has several types)."""
    render_config(settings, [Softphone("8001"), Softphone("9001", role="supervisor")])
    text = (settings.paths.asterisk_config / "pjsip.conf").read_text()
    sections: dict[str, list[dict[str, str]]] = {}
    for name, body in re.findall(r"^\[([^\]]+)\]\n(.*?)(?=^\[|\Z)", text, re.M | re.S):
        pairs = re.findall(r"^(\w+) = (.*)$", body, re.M)
        sections.setdefault(name, []).append(dict(pairs))
    return sections


def _endpoint(sections: dict[str, list[dict[str, str]]], name: str) -> dict[str, str]:
    return next(body for body in sections[name] if body.get("type") == "endpoint")


def test_without_tls_the_softphones_stay_on_udp_with_plain_rtp(tmp_path: Path) -> None:
    sections = _sections(_settings(tmp_path))
    assert "transport-tls" not in sections
    for name in ("8001", "9001"):
        assert _endpoint(sections, name)["transport"] == "transport-udp"
        assert "media_encryption" not in _endpoint(sections, name)


def test_tls_and_srtp_give_the_softphones_a_tls_transport_and_sdes_media(tmp_path: Path) -> None:
    settings = _settings(tmp_path, sip_tls={**TLS, "ca_file": "/etc/ivr-acd/tls/ca.pem"}, srtp=True)
    sections = _sections(settings)
    assert sections["transport-tls"] == [
        {
            "type": "transport",
            "protocol": "tls",
            "bind": "127.0.0.1:5161",
            "cert_file": "/etc/ivr-acd/tls/cert.pem",
            "priv_key_file": "/etc/ivr-acd/tls/key.pem",
            "ca_list_file": "/etc/ivr-acd/tls/ca.pem",
            "method": "tlsv1_2",
        }
    ]
    for name in ("8001", "9001"):
        assert _endpoint(sections, name)["transport"] == "transport-tls"
        assert _endpoint(sections, name)["media_encryption"] == "sdes"
    carrier = _endpoint(sections, "carrier")  # the trunk is not a softphone
    assert carrier["transport"] == "transport-udp" and "media_encryption" not in carrier


def test_tls_without_srtp_keeps_plain_rtp(tmp_path: Path) -> None:
    sections = _sections(_settings(tmp_path, sip_tls=TLS))
    assert "ca_list_file" not in sections["transport-tls"][0]
    assert _endpoint(sections, "8001")["transport"] == "transport-tls"
    assert "media_encryption" not in _endpoint(sections, "8001")


@pytest.mark.security
@pytest.mark.parametrize(
    ("asterisk", "reason"),
    [
        ({"srtp": True}, "srtp needs sip_tls"),
        ({"sip_tls": {**TLS, "cert_file": "cert.pem"}}, "sip_tls.cert_file"),
        ({"sip_tls": {**TLS, "key_file": "/k.pem\n[evil]\ntype = endpoint"}}, "sip_tls.key_file"),
        ({"sip_tls": {**TLS, "key_file": "/k.pem ; comment"}}, "sip_tls.key_file"),
        ({"sip_tls": {**TLS, "port": 0}}, "sip_tls.port"),
        ({"sip_tls": {"port": 5061}}, "sip_tls.cert_file"),
    ],
)
def test_a_tls_setting_that_cannot_work_is_refused_at_start_up(
    tmp_path: Path, asterisk: dict[str, object], reason: str
) -> None:
    with pytest.raises(ConfigError, match=re.escape(reason)) as refused:
        _settings(tmp_path, **asterisk)
    assert "\n" not in str(refused.value)


def test_tls_is_set_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IVR_ACD_ASTERISK__SIP_TLS__CERT_FILE", "/etc/tls/cert.pem")
    monkeypatch.setenv("IVR_ACD_ASTERISK__SIP_TLS__KEY_FILE", "/etc/tls/key.pem")
    monkeypatch.setenv("IVR_ACD_ASTERISK__SRTP", "true")
    settings = _settings(tmp_path)
    assert settings.asterisk.srtp and settings.asterisk.sip_tls is not None
    assert (settings.asterisk.sip_tls.port, settings.asterisk.sip_tls.key_file) == (
        5061,
        "/etc/tls/key.pem",
    )
