"""Several ``sanad telegram`` processes serving one bot: webhook receivers and Redis Streams.

Replica mode is on when ``SANAD_TELEGRAM_WEBHOOK_URL`` is set and ``SANAD_STATE_URL`` is
``redis://``. Telegram (through a reverse proxy) posts each update to *any* replica; that replica
only appends it to a Redis stream and answers 200 (503 when Redis is down, so Telegram retries:
an update is never acknowledged before it is stored). The updates of a chat always go to the same
stream, one of :data:`SHARDS` (``chat id mod SHARDS``), and each stream is consumed by exactly one
replica at a time, the holder of the stream's lease:

* **order**: a stream's entries are handled in order, chat by chat (different chats of one batch
  run concurrently, each chat's updates one after the other), so a chat's updates are answered in
  the order Telegram sent them, whichever replica received them;
* **no loss**: an entry is acknowledged (``XACK``) only once it was handled; a replica killed mid-answer
  stops renewing its leases, another replica takes them over after at most :data:`LEASE_S` and
  first re-takes the stream's unacknowledged entries (``XAUTOCLAIM``), in order;
* **once**: the bot records every answered update id (:class:`~.store.base.StateStore.done`) and
  drops one it has answered already, so a webhook retried by Telegram or an entry re-taken after
  a kill is not answered twice (the window left: a reply sent and the replica killed before it
  recorded the update, a few milliseconds);
* **sharing**: each live replica (a heartbeat in a sorted set) holds at most its fair share of the
  streams and lets the rest go, so two replicas split the chats between them.

Buttons, contexts and rate limits are shared through the same Redis (:mod:`.store.redis`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import os
import secrets
import socket
import time
from collections import defaultdict
from typing import Any

from telegram import Update
from telegram.ext import Application

from retrieval.errors import StateUnavailable

__all__ = ["LEASE_S", "SHARDS", "ReplicaQueue", "shard_of"]

log = logging.getLogger("bot.telegram.replicas")

#: Streams the chats are spread over (a chat always maps to the same one).
SHARDS = 8
#: A stream's lease lasts this long unless renewed (renewed every third of it): the longest a
#: killed replica's chats wait before another replica takes them over.
LEASE_S = 3.0
GROUP = "sanad"
PREFIX = "sanad:q:"
#: Entries read at once from one stream.
BATCH = 50

# KEYS[1] lease; ARGV: replica id, lease ms. 1: renewed, 2: newly taken, 0: held by another.
_LEASE = """
local v = redis.call('GET', KEYS[1])
if v == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if not v then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 2 end
return 0
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def chat_of(update: dict[str, Any]) -> int:
    """The chat of an update (a message's or a pressed button's), else its id: what orders updates."""
    message = update.get("message") or update.get("edited_message") or (update.get("callback_query") or {}).get("message")
    chat = (message or {}).get("chat", {}).get("id")
    return chat if isinstance(chat, int) else int(update.get("update_id", 0))


def shard_of(update: dict[str, Any], shards: int = SHARDS) -> int:
    """The stream of an update: its chat's (:func:`chat_of`) modulo ``shards``."""
    return chat_of(update) % shards


