"""``redis://host:port/db``: the state shared by several bot processes (replicas).

Client: ``redis`` (redis-py, the maintained official client), asyncio API. Keys live under
``sanad:``; each kind expires on its own TTL (views a week, contexts
``SANAD_TELEGRAM_CONTEXT_MINUTES``, answered update ids a day). A rate-limit take is one Lua
script (:data:`_TAKE`) reading Redis' own clock, so replicas share one bucket per user and never
spend the same token twice. Connection errors become :class:`~retrieval.errors.StateUnavailable`.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit, urlunsplit

from retrieval.errors import ConfigError, StateUnavailable

from .base import UPDATE_TTL_S, VIEW_TTL_S, StateStore, Take

__all__ = ["RedisStore"]

PREFIX = "sanad:"
# KEYS[1] bucket hash; ARGV: per-second rate, burst, cost. The arithmetic of base.refill.
_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local rate, burst, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at', 'notified')
local tokens, at, notified = tonumber(b[1]) or burst, tonumber(b[2]) or now, b[3] == '1'
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local allowed, notify, wait = 0, 0, 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
  notified = false
else
  if not notified then notify = 1 end
  notified = true
  if rate > 0 then wait = (cost - tokens) / rate end
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now), 'notified', notified and '1' or '0')
redis.call('EXPIRE', KEYS[1], 86400)
return {allowed, notify, tostring(wait)}
"""


def redact(url: str) -> str:
    """``url`` without its password (for logs and errors)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{parts.username or ''}:***@{host}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


class RedisStore(StateStore):
    """The state in Redis (see the module docstring)."""

    scheme = "redis"

    def __init__(self, url: str, *, view_capacity: int = 5000, context_minutes: float = 30.0) -> None:
        super().__init__(view_capacity=view_capacity, context_minutes=context_minutes)
        try:
            import redis.asyncio as aioredis
            import redis.exceptions
        except ImportError:
            raise ConfigError("SANAD_STATE_URL=redis://… needs the redis client: pip install redis") from None
        self.url = url
        try:
            self._r = aioredis.Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0, health_check_interval=10)
        except ValueError as e:
            raise ConfigError(f"SANAD_STATE_URL: {redact(url)} is not a Redis URL ({e})") from None
        self._errors = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)
        self._take = self._r.register_script(_TAKE)

    def describe(self) -> str:
        return redact(self.url)

    async def _call(self, coro):  # type: ignore[no-untyped-def]
        try:
            return await coro
        except self._errors as e:
            raise StateUnavailable(self.describe(), f"{type(e).__name__}: {e}") from None

    async def ping(self) -> None:
        await self._call(self._r.ping())

    async def next_id(self) -> int:
        return int(await self._call(self._r.incr(PREFIX + "ids")))

    async def get_view(self, view_id: str) -> dict | None:
        raw = await self._call(self._r.get(PREFIX + "view:" + view_id))
        return None if raw is None else json.loads(raw)

    async def put_view(self, view_id: str, data: dict) -> None:
        await self._call(self._r.set(PREFIX + "view:" + view_id, json.dumps(data, ensure_ascii=False), ex=VIEW_TTL_S))

    async def get_context(self, chat_id: int) -> dict | None:
        raw = await self._call(self._r.get(f"{PREFIX}ctx:{chat_id}"))
        return None if raw is None else json.loads(raw)

    async def put_context(self, chat_id: int, data: dict | None) -> None:
        key = f"{PREFIX}ctx:{chat_id}"
        if data is None:
            await self._call(self._r.delete(key))
        else:
            ttl = max(1, int(self.context_ttl_s))
            await self._call(self._r.set(key, json.dumps(data, ensure_ascii=False), ex=ttl))

    async def take(self, user: int, per_minute: float, burst: float, cost: float = 1.0) -> Take:
        allowed, notify, wait = await self._call(
            self._take(keys=[f"{PREFIX}bucket:{user}"], args=[per_minute / 60.0, burst, cost])
        )
        return Take(bool(int(allowed)), bool(int(notify)), float(wait))

    async def is_done(self, update: str) -> bool:
        return bool(await self._call(self._r.exists(f"{PREFIX}done:{update}")))

    async def done(self, update: str) -> None:
        await self._call(self._r.set(f"{PREFIX}done:{update}", 1, ex=UPDATE_TTL_S))

    async def close(self) -> None:
        try:
            await self._r.aclose()
        except self._errors:
            pass
