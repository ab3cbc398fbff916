# mypy: allow-subclassing-any
"""The pjsua2 side of a simulator worker: the only module that touches pjsua2.

pjsua2 is untyped (treated as ``Any``); everything here runs on the worker's main thread,
inside ``Endpoint.libHandleEvents`` (``threadCnt=0``, ``mainThreadOnly``).
"""

from __future__ import annotations

import array
import logging
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pjsua2 as pj

log = logging.getLogger(__name__)

Emit = Callable[[dict[str, Any]], None]

WAV_HEADER_BYTES = 44
WIDEBAND_CODEC = "G722/16000/1"
_URI = re.compile(r'^\s*(?:"?(?P<name>[^"<]*?)"?\s*)?<?sips?:(?P<user>[^@;>]*)@?')
_STATE_NAMES = {
    pj.PJSIP_INV_STATE_NULL: "NULL",
    pj.PJSIP_INV_STATE_CALLING: "CALLING",
    pj.PJSIP_INV_STATE_INCOMING: "INCOMING",
    pj.PJSIP_INV_STATE_EARLY: "EARLY",
    pj.PJSIP_INV_STATE_CONNECTING: "CONNECTING",
    pj.PJSIP_INV_STATE_CONFIRMED: "CONFIRMED",
    pj.PJSIP_INV_STATE_DISCONNECTED: "DISCONNECTED",
}


def parse_remote_uri(uri: str) -> tuple[str, str]:
    """Return (user, display name) of a SIP name-addr such as ``"Ann" <sip:4001@host>``."""
    match = _URI.match(uri)
    if match is None:
        return "", ""
    return match.group("user") or "", (match.group("name") or "").strip()


def dialled_user(message: str, local_uri: str) -> str:
    """The number a call was placed to: the user of the INVITE's request-URI (an outbound
    trunk call reaches the carrier's one contact with the dialled number there), else the To
    user."""
    first = message.split("\r\n", 1)[0].split("\n", 1)[0]
    parts = first.split()
    if len(parts) == 3 and parts[0] == "INVITE":
        user, _ = parse_remote_uri(parts[1])
        if user:
            return user
    return parse_remote_uri(local_uri)[0]


def pcm_rms(path: Path) -> float:
    """RMS of the 16-bit PCM after a WAV header (the header is final only on close)."""
    data = path.read_bytes()[WAV_HEADER_BYTES:] if path.exists() else b""
    samples = array.array("h")
    samples.frombytes(data[: len(data) - len(data) % 2])
    if not samples:
        return 0.0
    return math.sqrt(sum(s * s for s in samples) / len(samples))


@dataclass
class AccountSettings:
    name: str
    username: str
    password: str
    domain: str
    register: bool = True
    auto_answer_ms: int | None = None
    reject_code: int | None = None
    from_user: str | None = None
    display_name: str | None = None
    tls: bool = False  # register and call over the worker's TLS transport
    srtp: bool = False  # media only as SRTP (SDES keys; needs tls)

    def id_uri(self) -> str:
        user = self.from_user or self.username
        uri = f"sip:{user}@{self.domain}"
        return f'"{self.display_name}" <{uri}>' if self.display_name else uri


@dataclass
class Timer:
    due: float
    action: Callable[[], None]


@dataclass
class Hub:
    """What pjsua2 callbacks need from the worker: an event sink and a call registry."""

    emit: Emit
    max_calls: int
    rtp_port: int
    rtp_range: int
    tls_transport: int | None = None  # the worker's TLS transport, when it has one
    calls: dict[str, SimCall] = field(default_factory=dict)
    timers: list[Timer] = field(default_factory=list)
    retired: list[SimCall] = field(default_factory=list)
    _next_call: int = 0

    def new_call_key(self) -> str:
        self._next_call += 1
        return f"c{self._next_call}"

    def later(self, delay_s: float, action: Callable[[], None]) -> None:
        self.timers.append(Timer(time.monotonic() + delay_s, action))

    def run_due_timers(self) -> None:
        now = time.monotonic()
        due = [t for t in self.timers if t.due <= now]
        self.timers = [t for t in self.timers if t.due > now]
        for timer in due:
            timer.action()

    def live_calls(self) -> int:
        return len(self.calls)


def make_account(hub: Hub, settings: AccountSettings) -> SimAccount:
    cfg = pj.AccountConfig()
    cfg.idUri = settings.id_uri()
    cfg.regConfig.registerOnAdd = settings.register
    if settings.register:
        cfg.regConfig.registrarUri = f"sip:{settings.domain}"
        cfg.regConfig.timeoutSec = 300
    cfg.sipConfig.authCreds.append(
        pj.AuthCredInfo("digest", "*", settings.username, 0, settings.password)
    )
    cfg.mediaConfig.transportConfig.boundAddress = "127.0.0.1"
    cfg.mediaConfig.transportConfig.port = hub.rtp_port
    cfg.mediaConfig.transportConfig.portRange = hub.rtp_range
    if settings.tls or settings.srtp:
        _secure(cfg, hub, settings)
    account = SimAccount(hub, settings)
    account.create(cfg)
    return account


