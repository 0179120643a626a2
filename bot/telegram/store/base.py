"""The one interface the bot keeps its state behind, and the token bucket every store shares.

A :class:`StateStore` holds four things, each bounded and expiring as the in-memory bot did:

* **views** (the pages behind inline buttons), by id, for :data:`VIEW_TTL_S` and at most
  ``view_capacity`` of them; ids come from :meth:`StateStore.next_id`, unique across restarts
  and replicas (a counter the store keeps), so an old button can never name a newer view;
* **chat contexts** for follow-ups, for ``SANAD_TELEGRAM_CONTEXT_MINUTES`` after their last use;
* **rate-limit buckets**, one per user (:func:`refill`: the same arithmetic in every store;
  Redis runs it as a Lua script so replicas share one bucket);
* **update ids** already answered (:meth:`StateStore.done`), for :data:`UPDATE_TTL_S`, so an
  update Telegram delivers twice is answered once.

Values are JSON objects (:mod:`.codec`); nothing is pickled.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass

__all__ = ["UPDATE_TTL_S", "VIEW_TTL_S", "Bucket", "StateStore", "Take", "refill"]

#: How long a view (the page behind a button) is kept: a week of scrolling back.
VIEW_TTL_S = 7 * 24 * 3600
#: How long an answered update id is remembered (Telegram retries for far less).
UPDATE_TTL_S = 24 * 3600


@dataclass(frozen=True, slots=True)
class Bucket:
    """A user's token bucket: ``tokens`` at wall-clock ``at``; ``notified``: told of this run of refusals."""

    tokens: float
    at: float
    notified: bool = False


@dataclass(frozen=True, slots=True)
class Take:
    """What a rate-limited action may do: ``allowed``; ``notify`` on the first refusal of a run
    (one polite reply, not one per message); ``wait_s`` until the next one would be allowed."""

    allowed: bool
    notify: bool = False
    wait_s: float = 0.0


def refill(bucket: Bucket | None, now: float, per_minute: float, burst: float, cost: float) -> tuple[Bucket, Take]:
    """Take ``cost`` tokens from ``bucket`` (None: a new, full one) at time ``now``.

    ``burst`` tokens at most, refilled at ``per_minute``; a refused take costs nothing.

        >>> b, t = refill(None, 0.0, 60, 2, 1)
        >>> t.allowed, b.tokens
        (True, 1.0)
    """
    rate = per_minute / 60.0
    if bucket is None:
        bucket = Bucket(burst, now)
    tokens = min(burst, bucket.tokens + max(0.0, now - bucket.at) * rate)
    if tokens >= cost:
        return Bucket(tokens - cost, now), Take(True)
    wait = (cost - tokens) / rate if rate > 0 else 0.0
    return Bucket(tokens, now, notified=True), Take(False, notify=not bucket.notified, wait_s=wait)


class StateStore(abc.ABC):
    """Where the bot keeps views, contexts, buckets and answered updates (see the module docstring).

    ``view_capacity`` bounds the views; ``context_minutes`` is how long a context lives after its
    last use. Methods are coroutines; a store that cannot be reached raises
    :class:`~retrieval.errors.StateUnavailable` (the bot then answers without it).
    """

    scheme: str = ""

    def __init__(self, *, view_capacity: int = 5000, context_minutes: float = 30.0) -> None:
        self.view_capacity = view_capacity
        self.context_minutes = context_minutes

    @property
    def context_ttl_s(self) -> float:
        return 60.0 * self.context_minutes

    @abc.abstractmethod
    async def next_id(self) -> int:
        """A number never given before by this store (across restarts and replicas)."""

    @abc.abstractmethod
    async def get_view(self, view_id: str) -> dict | None: ...

    @abc.abstractmethod
    async def put_view(self, view_id: str, data: dict) -> None: ...

    @abc.abstractmethod
    async def get_context(self, chat_id: int) -> dict | None: ...

    @abc.abstractmethod
    async def put_context(self, chat_id: int, data: dict | None) -> None:
        """Remember ``data`` for the chat (None: forget its context)."""

    @abc.abstractmethod
    async def take(self, user: int, per_minute: float, burst: float, cost: float = 1.0) -> Take:
        """Take from ``user``'s bucket (atomic: two replicas never spend the same token)."""

    @abc.abstractmethod
    async def is_done(self, update: str) -> bool:
        """Whether update ``update`` (``BOT_ID:UPDATE_ID``: ids are per bot) was answered already."""

    @abc.abstractmethod
    async def done(self, update: str) -> None:
        """Record that update ``update`` was answered."""

    async def close(self) -> None:
        """Release connections and files."""

    def describe(self) -> str:
        """Where the state lives, for the start-up log line (no password)."""
        return self.scheme
