"""Who may open a FastAGI session, what it must carry and how long its commands may take.

Asterisk reaches the controller over plain TCP, so any local process could otherwise drive a
route (log an agent in, ask for a callback, fill the spy audit). A session is served only when
it comes from an allowed address, while fewer than ``max_sessions`` run, and when its script
starts with the install's secret: the dialplan asks for ``agi://host:port/<secret>/<route>``,
so Asterisk sends ``agi_network_script: <secret>/<route>``. Pure: no I/O.
"""

from __future__ import annotations

import hmac
import ipaddress
from dataclasses import dataclass

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

LOOPBACK: tuple[Network, ...] = (
    ipaddress.ip_network("127.0.0.0/8"),
    ipaddress.ip_network("::1/128"),
)
FORBIDDEN = frozenset("\r\n\x00")
SECRET_CHARACTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


class UnsafeAgiValue(ValueError):
    """A command would carry CR, LF or NUL, which would end it early and start another."""


def refuse_control_characters(command: str) -> None:
    """Raise :class:`UnsafeAgiValue` when ``command`` holds CR, LF or NUL (nothing is sent)."""
    bad = next((c for c in command if c in FORBIDDEN), None)
    if bad is not None:
        verb = " ".join(command.split(" ", 2)[:2])
        raise UnsafeAgiValue(f"AGI command {verb!r} refused: a value holds the control {bad!r}")


def check_secret(secret: str) -> str:
    """The secret travels in a URL path and a dialplan list: URL-safe characters only."""
    if len(secret) < 16 or not set(secret) <= SECRET_CHARACTERS:
        raise ValueError("the AGI secret needs at least 16 characters of A-Z a-z 0-9 _ -")
    return secret


@dataclass(frozen=True)
class CommandTimeouts:
    """``margin``: seconds a command's result may take beyond the command's own duration;
    ``media``: the duration assumed for a prompt or another open-ended media command."""

    margin: float = 10.0
    media: float = 300.0

    def budget(self, seconds: float) -> float:
        return max(seconds, 0.0) + self.margin


@dataclass(frozen=True)
class AgiGuard:
    secret: str
    allowed_peers: tuple[Network, ...] = LOOPBACK
    timeouts: CommandTimeouts = CommandTimeouts()
    max_sessions: int = 2000

    def __post_init__(self) -> None:
        check_secret(self.secret)
        if self.max_sessions < 1:
            raise ValueError("max_sessions must be at least 1")

    def peer_allowed(self, peername: object) -> bool:
        """Whether a socket's ``peername`` (host, port, ...) is one of the allowed addresses."""
        if not isinstance(peername, tuple) or not peername:
            return False
        try:
            address = ipaddress.ip_address(str(peername[0]).partition("%")[0])
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return any(address in network for network in self.allowed_peers)

    def route_of(self, script: str) -> str | None:
        """The route after the secret in ``agi_network_script``; None when the secret is
        missing or wrong (compared in constant time)."""
        given, _, route = script.partition("/")
        if hmac.compare_digest(given.encode(), self.secret.encode()):
            return route
        return None

    def without_secret(self, headers: dict[str, str], route: str) -> dict[str, str]:
        """The headers as a route may read (and log) them: the secret taken out."""
        cleaned = {k: v.replace(f"/{self.secret}", "") for k, v in headers.items()}
        cleaned["agi_network_script"] = route
        return cleaned


def networks(entries: list[str] | tuple[str, ...]) -> tuple[Network, ...]:
    """Addresses or networks (``10.0.0.5``, ``10.0.0.0/24``) as networks; ValueError if not."""
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)
