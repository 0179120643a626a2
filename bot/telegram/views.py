"""What a bot message shows, page by page: one dataclass per kind of view, and the store of views.

Inline buttons name a view by ``id`` (:mod:`.callbacks`); a press whose view was forgotten (LRU) or
belongs to another chat is "stale" and answered politely.

* :class:`AnswerView`: an answer, one result a page;
* :class:`ArticleView`: one whole article, pre-rendered pages;
* :class:`ActorView`: an actor of the actor index, pre-rendered pages;
* :class:`SourcesView`: the article list, ``per_page`` articles a page.

``parent`` is the view and page a "back" button returns to; ``start_page`` is where a button
opening the view lands (a full article opens at the page holding the quote); ``children`` caches
the views opened from this one (actor passages, full articles) so pressing a button twice reuses them.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import TypeAlias

from retrieval.answer import Answer

from .state import LRU

__all__ = ["ActorView", "AnswerView", "ArticleView", "SourcesView", "View", "ViewStore"]


@dataclass(slots=True, kw_only=True)
class _View:
    id: str
    chat_id: int
    parent: tuple[str, int] | None = None
    start_page: int = 0
    children: dict[tuple, str] = field(default_factory=dict)

    @property
    def n_pages(self) -> int:
        raise NotImplementedError

    @property
    def first_page(self) -> int:
        """The page a button opening this view shows."""
        return self.start_page if 0 <= self.start_page < self.n_pages else 0


@dataclass(slots=True, kw_only=True)
class AnswerView(_View):
    """An answer, one result a page (``header``: HTML lines shown first).

    ``question`` is a follow-up's own words, for the "ask without context" button.
    """

    answer: Answer
    header: tuple[str, ...] = ()
    question: str | None = None

    @property
    def n_pages(self) -> int:
        return max(1, len(self.answer.results))


@dataclass(slots=True, kw_only=True)
class ArticleView(_View):
    """A whole article: its pages (HTML) and each page's text offsets in the article."""

    pages: tuple[str, ...]
    spans: tuple[tuple[int, int], ...] = ()

    @property
    def n_pages(self) -> int:
        return len(self.pages)


@dataclass(slots=True, kw_only=True)
class ActorView(_View):
    """An actor of the actor index: pre-rendered pages (its card and the sentences naming it)."""

    pages: tuple[str, ...]

    @property
    def n_pages(self) -> int:
        return len(self.pages)


@dataclass(slots=True, kw_only=True)
class SourcesView(_View):
    """The articles answered from (their ids), ``per_page`` a page."""

    article_ids: tuple[str, ...]
    per_page: int

    @property
    def n_pages(self) -> int:
        return max(1, -(-len(self.article_ids) // self.per_page))


View: TypeAlias = AnswerView | ArticleView | ActorView | SourcesView


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