def _secure(cfg: Any, hub: Hub, settings: AccountSettings) -> None:
    """Every request of this account over the TLS transport; SRTP mandatory when asked."""
    if hub.tls_transport is None or not settings.tls:
        raise ValueError("a TLS or SRTP account needs a worker started with a TLS CA (--tls-ca)")
    cfg.sipConfig.transportId = hub.tls_transport
    if settings.register:
        cfg.regConfig.registrarUri = f"sip:{settings.domain};transport=tls"
    if settings.srtp:
        cfg.mediaConfig.srtpUse = pj.PJMEDIA_SRTP_MANDATORY
        cfg.mediaConfig.srtpSecureSignaling = 1  # keys only over a secure (TLS) hop


class SimAccount(pj.Account):
    def __init__(self, hub: Hub, settings: AccountSettings) -> None:
        super().__init__()
        self.hub = hub
        self.settings = settings

    def onRegState(self, prm: Any) -> None:
        self.hub.emit({"event": "registered", "account": self.settings.name, "code": int(prm.code)})

    def onIncomingCall(self, prm: Any) -> None:
        call = SimCall(self.hub, self, self.hub.new_call_key(), prm.callId)
        info = call.getInfo()
        user, name = parse_remote_uri(info.remoteUri)
        self.hub.emit(
            {
                "event": "incoming",
                "account": self.settings.name,
                "call": call.key,
                "from": user,
                "caller_id_name": name,
                "to": dialled_user(str(getattr(prm.rdata, "wholeMsg", "")), info.localUri),
            }
        )
        busy = self.hub.live_calls() > self.hub.max_calls
        code = 486 if busy else self.settings.reject_code
        if code is not None:
            call.hangup_with(code)
            return
        call.answer_with(180)
        delay = self.settings.auto_answer_ms
        if delay is not None:
            self.hub.later(delay / 1000, lambda: call.auto_answer())


class SimCall(pj.Call):
    def __init__(
        self, hub: Hub, account: SimAccount, key: str, call_id: int = pj.PJSUA_INVALID_ID
    ) -> None:
        super().__init__(account, call_id)
        self.hub = hub
        self.account = account
        self.key = key
        self.ended = False
        self.audio: Any = None
        self.media_index = -1
        self.source: Any = None
        self.source_spec: tuple[str, Any] | None = None
        self.recorder: Any = None
        self.record_path: Path | None = None
        hub.calls[key] = self

    # --- pjsua2 callbacks -------------------------------------------------------------
    def onCallState(self, prm: Any) -> None:
        info = self.getInfo()
        state = _STATE_NAMES.get(info.state, str(info.state))
        self.hub.emit(
            {
                "event": "call_state",
                "call": self.key,
                "state": state,
                "code": int(info.lastStatusCode),
                "reason": str(info.lastReason),
            }
        )
        if info.state == pj.PJSIP_INV_STATE_DISCONNECTED:
            self.ended = True
            self.release_media()
            self.hub.calls.pop(self.key, None)
            self.hub.retired.append(self)  # deleted outside the callback

    def onCallMediaState(self, prm: Any) -> None:
        info = self.getInfo()
        for media in info.media:
            if media.type == pj.PJMEDIA_TYPE_AUDIO and media.status == pj.PJSUA_CALL_MEDIA_ACTIVE:
                self.media_index = int(media.index)
                self.audio = self.getAudioMedia(media.index)
                self._attach_media()
                self.hub.emit({"event": "media", "call": self.key, "active": True})

    def onDtmfDigit(self, prm: Any) -> None:
        self.hub.emit({"event": "dtmf", "call": self.key, "digit": str(prm.digit)})

    # --- call control ----------------------------------------------------------------
    def answer_with(self, code: int) -> None:
        prm = pj.CallOpParam(True)
        prm.statusCode = code
        self.answer(prm)

    def auto_answer(self) -> None:
        if not self.ended and self.getInfo().state in (
            pj.PJSIP_INV_STATE_INCOMING,
            pj.PJSIP_INV_STATE_EARLY,
        ):
            self.answer_with(200)

    def hangup_with(self, code: int | None) -> None:
        prm = pj.CallOpParam(True)
        if code is not None:
            prm.statusCode = code
        self.hangup(prm)

    def send_dtmf(self, digits: str) -> None:
        prm = pj.CallSendDtmfParam()
        prm.digits = digits
        prm.method = pj.PJSUA_DTMF_METHOD_RFC2833
        self.sendDtmf(prm)

    # --- media -----------------------------------------------------------------------
    def set_source(self, kind: str, value: Any) -> None:
        self._stop_source()
        self.source_spec = (kind, value)
        self._attach_media()

    def set_recording(self, path: Path) -> None:
        self._stop_recorder()
        path.parent.mkdir(parents=True, exist_ok=True)
        self.record_path = path
        self._attach_media()

    def stats(self) -> dict[str, Any]:
        rx = tx = 0
        if self.media_index >= 0 and not self.ended:
            stat = self.getStreamStat(self.media_index)
            rx, tx = int(stat.rtcp.rxStat.pkt), int(stat.rtcp.txStat.pkt)
        info = self.getInfo()
        duration = info.connectDuration.sec + info.connectDuration.msec / 1000
        rms = pcm_rms(self.record_path) if self.record_path else 0.0
        srtp = False
        if self.media_index >= 0 and not self.ended:
            proto = int(self.getStreamInfo(self.media_index).proto)
            srtp = proto & pj.PJMEDIA_TP_PROFILE_SRTP == pj.PJMEDIA_TP_PROFILE_SRTP
        return {"rx_packets": rx, "tx_packets": tx, "rms": rms, "duration": duration, "srtp": srtp}

    def _attach_media(self) -> None:
        if self.audio is None:
            return
        if self.source is None and self.source_spec is not None:
            self.source = _make_source(*self.source_spec)
            self.source.startTransmit(self.audio)
        if self.recorder is None and self.record_path is not None:
            self.recorder = pj.AudioMediaRecorder()
            self.recorder.createRecorder(str(self.record_path))
            self.audio.startTransmit(self.recorder)

    def _stop_source(self) -> None:
        if self.source is not None and self.audio is not None and not self.ended:
            self.source.stopTransmit(self.audio)
        self.source = None
        self.source_spec = None

    def _stop_recorder(self) -> None:
        if self.recorder is not None and self.audio is not None and not self.ended:
            self.audio.stopTransmit(self.recorder)
        self.recorder = None  # destroying the recorder finalises the WAV header

    def release_media(self) -> None:
        self.source = None
        self.recorder = None
        self.audio = None


