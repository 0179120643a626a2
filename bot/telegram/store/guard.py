"""A state store that never stops the bot: when the store is unreachable, answer without it.

:class:`Guarded` wraps any :class:`~.base.StateStore`. While the store is down (Redis stopped, a
SQLite file that cannot be written) new questions are still answered: no follow-up context, no
rate limit, no de-duplication, buttons that cannot be stored. One warning is logged when the
outage starts and one line when the store is back. Only :meth:`Guarded.get_view` lets
:class:`~retrieval.errors.StateUnavailable` through: a button pressed during an outage is answered
"try again", not "expired".
"""

from __future__ import annotations

import logging
import secrets
import time

from retrieval.errors import StateUnavailable

from .base import StateStore, Take

__all__ = ["Guarded"]

log = logging.getLogger("bot.telegram.state")


class Guarded:
    """``store`` with defaults in place of :class:`StateUnavailable` (see the module docstring)."""

    def __init__(self, store: StateStore) -> None:
        self.store = store
        self.down_since: float | None = None
        self.outages = 0

    @property
    def available(self) -> bool:
        return self.down_since is None

    def _failed(self, e: StateUnavailable) -> None:
        if self.down_since is None:
            self.down_since = time.monotonic()
            self.outages += 1
            log.warning("%s; answering new questions without it (no follow-ups, buttons say try again)", e)

    def _ok(self) -> None:
        if self.down_since is not None:
            log.warning("bot state at %s is back after %.0f s", self.store.describe(), time.monotonic() - self.down_since)
            self.down_since = None

    async def next_id(self) -> str:
        """A view id: the store's counter in base 36, or (store down) ``z`` + a random id no counter makes."""
        try:
            n = await self.store.next_id()
        except StateUnavailable as e:
            self._failed(e)
            return "z" + secrets.token_hex(6)
        self._ok()
        return base36(n)

    async def get_view(self, view_id: str) -> dict | None:
        try:
            data = await self.store.get_view(view_id)
        except StateUnavailable as e:
            self._failed(e)
            raise
        self._ok()
        return data

    async def put_view(self, view_id: str, data: dict) -> bool:
        return await self._quiet(self.store.put_view(view_id, data), False, True)

    async def get_context(self, chat_id: int) -> dict | None:
        return await self._quiet(self.store.get_context(chat_id), None)

    async def put_context(self, chat_id: int, data: dict | None) -> None:
        await self._quiet(self.store.put_context(chat_id, data), None)

    async def take(self, user: int, per_minute: float, burst: float, cost: float = 1.0) -> Take:
        if per_minute <= 0:
            return Take(True)
        return await self._quiet(self.store.take(user, per_minute, burst, cost), Take(True))

    async def is_done(self, update: str) -> bool:
        return await self._quiet(self.store.is_done(update), False)

    async def done(self, update: str) -> None:
        await self._quiet(self.store.done(update), None)

    async def close(self) -> None:
        await self.store.close()

    async def _quiet(self, coro, default, ok=None):  # type: ignore[no-untyped-def]
        try:
            value = await coro
        except StateUnavailable as e:
            self._failed(e)
            return default
        self._ok()
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
