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
import contextvars
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
    ApplicationHandlerStop,
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
from . import follows, pages, render, texts, timelines
from .actions import OPENERS
from .callbacks import Action, Callback, parse, pattern
from .config import api_host
from .incoming import addressed, command_argument
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
#: The update being handled (``BOT_ID:UPDATE_ID``): its task records it as answered as soon as
#: its reply has gone out, before any bookkeeping (see :meth:`SanadBot.answered`).
_UPDATE: contextvars.ContextVar[str | None] = contextvars.ContextVar("sanad_update", default=None)
#: Whether the update being handled was charged in its user's rate limit (only those get an error reply).
_CHARGED: contextvars.ContextVar[bool] = contextvars.ContextVar("sanad_charged", default=False)
#: A button press costs this share of a question in the user's rate limit.
BUTTON_COST = 0.25
#: A chat outside the allow-list is told so at most this often (a bucket of one, refilled hourly).
NOT_ALLOWED_PER_MINUTE = 1 / 60
#: Rate-limit buckets of chats outside the allow-list are keyed below every Telegram id (ids fit
#: in 53 bits), so they never share a bucket with a user.
NOT_ALLOWED_KEY_BASE = -(2**62)


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
        self._in_flight: set[str] = set()  # update ids being answered by this process
        self.allowed_chats = frozenset(settings.telegram_allowed_chats)
        self.examples: tuple[str, ...] = texts.EXAMPLES
        self.pool: ThreadPoolExecutor | None = None
        self.bot_id: int | None = None
        self.charts = ChartGate(1)  # charts drawn at once (bot.telegram.timelines)
        self.username: str = ""
        self.alerts = settings.index is not None  # the news loop runs (bot/telegram/feeds.py): /follow works
        self.app_bot: Any = None  # the Application's Bot: alerts are sent without an incoming message
        self._commands: list[CommandHandler] = []  # to tell, in groups, a command for this bot (see cost())

    # ------------------------------------------------------------------ wiring
    def install(self, app: Application) -> None:
        new = filters.UpdateType.MESSAGE  # new messages only: edits and channel posts are ignored
        app.add_handler(TypeHandler(Update, self.gate), group=-1)
        for name, callback in (
            ("start", self.cmd_start),
            ("help", self.cmd_help),
            ("sources", self.cmd_sources),
            ("article", self.cmd_article),
            ("actor", self.cmd_actor),
            ("ask", self.cmd_ask),
            ("latest", self.cmd_latest),
            ("timeline", functools.partial(timelines.cmd_timeline, self)),
            ("follow", functools.partial(follows.cmd_follow, self)),
            ("following", functools.partial(follows.cmd_following, self)),
            ("unfollow", functools.partial(follows.cmd_unfollow, self)),
            ("quiet", functools.partial(follows.cmd_quiet, self)),
        ):
            self._commands.append(CommandHandler(name, callback, filters=new))
            app.add_handler(self._commands[-1])
        app.add_handler(MessageHandler(new & filters.COMMAND, self.on_unknown_command))
        app.add_handler(MessageHandler(new & filters.TEXT, self.on_text))
        app.add_handler(CallbackQueryHandler(self.on_noop, pattern=pattern(Action.NOOP)))
        app.add_handler(CallbackQueryHandler(functools.partial(timelines.on_timeline_button, self), pattern=pattern(Action.TIMELINE)))
        app.add_handler(CallbackQueryHandler(functools.partial(follows.on_unfollow_button, self), pattern=follows.UNFOLLOW_PATTERN))
        app.add_handler(CallbackQueryHandler(functools.partial(follows.on_tz_button, self), pattern=follows.TZ_PATTERN))
        for action in (Action.PAGE, *OPENERS):
            app.add_handler(CallbackQueryHandler(self.on_button, pattern=pattern(action)))
        app.add_handler(CallbackQueryHandler(self.on_forged_button))
        app.add_handler(MessageHandler(new, self.on_other_message))
        app.add_handler(TypeHandler(Update, self.on_ignored))
        app.add_handler(TypeHandler(Update, self.finish), group=1)
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
            for commands, scope in (
                (texts.COMMANDS, BotCommandScopeDefault()),
                (texts.GROUP_COMMANDS, BotCommandScopeAllGroupChats()),
            ):
                shown = [
                    BotCommand(c, d) for c, d in commands
                    if (dated or c not in texts.DATED_COMMANDS) and (self.alerts or c not in texts.ALERT_COMMANDS)
                ]  # fmt: skip
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

    def _update_key(self, update: Update) -> str:
        """``BOT_ID:UPDATE_ID``: update ids count per bot, and a state file may outlive a token."""
        return f"{self.bot_id}:{update.update_id}"

    def _user_id(self, update: Update) -> int:
        if update.effective_user is not None:
            return update.effective_user.id
        if update.effective_message is not None and update.effective_message.sender_chat is not None:
            return update.effective_message.sender_chat.id
        return update.effective_chat.id if update.effective_chat else 0

    def cost(self, update: Update) -> float:
        """What answering ``update`` costs in its user's rate limit: 0 for updates that get no reply.

        Every new message in a private chat gets one (an answer, a usage line, a pointer); in a
        group only a command for this bot and a message mentioning or replying to it do. A button
        press costs :data:`BUTTON_COST` (it edits a message), the timeline button a question (it
        draws a chart and sends a photo)."""
        query = update.callback_query
        if query is not None:
            cb = parse(query.data)
            return 1.0 if cb is not None and cb.action is Action.TIMELINE else BUTTON_COST
        message = update.message  # None for edits, channel posts and other updates: never answered
        if message is None:
            return 0.0
        if message.chat.type == ChatType.PRIVATE:
            return 1.0
        if filters.COMMAND.check_update(update):  # an unknown command, or one for another bot: silence
            return 1.0 if any(h.check_update(update) for h in self._commands) else 0.0
        if message.text and addressed(message, self.bot_id, self.username)[0]:
            return 1.0
        return 0.0

    async def _admit(self, update: Update, cost: float) -> bool:
        """Take ``cost`` from the user's bucket; refused: one polite reply per run of refusals, then silence."""
        s = self.settings
        take = await self.state.take(self._user_id(update), s.telegram_user_rate, s.telegram_user_burst, cost)
        if take.allowed:
            return True
        self.stats["rate_limited"] += 1
        if take.notify:
            if update.callback_query is not None:
                await self.transport.call(update.callback_query.answer, texts.MSG_SLOW_DOWN_BUTTON)
            elif update.message is not None:
                wait = max(1, round(take.wait_s))
                await self.transport.send(update.message, texts.MSG_SLOW_DOWN.format(seconds=render.escape(str(wait))))
        return False

    async def _not_allowed(self, update: Update, chat_id: int) -> None:
        """Tell a chat outside the allow-list so, at most once an hour (its bucket is in the state store)."""
        self.stats["not_allowed"] += 1
        log.info("update from chat %s ignored: not in SANAD_TELEGRAM_ALLOWED_CHATS", chat_id)
        private = update.message is not None and update.message.chat.type == ChatType.PRIVATE
        if update.callback_query is None and not private:
            return  # groups are not told
        take = await self.state.take(NOT_ALLOWED_KEY_BASE + chat_id, NOT_ALLOWED_PER_MINUTE, 1)
        if not take.allowed:
            self.stats["not_allowed_quiet"] += 1
            return
        if update.callback_query is not None:
            await self.transport.call(update.callback_query.answer, texts.MSG_NOT_ALLOWED)
        else:
            await self.transport.send(update.message, texts.MSG_NOT_ALLOWED)

    def _example(self) -> str:
        return (self.examples or texts.EXAMPLES)[0]

    # ------------------------------------------------------------------ commands
    async def gate(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Runs first for every update: an update answered already (Telegram delivered it twice) is
        dropped; then the chat allowlist; then the update pays for its reply in its user's rate
        limit (:meth:`cost`), so no handler sends anything the limit has not allowed."""
        self.stats["updates"] += 1
        key = self._update_key(update)
        if key in self._in_flight or await self.state.is_done(key):
            self.stats["duplicates"] += 1
            log.info("update %s dropped: answered already", update.update_id)
            raise ApplicationHandlerStop
        self._in_flight.add(key)
        _UPDATE.set(key)
        _CHARGED.set(False)
        chat = update.effective_chat
        if self.allowed_chats and chat is not None and chat.id not in self.allowed_chats:
            self._in_flight.discard(key)
            await self._not_allowed(update, chat.id)
            raise ApplicationHandlerStop
        cost = self.cost(update)
        if cost <= 0:
            return
        if not await self._admit(update, cost):
            await self.finish(update, context)
            raise ApplicationHandlerStop
        _CHARGED.set(True)

    async def answered(self) -> None:
        """Record the update being handled as answered, right after its reply went out: a replica
        killed after this point is not answered again (the window left is the call itself)."""
        key = _UPDATE.get()
        if key is not None:
            _UPDATE.set(None)
            await self.state.done(key)

    async def finish(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Runs last for every update the gate let through: record it as answered (if its reply did not already)."""
        await self.answered()
        self._in_flight.discard(self._update_key(update))

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
            await self.transport.send(message, render.feeds_text(self.settings.index, self.settings.feed_every))
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
            await self.transport.send(message, texts.MSG_ARTICLE_USAGE.format(example=example))
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
            await self.transport.send(message, texts.MSG_ACTOR_USAGE)
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
            await self.transport.send(message, texts.MSG_LATEST_USAGE.format(example=render.escape(self._example())))
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
        if not isinstance(update, Update) or not _CHARGED.get():
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
            await self.transport.send(message, texts.MSG_EMPTY.format(example=render.escape(self._example())))
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