def make_call(hub: Hub, account: SimAccount, uri: str) -> SimCall:
    call = SimCall(hub, account, hub.new_call_key())
    try:
        call.makeCall(uri, pj.CallOpParam(True))
    except Exception:
        hub.calls.pop(call.key, None)
        raise
    return call


def _make_source(kind: str, value: Any) -> Any:
    if kind == "wav":
        player = pj.AudioMediaPlayer()
        player.createPlayer(str(value), 0)  # 0 = loop
        return player
    tone = pj.ToneDesc()
    tone.freq1 = int(value)
    tone.freq2 = 0
    tone.on_msec = 1000
    tone.off_msec = 0
    tones = pj.ToneDescVector()
    tones.append(tone)
    generator = pj.ToneGenerator()
    generator.createToneGenerator()
    generator.play(tones, True)
    return generator


def create_endpoint(max_calls: int, log_level: int) -> Any:
    ep = pj.Endpoint()
    ep.libCreate()
    cfg = pj.EpConfig()
    cfg.uaConfig.threadCnt = 0
    cfg.uaConfig.mainThreadOnly = True
    cfg.uaConfig.maxCalls = max_calls + 1
    cfg.uaConfig.userAgent = "ivr-acd-simulator"
    cfg.medConfig.noVad = True
    cfg.medConfig.sndAutoCloseTime = -1
    cfg.logConfig.level = log_level
    cfg.logConfig.consoleLevel = log_level
    ep.libInit(cfg)
    # Offer G.722 first (pjsua's default puts speex/16000 first, G.722 level with G.711), so a
    # call to an endpoint allowing g722 is wideband end to end: speech input wants 16 kHz audio.
    ep.codecSetPriority(WIDEBAND_CODEC, 255)
    return ep


def start_endpoint(ep: Any, tls_ca: Path | None = None) -> tuple[int, int | None]:
    """Create the UDP SIP transport on 127.0.0.1 (random port) and, given a CA, a TLS client
    transport that trusts only that CA and checks the server's name; start. Returns the UDP
    SIP port and the TLS transport's id (``None`` without a CA)."""
    tcfg = pj.TransportConfig()
    tcfg.boundAddress = "127.0.0.1"
    tcfg.port = 0
    transport_id = ep.transportCreate(pj.PJSIP_TRANSPORT_UDP, tcfg)
    tls_id = None if tls_ca is None else ep.transportCreate(pj.PJSIP_TRANSPORT_TLS, _tls(tls_ca))
    ep.libStart()
    ep.audDevManager().setNullDev()
    return int(ep.transportGetInfo(transport_id).localName.split(":")[-1]), tls_id


def _tls(ca: Path) -> Any:
    tcfg = pj.TransportConfig()
    tcfg.boundAddress = "127.0.0.1"
    tcfg.port = 0
    tcfg.tlsConfig.CaListFile = str(ca)
    tcfg.tlsConfig.verifyServer = True
    tcfg.tlsConfig.method = pj.PJSIP_TLSV1_2_METHOD
    return tcfg


def error_text(exc: BaseException) -> str:
    """A pjsua2 ``Error`` carries a short ``reason``; anything else is its ``str``."""
    return str(getattr(exc, "reason", "") or exc)


def is_pj_error(exc: BaseException) -> bool:
    return isinstance(exc, pj.Error)
