"""``redis://host:port/db``: the state shared by several bot processes (replicas).

Client: ``redis`` (redis-py, the maintained official client), asyncio API. Keys live under
``sanad:``; each kind expires on its own TTL (views a week, contexts
``SANAD_TELEGRAM_CONTEXT_MINUTES``, answered update ids a day). A rate-limit take is one Lua
script (:data:`_TAKE`) reading Redis' own clock, so replicas share one bucket per user and never
spend the same token twice. Storing a view is one script too (:data:`_PUT_VIEW`): each chat's
views are listed oldest first, at most ``chat_view_capacity`` of them (the chat's oldest go) and
``view_capacity`` in all (taken from the chat holding the most), so one chat pressing buttons
cannot expire another's. (The script reaches other chats' keys: one Redis, not a cluster.)
Connection errors become :class:`~retrieval.errors.StateUnavailable`.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit, urlunsplit

from retrieval import ConfigError

from ...errors import StateUnavailable
from .base import CHAT_VIEWS, UPDATE_TTL_S, VIEW_TTL_S, StateStore, Take

__all__ = ["CLAIM_SCRIPT", "RedisStore"]

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
# KEYS[1] the view; KEYS[2] its chat's sorted set of view ids (score: when stored); KEYS[3] chat ->
# views held; KEYS[4] chat -> when it last stored one; KEYS[5] views held in all.
# ARGV: view id, JSON, chat, TTL s, per-chat cap, cap in all, key prefix. Returns views held in all.
_PUT_VIEW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local id, data, chat, ttl = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local per, cap, prefix = tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7]
local function pop(c, k)  -- forget chat c's k oldest views
  local old = redis.call('ZPOPMIN', prefix .. 'chatviews:' .. c, k)
  for i = 1, #old, 2 do redis.call('DEL', prefix .. 'view:' .. old[i]) end
end
local function held(c)  -- recount chat c's live views; returns the views held in all
  local key = prefix .. 'chatviews:' .. c
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - ttl)
  local n = redis.call('ZCARD', key)
  local before = tonumber(redis.call('ZSCORE', KEYS[3], c)) or 0
  if n == 0 then
    redis.call('ZREM', KEYS[3], c)
    redis.call('ZREM', KEYS[4], c)
  else
    redis.call('ZADD', KEYS[3], n, c)
  end
  return redis.call('INCRBY', KEYS[5], n - before)
end
for _, c in ipairs(redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', now - ttl, 'LIMIT', 0, 10)) do
  held(c)  -- chats silent for longer than the TTL: their views are gone
end
redis.call('SET', KEYS[1], data, 'EX', ttl)
redis.call('ZADD', KEYS[2], now, id)
redis.call('EXPIRE', KEYS[2], ttl)
redis.call('ZADD', KEYS[4], now, chat)
local n = redis.call('ZCARD', KEYS[2])
if n > per then pop(chat, n - per) end
local total = held(chat)
local rounds = 0
while total > cap and rounds < 100 do
  local top = redis.call('ZREVRANGE', KEYS[3], 0, 0)[1]
  if not top then break end
  pop(top, 1)
  total = held(top)
  rounds = rounds + 1
end
return total
"""

# KEYS[1] a claim (the feed reader's lease, a replica's lease on a stream); ARGV: owner, TTL ms.
# 1: renewed (the owner's already), 2: newly taken (free or expired), 0: held by another owner.
CLAIM_SCRIPT = """
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if not v then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 2 end
return 0
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

    def __init__(
        self, url: str, *, view_capacity: int = 5000, context_minutes: float = 30.0, chat_view_capacity: int = CHAT_VIEWS
    ) -> None:
        super().__init__(view_capacity=view_capacity, context_minutes=context_minutes, chat_view_capacity=chat_view_capacity)
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
        self._put_view = self._r.register_script(_PUT_VIEW)
        self._claim = self._r.register_script(CLAIM_SCRIPT)

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

    async def put_view(self, view_id: str, data: dict, *, chat_id: int | None = None) -> None:
        chat = self.chat_of(data, chat_id)
        keys = [f"{PREFIX}view:{view_id}", f"{PREFIX}chatviews:{chat}", PREFIX + "viewcounts", PREFIX + "viewchats", PREFIX + "views"]
        args = [view_id, json.dumps(data, ensure_ascii=False), chat, VIEW_TTL_S, self.chat_view_capacity, self.view_capacity, PREFIX]
        await self._call(self._put_view(keys=keys, args=args))

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

    async def get_record(self, key: str) -> dict | None:
        raw = await self._call(self._r.get(f"{PREFIX}rec:{key}"))
        return None if raw is None else json.loads(raw)

    async def put_record(self, key: str, data: dict | None, ttl_s: float | None = None) -> None:
        name = f"{PREFIX}rec:{key}"
        if data is None:
            await self._call(self._r.delete(name))
        else:
            px = None if ttl_s is None else max(1, int(ttl_s * 1000))
            await self._call(self._r.set(name, json.dumps(data, ensure_ascii=False), px=px))

    async def record_keys(self, prefix: str) -> list[str]:
        head = f"{PREFIX}rec:"
        pattern = head + "".join("[" + c + "]" if c in "*?[]\\" else c for c in prefix) + "*"

        async def scan() -> list:
            return [k async for k in self._r.scan_iter(match=pattern, count=500)]

        keys = await self._call(scan())
        return sorted((k.decode() if isinstance(k, bytes) else k)[len(head):] for k in keys)

    async def claim(self, key: str, owner: str, ttl_s: float) -> bool:
        got = await self._call(self._claim(keys=[f"{PREFIX}claim:{key}"], args=[owner, max(1, int(ttl_s * 1000))]))
        return bool(int(got))

    async def close(self) -> None:
        try:
            await self._r.aclose()
        except self._errors:
            pass
