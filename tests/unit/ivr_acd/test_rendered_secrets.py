"""Finding 4 of issue 11: the rendered Asterisk configuration carried every SIP password in
plain text and gave the controller's AMI user `write = all` (so an Originate could run
`System`). Now each SIP auth holds only MD5(username:realm:password) and the AMI user has the
classes the controller uses, never `system`."""

from __future__ import annotations

import hashlib
import re
import stat
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import SecretStr

from ivr_acd.asterisk_config import SIP_REALM, render_config, sip_digest
from ivr_acd.settings import Settings, load_settings
from wire.ami import EVENT_CLASSES

pytestmark = [pytest.mark.unit, pytest.mark.security]

CARRIER_PASSWORD = "carrier-pw-Xq9"
AMI_SECRET = "ami-secret-Zr4"


@dataclass(frozen=True)
class _Phone:
    extension: str
    name: str
    sip_secret: str
    role: str


PHONES = [_Phone("8001", "Li Wei", "agent-pw-Ab1", "agent"), _Phone("9001", "Wang", "sv-pw", "x")]


def _settings(tmp_path: Path, *, bench: bool = False) -> Settings:
    return load_settings(
        state_dir=tmp_path / "state",
        sandbox={"instance": "test7", "cache_dir": str(tmp_path / "cache")},
        asterisk={
            "ami_secret": SecretStr(AMI_SECRET),
            "carrier_password": SecretStr(CARRIER_PASSWORD),
            "bench_endpoint": bench,
        },
        agi={"secret": SecretStr("agi-secret-for-tests-0123")},
    )


def _auth_sections(text: str) -> dict[str, dict[str, str]]:
    sections: dict[str, dict[str, str]] = {}
    for block in re.split(r"\n(?=\[)", text):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        if lines and lines[0].startswith("[") and "type = auth" in lines:
            fields = dict(line.split(" = ", 1) for line in lines[1:] if " = " in line)
            sections[lines[0].strip("[]")] = fields
    return sections


def test_the_digest_is_rfc_2617_ha1_for_the_realm() -> None:
    expected = hashlib.md5(f"8001:{SIP_REALM}:pw".encode()).hexdigest()
    assert sip_digest("8001", "pw") == f"MD5:{expected}"


@pytest.mark.parametrize("bench", [False, True])
def test_no_sip_password_is_rendered_only_its_digest(tmp_path: Path, bench: bool) -> None:
    settings = _settings(tmp_path, bench=bench)
    written = render_config(settings, PHONES, tmp_path / "etc")
    for path in written:
        text = path.read_text()
        for secret in (CARRIER_PASSWORD, *(phone.sip_secret for phone in PHONES)):
            assert secret not in text, (path.name, secret)
        assert not re.search(r"^\s*password\s*=", text, re.MULTILINE), path.name
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name
    auths = _auth_sections((tmp_path / "etc" / "pjsip.conf").read_text())
    expected = {"carrier": ("carrier", CARRIER_PASSWORD)}
    expected |= {p.extension: (p.extension, p.sip_secret) for p in PHONES}
    assert set(auths) == set(expected)
    for name, (username, password) in expected.items():
        assert auths[name]["auth_type"] == "digest" and auths[name]["realm"] == SIP_REALM
        assert auths[name]["password_digest"] == sip_digest(username, password), name
    if bench:
        bench_auth = _auth_sections((tmp_path / "etc" / "pjsip_bench.conf").read_text())
        assert bench_auth["bench"]["password_digest"] == sip_digest("bench", CARRIER_PASSWORD)


def test_the_first_challenge_is_for_the_realm_the_digests_are_for(tmp_path: Path) -> None:
    """A trunk identified by its auth user name is first challenged before Asterisk knows the
    endpoint (global ``default_realm``); a client that answers one challenge only (SIPp) failed
    when that realm was Asterisk's default ``asterisk`` and the digest was for ours."""
    render_config(_settings(tmp_path), PHONES, tmp_path / "etc")
    text = (tmp_path / "etc" / "pjsip.conf").read_text()
    global_section = re.search(r"^\[global\]\n(.*?)\n\n", text, re.MULTILINE | re.DOTALL)
    assert global_section is not None
    assert f"default_realm = {SIP_REALM}" in global_section.group(1).splitlines()


def _ami_users(text: str) -> dict[str, dict[str, str]]:
    users = {}
    for block in re.split(r"\n(?=\[)", text):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        if lines and lines[0].startswith("[") and lines[0] != "[general]":
            users[lines[0].strip("[]")] = dict(
                line.split(" = ", 1) for line in lines[1:] if " = " in line and line[0] != ";"
            )
    return users


def test_the_controllers_ami_user_has_only_the_classes_it_uses(tmp_path: Path) -> None:
    render_config(_settings(tmp_path), PHONES, tmp_path / "etc")
    users = _ami_users((tmp_path / "etc" / "manager.conf").read_text())
    assert list(users) == ["ivracd"]  # the bench's measuring user only on bench instances
    write = set(users["ivracd"]["write"].split(","))
    assert write == {"originate", "call", "reporting", "command"}
    assert users["ivracd"]["read"] == EVENT_CLASSES
    assert "all" not in users["ivracd"]["read"].split(",")
    assert users["ivracd"]["permit"] == "127.0.0.1/255.255.255.255"


def test_a_bench_instance_adds_its_measuring_user(tmp_path: Path) -> None:
    render_config(_settings(tmp_path, bench=True), PHONES, tmp_path / "etc")
    users = _ami_users((tmp_path / "etc" / "manager.conf").read_text())
    assert set(users) == {"ivracd", "ivracd-bench"}
    assert "system" not in users["ivracd"]["write"]
