"""The one interface the bot keeps its state behind, and the token bucket every store shares.

A :class:`StateStore` holds four things, each bounded and expiring as the in-memory bot did:

* **views** (the pages behind inline buttons), by id, for :data:`VIEW_TTL_S`; at most
  ``chat_view_capacity`` per chat (a chat's oldest go first, only its own) and ``view_capacity``
  in all, taken back from the chats holding the most (:func:`fair_shares`), so one chat pressing
  buttons all day never expires another's; ids come from :meth:`StateStore.next_id`, unique
  across restarts and replicas (a counter the store keeps), so an old button can never name a
  newer view;
* **chat contexts** for follow-ups, for ``SANAD_TELEGRAM_CONTEXT_MINUTES`` after their last use;
* **rate-limit buckets**, one per user (:func:`refill`: the same arithmetic in every store;
  Redis runs it as a Lua script so replicas share one bucket);
* **update ids** already answered (:meth:`StateStore.done`), for :data:`UPDATE_TTL_S`, so an
  update Telegram delivers twice is answered once;
* **records**: small JSON objects by key, kept until deleted or their TTL ends (what a chat
  follows, its quiet hours, the alerts waiting to be sent: :mod:`bot.telegram.follows`), and
  **claims** (:meth:`StateStore.claim`: a key taken by one owner at a time, atomically; the feed
  reader's lease, an alert sent once).

Values are JSON objects (:mod:`.codec`); nothing is pickled.
"""

from __future__ import annotations

import abc
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import TypeVar

__all__ = ["CHAT_VIEWS", "UPDATE_TTL_S", "VIEW_TTL_S", "Bucket", "StateStore", "Take", "fair_shares", "refill"]

#: How long a view (the page behind a button) is kept: a week of scrolling back.
VIEW_TTL_S = 7 * 24 * 3600
#: How long an answered update id is remembered (Telegram retries for far less).
UPDATE_TTL_S = 24 * 3600
K = TypeVar("K", bound=Hashable)
#: Views one chat keeps at most (its oldest forgotten first): hundreds of pages to scroll back
#: through, a small share of the whole store.
CHAT_VIEWS = 500


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

        >>> b, t = refill(None, 0.0, 60, 2.0, 1.0)
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


def fair_shares(counts: Mapping[K, int], capacity: int) -> dict[K, int]:
    """How many views the chats holding too many keep, so that ``capacity`` are kept in all.

    Water-filling: the largest level ``L`` with ``sum(min(n, L)) <= capacity``; chats holding more
    than ``L`` keep their ``L`` newest (the largest of them one more, while slots are left), the
    others lose nothing. ``L`` is at least 1: with more chats than ``capacity`` the store then
    also drops the least recently used views of all.

        >>> fair_shares({"busy": 10, "b": 3, "c": 1}, 8)
        {'busy': 4}
        >>> sorted(fair_shares({"a": 3, "b": 2, "c": 3}, 5).items())
        [('a', 2), ('b', 1), ('c', 2)]
        >>> fair_shares({"a": 2, "b": 3}, 8)
        {}
    """
    if sum(counts.values()) <= capacity:
        return {}
    order = sorted(counts, key=counts.__getitem__)
    left = capacity
    for i, chat in enumerate(order):
        rest = len(order) - i
        if counts[chat] * rest > left:  # these ``rest`` chats, the largest, share what is left
            level = left // rest
            if level < 1:
                return {c: 1 for c in order[i:] if counts[c] > 1}
            extra = left - level * rest  # < rest: one more each for the largest few
            keep = {c: level + (j >= rest - extra) for j, c in enumerate(order[i:])}
            return {c: k for c, k in keep.items() if k < counts[c]}
        left -= counts[chat]
    return {}


class StateStore(abc.ABC):
    """Where the bot keeps views, contexts, buckets and answered updates (see the module docstring).

    ``view_capacity`` bounds the views, ``chat_view_capacity`` (at most ``view_capacity``) those
    of one chat; ``context_minutes`` is how long a context lives after its last use. Methods are
    coroutines that never block the event loop; a store that cannot be reached or written raises
    :class:`~retrieval.errors.StateUnavailable` naming the real error (the bot then answers
    without it). Reads (:meth:`get_view`, :meth:`get_context`, :meth:`is_done`) never need to
    write: they work while the store refuses writes (a full disk, a lock held elsewhere).
    """

    scheme: str = ""

    def __init__(
        self, *, view_capacity: int = 5000, context_minutes: float = 30.0, chat_view_capacity: int = CHAT_VIEWS
    ) -> None:
        if view_capacity < 1 or chat_view_capacity < 1:
            raise ValueError("view capacities must be at least 1")
        self.view_capacity = view_capacity
        self.chat_view_capacity = min(chat_view_capacity, view_capacity)
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
    async def put_view(self, view_id: str, data: dict, *, chat_id: int | None = None) -> None:
        """Keep view ``data`` of chat ``chat_id`` (None: ``data["chat"]``, the codec's field; 0 without it)."""

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

    @abc.abstractmethod
    async def get_record(self, key: str) -> dict | None:
        """The record ``key`` (None: none, or expired)."""

    @abc.abstractmethod
    async def put_record(self, key: str, data: dict | None, ttl_s: float | None = None) -> None:
        """Keep ``data`` under ``key`` (for ``ttl_s`` seconds; None: until deleted); None deletes it."""

    @abc.abstractmethod
    async def record_keys(self, prefix: str) -> list[str]:
        """The keys of the live records starting with ``prefix``, sorted."""

    @abc.abstractmethod
    async def claim(self, key: str, owner: str, ttl_s: float) -> bool:
        """Take ``key`` for ``owner`` for ``ttl_s`` seconds when it is free, expired, or ``owner``'s
        already (then renewed); False when another owner holds it. Atomic across processes."""

    async def close(self) -> None:
        """Release connections and files."""

    @staticmethod
    def chat_of(data: dict, chat_id: int | None) -> int:
        """The chat a view is counted against (see :meth:`put_view`)."""
        if chat_id is not None:
            return int(chat_id)
        chat = data.get("chat")
        return int(chat) if isinstance(chat, int) else 0

    def describe(self) -> str:
        """Where the state lives, for the start-up log line (no password)."""
        return self.scheme
