"""How the console and API reach their clients: HTTPS from the certificate and key in settings,
or plain HTTP behind a TLS-terminating proxy whose ``X-Forwarded-Proto`` and
``X-Forwarded-For`` are believed only when the request comes from one of the configured
``trusted_proxies`` (from anyone else the headers are ignored). A request that came over TLS,
directly or through a trusted proxy, has ``request.secure`` set, so the session cookie gets
``Secure``; its ``request.remote`` is the client's address, which the log-in limits and the
audit log use."""

from __future__ import annotations

import logging
import ssl
from collections.abc import Iterable, Sequence
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network
from pathlib import Path

from aiohttp import web
from aiohttp.typedefs import Middleware

from ivr_acd.settings import ConfigError, WebSettings
from ivr_acd.web.core import Handler

log = logging.getLogger(__name__)

Network = IPv4Network | IPv6Network


def server_ssl_context(cert: Path, key: Path) -> ssl.SSLContext:
    """A server context for ``cert`` and ``key`` (TLS 1.2 or later); a file that cannot be
    read or is not a matching PEM certificate and key is a one-line :class:`ConfigError`."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    try:
        context.load_cert_chain(cert, key)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"web.tls_cert / web.tls_key ({cert}, {key}): {exc}") from exc
    return context


def networks(proxies: Iterable[str]) -> tuple[Network, ...]:
    return tuple(ip_network(proxy, strict=False) for proxy in proxies)


def _within(address: str | None, trusted: Sequence[Network]) -> bool:
    try:
        found = ip_address(address or "")
    except ValueError:
        return False
    return any(found in network for network in trusted)


def _client(forwarded_for: Sequence[str], trusted: Sequence[Network]) -> str | None:
    """The client in ``X-Forwarded-For``: the right-most address not a trusted proxy (each
    proxy appends the address it was reached from); None if the list is unusable."""
    hops = [hop.strip() for header in forwarded_for for hop in header.split(",")]
    for hop in reversed(hops):
        try:
            ip_address(hop)
        except ValueError:
            return None
        if not _within(hop, trusted):
            return hop
    return hops[0] if hops else None


def _forwarded(request: web.Request, trusted: Sequence[Network]) -> web.Request:
    proto = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
    scheme = proto if proto in ("http", "https") else request.scheme
    client = _client(request.headers.getall("X-Forwarded-For", []), trusted)
    return request.clone(scheme=scheme, remote=client or request.remote or "")


def forwarded_middleware(proxies: Iterable[str]) -> Middleware:
    """The outermost middleware: a request from a trusted proxy is seen as the client's."""
    trusted = networks(proxies)

    @web.middleware
    async def forwarded(request: web.Request, handler: Handler) -> web.StreamResponse:
        if trusted and _within(request.remote, trusted):
            request = _forwarded(request, trusted)
        return await handler(request)

    return forwarded


async def start_site(runner: web.AppRunner, settings: WebSettings) -> str:
    """Listen on ``settings.host:port``, with TLS when a certificate is configured; the URL."""
    context = None
    if settings.tls_cert is not None and settings.tls_key is not None:
        context = server_ssl_context(settings.tls_cert, settings.tls_key)
    site = web.TCPSite(runner, settings.host, settings.port, ssl_context=context)
    await site.start()
    scheme = "https" if context is not None else "http"
    loopback = settings.host in ("127.0.0.1", "::1", "localhost")
    if context is None and not loopback and not settings.trusted_proxies:
        log.warning(
            "the API listens in plain HTTP on %s: set web.tls_cert / web.tls_key, or put a "
            "TLS proxy in front and list it in web.trusted_proxies",
            settings.host,
        )
    return f"{scheme}://{settings.host}:{settings.port}"
