"""``memory://``: the state in this process only (tests, throw-away runs); bounded LRUs, views
bounded per chat too (:class:`ChatViews`)."""

from __future__ import annotations

import itertools
import json
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from .base import (
    CHAT_VIEWS,
    UPDATE_TTL_S,
    Bucket,
    StateStore,
    Take,
    fair_shares,
    refill,
)

__all__ = ["LRU", "ChatViews", "MemoryStore"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LRU(Generic[K, V]):
    """A dict that forgets its least recently used entries beyond ``capacity``."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self._data: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        value = self._data.get(key)
        if value is not None:
            self._data.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        self._data[key] = value
        self._data.move_to_end(key)
        while len(self._data) > self.capacity:
            self._data.popitem(last=False)

    def pop(self, key: K) -> V | None:
        return self._data.pop(key, None)

    def __len__(self) -> int:
        return len(self._data)

    def __contains__(self, key: object) -> bool:
        return key in self._data


class ChatViews:
    """Views by id, least recently used first within each chat: at most ``per_chat`` per chat (the
    chat's own oldest go) and ``capacity`` in all, taken from the chats holding the most (see
    :func:`~.base.fair_shares`): one chat cannot push out another's."""

    def __init__(self, capacity: int, per_chat: int) -> None:
        self.capacity, self.per_chat = capacity, min(per_chat, capacity)
        self._chats: dict[int, OrderedDict[str, tuple[int, str]]] = {}  # chat -> id -> (last use, value)
        self._chat_of: dict[str, int] = {}
        self._ticks = itertools.count()

    def get(self, view_id: str) -> str | None:
        chat = self._chat_of.get(view_id)
        if chat is None:
            return None
        views = self._chats[chat]
        views[view_id] = (next(self._ticks), views[view_id][1])
        views.move_to_end(view_id)
        return views[view_id][1]

    def put(self, view_id: str, chat: int, value: str) -> None:
        self.pop(view_id)
        views = self._chats.setdefault(chat, OrderedDict())
        views[view_id] = (next(self._ticks), value)
        self._chat_of[view_id] = chat
        while len(views) > self.per_chat:
            self.pop(next(iter(views)))
        if len(self._chat_of) > self.capacity:
            for c, keep in fair_shares({c: len(v) for c, v in self._chats.items()}, self.capacity).items():
                while len(self._chats[c]) > keep:
                    self.pop(next(iter(self._chats[c])))
        while len(self._chat_of) > self.capacity:  # more chats than capacity: the least recently used view
            oldest = min(self._chats.values(), key=lambda v: next(iter(v.values()))[0])
            self.pop(next(iter(oldest)))

    def pop(self, view_id: str) -> None:
        chat = self._chat_of.pop(view_id, None)
        if chat is not None:
            views = self._chats[chat]
            del views[view_id]
            if not views:
                del self._chats[chat]

    def __len__(self) -> int:
        return len(self._chat_of)


class MemoryStore(StateStore):
    """Everything in LRUs; values are still copied through JSON, as the other stores do."""

    scheme = "memory"

    def __init__(
        self,
        *,
        view_capacity: int = 5000,
        context_minutes: float = 30.0,
        chat_view_capacity: int = CHAT_VIEWS,
        chat_capacity: int = 10_000,
        user_capacity: int = 100_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(view_capacity=view_capacity, context_minutes=context_minutes, chat_view_capacity=chat_view_capacity)
        self.clock = clock
        self._ids = itertools.count(1)
        self._views = ChatViews(view_capacity, self.chat_view_capacity)
        self._contexts: LRU[int, tuple[float, str]] = LRU(chat_capacity)
        self._buckets: LRU[int, Bucket] = LRU(user_capacity)
        self._done: LRU[str, float] = LRU(user_capacity)
        self._records: dict[str, tuple[float | None, str]] = {}  # key -> (expires, JSON)

    async def next_id(self) -> int:
        return next(self._ids)

    async def get_view(self, view_id: str) -> dict | None:
        raw = self._views.get(view_id)
        return None if raw is None else json.loads(raw)

    async def put_view(self, view_id: str, data: dict, *, chat_id: int | None = None) -> None:
        self._views.put(view_id, self.chat_of(data, chat_id), json.dumps(data, ensure_ascii=False))

    async def get_context(self, chat_id: int) -> dict | None:
        entry = self._contexts.get(chat_id)
        if entry is None or self.clock() > entry[0]:
            return None
        return json.loads(entry[1])

    async def put_context(self, chat_id: int, data: dict | None) -> None:
        if data is None:
            self._contexts.pop(chat_id)
        else:
            self._contexts.put(chat_id, (self.clock() + self.context_ttl_s, json.dumps(data, ensure_ascii=False)))

    async def take(self, user: int, per_minute: float, burst: float, cost: float = 1.0) -> Take:
        bucket, take = refill(self._buckets.get(user), self.clock(), per_minute, burst, cost)
        self._buckets.put(user, bucket)
        return take

    async def is_done(self, update: str) -> bool:
        at = self._done.get(update)
        return at is not None and self.clock() - at < UPDATE_TTL_S

    async def done(self, update: str) -> None:
        self._done.put(update, self.clock())

    def _live(self, key: str) -> tuple[float | None, str] | None:
        entry = self._records.get(key)
        if entry is not None and entry[0] is not None and self.clock() >= entry[0]:
            del self._records[key]
            return None
        return entry

    async def get_record(self, key: str) -> dict | None:
        entry = self._live(key)
        return None if entry is None else json.loads(entry[1])

    async def put_record(self, key: str, data: dict | None, ttl_s: float | None = None) -> None:
        if data is None:
            self._records.pop(key, None)
        else:
            expires = None if ttl_s is None else self.clock() + ttl_s
            self._records[key] = (expires, json.dumps(data, ensure_ascii=False))

    async def record_keys(self, prefix: str) -> list[str]:
        return sorted(k for k in list(self._records) if k.startswith(prefix) and self._live(k) is not None)

    async def claim(self, key: str, owner: str, ttl_s: float) -> bool:
        entry = self._live(key)
        if entry is not None and json.loads(entry[1]).get("owner") != owner:
            return False
        self._records[key] = (self.clock() + ttl_s, json.dumps({"owner": owner}))
        return True

    def __len__(self) -> int:
        """Views held (bounded by ``view_capacity``)."""
        return len(self._views)
