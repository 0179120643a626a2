"""What each button leads to: one function per :class:`~.callbacks.Action` that opens a new view.

A function gets the bot, the view the button is on and the press; it returns the view to show
(stored by the caller) or None when the press points nowhere (stale or forged). Paging and the
page counter open nothing and are handled by the bot itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from . import pages, render, texts
from .callbacks import Action, Callback
from .views import AnswerView, SourcesView, View

if TYPE_CHECKING:
    from .handlers import SanadBot

__all__ = ["OPENERS"]

Opener = Callable[["SanadBot", View, Callback], Awaitable[View | None]]


async def actor_passages(bot: SanadBot, view: View, cb: Callback) -> View | None:
    """Actor ``cb.item`` of the page's result: every sentence naming it, from the actor index."""
    if not isinstance(view, AnswerView) or not view.answer.answered:
        return None
    result = view.answer.results[cb.page]
    if cb.item not in pages.actor_buttons(result):
        return None
    actor = result.actors[cb.item]
    report = await bot.run(bot.sanad.about_actor, actor)
    if report is not None:
        return pages.actor_view(await bot.views.new_id(), view.chat_id, bot.sanad.index, report, (view.id, cb.page))
    ans = await bot.run(bot.sanad.about, actor)  # not in the actor index: search its name
    header = (texts.MSG_ACTOR_HEADER.format(name=render.escape(actor.text)),)
    return AnswerView(id=await bot.views.new_id(), chat_id=view.chat_id, answer=ans, header=header, parent=(view.id, cb.page))


async def full_article(bot: SanadBot, view: View, cb: Callback) -> View | None:
    """The whole article of the page's result, opened at the page holding its first quote."""
    if not isinstance(view, AnswerView) or not view.answer.answered:
        return None
    result = view.answer.results[cb.page]
    bold = [(q.start, q.end) for q in result.quotes]
    child = pages.article_view(
        await bot.views.new_id(), view.chat_id, bot.sanad.index, result.article.id, bold, (view.id, cb.page)
    )
    first = min((q.start for q in result.quotes), default=0)
    child.start_page = next((i for i, (s, e) in enumerate(child.spans) if s <= first < e), 0)
    return child


async def open_source(bot: SanadBot, view: View, cb: Callback) -> View | None:
    """Article ``cb.item`` of a sources view."""
    if not isinstance(view, SourcesView) or cb.item >= len(view.article_ids):
        return None
    parent = (view.id, cb.item // view.per_page)
    return pages.article_view(await bot.views.new_id(), view.chat_id, bot.sanad.index, view.article_ids[cb.item], (), parent)


async def without_context(bot: SanadBot, view: View, cb: Callback) -> View | None:
    """A follow-up's own words asked again, as a question of their own."""
    if not isinstance(view, AnswerView) or view.question is None:
        return None
    ans = await bot.run(bot.sanad.answer, view.question)
    return AnswerView(id=await bot.views.new_id(), chat_id=view.chat_id, answer=ans, parent=(view.id, cb.page))


#: The actions whose buttons open a new view.
OPENERS: dict[Action, Opener] = {
    Action.ACTOR: actor_passages,
    Action.ARTICLE: full_article,
    Action.OPEN: open_source,
    Action.PLAIN: without_context,
}
