"""The FastAGI guard from settings: the install's secret, the Asterisk addresses allowed to
connect, the command timeouts and the session cap; and the AGI targets the dialplan renders
(``host:port/<secret>``, so every ``agi://${AGI_TARGET}/<route>`` carries the secret)."""

from __future__ import annotations

import ipaddress
import socket

from ivr_acd.settings import ConfigError, Settings
from wire.agi_guard import LOOPBACK, AgiGuard, CommandTimeouts, Network, networks


def agi_secret(settings: Settings) -> str:
    return settings.secret(settings.agi.secret, "agi.secret")


def dialplan_agi_targets(settings: Settings) -> list[str]:
    """Every controller as the dialplan's AGI_TARGETS list holds it: ``host:port/<secret>``."""
    secret = agi_secret(settings)
    return [f"{target}/{secret}" for target in settings.agi.all_targets()]


def allowed_peers(settings: Settings) -> tuple[Network, ...]:
    """``agi.allowed_peers``, or the loopback and the configured Asterisk host's addresses."""
    if settings.agi.allowed_peers:
        return networks(settings.agi.allowed_peers)
    host = settings.asterisk.host
    try:
        return (*LOOPBACK, ipaddress.ip_network(host))
    except ValueError:
        pass
    try:
        found = {info[4][0] for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)}
    except OSError as exc:
        raise ConfigError(
            f"asterisk.host {host!r} does not resolve ({exc}); set agi.allowed_peers"
        ) from exc
    return (*LOOPBACK, *networks(sorted(str(a).partition("%")[0] for a in found)))


def agi_guard(settings: Settings) -> AgiGuard:
    agi = settings.agi
    return AgiGuard(
        secret=agi_secret(settings),
        allowed_peers=allowed_peers(settings),
        timeouts=CommandTimeouts(margin=agi.command_timeout, media=agi.media_timeout),
        max_sessions=agi.max_sessions,
    )
