"""The bot's timelines: ``/timeline QUERY`` and the button under an actor's card send a chart
(:mod:`bot.chart`) of the reports per week as a photo. At most one chart is drawn at a time
(:class:`~bot.chart.ChartGate`): a request while another is drawn gets "ask again", never a queue,
so questions keep being answered. Both paid for their reply in the user's rate limit before they
run (:meth:`~.handlers.SanadBot.gate`; the button as much as a question)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from telegram import Message, Update
from telegram.constants import ChatType, ParseMode
from telegram.ext import ContextTypes

from retrieval import InputError

from ..chart import ChartBusy, timeline_png
from . import render, texts
from .callbacks import parse
from .commands import usage
from .incoming import command_argument
from .views import ActorView

if TYPE_CHECKING:
    from .handlers import SanadBot

__all__ = ["on_timeline_button", "send_timeline", "cmd_timeline"]

log = logging.getLogger(__name__)


async def send_timeline(bot: SanadBot, message: Message, query: str) -> None:
    """Chart ``query``'s reports per week and send it to ``message``'s chat as a photo."""
    if not bot.sanad.index.dated:
        await bot.transport.send(message, texts.MSG_TIMELINE_UNDATED)
        return
    try:
        tl = await bot.run(bot.sanad.timeline, query)
    except InputError:
        await bot.transport.send(message, usage("timeline"))
        return
    if tl.total == 0:
        await bot.transport.send(message, texts.MSG_TIMELINE_NONE.format(query=render.escape(query[:64])))
        return
    try:
        with bot.charts.slot():
            png = await bot.run(timeline_png, tl)
    except ChartBusy:
        bot.stats["charts_busy"] += 1
        await bot.transport.send(message, texts.MSG_TIMELINE_BUSY)
        return
    peak = tl.peak
    caption = texts.MSG_TIMELINE_CAPTION.format(
        what="ذكر" if tl.kind == "actor" else "تقارير عن", label=render.escape(tl.label[:100]), total=tl.total, first=tl.weeks[0].start.isoformat(),
        last=tl.weeks[-1].start.isoformat(), peak=peak.start.isoformat() if peak else "-", peak_count=peak.count if peak else 0,
    )  # fmt: skip
    kwargs = {}
    if message.chat.type != ChatType.PRIVATE:
        kwargs["reply_to_message_id"] = message.message_id
    await bot.transport.call(
        message.get_bot().send_photo, chat_id=message.chat.id, photo=png, caption=caption, parse_mode=ParseMode.HTML,
        **kwargs,
    )  # fmt: skip
    bot.stats["charts"] += 1
    await bot.answered()


async def cmd_timeline(bot: SanadBot, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/timeline QUERY``: an actor's or a question's reports per week, as a chart."""
    message = update.message
    query = command_argument(message.text or "").strip()
    if not query:
        await bot.transport.send(message, usage("timeline"))
        return
    await send_timeline(bot, message, query)


async def on_timeline_button(bot: SanadBot, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The timeline button under an actor's card: the chart of that actor, as a new photo."""
    query = update.callback_query
    cb = parse(query.data)
    message = query.message
    if cb is None or not isinstance(message, Message):
        await bot.transport.call(query.answer, texts.MSG_STALE)
        return
    view = await bot.views.get(cb.view, message.chat.id, message.message_id)
    if not isinstance(view, ActorView) or not view.name:
        await bot.transport.call(query.answer, texts.MSG_STALE)
        return
    await bot.transport.call(query.answer)
    await send_timeline(bot, message, view.name)
