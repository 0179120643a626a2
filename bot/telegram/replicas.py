"""Several ``sanad telegram`` processes serving one bot: webhook receivers and Redis Streams.

Replica mode is on when ``SANAD_TELEGRAM_WEBHOOK_URL`` is set and ``SANAD_STATE_URL`` is
``redis://``. Telegram (through a reverse proxy) posts each update to *any* replica; that replica
only appends it to a Redis stream and answers 200. While Redis is down, the replica that receives
an update answers it itself (and says so in the log once) rather than refusing it; 503, so that
Telegram retries, only when an update cannot be taken at all. The updates of a chat always go to the same
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
  streams and lets the rest go, so two replicas split the chats between them;
* **no poison**: an entry that cannot be answered does not stop its stream. One PTB cannot read
  (``Update.de_json`` fails: a field missing, a Bot API change the library lags behind), one whose
  answering raised :data:`ATTEMPTS` times, or one taken :data:`MAX_DELIVERIES` times without being
  answered (its replicas died answering it) is parked in the dead-letter stream :data:`DEAD` with
  the reason, acknowledged, and the stream goes on (``sanad health`` counts the parked entries).

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

from ..errors import StateUnavailable
from .store.redis import CLAIM_SCRIPT
from .webhook import describe

__all__ = ["ATTEMPTS", "DEAD", "LEASE_S", "MAX_DELIVERIES", "SHARDS", "ReplicaQueue", "shard_of"]

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
#: The dead-letter stream: entries no replica could read or answer, each with ``reason``, ``stream``
#: and ``entry`` beside the update (``u``); trimmed to about :data:`DEAD_MAXLEN` entries.
DEAD = "sanad:dead"
DEAD_MAXLEN = 10_000
#: Times one delivery of an entry is tried when answering it raises, before it is parked.
ATTEMPTS = 3
#: Seconds before the second try (doubled for each later one).
RETRY_S = 0.5
#: Deliveries of an entry (the first and each re-take after its replica stopped) before it is parked.
MAX_DELIVERIES = 5

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


def chat_of(update: dict[str, Any]) -> int:
    """The chat of an update (a message's or a pressed button's), else its id: what orders updates.

    Any JSON object is accepted (a malformed update has a chat of its own, its id, or 0)."""

    def get(value: object, key: str) -> object:
        return value.get(key) if isinstance(value, dict) else None

    message = get(update, "message") or get(update, "edited_message") or get(get(update, "callback_query"), "message")
    chat = get(get(message, "chat"), "id")
    if isinstance(chat, int) and not isinstance(chat, bool):
        return chat
    update_id = get(update, "update_id")
    return update_id if isinstance(update_id, int) and not isinstance(update_id, bool) else 0


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
        self._lease = self._r.register_script(CLAIM_SCRIPT)  # a stream's lease is a claim
        self._release = self._r.register_script(_RELEASE)
        self.owned: dict[int, asyncio.Task] = {}
        self.leaving: set[int] = set()  # streams to let go after their current batch
        self.handled = 0
        self.parked = 0
        self.degraded = False  # Redis refused an update: the receiver answers updates itself

    # ------------------------------------------------------------------ receiving
    async def enqueue(self, update: dict[str, Any]) -> None:
        """Append ``update`` to its chat's stream; :class:`StateUnavailable` if Redis cannot take it."""
        try:
            await self._r.xadd(PREFIX + str(shard_of(update, self.shards)), {"u": json.dumps(update, ensure_ascii=False)})
        except self._errors as e:
            raise StateUnavailable(self.url, f"{type(e).__name__}: {e}") from None

    async def deliver(self, data: dict[str, Any], update: Update) -> None:
        """The receiver's sink (:class:`~.webhook.Sink`): ``data`` into its stream; while Redis cannot
        take it, ``update`` answered here and now (no shared order or re-take while that lasts)."""
        try:
            await self.enqueue(data)
        except StateUnavailable as e:
            if not self.degraded:
                log.warning("%s; answering updates on the replica that receives them until Redis is back", e)
            self.degraded = True
            await self.app.process_update(update)
            return
        if self.degraded:
            log.warning("Redis is back: updates go through the shared streams again")
        self.degraded = False

    async def park(
        self, data: dict[str, Any] | str | bytes | None, reason: str, key: str | None = None, entry_id: Any = None
    ) -> None:
        """Append an update no one can answer to :data:`DEAD` with ``reason``; with ``key`` and
        ``entry_id`` (a stream's entry), acknowledge that entry in the same transaction."""
        raw = data if isinstance(data, str | bytes) else json.dumps(data, ensure_ascii=False)
        fields = {"u": raw or "", "reason": reason, "replica": self.id, "at": f"{time.time():.3f}"}
        if key is not None:
            fields.update(stream=key, entry=_text(entry_id))
        try:
            async with self._r.pipeline(transaction=True) as p:
                p.xadd(DEAD, fields, maxlen=DEAD_MAXLEN, approximate=True)
                if key is not None:
                    p.xack(key, GROUP, entry_id)
                await p.execute()
        except self._errors as e:
            raise StateUnavailable(self.url, f"{type(e).__name__}: {e}") from None
        self.parked += 1
        where = f"{key} {_text(entry_id)}" if key is not None else "at the receiver"
        log.warning("update parked in %s (%s): %s", DEAD, where, reason)

    async def dead_letters(self) -> int:
        """Entries in :data:`DEAD` (all replicas'); what this replica parked when Redis does not answer."""
        try:
            return int(await self._r.xlen(DEAD))
        except self._errors:
            return self.parked

    async def healthy(self) -> bool:
        """Whether Redis answers (the receiver's ``/healthz``)."""
        try:
            await self._r.ping()
        except self._errors:
            return False
        return True

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
            await self._handle(key, entries, retaken=True)
            if start in (b"0-0", "0-0"):
                break
        while shard not in self.leaving:
            got = await self._r.xreadgroup(GROUP, self.id, {key: ">"}, count=BATCH, block=500)
            for _, entries in got or ():
                await self._handle(key, entries)

    async def _handle(self, key: str, entries: list, retaken: bool = False) -> None:
        deliveries = await self._deliveries(key, entries) if retaken and entries else {}
        by_chat: dict[int, list[tuple[Any, bytes | str, Update]]] = defaultdict(list)
        for entry_id, fields in entries:
            raw = (fields.get(b"u") or fields.get("u")) if isinstance(fields, dict) else None
            try:
                data = json.loads(raw)  # type: ignore[arg-type]
                update = Update.de_json(data, self.app.bot)
                if update is None or not isinstance(data, dict):
                    raise ValueError("not an update")
            except Exception as e:  # noqa: BLE001 - whatever PTB cannot read is parked, never retried
                await self.park(raw, f"python-telegram-bot cannot read it: {describe(e)}", key, entry_id)
                continue
            taken = deliveries.get(_text(entry_id), 1)
            if taken > MAX_DELIVERIES:
                why = f"taken {taken - 1} times and never answered (the replicas answering it stopped each time)"
                await self.park(raw, why, key, entry_id)
                continue
            by_chat[chat_of(data)].append((entry_id, raw, update))

        async def chat(items: list[tuple[Any, bytes | str, Update]]) -> None:
            for entry_id, raw, update in items:
                await self._answer(key, entry_id, raw, update)

        await asyncio.gather(*(chat(items) for items in by_chat.values()))

    async def _answer(self, key: str, entry_id: Any, raw: bytes | str, update: Update) -> None:
        """Answer one entry and acknowledge it; park it when answering raised :data:`ATTEMPTS` times.

        Redis errors are not the entry's fault: they stop the stream, which is taken up again."""
        for attempt in range(1, ATTEMPTS + 1):
            try:
                await self.app.process_update(update)
                break
            except (*self._errors, StateUnavailable):
                raise
            except Exception as e:  # noqa: BLE001 - an entry's own failure: retried, then parked
                if attempt == ATTEMPTS:
                    await self.park(raw, f"answering it failed {ATTEMPTS} times: {describe(e)}", key, entry_id)
                    return
                log.warning("stream %s: entry %s failed (%s); trying again", key, _text(entry_id), describe(e))
                await asyncio.sleep(RETRY_S * 2 ** (attempt - 1))
        await self._r.xack(key, GROUP, entry_id)
        self.handled += 1

    async def _deliveries(self, key: str, entries: list) -> dict[str, int]:
        """How many times each of ``entries`` (re-taken, all this replica's now) has been delivered."""
        first, last = entries[0][0], entries[-1][0]
        pending = await self._r.xpending_range(key, GROUP, min=first, max=last, count=len(entries))
        return {_text(p["message_id"]): int(p["times_delivered"]) for p in pending}


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
