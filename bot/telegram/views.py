"""What a bot message shows, page by page: one dataclass per kind of view, and the store of views.

Inline buttons name a view by ``id`` (:mod:`.callbacks`); views are kept in the bot's state store
(``SANAD_STATE_URL``), and a press whose view was forgotten, belongs to another chat or to another
message is "stale" and answered politely.

* :class:`AnswerView`: an answer, one result a page;
* :class:`ArticleView`: one whole article, pre-rendered pages;
* :class:`ActorView`: an actor of the actor index, pre-rendered pages;
* :class:`SourcesView`: the article list, ``per_page`` articles a page.

``parent`` is the view and page a "back" button returns to; ``start_page`` is where a button
opening the view lands (a full article opens at the page holding the quote); ``children`` caches
the views opened from this one (actor passages, full articles) so pressing a button twice reuses them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, TypeAlias

from retrieval import Answer, Article

if TYPE_CHECKING:
    from .store.guard import Guarded

__all__ = ["ActorView", "AnswerView", "ArticleView", "SourcesView", "View", "ViewStore"]


@dataclass(slots=True, kw_only=True)
class _View:
    id: str
    chat_id: int
    message_id: int | None = None  # the message it is shown in, once sent (children share it)
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
    """A whole article: which one, each page's text offsets in it, and the spans shown in bold.

    Pages are rendered from the index when shown (:func:`~bot.telegram.pages.text`), so a view
    keeps a few numbers per page, never the article's text: views of a long article cost what
    views of a short one do."""

    article_id: str
    spans: tuple[tuple[int, int], ...] = ()
    bold: tuple[tuple[int, int], ...] = ()

    @property
    def n_pages(self) -> int:
        return len(self.spans)


@dataclass(slots=True, kw_only=True)
class ActorView(_View):
    """An actor of the actor index: pre-rendered pages (its card and the sentences naming it),
    and its name (what its timeline button charts)."""

    pages: tuple[str, ...]
    name: str = ""

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
    """Views by id, kept in the bot's state store (:mod:`.store`) as JSON, so a button works after
    a restart and on another replica.

    ``articles`` is the index's article map the stored answers are read back against (a view
    whose article left the index reads back as stale).
    """

    def __init__(self, store: Guarded, articles: Callable[[], Mapping[str, Article]]) -> None:
        self.store = store
        self.articles = articles

    async def new_id(self) -> str:
        """An id no other view of this store ever had (across restarts and replicas)."""
        return await self.store.next_id()

    async def add(self, view: View) -> View:
        from .store.codec import view_to_json

        await self.store.put_view(view.id, view_to_json(view), chat_id=view.chat_id)
        return view

    async def get(self, view_id: str, chat_id: int, message_id: int | None = None) -> View | None:
        """The view, only for the chat and the message it was made for (an id from another chat or
        message is stale). Raises :class:`~retrieval.errors.StateUnavailable` while the store is down."""
        from .store.codec import view_from_json

        data = await self.store.get_view(view_id)
        view = view_from_json(data, self.articles()) if data is not None else None
        if view is None or view.chat_id != chat_id:
            return None
        if message_id is not None and view.message_id is not None and view.message_id != message_id:
            return None
        return view
