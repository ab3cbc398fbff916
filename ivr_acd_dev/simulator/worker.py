"""Simulator worker: one pjsua2 Endpoint per process, driven by JSON lines.

Run as ``python -m ivr_acd_dev.simulator.worker [--rtp-port N] [--max-calls 3]``. Commands arrive
one JSON object per line on stdin (each with an ``id``), replies and events leave one per line
on stdout; stdout carries nothing else (native pjsua logging is moved to stderr). EOF on stdin
or the ``shutdown`` command ends the process cleanly. See ``phones.py`` for the asyncio side.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import random
import select
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from ivr_acd_dev.simulator import sipua
from ivr_acd_dev.simulator.sipua import AccountSettings, Hub, SimAccount, SimCall

log = logging.getLogger("ivr_acd_dev.simulator.worker")

Handler = Callable[[dict[str, Any]], dict[str, Any]]
PUMP_MS = 10


class CommandError(Exception):
    """A command that cannot be carried out; reported to the client, never fatal."""


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="ivr_acd_dev.simulator.worker")
    parser.add_argument("--rtp-port", type=int, default=0, help="first RTP port (0: random)")
    parser.add_argument("--rtp-range", type=int, default=100, help="RTP ports to use")
    parser.add_argument("--max-calls", type=int, default=3, help="simultaneous calls")
    parser.add_argument("--log-level", type=int, default=1, help="pjsua log level (0-6)")
    parser.add_argument("--tls-ca", type=Path, help="a TLS transport too, trusting this CA")
    return parser.parse_args(argv)


def protocol_stream() -> TextIO:
    """Keep the real stdout for protocol lines; point fd 1 (native printf) at stderr."""
    out = os.fdopen(os.dup(1), "w", encoding="utf-8", buffering=1)
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return out


class Worker:
    def __init__(self, out: TextIO, args: argparse.Namespace) -> None:
        self.out = out
        rtp_port = args.rtp_port or random.randrange(40000, 60000, 2)
        self.hub = Hub(self.emit, args.max_calls, rtp_port, args.rtp_range)
        self.ep: Any = sipua.create_endpoint(args.max_calls, args.log_level)
        self.sip_port, self.hub.tls_transport = sipua.start_endpoint(self.ep, args.tls_ca)
        self.accounts: dict[str, SimAccount] = {}
        self.running = True
        self._buffer = b""
        self.handlers: dict[str, Handler] = {
            "add_account": self.add_account,
            "remove_account": self.remove_account,
            "call": self.call,
            "answer": self.answer,
            "hangup": self.hangup,
            "dtmf": self.dtmf,
            "play": self.play,
            "tone": self.tone,
            "stop_audio": self.stop_audio,
            "record": self.record,
            "stats": self.stats,
            "shutdown": self.shutdown,
        }

    # --- protocol --------------------------------------------------------------------
    def emit(self, message: dict[str, Any]) -> None:
        self.out.write(json.dumps(message) + "\n")
        self.out.flush()

    def run(self) -> int:
        self.emit({"event": "ready", "sip_port": self.sip_port, "pid": os.getpid()})
        while self.running:
            for line in self._read_lines():
                self.handle(line)
            self.ep.libHandleEvents(PUMP_MS)
            self.hub.run_due_timers()
            self.hub.retired.clear()
        self._destroy()
        return 0

    def _read_lines(self) -> list[bytes]:
        ready, _, _ = select.select([0], [], [], 0)
        if not ready:
            return []
        chunk = os.read(0, 65536)
        if not chunk:
            self.running = False
            return [self._buffer] if self._buffer.strip() else []
        self._buffer += chunk
        *lines, self._buffer = self._buffer.split(b"\n")
        return [line for line in lines if line.strip()]

    def handle(self, line: bytes) -> None:
        try:
            request = json.loads(line)
        except ValueError:
            self.emit({"id": None, "error": f"bad json: {line[:80]!r}"})
            return
        if not isinstance(request, dict):
            self.emit({"id": None, "error": "a command must be a JSON object"})
            return
        self.emit(self.execute(request))

    def execute(self, request: dict[str, Any]) -> dict[str, Any]:
        request_id = request.get("id")
        handler = self.handlers.get(str(request.get("cmd")))
        if handler is None:
            return {"id": request_id, "error": f"unknown command {request.get('cmd')!r}"}
        try:
            return {"id": request_id, **handler(request)}
        except (CommandError, KeyError, TypeError, ValueError) as exc:
            return {"id": request_id, "error": f"{type(exc).__name__}: {exc}"}
        except Exception as exc:
            if not sipua.is_pj_error(exc):
                log.exception("command %s failed", request.get("cmd"))
            return {"id": request_id, "error": sipua.error_text(exc)}

    # --- commands --------------------------------------------------------------------
    def add_account(self, req: dict[str, Any]) -> dict[str, Any]:
        settings = AccountSettings(
            name=str(req["name"]),
            username=str(req["username"]),
            password=str(req["password"]),
            domain=str(req["domain"]),
            register=bool(req.get("register", True)),
            auto_answer_ms=_opt_int(req.get("auto_answer_ms")),
            reject_code=_opt_int(req.get("reject_code")),
            from_user=req.get("from_user"),
            display_name=req.get("display_name"),
            tls=bool(req.get("tls", False)),
            srtp=bool(req.get("srtp", False)),
        )
        if settings.name in self.accounts:
            raise CommandError(f"account {settings.name} exists")
        self.accounts[settings.name] = sipua.make_account(self.hub, settings)
        return {"account": settings.name, "sip_port": self.sip_port}

    def remove_account(self, req: dict[str, Any]) -> dict[str, Any]:
        name = str(req["account"])
        if name not in self.accounts:
            raise CommandError(f"no account {name}")
        for key in [k for k in self.accounts if k == name or k.startswith(f"{name}~")]:
            self.accounts.pop(key).shutdown()
        return {}

    def call(self, req: dict[str, Any]) -> dict[str, Any]:
        if self.hub.live_calls() >= self.hub.max_calls:
            raise CommandError(f"too many calls (max {self.hub.max_calls})")
        account = self._account_for(str(req["account"]), req.get("from_user"))
        uri = str(req["uri"])
        if not uri.startswith(("sip:", "sips:")):
            tls = ";transport=tls" if account.settings.tls else ""
            uri = f"sip:{uri}@{account.settings.domain}{tls}"
        return {"call": sipua.make_call(self.hub, account, uri).key}

    def answer(self, req: dict[str, Any]) -> dict[str, Any]:
        self._call(req).answer_with(int(req.get("code") or 200))
        return {}

    def hangup(self, req: dict[str, Any]) -> dict[str, Any]:
        self._call(req).hangup_with(_opt_int(req.get("code")))
        return {}

    def dtmf(self, req: dict[str, Any]) -> dict[str, Any]:
        self._call(req).send_dtmf(str(req["digits"]))
        return {}

    def play(self, req: dict[str, Any]) -> dict[str, Any]:
        wav = Path(str(req["wav"]))
        if not wav.is_file():
            raise CommandError(f"no such file {wav}")
        self._call(req).set_source("wav", wav)
        return {}

    def tone(self, req: dict[str, Any]) -> dict[str, Any]:
        self._call(req).set_source("tone", int(req["freq_hz"]))
        return {}

    def stop_audio(self, req: dict[str, Any]) -> dict[str, Any]:
        self._call(req).set_source("none", None)
        return {}

    def record(self, req: dict[str, Any]) -> dict[str, Any]:
        self._call(req).set_recording(Path(str(req["wav"])))
        return {}

    def stats(self, req: dict[str, Any]) -> dict[str, Any]:
        return self._call(req).stats()

    def shutdown(self, req: dict[str, Any]) -> dict[str, Any]:
        self.running = False
        return {}

    # --- helpers ---------------------------------------------------------------------
    def _call(self, req: dict[str, Any]) -> SimCall:
        key = str(req["call"])
        call = self.hub.calls.get(key)
        if call is None:
            raise CommandError(f"no live call {key}")
        return call

    def _account_for(self, name: str, from_user: Any) -> SimAccount:
        """The account itself, or a hidden non-registering twin presenting ``from_user``."""
        base = self.accounts.get(name)
        if base is None:
            raise CommandError(f"no account {name}")
        if not from_user or from_user == base.settings.from_user:
            return base
        twin_name = f"{name}~{from_user}"
        if twin_name not in self.accounts:
            settings = AccountSettings(**{**vars(base.settings), "name": twin_name})
            settings.register = False
            settings.from_user = str(from_user)
            self.accounts[twin_name] = sipua.make_account(self.hub, settings)
        return self.accounts[twin_name]

    def _destroy(self) -> None:
        if self.hub.calls:
            self.ep.hangupAllCalls()
        deadline = time.monotonic() + 2.0
        while self.hub.calls and time.monotonic() < deadline:
            self.ep.libHandleEvents(PUMP_MS)
        for call in list(self.hub.calls.values()):
            call.release_media()
        self.hub.calls.clear()
        self.hub.retired.clear()
        for account in self.accounts.values():
            account.shutdown()
        self.accounts.clear()
        gc.collect()
        self.ep.libDestroy()


def _opt_int(value: Any) -> int | None:
    return None if value is None else int(value)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out = protocol_stream()
    logging.basicConfig(
        stream=sys.stderr, level=logging.INFO, format="sim-worker %(levelname)s %(message)s"
    )
    return Worker(out, args).run()


if __name__ == "__main__":
    sys.exit(main())
