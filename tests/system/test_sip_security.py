"""SIP hardening through a real Asterisk (issue 11): password guessing lands in Asterisk's
security log and the fail2ban filter in docker/ counts every guess against the guesser's
address; softphones register and call over TLS with SRTP media.

Its own sandbox instance (``test<slot>-sip``, own ports) with ``asterisk.sip_tls`` and
``asterisk.srtp`` set, so the session stack's UDP softphones are untouched. SIPp guesses from
127.0.0.66 (a loopback address of its own), so the filter's addresses can be told apart from
the right registration's (127.0.0.1).
"""

from __future__ import annotations

import asyncio
import re
import secrets
import socket
import subprocess
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from ivr_acd.secrets import with_secrets
from ivr_acd.settings import Settings, load_settings
from ivr_acd_dev.sandbox import Sandbox
from ivr_acd_dev.simulator import Phone
from ivr_acd_dev.simulator.worker_client import PhoneWorker
from tests.system.conftest import SLOT

pytestmark = [pytest.mark.system, pytest.mark.security]

ROOT = Path(__file__).parents[2]
FILTER = ROOT / "docker/fail2ban/filter.d/asterisk-ivr-acd.conf"
SIPP = Path(__file__).parent / "sipp"
GUESSER = "127.0.0.66"
FRAMED = ("10.9.9.9", "10.9.9.8")  # addresses a guesser forges into its own log lines
BASE = 25000 + 100 * SLOT  # the session stack uses BASE+60 (SIP) and BASE+38 (AMI)


@dataclass(frozen=True)
class Softphone:
    extension: str
    name: str
    sip_secret: str
    role: str = "agent"


@dataclass(frozen=True)
class SipSandbox:
    settings: Settings
    sandbox: Sandbox
    phones: dict[str, Softphone]
    ca_file: Path  # the throwaway certificate, as this host sees it (self-signed: its own CA)

    @property
    def udp(self) -> int:
        return self.settings.asterisk.sip_port

    @property
    def tls(self) -> int:
        assert self.settings.asterisk.sip_tls is not None
        return self.settings.asterisk.sip_tls.port

    @property
    def security_log(self) -> Path:
        return self.sandbox.inside(self.sandbox.paths.log) / "security.log"


def _settings(state_dir: Path, instance: str, etc: str) -> Settings:
    return with_secrets(
        load_settings(
            state_dir=state_dir,
            sandbox={"instance": instance},
            asterisk={
                "sip_port": BASE + 70,
                "ami_port": BASE + 48,
                "rtp_start": 30000 + 1000 * SLOT,
                "rtp_end": 30999 + 1000 * SLOT,
                "sip_tls": {
                    "port": BASE + 71,
                    "cert_file": f"{etc}/tls/cert.pem",
                    "key_file": f"{etc}/tls/key.pem",
                },
                "srtp": True,
            },
        )
    )


def _throwaway_certificate(folder: Path) -> Path:
    """A self-signed certificate for 127.0.0.1 (one day) and its key, made with openssl."""
    folder.mkdir(parents=True, exist_ok=True)
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1"),
            *("-addext", "subjectAltName=IP:127.0.0.1"),
        ],
        check=True,
        capture_output=True,
    )
    key.chmod(0o600)
    return cert