class ReplicaQueue:
    """This replica's side of the shared update streams (see the module docstring)."""

    def __init__(self, url: str, app: Application, *, shards: int = SHARDS, lease_s: float = LEASE_S) -> None:
        import redis.asyncio as aioredis
        import redis.exceptions

        self.app = app
        self.shards = shards
        self.lease_s = lease_s
        self.id = f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"
        self.url = url
        self._r = aioredis.Redis.from_url(url, socket_timeout=5.0, socket_connect_timeout=2.0)
        self._errors = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError)
        self._response_error = redis.exceptions.ResponseError
        self._lease = self._r.register_script(_LEASE)
        self._release = self._r.register_script(_RELEASE)
        self.owned: dict[int, asyncio.Task] = {}
        self.leaving: set[int] = set()  # streams to let go after their current batch
        self.handled = 0
        self.degraded = False  # Redis refused an update: the receiver answers updates itself

    # ------------------------------------------------------------------ receiving
    async def enqueue(self, update: dict[str, Any]) -> None:
        """Append ``update`` to its chat's stream; :class:`StateUnavailable` if Redis cannot take it."""
        try:
            await self._r.xadd(PREFIX + str(shard_of(update, self.shards)), {"u": json.dumps(update, ensure_ascii=False)})
        except self._errors as e:
            raise StateUnavailable(self.url, f"{type(e).__name__}: {e}") from None

    async def healthy(self) -> bool:
        """Whether Redis answers (the receiver's ``/healthz``)."""
        try:
            await self._r.ping()
        except self._errors:
            return False
        return True

    async def handle_now(self, update: dict[str, Any]) -> None:
        """Answer ``update`` in this process, bypassing the streams (while Redis is down)."""
        await self.app.process_update(Update.de_json(update, self.app.bot))

    # ------------------------------------------------------------------ consuming
    async def run(self) -> None:
        """Hold this replica's share of the streams and consume them, until cancelled."""
        try:
            while True:
                try:
                    await self._tend_leases()
                except (*self._errors, self._response_error) as e:
                    log.warning("replica %s: Redis unavailable (%s); retrying", self.id, e)
                await asyncio.sleep(self.lease_s / 3)
        finally:
            for task in self.owned.values():
                task.cancel()
            await asyncio.gather(*self.owned.values(), return_exceptions=True)
            with contextlib.suppress(*self._errors):
                for s in list(self.owned):
                    await self._release(keys=[f"sanad:lease:{s}"], args=[self.id])
                await self._r.zrem("sanad:replicas", self.id)
                await self._r.aclose()

    async def _tend_leases(self) -> None:
        now = time.time()
        await self._r.zadd("sanad:replicas", {self.id: now})
        await self._r.zremrangebyscore("sanad:replicas", 0, now - self.lease_s)
        alive = max(1, await self._r.zcard("sanad:replicas"))
        share = math.ceil(self.shards / alive)
        ms = int(self.lease_s * 1000)
        for s in range(self.shards):
            mine = s in self.owned
            if mine and self.owned[s].done():  # its consumer stopped (Redis went away): take it up again
                task = self.owned.pop(s)
                if not task.cancelled() and task.exception() is not None:
                    log.warning("replica %s: stream %d stopped (%s); taking it up again", self.id, s, task.exception())
                mine = False
            if not mine and len(self.owned) >= share:
                continue
            got = int(await self._lease(keys=[f"sanad:lease:{s}"], args=[self.id, ms]))
            if got == 0 and mine:  # it expired and another replica took it: stop consuming it
                self.owned.pop(s).cancel()
            elif got and not mine:
                self.owned[s] = asyncio.create_task(self._consume(s))
                log.info("replica %s: consuming stream %d", self.id, s)
        while len(self.owned) > share:  # a replica joined: let one stream go after its current batch
            s = max(self.owned)
            self.leaving.add(s)
            task = self.owned.pop(s)
            await asyncio.gather(task, return_exceptions=True)
            self.leaving.discard(s)
            await self._release(keys=[f"sanad:lease:{s}"], args=[self.id])
            log.info("replica %s: stream %d left to another replica", self.id, s)

    async def _consume(self, shard: int) -> None:
        key = PREFIX + str(shard)
        with contextlib.suppress(self._response_error):  # BUSYGROUP: it exists (a Redis restarted empty: not)
            await self._r.xgroup_create(key, GROUP, id="0", mkstream=True)
        start = "0-0"
        while True:  # first what earlier holders took and did not finish, in order
            start, entries, *_ = await self._r.xautoclaim(key, GROUP, self.id, 0, start_id=start, count=BATCH)
            await self._handle(key, entries)
            if start in (b"0-0", "0-0"):
                break
        while shard not in self.leaving:
            got = await self._r.xreadgroup(GROUP, self.id, {key: ">"}, count=BATCH, block=500)
            for _, entries in got or ():
                await self._handle(key, entries)

    async def _handle(self, key: str, entries: list) -> None:
        by_chat: dict[int, list[tuple[Any, dict]]] = defaultdict(list)
        for entry_id, fields in entries:
            raw = fields.get(b"u") or fields.get("u")
            try:
                update = json.loads(raw)
            except (TypeError, ValueError):
                log.warning("stream %s: entry %s is not an update; dropped", key, entry_id)
                await self._r.xack(key, GROUP, entry_id)
                continue
            by_chat[chat_of(update)].append((entry_id, update))

        async def chat(items: list[tuple[Any, dict]]) -> None:
            for entry_id, update in items:
                await self.app.process_update(Update.de_json(update, self.app.bot))
                await self._r.xack(key, GROUP, entry_id)
                self.handled += 1

        await asyncio.gather(*(chat(items) for items in by_chat.values()))
