"""Console sessions and log-in limits, kept in Redis so every controller of an instance shares
them (keys in ``wire.redis_keys``).

A session is a random 256-bit token, the value of the browser's cookie. Redis keeps the session
under the token's SHA-256 (a copy of Redis holds no usable cookie), with the signed-in person's
extension, role, team, name and console language (none: the install's default) and a CSRF token
of its own; it expires after ``idle_seconds`` without use. Log-in attempts are counted per
extension and client address together, and per client address, in a fixed window that starts
with the first one; a success takes its attempt back. Failures from one address never lock the
same person out from another. Redis errors become :class:`SessionsUnavailableError`."""

from __future__ import annotations

import hashlib
import math
import re
import secrets
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Final

import redis.asyncio as aioredis
from redis.exceptions import RedisError
from redis.typing import EncodableT

from crm_bridge.errors import CrmError
from crm_bridge.vocab import ConsoleLocale, Role
from wire import redis_keys

TOKEN_BYTES: Final = 32  # 256 bits, for the session id and the CSRF token alike
_TOKEN: Final = re.compile(r"[A-Za-z0-9_-]{43}")  # secrets.token_urlsafe(32)
DEFAULT_IDLE_SECONDS: Final = 8 * 3600
DEFAULT_ATTEMPTS: Final = 5
DEFAULT_WINDOW_SECONDS: Final = 300
_LOCALES: Final = frozenset(locale.value for locale in ConsoleLocale)


class SessionsUnavailableError(CrmError):
    """Redis, where sessions and log-in counters live, cannot be reached."""

    code = "sessions-unavailable"


@contextmanager
def _redis_errors() -> Iterator[None]:
    """The one place Redis's exceptions are translated for this module."""
    try:
        yield
    except RedisError as exc:
        raise SessionsUnavailableError(f"sessions are unavailable: {exc}") from exc


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


@dataclass(frozen=True, slots=True)
class WebSession:
    """A signed-in console user; ``token`` is the cookie's value."""

    token: str = field(repr=False)
    extension: str
    role: Role
    team: str
    name: str
    csrf_token: str = field(repr=False)
    locale: str | None = None  # the console's language (vocab.ConsoleLocale); None: default


def _text(raw: Mapping[bytes | str, bytes | str]) -> dict[str, str]:
    def plain(value: bytes | str) -> str:
        return value.decode() if isinstance(value, bytes) else value

    return {plain(key): plain(value) for key, value in raw.items()}


def _session(token: str, fields: Mapping[str, str]) -> WebSession | None:
    try:
        return WebSession(
            token=token,
            extension=fields["extension"],
            role=Role(fields["role"]),
            team=fields["team"],
            name=fields["name"],
            csrf_token=fields["csrf"],
            locale=_known_locale(fields.get("locale")),
        )
    except (KeyError, ValueError):
        return None


def _known_locale(stored: str | None) -> str | None:
    """The session's console language; None for a session written before languages were kept
    (or one naming a language the console no longer speaks): the install's default applies."""
    return stored if stored in _LOCALES else None


_SET_IF_LIVE: Final = """
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
return 1
"""


