"""The bot's handlers: questions, commands, buttons, errors; :class:`SanadBot` installs them on an ``Application``.

* a question (any text in a private chat; in groups only when the bot is mentioned, replied
  to, or asked with ``/ask``) gets one message: one result per page, edited in place by the
  inline buttons (:mod:`.pages`, :mod:`.actions`);
* a short follow-up naming no actor ("وماذا قال أيضاً؟") is answered in the context of the
  chat's previous answer (:mod:`retrieval.followup`), and the reply says so;
* ``/start`` ``/help`` ``/sources`` ``/article ID`` ``/ask``; stickers, photos, voice get a
  polite pointer in private chats; edited messages and channel posts are ignored on purpose;
* every update that gets a reply pays for it in its user's rate limit before any handler runs
  (:meth:`SanadBot.gate`): usage messages and errors included; a chat outside the allow-list is
  told so at most once an hour.

Answers come from one :class:`~retrieval.service.Sanad` (the same tagger and threshold as the
CLI and the console), computed in a thread pool so the event loop keeps serving other chats.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from telegram import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeDefault,
    Message,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from retrieval import (
    DIGITS_TO_ASCII,
    FORMAT_MARKS_RE,
    Context,
    Index,
    InputError,
    Reply,
    Sanad,
)

from ..chart import ChartGate
from ..errors import StateUnavailable
from ..settings import Settings
from . import pages, render, texts
from .actions import OPENERS
from .callbacks import Action, Callback, parse
from .commands import BUTTONS, COMMANDS, menu, resolve, usage
from .config import api_host
from .feeds import feeds_text
from .incoming import addressed, command_argument
from .pipeline import Pipeline, charged
from .store import StateStore, open_store
from .store.codec import context_from_json, context_to_json
from .store.guard import Guarded
from .transport import NO_PREVIEW, Transport
from .views import AnswerView, SourcesView, View, ViewStore

__all__ = ["SanadBot"]

log = logging.getLogger("bot.telegram")
T = TypeVar("T")

#: Articles a /sources page lists.
SOURCES_PER_PAGE = 10
class SanadBot:
    """Handlers and state of the bot. ``install(app)`` registers them on an ``Application``."""

    def __init__(
        self,
        settings: Settings,
        sanad: Sanad,
        *,
        retry_base_delay: float = 0.5,
        max_attempts: int = 6,
        max_retry_after: float = 120.0,
        view_capacity: int = 5000,
        store: StateStore | None = None,
    ) -> None:
        self.settings = settings
        self.sanad = sanad
        self.stats: Counter[str] = Counter()
        self.transport = Transport(
            self.stats, retry_base_delay=retry_base_delay, max_attempts=max_attempts, max_retry_after=max_retry_after
        )
        minutes = settings.telegram_context_minutes
        store = store or open_store(settings.state_url, view_capacity=view_capacity, context_minutes=minutes)
        self.state = Guarded(store)
        self.views = ViewStore(self.state, lambda: self.sanad.index.articles)
        self.allowed_chats = frozenset(settings.telegram_allowed_chats)
        self.examples: tuple[str, ...] = texts.EXAMPLES
        self.pool: ThreadPoolExecutor | None = None
        self.bot_id: int | None = None
        self.charts = ChartGate(1)  # charts drawn at once (bot.telegram.timelines)
        self.username: str = ""
        self.alerts = settings.index is not None  # the news loop runs (bot/telegram/feeds.py): /follow works
        self.app_bot: Any = None  # the Application's Bot: alerts are sent without an incoming message
        self.commands: list[CommandHandler] = []  # to tell, in groups, a command for this bot (Pipeline.cost)
        self.pipeline = Pipeline(self)

    # ------------------------------------------------------------------ wiring
    def install(self, app: Application) -> None:
        new = filters.UpdateType.MESSAGE  # new messages only: edits and channel posts are ignored
        app.add_handler(TypeHandler(Update, self.pipeline.gate), group=-1)
        for command in COMMANDS:  # the one table (commands.py)
            self.commands.append(CommandHandler(command.name, resolve(self, command.handler), filters=new))
            app.add_handler(self.commands[-1])
        app.add_handler(MessageHandler(new & filters.COMMAND, self.on_unknown_command))
        app.add_handler(MessageHandler(new & filters.TEXT, self.on_text))
        for button in BUTTONS:
            app.add_handler(CallbackQueryHandler(resolve(self, button.handler), pattern=button.pattern))
        app.add_handler(CallbackQueryHandler(self.on_forged_button))
        app.add_handler(MessageHandler(new, self.on_other_message))
        app.add_handler(TypeHandler(Update, self.on_ignored))
        app.add_handler(TypeHandler(Update, self.pipeline.finish), group=1)
        app.add_error_handler(self.on_error)

    async def startup(self, app: Application) -> None:
        """After ``Application.initialize``: threads, working examples, commands, a start-up log line."""
        self.pool = ThreadPoolExecutor(self.settings.telegram_workers, thread_name_prefix="sanad-answer")
        self.bot_id, self.username = app.bot.id, app.bot.username or ""
        self.app_bot = app.bot
        t0 = time.perf_counter()
        self.examples = await self.run(self.sanad.working, texts.EXAMPLES)  # also warms up retrieval
        await self.state.is_done("0:0")  # a store that is down says so now, in one log line
        warm_ms = 1000 * (time.perf_counter() - t0)
        try:
            dated = self.sanad.index.dated  # /latest and /timeline need dated articles
            for group, scope in ((False, BotCommandScopeDefault()), (True, BotCommandScopeAllGroupChats())):
                shown = [BotCommand(c, d) for c, d in menu(group, dated, self.alerts)]
                await self.transport.call(app.bot.set_my_commands, shown, scope=scope)
        except TelegramError as e:  # the menu is a convenience: serve without it
            log.warning("could not set the bot's command menu: %s", e)
        index = self.sanad.index
        log.info(
            "Sanad Telegram bot @%s serving %d articles, %d passages (index built %s); API %s; state %s; warm-up %.0f ms",
            self.username,
            len(index.articles),
            index.n_passages,
            index.built_at,
            api_host(self.settings),
            self.state.store.describe(),
            warm_ms,
        )

    async def shutdown(self, app: Application) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = None
        await self.state.close()
        log.info("Sanad Telegram bot stopped: %s", dict(self.stats) or "no updates")

    # ------------------------------------------------------------------ plumbing
    def swap_index(self, index: Index) -> None:
        """Answer from ``index`` from now on; answers already running finish on the previous one."""
        self.sanad = Sanad(index, self.sanad.options)

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` in the retrieval thread pool: the event loop keeps serving other chats."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.pool, functools.partial(fn, *args))

    async def answered(self) -> None:
        """Record the update being handled as answered, right after its reply went out (:class:`.pipeline.Pipeline`)."""
        await self.pipeline.answered()

    async def send_view(self, message: Message, view: View) -> Message:
        """Send ``view``'s first page as a new message, then keep the view, tied to that message."""
        index = self.sanad.index
        sent = await self.transport.send(message, pages.text(view, 0, index), pages.keyboard(view, 0, index))
        await self.answered()
        view.message_id = getattr(sent, "message_id", None)
        await self.views.add(view)
        return sent

    async def context_of(self, chat_id: int) -> Context | None:
        """The chat's follow-up context, if it is still fresh."""
        ctx = context_from_json(await self.state.get_context(chat_id))
        minutes = self.settings.telegram_context_minutes
        return ctx if ctx is not None and ctx.fresh(time.time(), minutes) else None

    def _example(self) -> str:
        return (self.examples or texts.EXAMPLES)[0]

    # ------------------------------------------------------------------ commands
    async def cmd_start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._help(update, greeting=True)

    async def cmd_help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._help(update, greeting=False)

    async def _help(self, update: Update, greeting: bool) -> None:
        message = update.message
        group = message.chat.type != ChatType.PRIVATE
        await self.transport.send(message, texts.help_text(self.examples, self.username, greeting, group, self.sanad.index.dated, self.alerts))

    async def cmd_sources(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        if self.settings.feeds and self.settings.index is not None:  # the followed feeds first
            await self.transport.send(message, feeds_text(self.settings.index, self.settings.feed_every))
        view = SourcesView(
            id=await self.views.new_id(),
            chat_id=message.chat.id,
            article_ids=tuple(self.sanad.index.articles),
            per_page=SOURCES_PER_PAGE,
        )
        await self.send_view(message, view)

    async def cmd_article(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        key = FORMAT_MARKS_RE.sub("", command_argument(message.text or "").translate(DIGITS_TO_ASCII)).strip()
        if not key:
            sources = self.sanad.sources()
            example = render.escape(sources[0].id[:3] if len(sources) else "ID")
            await self.transport.send(message, usage("article", example=example))
            return
        article = self.sanad.article(key)
        if article is None:
            await self.transport.send(message, texts.MSG_NO_ARTICLE.format(key=render.escape(key[:64])))
            return
        view = pages.article_view(await self.views.new_id(), message.chat.id, self.sanad.index, article.id)
        await self.send_view(message, view)

    async def cmd_actor(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """``/actor NAME``: the actor across the corpus, from the actor index."""
        message = update.message
        name = command_argument(message.text or "").strip()
        if not name:
            await self.transport.send(message, usage("actor"))
            return
        try:
            report = await self.run(self.sanad.actor, name)
        except InputError:  # one letter, or a paragraph
            await self.transport.send(message, texts.MSG_ACTOR_BAD_NAME)
            return
        if report is None:
            await self.transport.send(message, texts.MSG_NO_ACTOR.format(name=render.escape(name[:64])))
            return
        view = pages.actor_view(await self.views.new_id(), message.chat.id, self.sanad.index, report)
        await self.send_view(message, view)

    async def cmd_latest(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """``/latest QUESTION``: the answer with the newest answering reports first."""
        message = update.message
        question = command_argument(message.text or "")
        if not question.strip():
            await self.transport.send(message, usage("latest", example=render.escape(self._example())))
            return
        await self.ask(update, message, question, latest=True)

    async def cmd_ask(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        question = command_argument(message.text or "")
        if self.username:
            question = re.sub(rf"@{re.escape(self.username)}\b", " ", question, flags=re.IGNORECASE)
        await self.ask(update, message, question)

    async def on_unknown_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        if message.chat.type == ChatType.PRIVATE:
            await self.transport.send(message, texts.MSG_UNKNOWN_COMMAND)

    async def on_other_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Stickers, photos, voice, files, service messages: a pointer in private chats, silence in groups."""
        message = update.message
        self.stats["not_text"] += 1
        if message.chat.type == ChatType.PRIVATE:
            await self.transport.send(message, texts.MSG_NOT_TEXT)

    async def on_ignored(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Edited messages, channel posts and other update types: deliberately ignored."""
        self.stats["ignored"] += 1
        kind = next(
            (k for k in ("edited_message", "channel_post", "edited_channel_post") if getattr(update, k, None)), "other"
        )
        log.debug("update %s ignored (%s)", update.update_id, kind)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log the error with the update's context, then tell the user (best effort) if the update
        paid for a reply: an update the bot would not have answered gets no error message either."""
        self.stats["errors"] += 1
        err = context.error
        log.error("error while handling %s: %s: %s", _describe(update), type(err).__name__, err, exc_info=err)
        if not isinstance(update, Update) or not charged():
            return
        with contextlib.suppress(Exception):
            if update.callback_query is not None:
                await update.callback_query.answer(texts.MSG_ERROR[:200])
            elif update.effective_message is not None and update.effective_chat is not None:
                await self.transport.call(
                    context.bot.send_message,
                    chat_id=update.effective_chat.id,
                    text=texts.MSG_ERROR,
                    parse_mode=ParseMode.HTML,
                )

    # ------------------------------------------------------------------ questions
    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        text = message.text or ""
        if message.chat.type != ChatType.PRIVATE:
            for_bot, text = addressed(message, self.bot_id, self.username)
            if not for_bot:
                self.stats["group_ignored"] += 1
                return
        await self.ask(update, message, text)

    async def ask(self, update: Update, message: Message, question: str, latest: bool = False) -> None:
        """Answer ``question`` in ``message``'s chat: one message, paged by buttons (the newest
        reports first with ``latest``)."""
        if not question.strip():
            await self.transport.send(message, usage("ask", example=render.escape(self._example())))
            return
        chat_id = message.chat.id
        self.stats["questions"] += 1
        async with self.transport.chat_lock(chat_id):
            try:
                reply: Reply = await self.run(self.sanad.ask, question, await self.context_of(chat_id), latest)
            except InputError:  # no words to search: the chat's context still holds
                await self.transport.send(message, texts.MSG_NO_WORDS.format(example=render.escape(self._example())))
                return
            self.stats["answered" if reply.answer.answered else "no_answer"] += 1
            follow_up = reply.follow_up
            view = AnswerView(
                id=await self.views.new_id(),
                chat_id=chat_id,
                answer=reply.answer,
                header=render.follow_up_header(follow_up) if follow_up else (),
                question=follow_up.question if follow_up else None,
            )
            await self.state.put_context(chat_id, context_to_json(reply.context) if reply.context else None)
            await self.send_view(message, view)

    # ------------------------------------------------------------------ buttons
    async def on_noop(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.transport.call(update.callback_query.answer)

    async def on_forged_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        self.stats["callbacks_forged"] += 1
        await self.transport.call(update.callback_query.answer, texts.MSG_FORGED)

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A button press: edit the message in place; stale or forged data gets a polite answer."""
        query = update.callback_query
        cb = parse(query.data)
        if cb is None:
            await self.on_forged_button(update, context)
            return
        message = query.message
        if not isinstance(message, Message):  # too old or inaccessible: nothing to edit
            await self.transport.call(query.answer, texts.MSG_STALE)
            return
        async with self.transport.chat_lock(message.chat.id):
            try:
                view = await self.views.get(cb.view, message.chat.id, message.message_id)
                target = await self._resolve(view, cb) if view is not None else None
            except StateUnavailable:
                self.stats["callbacks_unavailable"] += 1
                await self.transport.call(query.answer, texts.MSG_TRY_AGAIN)
                return
            if target is None:
                self.stats["callbacks_stale"] += 1
                await self.transport.call(query.answer, texts.MSG_STALE)
                return
            await self._show(query, *target)
        with contextlib.suppress(BadRequest):  # "query is too old" after long retries: the edit is done
            await self.transport.call(query.answer)

    async def _show(self, query: Any, view: View, page: int) -> None:
        self.stats["callbacks"] += 1
        index = self.sanad.index
        try:
            await self.transport.call(
                query.edit_message_text,
                pages.text(view, page, index),
                parse_mode=ParseMode.HTML,
                reply_markup=pages.keyboard(view, page, index),
                link_preview_options=NO_PREVIEW,
            )
        except BadRequest as e:
            if "not modified" not in str(e).lower():
                raise
        await self.answered()

    async def _resolve(self, view: View, cb: Callback) -> tuple[View, int] | None:
        """The view and page a button leads to, or None when it points nowhere (stale or forged)."""
        if not 0 <= cb.page < view.n_pages:
            return None
        if cb.action is Action.PAGE:
            return view, cb.page
        key = (cb.action, cb.page, cb.item)
        child = await self.views.get(view.children[key], view.chat_id) if key in view.children else None
        if child is None:
            child = await OPENERS[cb.action](self, view, cb)
            if child is None:
                return None
            child.message_id = view.message_id  # it edits the same message
            await self.views.add(child)
            view.children[key] = child.id
            await self.views.add(view)
        return child, child.first_page


# ----------------------------------------------------------------------------------- helpers
def _describe(update: object) -> str:
    if not isinstance(update, Update):
        return f"a non-update event ({type(update).__name__})"
    parts = [f"update {update.update_id}"]
    if update.effective_chat is not None:
        parts.append(f"chat {update.effective_chat.id} ({update.effective_chat.type})")
    if update.effective_user is not None:
        parts.append(f"user {update.effective_user.id}")
    if update.callback_query is not None:
        parts.append(f"button {update.callback_query.data!r}")
    elif update.effective_message is not None and update.effective_message.text:
        text = update.effective_message.text
        parts.append(f"text {text[:80]!r}{'…' if len(text) > 80 else ''}")
    return ", ".join(parts)
