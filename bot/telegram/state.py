"""In-memory, bounded state of the Telegram bot: an LRU, per-user rate limits, chat contexts.

Nothing here touches the network or the event loop; everything is bounded (LRU) so a bot that
runs for months in many chats keeps a flat memory profile.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Generic, TypeVar

from retrieval.followup import Context

__all__ = ["LRU", "ChatContexts", "RateLimiter"]

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


class ChatContexts:
    """Each chat's follow-up :class:`~retrieval.followup.Context`, forgotten ``minutes`` after its last use."""

    def __init__(self, minutes: float, capacity: int = 10_000, clock: Callable[[], float] = time.time) -> None:
        self.minutes = minutes
        self.clock = clock
        self._contexts: LRU[int, Context] = LRU(capacity)

    def get(self, chat_id: int) -> Context | None:
        ctx = self._contexts.get(chat_id)
        return ctx if ctx is not None and ctx.fresh(self.clock(), self.minutes) else None

    def put(self, chat_id: int, ctx: Context | None) -> None:
        """Remember ``ctx`` for the chat (None: forget the chat's context)."""
        if ctx is None:
            self._contexts.pop(chat_id)
        else:
            self._contexts.put(chat_id, ctx)


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float  # when ``tokens`` was last computed
    notified: bool = False  # the user was told of this run of refusals


class RateLimiter:
    """Per-user token buckets: ``burst`` at once, refilled at ``per_minute``; bounded to ``capacity`` users.

    ``allow(user)`` returns ``(allowed, notify)``: ``notify`` is True for the first refusal of a
    run of refusals, so the user gets one polite reply, not one per message.
    """

    def __init__(
        self, per_minute: float, burst: int, capacity: int = 100_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.clock = clock
        self._buckets: LRU[int, _Bucket] = LRU(capacity)

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def __len__(self) -> int:
        """Users with a bucket (bounded by ``capacity``)."""
        return len(self._buckets)

    def allow(self, user: int, cost: float = 1.0) -> tuple[bool, bool]:
        if not self.enabled:
            return True, False
        now = self.clock()
        bucket = self._buckets.get(user)
        if bucket is None:
            bucket = _Bucket(self.burst, now)
            self._buckets.put(user, bucket)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.rate)
        bucket.at = now
        if bucket.tokens >= cost:
            bucket.tokens -= cost
            bucket.notified = False
            return True, False
        notify = not bucket.notified
        bucket.notified = True
        return False, notify

    def wait_seconds(self, user: int, cost: float = 1.0) -> float:
        """Seconds until ``user`` may ask again."""
        bucket = self._buckets.get(user)
        if bucket is None or not self.enabled:
            return 0.0
        return max(0.0, (cost - bucket.tokens) / self.rate)