class SessionStore:
    def __init__(
        self,
        redis: aioredis.Redis,
        prefix: str = redis_keys.PREFIX,
        idle_seconds: float = DEFAULT_IDLE_SECONDS,
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self._idle_ms = max(1, round(idle_seconds * 1000))
        self._set_if_live = redis.register_script(_SET_IF_LIVE)

    def key_for(self, token: str) -> str:
        return redis_keys.web_session(token_digest(token), self._prefix)

    async def create(
        self, extension: str, role: Role, team: str, name: str, locale: str | None = None
    ) -> WebSession:
        """A new session with fresh session and CSRF tokens."""
        session = WebSession(
            token=secrets.token_urlsafe(TOKEN_BYTES),
            extension=extension,
            role=role,
            team=team,
            name=name,
            csrf_token=secrets.token_urlsafe(TOKEN_BYTES),
            locale=locale,
        )
        key, index = self.key_for(session.token), self._index(extension)
        fields: dict[EncodableT, EncodableT] = {
            "extension": extension,
            "role": role.value,
            "team": team,
            "name": name,
            "csrf": session.csrf_token,
        }
        if locale is not None:
            fields["locale"] = locale
        with _redis_errors():
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.hset(key, mapping=fields)
                pipe.pexpire(key, self._idle_ms)
                pipe.sadd(index, token_digest(session.token))
                pipe.pexpire(index, self._idle_ms)
                await pipe.execute()
        return session

    async def get(self, token: str) -> WebSession | None:
        """The live session of ``token`` (its idle time starts again), else None."""
        if not _TOKEN.fullmatch(token):
            return None
        key = self.key_for(token)
        with _redis_errors():
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.hgetall(key)
                pipe.pexpire(key, self._idle_ms)
                raw, _ = await pipe.execute()
            session = _session(token, _text(raw)) if raw else None
            if session is not None:  # the index outlives every session it lists
                await self._redis.pexpire(self._index(session.extension), self._idle_ms)
        return session

    async def set_locale(self, token: str, locale: str) -> bool:
        """Keep ``locale`` in the live session of ``token``; False if it has ended (the hash
        is never written again once it is gone)."""
        if not _TOKEN.fullmatch(token):
            return False
        with _redis_errors():
            found = await self._set_if_live(keys=[self.key_for(token)], args=["locale", locale])
        return bool(found)

    async def end(self, token: str) -> None:
        """End one session (log-out); nothing happens for an unknown token."""
        session = await self.get(token)
        if session is None:
            return
        with _redis_errors():
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.delete(self.key_for(token))
                pipe.srem(self._index(session.extension), token_digest(token))
                await pipe.execute()

    async def end_all(self, extension: str, keep: str | None = None) -> int:
        """End every session of ``extension`` but the one of token ``keep``; how many ended."""
        index = self._index(extension)
        kept = None if keep is None else token_digest(keep)
        with _redis_errors():
            members = _text({m: m for m in await self._redis.smembers(index)})
            digests = [digest for digest in members if digest != kept]
            if not digests:
                return 0
            async with self._redis.pipeline(transaction=True) as pipe:
                pipe.delete(*(redis_keys.web_session(d, self._prefix) for d in digests))
                pipe.srem(index, *digests)
                ended, _ = await pipe.execute()
        return int(ended)

    def _index(self, extension: str) -> str:
        return redis_keys.web_sessions_of(extension, self._prefix)


_GIVE_BACK: Final = """
redis.call('DEL', KEYS[1])
local count = tonumber(redis.call('GET', KEYS[2]) or '0')
if count > 0 then redis.call('DECR', KEYS[2]) end
"""


class LoginLimiter:
    """At most ``attempts`` failed log-ins per extension from one client address, and per
    client address over all extensions, in a window of ``window_seconds`` from the first
    attempt. The extension is never counted alone: a stranger guessing from one address cannot
    lock its owner out from another. Each attempt is counted before the password is checked,
    so guesses sent in parallel are counted too; a success clears the extension's count at that
    address and gives its attempt back to the address."""

    def __init__(
        self,
        redis: aioredis.Redis,
        prefix: str = redis_keys.PREFIX,
        attempts: int = DEFAULT_ATTEMPTS,
        window_seconds: int = DEFAULT_WINDOW_SECONDS,
    ) -> None:
        self._redis = redis
        self._prefix = prefix
        self.attempts = attempts
        self._window = window_seconds
        self._give_back = redis.register_script(_GIVE_BACK)

    async def begin(self, extension: str, address: str) -> int:
        """Count an attempt; the seconds to wait if it is over the limit (then the password
        must not be checked), else 0."""
        with _redis_errors():
            async with self._redis.pipeline(transaction=True) as pipe:
                for key in self._keys(extension, address):
                    pipe.set(key, 0, ex=self._window, nx=True)  # a window starts
                    pipe.incr(key)
                    pipe.pttl(key)
                found = await pipe.execute()
        wait = 0
        for count, ttl_ms in zip(found[1::3], found[2::3], strict=True):
            if int(count) > self.attempts:
                wait = max(wait, math.ceil(max(ttl_ms, 1) / 1000))
        return wait

    async def succeeded(self, extension: str, address: str) -> None:
        with _redis_errors():
            await self._give_back(keys=list(self._keys(extension, address)))

    def _keys(self, extension: str, address: str) -> tuple[str, str]:
        return (
            redis_keys.login_failures("ext-ip", f"{extension}@{address}", self._prefix),
            redis_keys.login_failures("ip", address, self._prefix),
        )
