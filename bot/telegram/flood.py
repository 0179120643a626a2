"""Telegram's outgoing flood limits held across replicas: one shared schedule in Redis.

PTB's ``AIORateLimiter`` keeps one process under Telegram's limits (about 30 messages a second
over all chats, 20 a minute in one group); two replicas with one each would send twice that.
:class:`SharedRateLimiter` is a PTB ``BaseRateLimiter`` whose buckets live in Redis: every request
reserves a slot in the global bucket (and, for a group chat, in the chat's), in one Lua script on
Redis' clock, and waits until its slot comes. Requests wait in line rather than being refused, as
with ``AIORateLimiter``. If Redis cannot be reached, requests go out unthrottled (the bot's own
retry of Telegram's ``RetryAfter`` still applies) and one warning is logged.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.ext import BaseRateLimiter

__all__ = ["GROUP_PER_MINUTE", "SharedRateLimiter"]

log = logging.getLogger("bot.telegram.flood")

#: Messages a minute Telegram lets a bot send in one group.
GROUP_PER_MINUTE = 20.0
# KEYS[1] bucket; ARGV: per-second rate, burst. Reserves one slot; returns seconds to wait for it.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1e6
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens, at = tonumber(b[1]) or burst, tonumber(b[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate) - 1
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], 3600)
if tokens >= 0 then return '0' end
return tostring(-tokens / rate)
"""


class SharedRateLimiter(BaseRateLimiter[None]):
    """``per_second`` over all chats and ``group_per_minute`` per group, shared by every replica on ``url``."""

    def __init__(self, url: str, per_second: float = 30.0, group_per_minute: float = GROUP_PER_MINUTE) -> None:
        import redis.asyncio as aioredis
        import redis.exceptions

        self.per_second = per_second
        self.group_per_minute = group_per_minute
        self._r = aioredis.Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0)
        self._errors = (redis.exceptions.RedisError, OSError)
        self._reserve = self._r.register_script(_RESERVE)
        self._warned = False

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        try:
            await self._r.aclose()
        except self._errors:
            pass

    async def wait_for_slot(self, chat_id: object) -> float:
        """Reserve the request's slots and sleep until they come; returns the seconds waited."""
        waits = []
        try:
            if self.per_second > 0:
                waits.append(float(await self._reserve(keys=["sanad:flood:all"], args=[self.per_second, self.per_second])))
            if isinstance(chat_id, int) and chat_id < 0 and self.group_per_minute > 0:
                rate = self.group_per_minute / 60.0
                waits.append(float(await self._reserve(keys=[f"sanad:flood:chat:{chat_id}"], args=[rate, self.group_per_minute])))
            self._warned = False
        except self._errors as e:
            if not self._warned:
                log.warning("flood limits not shared while Redis is unavailable (%s): sending unthrottled", e)
                self._warned = True
        wait = max(waits, default=0.0)
        if wait > 0:
            await asyncio.sleep(wait)
        return wait

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        if endpoint not in ("getUpdates", "getMe", "answerCallbackQuery", "setWebhook", "setMyCommands"):
            chat = data.get("chat_id")
            if isinstance(chat, str) and chat.lstrip("-").isdigit():
                chat = int(chat)
            await self.wait_for_slot(chat)
        return await callback(*args, **kwargs)
