"""A state store that never stops the bot: when the store is unreachable, answer without it.

:class:`Guarded` wraps any :class:`~.base.StateStore`. While the store is down (Redis stopped, a
SQLite file that cannot be written) new questions are still answered: no follow-up context, no
rate limit, no de-duplication, buttons that cannot be stored. :meth:`Guarded.get_view` lets
:class:`~bot.errors.StateUnavailable` through: a button pressed during an outage is answered
"try again", not "expired" (reads need no writes: old buttons keep working on a full disk); so do
the records and claims (what a chat follows, alerts sent once), so that a follow that could not be
stored is said so, never pretended.

The log says each outage once, with the store's own error (``database or disk is full``), and
once when the store is back; never a line per call:

* the store is back when every kind of write that failed in the outage has gone through again
  (only reads failed: when anything works): a store that reads but cannot write (a full disk, a
  lock held elsewhere) is not "back" at each read, nor when a write that fits in place (a counter,
  a bucket) works while new pages still cannot be stored;
* a store that flaps (an outage starting within :data:`QUIET_S` of the last warning) is not
  announced again at once: it is announced when it is still down :data:`QUIET_S` after that
  warning, with the count of short outages that went unsaid.
"""

from __future__ import annotations

import logging
import secrets
import time

from ...errors import StateUnavailable
from .base import StateStore, Take

__all__ = ["Guarded"]

log = logging.getLogger("bot.telegram.state")

#: At most one "unavailable" warning this often (seconds): a flapping store is one line a minute.
QUIET_S = 60.0
#: The calls that write.
WRITES = frozenset({"next_id", "put_view", "put_context", "take", "done", "put_record", "claim"})


class Guarded:
    """``store`` with defaults in place of :class:`StateUnavailable` (see the module docstring)."""

    def __init__(self, store: StateStore) -> None:
        self.store = store
        self.down_since: float | None = None
        self.outages = 0
        self._failing: set[str] = set()  # the calls that failed in this outage and have not worked since
        self._said = False  # this outage was announced (its end will be too)
        self._last_said = -float("inf")  # when the last "unavailable" line was logged
        self._unsaid = 0  # short outages not announced since that line

    @property
    def available(self) -> bool:
        return self.down_since is None

    def _failed(self, e: StateUnavailable, call: str) -> None:
        now = time.monotonic()
        if self.down_since is None:
            self.down_since = now
            self.outages += 1
        self._failing.add(call)
        if not self._said and now - self._last_said >= QUIET_S:
            self._said, self._last_said = True, now
            unsaid = f" ({self._unsaid} short outages since the last warning)" if self._unsaid else ""
            self._unsaid = 0
            log.warning("%s%s; answering new questions without it (no follow-ups, buttons say try again)", e, unsaid)

    def _ok(self, call: str) -> None:
        if self.down_since is None:
            return
        self._failing.discard(call)
        if self._failing & WRITES:
            return
        if self._said:
            log.warning("bot state at %s is back after %.0f s", self.store.describe(), time.monotonic() - self.down_since)
        else:
            self._unsaid += 1
        self.down_since, self._said = None, False
        self._failing.clear()

    async def next_id(self) -> str:
        """A view id: the store's counter in base 36, or (store down) ``z`` + a random id no counter makes."""
        try:
            n = await self.store.next_id()
        except StateUnavailable as e:
            self._failed(e, "next_id")
            return "z" + secrets.token_hex(6)
        self._ok("next_id")
        return base36(n)

    async def get_view(self, view_id: str) -> dict | None:
        return await self._loud(self.store.get_view(view_id), "get_view")

    async def put_view(self, view_id: str, data: dict, *, chat_id: int | None = None) -> bool:
        return await self._quiet(self.store.put_view(view_id, data, chat_id=chat_id), False, True, call="put_view")

    async def get_context(self, chat_id: int) -> dict | None:
        return await self._quiet(self.store.get_context(chat_id), None, call="get_context")

    async def put_context(self, chat_id: int, data: dict | None) -> None:
        await self._quiet(self.store.put_context(chat_id, data), None, call="put_context")

    async def take(self, user: int, per_minute: float, burst: float, cost: float = 1.0) -> Take:
        if per_minute <= 0:
            return Take(True)
        return await self._quiet(self.store.take(user, per_minute, burst, cost), Take(True), call="take")

    async def is_done(self, update: str) -> bool:
        return await self._quiet(self.store.is_done(update), False, call="is_done")

    async def done(self, update: str) -> None:
        await self._quiet(self.store.done(update), None, call="done")

    # Records and claims (what chats follow, alerts sent once) raise StateUnavailable: a follow that
    # could not be stored is said so, never pretended.
    async def get_record(self, key: str) -> dict | None:
        return await self._loud(self.store.get_record(key), "get_record")

    async def put_record(self, key: str, data: dict | None, ttl_s: float | None = None) -> None:
        await self._loud(self.store.put_record(key, data, ttl_s), "put_record")

    async def record_keys(self, prefix: str) -> list[str]:
        return await self._loud(self.store.record_keys(prefix), "record_keys")

    async def claim(self, key: str, owner: str, ttl_s: float) -> bool:
        return await self._loud(self.store.claim(key, owner, ttl_s), "claim")

    async def close(self) -> None:
        await self.store.close()

    async def _loud(self, coro, call: str):  # type: ignore[no-untyped-def]
        try:
            value = await coro
        except StateUnavailable as e:
            self._failed(e, call)
            raise
        self._ok(call)
        return value

    async def _quiet(self, coro, default, ok=None, *, call: str):  # type: ignore[no-untyped-def]
        try:
            value = await coro
        except StateUnavailable as e:
            self._failed(e, call)
            return default
        self._ok(call)
        return value if ok is None else ok


def base36(n: int) -> str:
    """``n`` in base 36 (``0-9a-z``), the short ids of button data."""
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out
