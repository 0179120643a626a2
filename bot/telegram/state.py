"""In-memory, bounded state of the Telegram bot: views behind inline buttons, chat contexts, rate limits.

Nothing here touches the network or the event loop; everything is bounded (LRU) so a bot that
runs for months in many chats keeps a flat memory profile. A button press whose view was
evicted (or never existed: forged data) is "stale" and answered politely by the bot.
"""

from __future__ import annotations

import itertools
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Generic, Literal, TypeVar

from retrieval.actors import Actor
from retrieval.answer import Answer

__all__ = [
    "CALLBACK_MAX_BYTES",
    "Callback",
    "ChatContext",
    "LRU",
    "RateLimiter",
    "View",
    "ViewStore",
    "parse_callback",
]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

#: Telegram's limit on an inline button's callback_data.
CALLBACK_MAX_BYTES = 64


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


ViewKind = Literal["answer", "article", "sources"]


@dataclass(slots=True)
class View:
    """What one bot message shows, page by page; inline buttons name it by ``id``.

    * ``answer``: ``answer`` with one result per page (``header``: HTML lines shown first);
    * ``article``: the pages of one article (``pages``, pre-rendered HTML);
    * ``sources``: the article list, ``per_page`` articles a page (``article_ids``).

    ``parent`` is the view and page a "back" button returns to; ``start_page`` is where a button
    opening it lands (a full article opens at the page holding the quote); ``children`` caches the views
    opened from this one (actor passages, full articles) so pressing a button twice reuses them.
    """

    id: str
    chat_id: int
    kind: ViewKind
    n_pages: int
    answer: Answer | None = None
    header: tuple[str, ...] = ()
    pages: tuple[str, ...] = ()
    article_ids: tuple[str, ...] = ()
    per_page: int = 10
    parent: tuple[str, int] | None = None
    question: str | None = None  # a follow-up's own words, for "ask without context"
    start_page: int = 0  # the page a button opening this view shows first
    children: dict[tuple, str] = field(default_factory=dict)


class ViewStore:
    """Views by short id, least recently used forgotten beyond ``capacity``."""

    def __init__(self, capacity: int = 5000) -> None:
        self._views: LRU[str, View] = LRU(capacity)
        self._ids = itertools.count(1)

    def new_id(self) -> str:
        return _base36(next(self._ids))

    def add(self, view: View) -> View:
        self._views.put(view.id, view)
        return view

    def get(self, view_id: str, chat_id: int) -> View | None:
        """The view, only for the chat it was made in (a forged id from another chat is stale)."""
        view = self._views.get(view_id)
        return view if view is not None and view.chat_id == chat_id else None

    def __len__(self) -> int:
        return len(self._views)


def _base36(n: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        n, r = divmod(n, 36)
        out = digits[r] + out
        if n == 0:
            return out


@dataclass(frozen=True, slots=True)
class Callback:
    """A parsed button press: ``action`` on ``view`` (page ``page``, item ``item``).

    Actions: ``p`` show page, ``a`` passages naming actor ``item`` of the page's result,
    ``f`` the full article of the page's result, ``o`` open article ``item`` of a sources
    view, ``x`` answer a follow-up again without its context, ``n`` no-op (page counter).
    """

    action: str
    view: str = ""
    page: int = 0
    item: int = 0

    def encode(self) -> str:
        data = "n" if self.action == "n" else f"{self.action}:{self.view}:{self.page}:{self.item}"
        assert len(data.encode()) <= CALLBACK_MAX_BYTES, data
        return data


_CALLBACK_RE = re.compile(r"(?P<action>[pafox]):(?P<view>[0-9a-z]{1,12}):(?P<page>[0-9]{1,6}):(?P<item>[0-9]{1,4})")


def parse_callback(data: str | None) -> Callback | None:
    """The button press ``data`` encodes, or None for anything this bot did not make."""
    if data == "n":
        return Callback("n")
    m = _CALLBACK_RE.fullmatch(data or "")
    if m is None:
        return None
    return Callback(m["action"], m["view"], int(m["page"]), int(m["item"]))


@dataclass(slots=True)
class ChatContext:
    """The context a chat's next short follow-up is answered in."""

    actor: Actor
    names: frozenset[str]  # analysed words of every actor of the last answer
    shown: set[tuple[str, int]]  # (article id, quote start) already shown for this context
    at: float


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
        self._buckets: LRU[int, list[float]] = LRU(capacity)  # [tokens, last time, notified]

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def allow(self, user: int, cost: float = 1.0) -> tuple[bool, bool]:
        if not self.enabled:
            return True, False
        now = self.clock()
        bucket = self._buckets.get(user)
        if bucket is None:
            bucket = [self.burst, now, 0.0]
            self._buckets.put(user, bucket)
        tokens = min(self.burst, bucket[0] + (now - bucket[1]) * self.rate)
        bucket[1] = now
        if tokens >= cost:
            bucket[0] = tokens - cost
            bucket[2] = 0.0
            return True, False
        bucket[0] = tokens
        notify = bucket[2] == 0.0
        bucket[2] = 1.0
        return False, notify

    def wait_seconds(self, user: int, cost: float = 1.0) -> float:
        """Seconds until ``user`` may ask again."""
        bucket = self._buckets.get(user)
        if bucket is None or not self.enabled:
            return 0.0
        return max(0.0, (cost - bucket[0]) / self.rate)
