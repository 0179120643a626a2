"""``memory://``: the state in this process only (tests, throw-away runs); bounded LRUs."""

from __future__ import annotations

import itertools
import json
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from .base import UPDATE_TTL_S, Bucket, StateStore, Take, refill

__all__ = ["LRU", "MemoryStore"]

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


class MemoryStore(StateStore):
    """Everything in LRUs; values are still copied through JSON, as the other stores do."""

    scheme = "memory"

    def __init__(
        self,
        *,
        view_capacity: int = 5000,
        context_minutes: float = 30.0,
        chat_capacity: int = 10_000,
        user_capacity: int = 100_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(view_capacity=view_capacity, context_minutes=context_minutes)
        self.clock = clock
        self._ids = itertools.count(1)
        self._views: LRU[str, str] = LRU(view_capacity)
        self._contexts: LRU[int, tuple[float, str]] = LRU(chat_capacity)
        self._buckets: LRU[int, Bucket] = LRU(user_capacity)
        self._done: LRU[str, float] = LRU(user_capacity)

    async def next_id(self) -> int:
        return next(self._ids)

    async def get_view(self, view_id: str) -> dict | None:
        raw = self._views.get(view_id)
        return None if raw is None else json.loads(raw)

    async def put_view(self, view_id: str, data: dict) -> None:
        self._views.put(view_id, json.dumps(data, ensure_ascii=False))

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

    def __len__(self) -> int:
        """Views held (bounded by ``view_capacity``)."""
        return len(self._views)
