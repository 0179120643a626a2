"""A view's page as a message: its HTML text and its inline keyboard."""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from retrieval import ActorReport, Index, Result

from ..wording import answer_actor
from . import render, texts
from .callbacks import Action, Callback
from .views import ActorView, AnswerView, ArticleView, SourcesView, View

__all__ = ["MAX_ACTOR_BUTTONS", "actor_buttons", "actor_view", "article_view", "keyboard", "text"]

#: Actor buttons under one result (two a row).
MAX_ACTOR_BUTTONS = 8
#: How many characters of a title or a name a button shows.
SOURCE_BUTTON_CHARS = 40
ACTOR_BUTTON_CHARS = 28


def text(view: View, page: int, index: Index) -> str:
    """The HTML of ``view``'s ``page``."""
    if isinstance(view, AnswerView):
        if not view.answer.answered:
            return render.no_answer(view.answer, view.header)
        return render.answer_page(view.answer, page, view.header)
    if isinstance(view, SourcesView):
        return render.sources_page(index.articles.values(), page, view.per_page, index.n_passages, index.built_at)
    if isinstance(view, ArticleView):
        return render.article_page(index.articles[view.article_id], view.spans, page, view.bold)
    return view.pages[page]  # ActorView: pre-rendered


def article_view(
    view_id: str,
    chat_id: int,
    index: Index,
    article_id: str,
    bold: Sequence[tuple[int, int]] = (),
    parent: tuple[str, int] | None = None,
) -> ArticleView:
    """A whole article, paged, its ``bold`` spans (article offsets) in bold."""
    bold = tuple((int(s), int(e)) for s, e in bold)
    spans = render.article_spans(index.articles[article_id], bold)
    return ArticleView(id=view_id, chat_id=chat_id, article_id=article_id, spans=tuple(spans), bold=bold, parent=parent)


def actor_view(
    view_id: str, chat_id: int, index: Index, report: ActorReport, parent: tuple[str, int] | None = None
) -> ActorView:
    """An actor of the actor index, paged: its card and the sentences naming it."""
    return ActorView(
        id=view_id, chat_id=chat_id, pages=tuple(render.actor_pages(report, index.articles)), parent=parent,
        name=report.entry.name,
    )


def keyboard(view: View, page: int, index: Index) -> InlineKeyboardMarkup | None:
    """The buttons under ``view``'s ``page``: articles of a sources page, paging, actors, article, back."""
    rows: list[list[InlineKeyboardButton]] = []
    if isinstance(view, SourcesView):
        first = page * view.per_page
        for i, aid in enumerate(view.article_ids[first : first + view.per_page], start=first):
            title = _short(index.articles[aid].title, SOURCE_BUTTON_CHARS)
            rows.append([_button(f"📄 {title}", Callback(Action.OPEN, view.id, page, i))])
    if view.n_pages > 1:
        rows.append(_paging(view, page))
    if isinstance(view, AnswerView):
        rows.extend(_answer_rows(view, page))
    if isinstance(view, ActorView) and view.name and index.dated:
        rows.append([_button(texts.BUTTON_TIMELINE, Callback(Action.TIMELINE, view.id, page))])
    if view.parent is not None:
        rows.append([_button(texts.BUTTON_BACK, Callback(Action.PAGE, view.parent[0], view.parent[1]))])
    return InlineKeyboardMarkup(rows) if rows else None


def _paging(view: View, page: int) -> list[InlineKeyboardButton]:
    nav = []
    if page + 1 < view.n_pages:
        nav.append(_button(texts.BUTTON_NEXT, Callback(Action.PAGE, view.id, page + 1)))
    nav.append(_button(f"{page + 1}/{view.n_pages}", Callback(Action.NOOP)))
    if page > 0:
        nav.append(_button(texts.BUTTON_PREVIOUS, Callback(Action.PAGE, view.id, page - 1)))
    return nav


def _answer_rows(view: AnswerView, page: int) -> list[list[InlineKeyboardButton]]:
    plain = _button(texts.BUTTON_PLAIN, Callback(Action.PLAIN, view.id, page))
    if not view.answer.answered:
        return [[plain]] if view.question is not None else []
    result = view.answer.results[page]
    actors = [
        _button(
            f"{texts.ICONS.get(a.type, '•')} {_short(a.text, ACTOR_BUTTON_CHARS)}", Callback(Action.ACTOR, view.id, page, i)
        )
        for i, a in ((i, result.actors[i]) for i in actor_buttons(result))
    ]
    rows = [actors[i : i + 2] for i in range(0, len(actors), 2)]
    bottom = [_button(texts.BUTTON_ARTICLE, Callback(Action.ARTICLE, view.id, page))]
    if view.question is not None:
        bottom.append(plain)
    rows.append(bottom)
    return rows


def actor_buttons(result: Result) -> list[int]:
    """Which of ``result``'s actors get a button, in order (at most :data:`MAX_ACTOR_BUTTONS`):
    the person or organisation the answer span names first (:func:`bot.wording.answer_actor`),
    then the others in the result's order. A button's callback names the actor by its index in
    ``result.actors``, so a reordered keyboard and an older message's buttons mean the same actors."""
    order = list(range(len(result.actors)))
    first = answer_actor(result)
    if first is not None:
        order.remove(first)
        order.insert(0, first)
    return order[:MAX_ACTOR_BUTTONS]


def _button(label: str, cb: Callback) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=cb.encode())


def _short(label: str, limit: int) -> str:
    label = " ".join(label.split())
    return label if len(label) <= limit else label[: limit - 1].rstrip() + "…"