@pytest.fixture(scope="module")
async def sip(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[SipSandbox]:
    instance = f"test{SLOT}-sip" if SLOT else "test-sip"
    etc = f"/etc/ivr-acd/{instance}"
    settings = _settings(tmp_path_factory.mktemp("sip"), instance, etc)
    sandbox = Sandbox(settings)
    await asyncio.to_thread(sandbox.build)
    ca_file = _throwaway_certificate(sandbox.inside(f"{etc}/tls"))
    phones = {
        e: Softphone(e, f"Agent {e}", secrets.token_hex(12)) for e in ("8001", "8002", "8003")
    }
    await sandbox.start(list(phones.values()), fresh=True)
    try:
        yield SipSandbox(settings, sandbox, phones, ca_file)
    finally:
        await sandbox.stop()


# ---- password guessing and the fail2ban filter -------------------------------------------
async def _sipp(sip: SipSandbox, scenario: str, user: str, password: str, *, count: int,
                address: str, workdir: Path) -> None:  # fmt: skip
    proc = await asyncio.create_subprocess_exec(
        *("sipp", f"127.0.0.1:{sip.udp}", "-sf", str(SIPP / scenario), "-s", user),
        *("-au", user, "-ap", password, "-m", str(count), "-r", "50", "-i", address),
        *("-p", "0", "-mp", "0", "-timeout", "10s", "-nostdin"),
        cwd=workdir,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert await proc.wait() == 0, f"sipp {scenario} as {user} did not run to its end"


def _forged_register(sip: SipSandbox, call_id: str, response: str) -> None:
    """A REGISTER for 8001 from the guesser whose Call-ID or digest response carries text
    that imitates the log's own fields; Asterisk answers 401 twice (challenge, refusal)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind((GUESSER, 0))
        sock.settimeout(3)
        port = sock.getsockname()[1]

        def send(cseq: int, auth: str) -> str:
            head = (
                f"REGISTER sip:127.0.0.1:{sip.udp} SIP/2.0\r\n"
                f"Via: SIP/2.0/UDP {GUESSER}:{port};branch=z9hG4bK{time.time_ns()}\r\n"
                "From: <sip:8001@127.0.0.1>;tag=forged\r\nTo: <sip:8001@127.0.0.1>\r\n"
                f"Call-ID: {call_id}\r\nCSeq: {cseq} REGISTER\r\n"
                f"Contact: <sip:8001@{GUESSER}:{port}>\r\nExpires: 60\r\n{auth}"
            )
            sock.sendto(f"{head}Content-Length: 0\r\n\r\n".encode(), ("127.0.0.1", sip.udp))
            reply = sock.recv(4096).decode()
            assert reply.startswith("SIP/2.0 401"), reply[:80]
            return reply

        challenge = send(1, "")
        nonce = re.search(r'nonce="([^"]+)"', challenge)
        realm = re.search(r'realm="([^"]+)"', challenge)
        assert nonce and realm, challenge
        send(
            2,
            f'Authorization: Digest username="8001",realm="{realm[1]}",nonce="{nonce[1]}",'
            f'uri="sip:127.0.0.1:{sip.udp}",response="{response}",algorithm=MD5\r\n',
        )


def _read_lines(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def _fail2ban_regex(log: Path, out: str) -> list[str]:
    """fail2ban-regex with our filter over ``log``: one ``out`` token per matched line."""
    result = subprocess.run(
        ["fail2ban-regex", "-o", out, str(log), str(FILTER)],
        capture_output=True,
        text=True,
        check=True,
    )
    return [line for line in result.stdout.splitlines() if line.strip()]


async def _log_lines(log: Path, count: int, *needles: str) -> list[str]:
    """The log's lines holding every one of ``needles``, once there are ``count`` (Asterisk's
    logger writes from its own thread)."""
    deadline = time.monotonic() + 5
    while True:
        lines = await asyncio.to_thread(_read_lines, log)
        found = [line for line in lines if all(needle in line for needle in needles)]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        await asyncio.sleep(0.1)


async def test_every_failed_sip_authentication_is_matched_by_the_fail2ban_filter_with_the_guessers_address(  # noqa: E501
    sip: SipSandbox, tmp_path: Path
) -> None:
    right = sip.phones["8001"].sip_secret
    guesses = [
        ("register_guess.xml", "8001", "letmein", 4),  # a real extension, wrong passwords
        ("register_guess.xml", "7777", "letmein", 3),  # an extension that does not exist
        ("invite_guess.xml", "8001", "123456", 2),  # calls with a wrong password
    ]
    for scenario, user, password, count in guesses:
        await _sipp(sip, scenario, user, password, count=count, address=GUESSER, workdir=tmp_path)
    _forged_register(sip, f'x",RemoteAddress="IPV4/UDP/{FRAMED[0]}/5060",X="{time.time_ns()}', "0")
    _forged_register(sip, f"y{time.time_ns()}", rf"0\",RemoteAddress=\"IPV4/UDP/{FRAMED[1]}/5060")
    await _sipp(sip, "register_guess.xml", "8001", right, count=1, address="127.0.0.1",
                workdir=tmp_path)  # fmt: skip
    attempts = sum(count for *_, count in guesses) + 2

    log = sip.security_log
    successes = await _log_lines(log, 1, '"SuccessfulAuth"', 'RemoteAddress="IPV4/UDP/127.0.0.1/')
    failures = await _log_lines(log, attempts, '"ChallengeResponseFailed"')
    assert len(successes) == 1 and len(failures) == attempts

    # Every failure Asterisk logged (Severity "Error": one ChallengeResponseFailed per attempt,
    # and InvalidAccountID once unknown-account requests pile up), and nothing else.
    errors = await _log_lines(log, attempts, 'Severity="Error"')
    matched = _fail2ban_regex(log, "msg")
    assert matched == errors
    assert sum('"ChallengeResponseFailed"' in line for line in matched) == attempts
    assert _fail2ban_regex(log, "ip") == [GUESSER] * len(errors)


# ---- SIP over TLS, SRTP media ------------------------------------------------------------
def _tls_handshake(sip: SipSandbox) -> str:
    result = subprocess.run(
        [
            *("openssl", "s_client", "-connect", f"127.0.0.1:{sip.tls}"),
            *("-CAfile", str(sip.ca_file), "-verify_return_error", "-verify_ip", "127.0.0.1"),
            "-brief",
        ],
        input="",
        capture_output=True,
        text=True,
        timeout=10,
    )
    assert result.returncode == 0, result.stderr
    return result.stderr


async def _tls_phone(
    worker: PhoneWorker, sip: SipSandbox, extension: str, auto_answer_ms: int | None = None
) -> Phone:
    """An agent's softphone registering over TLS (trusting only the throwaway certificate)
    with SRTP mandatory for its calls."""
    secret = sip.phones[extension].sip_secret
    domain = f"127.0.0.1:{sip.tls}"
    return await worker.add_phone(
        f"tls-{extension}", extension, secret, domain, tls=True, srtp=True,
        auto_answer_ms=auto_answer_ms,
    )  # fmt: skip


async def test_softphones_register_and_call_over_tls_with_srtp_media(
    sip: SipSandbox, tmp_path: Path
) -> None:
    handshake = _tls_handshake(sip)
    assert "Protocol version: TLSv1.2" in handshake and "Verification: OK" in handshake

    worker = PhoneWorker(rtp_port=41000 + 2000 * SLOT + 1500, tls_ca=sip.ca_file)
    async with worker:
        a = await _tls_phone(worker, sip, "8002")
        b = await _tls_phone(worker, sip, "8003", auto_answer_ms=200)
        assert await a.register(10) == 200 and await b.register(10) == 200
        call = await a.call("8003")  # sip:8003@<TLS port>;transport=tls
        incoming = await b.wait_incoming(10)
        await call.wait_state("CONFIRMED", 10)
        await call.play_tone(440)
        await incoming.play_tone(660)
        await call.record(tmp_path / "a.wav")
        await incoming.record(tmp_path / "b.wav")
        await asyncio.sleep(1.5)
        stats = [await call.stats(), await incoming.stats()]
        await call.hangup()
    assert all(s.srtp for s in stats), stats
    assert all(s.rx_packets > 30 and s.rms > 500 for s in stats), stats

    over_tls = 'RemoteAddress="IPV4/TLS/127.0.0.1/'
    assert len(await _log_lines(sip.security_log, 2, '"SuccessfulAuth"', over_tls)) >= 2
