"""The fail2ban jail in docker/ as Debian's fail2ban reads it (issue 11): it loads with our
filter, watches the security log where the production Asterisk writes it and the fail2ban
container reads it, and bans on both SIP transports' ports."""

from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from ivr_acd.paths import InstancePaths

pytestmark = [pytest.mark.integration, pytest.mark.security]

ROOT = Path(__file__).parents[3]
FAIL2BAN = ROOT / "docker/fail2ban"
JAIL = "asterisk-ivr-acd"
SECURITY_LOG = f"{InstancePaths.for_instance('main').log}/security.log"


def _jail() -> configparser.SectionProxy:
    parser = configparser.RawConfigParser()
    parser.read(FAIL2BAN / "jail.d" / f"{JAIL}.conf")
    return parser[JAIL]


def _dump(conf: Path, logpath: Path) -> str:
    """``fail2ban-client -d``: the commands the server would be given (it starts no server)."""
    shutil.copytree("/etc/fail2ban", conf)
    for stock in (conf / "jail.d").iterdir():
        stock.unlink()  # Debian's own jails (sshd) are not ours
    shutil.copytree(FAIL2BAN, conf, dirs_exist_ok=True)
    (conf / "jail.d" / "zz-test.local").write_text(f"[{JAIL}]\nlogpath = {logpath}\n")
    result = subprocess.run(
        ["fail2ban-client", "-c", str(conf), "-d"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_jail_loads_with_our_filter_and_bans_both_sip_transports(tmp_path: Path) -> None:
    logpath = tmp_path / "security.log"
    logpath.touch()
    dump = _dump(tmp_path / "fail2ban", logpath)
    assert f"['add', '{JAIL}', 'polling']" in dump
    assert f"['set', '{JAIL}', 'addfailregex', '^\\\\s*SECURITY" in dump
    assert f"['set', '{JAIL}', 'maxretry', 5]" in dump
    for protocol in ("udp", "tcp"):
        assert f"['port', '5060,5061'], ['protocol', '{protocol}']" in dump
    assert f"['start', '{JAIL}']" in dump


def test_the_jail_watches_the_log_asterisk_writes_and_the_container_mounts() -> None:
    assert _jail()["logpath"].strip() == SECURITY_LOG
    assert "security.log => security" in (ROOT / "asterisk-config/logger.conf").read_text()
    compose = yaml.safe_load((ROOT / "docker/compose.yaml").read_text())["services"]
    log_folder = SECURITY_LOG.rsplit("/", 1)[0]
    assert f"asterisk-log:{log_folder}" in compose["asterisk"]["volumes"]
    assert f"asterisk-log:{log_folder}:ro" in compose["fail2ban"]["volumes"]
    assert {"NET_ADMIN", "NET_RAW"} <= set(compose["fail2ban"]["cap_add"])
    dockerfile = (ROOT / "docker/Dockerfile.fail2ban").read_text()
    for part in ("filter.d", "jail.d"):
        assert f"docker/fail2ban/{part}/{JAIL}.conf /etc/fail2ban/{part}/{JAIL}.conf" in dockerfile
