"""The Telegram bot: python-telegram-bot v22 (async ``Application``) over the console's ``answer()``.

One :class:`SanadBot` holds the index, a thread pool for retrieval (the event loop never runs
``answer()``), bounded in-memory state (:mod:`.state`) and the handlers:

* a question (any text in a private chat; in groups only when the bot is mentioned, replied
  to, or asked with ``/ask``) gets one message: one result per page, edited in place by the
  inline buttons السابق / التالي, a button per actor of the page (the passages naming that
  actor), a button for the full article (paged);
* a short follow-up naming no actor ("وماذا قال أيضاً؟") is answered in the context of the
  chat's previous answer's main actor, and the reply says so (with a button to drop it);
* ``/start`` ``/help`` ``/sources`` ``/article ID`` ``/ask``; stickers, photos, voice get a
  polite pointer in private chats; edited messages and channel posts are ignored on purpose.

Every Bot API call that sends or edits goes through :meth:`SanadBot.call`, which retries
``RetryAfter`` (after the time Telegram asks), ``TimedOut`` and ``NetworkError`` (exponential
backoff), so a reply is not lost to a flaky network; ``AIORateLimiter`` keeps outgoing
messages under the flood limits. Errors reach :meth:`SanadBot.on_error`, which logs the
update's context and tells the user something went wrong. The token is never logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import importlib.util
import logging
import re
import signal
import sys
import time
import warnings
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

from telegram import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeDefault,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    MessageEntity,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, InvalidToken, NetworkError, RetryAfter, TelegramError, TimedOut
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    TypeHandler,
    filters,
)

from retrieval.actors import Actor, extract_actors
from retrieval.answer import Answer, Result, answer, clean_question
from retrieval.errors import ConfigError, InputError
from retrieval.index import Index
from retrieval.normalize import tokenize

from ..render import (
    tg_answer_page,
    tg_article_pages,
    tg_escape,
    tg_no_answer,
    tg_sources_page,
)
from ..settings import Settings
from .config import api_host, check_token, protect_secrets, quiet_http_loggers, webhook_secret
from .state import LRU, Callback, ChatContext, RateLimiter, View, ViewStore, parse_callback

__all__ = [
    "ALLOWED_UPDATES",
    "EXAMPLES",
    "SanadBot",
    "build_application",
    "run_bot",
    "running",
    "serve",
]

log = logging.getLogger("bot.telegram")
T = TypeVar("T")

#: Updates the bot asks Telegram for (edited messages, channel posts... are not even fetched).
ALLOWED_UPDATES = ("message", "callback_query")
#: Example questions for /start and /help; those that do not answer on the served index are dropped.
EXAMPLES = (
    "ماذا طلب المجلس البلدي لمصراتة من بعثة الأمم المتحدة؟",
    "ماذا قال كوبلر عن الجيش الليبي؟",
    "كم عدد النازحين في ليبيا؟",
)
COMMANDS = (
    ("start", "ما هو سند وكيف تسأله"),
    ("help", "مساعدة وأمثلة"),
    ("sources", "المقالات التي أجيب منها"),
    ("article", "مقال كامل: /article ومعرّف المقال"),
)
GROUP_COMMANDS = (*COMMANDS, ("ask", "اسأل في المجموعة: /ask ثم سؤالك"))
_ICON = {"person": "👤", "organization": "🏛", "place": "📍"}
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
_MAX_ACTOR_BUTTONS = 8
_SOURCES_PER_PAGE = 10
_ACTOR_TOP_K = 5
_FOLLOW_UP_MAX_WORDS = 6
_FOLLOW_UP_MAX_TERMS = 3
_NAME_PARTICLES = ("عبد", "أبو", "ابو", "بن", "ابن", "أبي", "ابي", "آل", "ال")

# Replies (Arabic first, so right-to-left clients lay them out right).
MSG_STALE = "انتهت صلاحية هذه الرسالة (لم أعد أحتفظ بها). أرسل سؤالك من جديد."
MSG_FORGED = "هذا الزر غير صالح."
MSG_ERROR = "عذراً، حدث خطأ غير متوقع أثناء معالجة رسالتك. سُجّل الخطأ؛ حاول مجدداً بعد قليل."
MSG_NOT_TEXT = (
    "أقرأ الأسئلة النصية فقط (لا الملصقات ولا الصور ولا الرسائل الصوتية). اكتب سؤالك بالعربية، أو أرسل /help للأمثلة."
)
MSG_NOT_ALLOWED = "عذراً، هذا البوت غير متاح في هذه المحادثة."
MSG_UNKNOWN_COMMAND = "لا أعرف هذا الأمر. الأوامر: /help و/sources و/article"
MSG_EMPTY = "اكتب سؤالك بالعربية بعد الأمر، مثل: /ask {example}"
MSG_NO_WORDS = "لم أجد في رسالتك كلمات أبحث عنها. اكتب سؤالك بكلمات عربية، مثل: «{example}»"


# ----------------------------------------------------------------------------------- the bot
@dataclass(slots=True)
class _Computed:
    """What the thread pool hands back for a question."""

    answer: Answer | None = None
    header: tuple[str, ...] = ()
    context: ChatContext | None = None  # the chat's context after this answer
    keep_context: bool = False  # True: leave the chat's context as it was (no answer, or an error)
    follow_up_of: str | None = None  # the question's own words when answered in a context
    error: str | None = None  # a polite message instead of an answer


class SanadBot:
    """Handlers and state of the bot. ``install(app)`` registers them on an ``Application``."""

    def __init__(
        self,
        settings: Settings,
        index: Index,
        *,
        retry_base_delay: float = 0.5,
        max_attempts: int = 6,
        max_retry_after: float = 120.0,
        view_capacity: int = 5000,
        chat_capacity: int = 10_000,
    ) -> None:
        self.settings = settings
        self.index = index
        self.retry_base_delay = retry_base_delay
        self.max_attempts = max_attempts
        self.max_retry_after = max_retry_after
        self.views = ViewStore(view_capacity)
        self.contexts: LRU[int, ChatContext] = LRU(chat_capacity)
        self.limiter = RateLimiter(settings.telegram_user_rate, settings.telegram_user_burst)
        self.allowed_chats = frozenset(settings.telegram_allowed_chats)
        self.examples: tuple[str, ...] = EXAMPLES
        self.stats: Counter[str] = Counter()
        self.pool: ThreadPoolExecutor | None = None
        self.bot_id: int | None = None
        self.username: str = ""
        self._articles = index.articles.values()  # lazy: texts are read only when shown
        self._locks: dict[int, list[Any]] = {}

    # ------------------------------------------------------------------ wiring
    def install(self, app: Application) -> None:
        new = filters.UpdateType.MESSAGE  # new messages only: edits and channel posts are ignored
        app.add_handler(TypeHandler(Update, self.gate), group=-1)
        for name, callback in (
            ("start", self.cmd_start),
            ("help", self.cmd_help),
            ("sources", self.cmd_sources),
            ("article", self.cmd_article),
            ("ask", self.cmd_ask),
        ):
            app.add_handler(CommandHandler(name, callback, filters=new))
        app.add_handler(MessageHandler(new & filters.COMMAND, self.on_unknown_command))
        app.add_handler(MessageHandler(new & filters.TEXT, self.on_text))
        app.add_handler(CallbackQueryHandler(self.on_callback))
        app.add_handler(MessageHandler(new, self.on_other_message))
        app.add_handler(TypeHandler(Update, self.on_ignored))
        app.add_error_handler(self.on_error)

    async def startup(self, app: Application) -> None:
        """After ``Application.initialize``: threads, working examples, commands, a start-up log line."""
        self.pool = ThreadPoolExecutor(self.settings.telegram_workers, thread_name_prefix="sanad-answer")
        self.bot_id, self.username = app.bot.id, app.bot.username or ""
        t0 = time.perf_counter()
        self.examples = await self.run(self._working_examples)  # also warms up retrieval
        warm_ms = 1000 * (time.perf_counter() - t0)
        try:
            await self.call(
                app.bot.set_my_commands, [BotCommand(c, d) for c, d in COMMANDS], scope=BotCommandScopeDefault()
            )
            await self.call(
                app.bot.set_my_commands,
                [BotCommand(c, d) for c, d in GROUP_COMMANDS],
                scope=BotCommandScopeAllGroupChats(),
            )
        except TelegramError as e:  # the menu is a convenience: serve without it
            log.warning("could not set the bot's command menu: %s", e)
        log.info(
            "Sanad Telegram bot @%s serving %d articles, %d passages (index built %s); API %s; warm-up %.0f ms",
            self.username,
            len(self.index.articles),
            self.index.n_passages,
            self.index.built_at,
            api_host(self.settings),
            warm_ms,
        )

    async def shutdown(self, app: Application) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
            self.pool = None
        log.info("Sanad Telegram bot stopped: %s", dict(self.stats) or "no updates")

    def _working_examples(self) -> tuple[str, ...]:
        working = []
        for q in EXAMPLES:
            try:
                if answer(q, self.index, self.settings.top_k, self.settings.min_confidence).answered:
                    working.append(q)
            except InputError:
                pass
        return tuple(working)

    # ------------------------------------------------------------------ plumbing
    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """``fn(*args)`` in the retrieval thread pool: the event loop keeps serving other chats."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.pool, functools.partial(fn, *args))

    async def call(self, fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        """A Bot API call, retried on ``RetryAfter`` (as asked), ``TimedOut`` and ``NetworkError`` (backoff).

        ``BadRequest`` (a bug or a message that cannot be sent as is) and ``Forbidden`` (the user
        blocked the bot) are not retried.
        """
        name = getattr(fn, "__name__", "call")
        delay = self.retry_base_delay
        for attempt in range(1, self.max_attempts + 1):
            try:
                return await fn(*args, **kwargs)
            except BadRequest:
                raise
            except RetryAfter as e:
                wait = _retry_after_seconds(e) + 0.1
                if attempt == self.max_attempts or wait > self.max_retry_after:
                    raise
                self.stats["retry_after"] += 1
                reason = f"flood limit, Telegram asks to wait {wait:.1f} s"
            except (TimedOut, NetworkError) as e:
                if attempt == self.max_attempts:
                    raise
                wait, delay = delay, min(delay * 2, 10.0)
                self.stats["network_retries"] += 1
                reason = f"{type(e).__name__}: {e}"
            log.warning(
                "Bot API %s failed (%s): retry %d of %d in %.2f s", name, reason, attempt, self.max_attempts - 1, wait
            )
            await asyncio.sleep(wait)
        raise AssertionError("unreachable")

    @contextlib.asynccontextmanager
    async def chat_lock(self, chat_id: int) -> AsyncIterator[None]:
        """One update at a time per chat (replies and follow-up contexts stay in order); chats run in parallel."""
        entry = self._locks.get(chat_id)
        if entry is None:
            entry = self._locks[chat_id] = [asyncio.Lock(), 0]
        entry[1] += 1
        try:
            async with entry[0]:
                yield
        finally:
            entry[1] -= 1
            if entry[1] == 0:
                self._locks.pop(chat_id, None)

    async def send(self, message: Message, text: str, markup: InlineKeyboardMarkup | None = None) -> Message:
        """Send ``text`` (HTML) to ``message``'s chat; in groups as a reply to it, in its topic."""
        kwargs: dict[str, Any] = {}
        if message.chat.type != ChatType.PRIVATE:
            kwargs["reply_parameters"] = ReplyParameters(message.message_id, allow_sending_without_reply=True)
        if message.is_topic_message and message.message_thread_id:
            kwargs["message_thread_id"] = message.message_thread_id
        sent = await self.call(
            message.get_bot().send_message,
            chat_id=message.chat.id,
            text=text,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
            link_preview_options=_NO_PREVIEW,
            **kwargs,
        )
        self.stats["sent"] += 1
        return sent

    async def send_view(self, message: Message, view: View, page: int = 0) -> Message:
        return await self.send(message, self.render(view, page), self.keyboard(view, page))

    def _user_id(self, update: Update) -> int:
        if update.effective_user is not None:
            return update.effective_user.id
        if update.effective_message is not None and update.effective_message.sender_chat is not None:
            return update.effective_message.sender_chat.id
        return update.effective_chat.id if update.effective_chat else 0

    async def _rate_limited(self, update: Update, message: Message) -> bool:
        """True (after one polite reply per burst) when the user sends faster than the limit allows."""
        user = self._user_id(update)
        allowed, notify = self.limiter.allow(user)
        if allowed:
            return False
        self.stats["rate_limited"] += 1
        if notify:
            wait = max(1, round(self.limiter.wait_seconds(user)))
            await self.send(
                message,
                f"تمهّل قليلاً من فضلك: وصلتني رسائل كثيرة منك في وقت قصير. أعد المحاولة بعد {tg_escape(str(wait))} ثانية.",
            )
        return True

    # ------------------------------------------------------------------ handlers
    async def gate(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Runs first for every update: the chat allowlist."""
        self.stats["updates"] += 1
        chat = update.effective_chat
        if not self.allowed_chats or chat is None or chat.id in self.allowed_chats:
            return
        self.stats["not_allowed"] += 1
        log.info("update from chat %s ignored: not in SANAD_TELEGRAM_ALLOWED_CHATS", chat.id)
        if update.callback_query is not None:
            await self.call(update.callback_query.answer, MSG_NOT_ALLOWED)
        elif update.message is not None and chat.type == ChatType.PRIVATE:
            await self.send(update.message, MSG_NOT_ALLOWED)
        raise ApplicationHandlerStop

    async def cmd_start(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._help(update, greeting=True)

    async def cmd_help(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self._help(update, greeting=False)

    async def _help(self, update: Update, greeting: bool) -> None:
        message = update.message
        if not await self._rate_limited(update, message):
            await self.send(message, self.help_text(greeting, group=message.chat.type != ChatType.PRIVATE))

    async def cmd_sources(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        if await self._rate_limited(update, message):
            return
        n_pages = max(1, -(-len(self._articles) // _SOURCES_PER_PAGE))
        view = self.views.add(
            View(
                self.views.new_id(),
                message.chat.id,
                "sources",
                n_pages,
                article_ids=tuple(self.index.articles),
                per_page=_SOURCES_PER_PAGE,
            )
        )
        await self.send_view(message, view)

    async def cmd_article(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        if await self._rate_limited(update, message):
            return
        key = _command_argument(message.text or "")
        key = key.translate(_DIGITS).replace("\u2066", "").replace("\u2069", "").strip()
        if not key:
            await self.send(
                message,
                "اكتب معرّف المقال بعد الأمر، مثل: /article "
                + tg_escape(self._articles[0].id[:3] if self._articles else "ID")
                + "\nالمعرّفات في /sources",
            )
            return
        article = self.find_article(key)
        if article is None:
            await self.send(
                message,
                f"لا يوجد مقال بالمعرّف «{tg_escape(key[:64])}». المعرّفات في /sources (يكفي أول المعرّف إن لم يشترك فيه مقالان).",
            )
            return
        view, _ = self._article_view(message.chat.id, article.id)
        await self.send_view(message, self.views.add(view))

    async def cmd_ask(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        question = _command_argument(message.text or "")
        if self.username:
            question = re.sub(rf"@{re.escape(self.username)}\b", " ", question, flags=re.IGNORECASE)
        await self.ask(update, message, question)

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        text = message.text or ""
        if message.chat.type != ChatType.PRIVATE:
            addressed, text = self._addressed(message)
            if not addressed:
                self.stats["group_ignored"] += 1
                return
        await self.ask(update, message, text)

    async def on_unknown_command(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.message
        if message.chat.type == ChatType.PRIVATE and not await self._rate_limited(update, message):
            await self.send(message, MSG_UNKNOWN_COMMAND)

    async def on_other_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Stickers, photos, voice, files, service messages: a pointer in private chats, silence in groups."""
        message = update.message
        self.stats["not_text"] += 1
        if message.chat.type == ChatType.PRIVATE and not await self._rate_limited(update, message):
            await self.send(message, MSG_NOT_TEXT)

    async def on_ignored(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Edited messages, channel posts and other update types: deliberately ignored."""
        self.stats["ignored"] += 1
        kind = next(
            (k for k in ("edited_message", "channel_post", "edited_channel_post") if getattr(update, k, None)), "other"
        )
        log.debug("update %s ignored (%s)", update.update_id, kind)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log the error with the update's context, then tell the user (best effort)."""
        self.stats["errors"] += 1
        err = context.error
        where = _describe(update)
        log.error("error while handling %s: %s: %s", where, type(err).__name__, err, exc_info=err)
        if not isinstance(update, Update):
            return
        with contextlib.suppress(Exception):
            if update.callback_query is not None:
                await update.callback_query.answer(MSG_ERROR[:200])
            elif update.effective_message is not None and update.effective_chat is not None:
                await self.call(
                    context.bot.send_message,
                    chat_id=update.effective_chat.id,
                    text=MSG_ERROR,
                    parse_mode=ParseMode.HTML,
                )

    # ------------------------------------------------------------------ questions
    def _addressed(self, message: Message) -> tuple[bool, str]:
        """Whether a group message is for the bot (mention or reply), and its text without the mention."""
        text = message.text or ""
        addressed = False
        reply = message.reply_to_message
        if reply is not None and reply.from_user is not None and reply.from_user.id == self.bot_id:
            addressed = True
        for entity, value in message.parse_entities([MessageEntity.MENTION, MessageEntity.TEXT_MENTION]).items():
            if entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == self.bot_id:
                addressed = True
                text = text.replace(value, " ")
            elif (
                entity.type == MessageEntity.MENTION and self.username and value.lower() == f"@{self.username.lower()}"
            ):
                addressed = True
        if self.username:
            pattern = re.compile(rf"@{re.escape(self.username)}\b", re.IGNORECASE)
            if pattern.search(text):
                addressed = True
                text = pattern.sub(" ", text)
        return addressed, text

    async def ask(self, update: Update, message: Message, question: str) -> None:
        """Answer ``question`` in ``message``'s chat: one message, paged by buttons."""
        if await self._rate_limited(update, message):
            return
        if not question.strip():
            await self.send(message, MSG_EMPTY.format(example=tg_escape(self._example())))
            return
        chat_id = message.chat.id
        self.stats["questions"] += 1
        async with self.chat_lock(chat_id):
            ctx = self._context(chat_id)
            done = await self.run(self._compute, question, ctx)
            if done.error is not None:
                await self.send(message, done.error)
                return
            ans = done.answer
            self.stats["answered" if ans.answered else "no_answer"] += 1
            view = self.views.add(
                View(
                    self.views.new_id(),
                    chat_id,
                    "answer",
                    max(1, len(ans.results)),
                    answer=ans,
                    header=done.header,
                    question=done.follow_up_of,
                )
            )
            if done.context is not None:
                self.contexts.put(chat_id, done.context)
            elif not done.keep_context:
                self.contexts.pop(chat_id)
            await self.send_view(message, view)

    def _context(self, chat_id: int) -> ChatContext | None:
        minutes = self.settings.telegram_context_minutes
        ctx = self.contexts.get(chat_id)
        if ctx is None or minutes <= 0 or time.monotonic() - ctx.at > 60 * minutes:
            return None
        return ctx

    def _answer(self, question: str, top_k: int | None = None) -> Answer:
        return answer(question, self.index, top_k or self.settings.top_k, self.settings.min_confidence)

    def _compute(self, question: str, ctx: ChatContext | None) -> _Computed:
        """In the thread pool: the answer to ``question``, in the chat's context if it is a follow-up."""
        text, _ = clean_question(question)
        try:
            if ctx is not None and self._is_follow_up(text, ctx):
                ans = self._answer(f"{text} {_actor_query(ctx.actor)}")
                if ans.answered:
                    fresh = _drop_shown(ans, ctx.shown)
                    header = [f"في سياق سؤالك السابق عن: <b>{tg_escape(ctx.actor.text)}</b>"]
                    if fresh is None:
                        header.append("(لا مقاطع جديدة عنه: هذه ما عرضتُه من قبل.)")
                    shown_ans = fresh or ans
                    new_ctx = ChatContext(
                        ctx.actor,
                        ctx.names | _names(self.index, shown_ans),
                        ctx.shown | _quote_keys(shown_ans),
                        time.monotonic(),
                    )
                    return _Computed(shown_ans, tuple(header), new_ctx, follow_up_of=text)
            ans = self._answer(question)
        except InputError:
            return _Computed(error=MSG_NO_WORDS.format(example=tg_escape(self._example())), keep_context=True)
        if not ans.answered:  # the user may rephrase: the previous context still holds
            return _Computed(ans, keep_context=True)
        actor = _main_actor(self.index, ans)
        new_ctx = (
            None if actor is None else ChatContext(actor, _names(self.index, ans), _quote_keys(ans), time.monotonic())
        )
        return _Computed(ans, (), new_ctx)

    def _is_follow_up(self, text: str, ctx: ChatContext) -> bool:
        """A short question with words, that names no actor (neither a known name nor a detected one)."""
        if not tokenize(text) or len(text.split()) > _FOLLOW_UP_MAX_WORDS:
            return False
        terms = set(self.index.analyzer.tokens(text))
        if len(terms) > _FOLLOW_UP_MAX_TERMS or terms & ctx.names:
            return False
        return not extract_actors(text)

    def _example(self) -> str:
        return (self.examples or EXAMPLES)[0]

    # ------------------------------------------------------------------ views
    def find_article(self, key: str):
        """The article with id ``key``, or the only one whose id starts with it."""
        if key in self.index.articles:
            return self.index.articles[key]
        matches = [self.index.articles[k] for k in self.index.articles if k.startswith(key)]
        return matches[0] if len(matches) == 1 else None

    def _article_view(
        self, chat_id: int, article_id: str, bold: Sequence[tuple[int, int]] = (), parent: tuple[str, int] | None = None
    ) -> tuple[View, list[tuple[int, int]]]:
        """A view of a whole article (paged), and each page's text offsets."""
        pages = tg_article_pages(self.index.articles[article_id], bold)
        view = View(
            self.views.new_id(), chat_id, "article", len(pages), pages=tuple(p for p, _, _ in pages), parent=parent
        )
        return view, [(s, e) for _, s, e in pages]

    def render(self, view: View, page: int) -> str:
        if view.kind == "answer":
            if not view.answer.answered:
                return tg_no_answer(view.answer, view.header)
            return tg_answer_page(view.answer, page, view.header)
        if view.kind == "sources":
            return tg_sources_page(self._articles, page, view.per_page, self.index.n_passages, self.index.built_at)
        return view.pages[page]

    def keyboard(self, view: View, page: int) -> InlineKeyboardMarkup | None:
        rows: list[list[InlineKeyboardButton]] = []
        if view.kind == "sources":
            first = page * view.per_page
            for i, aid in enumerate(view.article_ids[first : first + view.per_page], start=first):
                title = self.index.articles[aid].title
                rows.append([_button(f"📄 {_short(title, 40)}", Callback("o", view.id, page, i))])
        if view.n_pages > 1:
            nav = []
            if page + 1 < view.n_pages:
                nav.append(_button("◀ التالي", Callback("p", view.id, page + 1)))
            nav.append(_button(f"{page + 1}/{view.n_pages}", Callback("n")))
            if page > 0:
                nav.append(_button("السابق ▶", Callback("p", view.id, page - 1)))
            rows.append(nav)
        if view.kind == "answer" and view.answer.answered:
            result = view.answer.results[page]
            actors = [
                _button(f"{_ICON.get(a.type, '•')} {_short(a.text, 28)}", Callback("a", view.id, page, i))
                for i, a in enumerate(result.actors[:_MAX_ACTOR_BUTTONS])
            ]
            rows.extend(actors[i : i + 2] for i in range(0, len(actors), 2))
            bottom = [_button("📄 المقال كاملاً", Callback("f", view.id, page))]
            if view.question is not None:
                bottom.append(_button("↺ دون سياق", Callback("x", view.id, page)))
            rows.append(bottom)
        elif view.kind == "answer" and view.question is not None:
            rows.append([_button("↺ دون سياق", Callback("x", view.id, page))])
        if view.parent is not None:
            rows.append([_button("↩ رجوع", Callback("p", view.parent[0], view.parent[1]))])
        return InlineKeyboardMarkup(rows) if rows else None

    async def on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A button press: edit the message in place; stale or forged data gets a polite answer."""
        query = update.callback_query
        cb = parse_callback(query.data)
        if cb is None:
            self.stats["callbacks_forged"] += 1
            await self.call(query.answer, MSG_FORGED)
            return
        if cb.action == "n":
            await self.call(query.answer)
            return
        message = query.message
        if not isinstance(message, Message):  # too old or inaccessible: nothing to edit
            await self.call(query.answer, MSG_STALE)
            return
        allowed, _ = self.limiter.allow(self._user_id(update), cost=0.25)
        if not allowed:
            self.stats["rate_limited"] += 1
            await self.call(query.answer, "تمهّل قليلاً من فضلك، ثم أعد المحاولة.")
            return
        chat_id = message.chat.id
        async with self.chat_lock(chat_id):
            view = self.views.get(cb.view, chat_id)
            target = await self._resolve(view, cb) if view is not None else None
            if target is None:
                self.stats["callbacks_stale"] += 1
                await self.call(query.answer, MSG_STALE)
                return
            new_view, page = target
            self.stats["callbacks"] += 1
            try:
                await self.call(
                    query.edit_message_text,
                    self.render(new_view, page),
                    parse_mode=ParseMode.HTML,
                    reply_markup=self.keyboard(new_view, page),
                    link_preview_options=_NO_PREVIEW,
                )
            except BadRequest as e:
                if "not modified" not in str(e).lower():
                    raise
        with contextlib.suppress(BadRequest):  # "query is too old" after long retries: the edit is done
            await self.call(query.answer)

    async def _resolve(self, view: View, cb: Callback) -> tuple[View, int] | None:
        """The view and page a button leads to, or None when it points nowhere (stale or forged)."""
        if not 0 <= cb.page < view.n_pages:
            return None
        if cb.action == "p":
            return view, cb.page
        child_key = (cb.action, cb.page, cb.item)
        child = self.views.get(view.children[child_key], view.chat_id) if child_key in view.children else None
        if child is not None:
            return child, self._child_page(child)
        child = await self._make_child(view, cb)
        if child is None:
            return None
        self.views.add(child)
        view.children[child_key] = child.id
        return child, self._child_page(child)

    @staticmethod
    def _child_page(child: View) -> int:
        return child.start_page if 0 <= child.start_page < child.n_pages else 0

    async def _make_child(self, view: View, cb: Callback) -> View | None:
        parent = (view.id, cb.page)
        if cb.action == "a" and view.kind == "answer" and view.answer.answered:
            actors = view.answer.results[cb.page].actors[:_MAX_ACTOR_BUTTONS]
            if cb.item >= len(actors):
                return None
            actor = actors[cb.item]
            ans = await self.run(self._actor_answer, actor)
            header = (f"المقاطع التي تذكر: <b>{tg_escape(actor.text)}</b>",)
            return View(
                self.views.new_id(),
                view.chat_id,
                "answer",
                max(1, len(ans.results)),
                answer=ans,
                header=header,
                parent=parent,
            )
        if cb.action == "f" and view.kind == "answer" and view.answer.answered:
            result = view.answer.results[cb.page]
            bold = [(q.start, q.end) for q in result.quotes]
            child, spans = self._article_view(view.chat_id, result.article.id, bold, parent)
            first = min((q.start for q in result.quotes), default=0)
            child.start_page = next((i for i, (s, e) in enumerate(spans) if s <= first < e), 0)
            return child
        if cb.action == "o" and view.kind == "sources":
            if cb.item >= len(view.article_ids):
                return None
            child, _ = self._article_view(
                view.chat_id, view.article_ids[cb.item], (), (view.id, cb.item // view.per_page)
            )
            return child
        if cb.action == "x" and view.kind == "answer" and view.question is not None:
            ans = await self.run(self._answer, view.question)
            return View(
                self.views.new_id(), view.chat_id, "answer", max(1, len(ans.results)), answer=ans, parent=parent
            )
        return None

    def _actor_answer(self, actor: Actor) -> Answer:
        """The passages naming ``actor``: searched by the distinctive part of a person's name, else the name."""
        query = _actor_query(actor)
        ans = answer(query, self.index, max(self.settings.top_k, _ACTOR_TOP_K), self.settings.min_confidence)
        if not ans.answered and query != actor.text:
            ans = answer(actor.text, self.index, max(self.settings.top_k, _ACTOR_TOP_K), self.settings.min_confidence)
        return ans

    # ------------------------------------------------------------------ texts
    def help_text(self, greeting: bool, group: bool) -> str:
        lines = []
        if greeting:
            lines.append("أهلاً بك في <b>سند</b>: إجابات موثّقة من الأخبار العربية.")
        else:
            lines.append("<b>سند</b>: إجابات موثّقة من الأخبار العربية.")
        lines.append(
            "اكتب سؤالك بالعربية، فأجيبك بجمل منقولة حرفياً من المقالات، مع اسم المقال والفاعلين المذكورين فيها. "
            "لا أكتب إجابة من عندي: إن لم تُجب المقالات عن سؤالك قلتُ ذلك."
        )
        if self.examples:
            lines += ["", "<b>أمثلة</b>:"] + [f"• {tg_escape(q)}" for q in self.examples]
        lines += [
            "",
            "<b>الأوامر</b>:",
            "• المقالات التي أجيب منها: /sources",
            "• مقال كامل بمعرّفه: /article",
            "• هذه المساعدة: /help",
            "",
            "تحت كل إجابة أزرار: «التالي» و«السابق» للتنقل بين النتائج، وزر لكل فاعل يعرض المقاطع التي تذكره، "
            "وزر للمقال كاملاً. وتستطيع أن تتابع بسؤال قصير مثل «وماذا قال أيضاً؟» فأجيبه في سياق سؤالك السابق.",
        ]
        if group:
            who = f"@{tg_escape(self.username)}" if self.username else "البوت"
            lines += ["", f"في المجموعات أجيب حين تذكرني ({who}) أو تردّ على رسالتي أو تكتب /ask ثم سؤالك."]
        return "\n".join(lines)


# ----------------------------------------------------------------------------------- helpers
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")


def _button(text: str, cb: Callback) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=cb.encode())


def _short(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _command_argument(text: str) -> str:
    """What follows ``/command`` (or ``/command@bot``) in ``text``."""
    parts = text.split(maxsplit=1)
    return parts[1] if len(parts) > 1 and parts[0].startswith("/") else ("" if text.startswith("/") else text)


def _retry_after_seconds(e: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = e.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


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


def _quote_keys(ans: Answer) -> set[tuple[str, int]]:
    return {(r.article.id, q.start) for r in ans.results for q in r.quotes}


def _names(index: Index, ans: Answer) -> frozenset[str]:
    return frozenset(t for r in ans.results for a in r.actors for t in index.analyzer.tokens(a.text))


def _drop_shown(ans: Answer, shown: set[tuple[str, int]]) -> Answer | None:
    """``ans`` without the quotes already shown (None if nothing new is left)."""
    results: list[Result] = []
    for r in ans.results:
        quotes = tuple(q for q in r.quotes if (r.article.id, q.start) not in shown)
        if not quotes:
            continue
        if len(quotes) != len(r.quotes):
            r = replace(r, quotes=quotes, actors=tuple(extract_actors("\n".join(q.text for q in quotes))))
        results.append(r)
    return replace(ans, results=tuple(results)) if results else None


def _main_actor(index: Index, ans: Answer) -> Actor | None:
    """The actor a follow-up is about: one the question names (person, then organisation), else
    the top result's first person, organisation, then any actor."""
    terms = set(ans.terms)
    for r in ans.results:
        actors = r.actors
        if not actors:
            continue
        named = [a for a in actors if terms & set(index.analyzer.tokens(a.text))]
        for pool in (
            [a for a in named if a.type == "person"],
            [a for a in named if a.type == "organization"],
            [a for a in actors if a.type == "person"],
            [a for a in actors if a.type == "organization"],
            named,
            list(actors),
        ):
            if pool:
                return pool[0]
    return None


def _actor_query(actor: Actor) -> str:
    """A person's family name (``مارتن كوبلر -> كوبلر``, ``مصطفى عبد الجليل -> عبد الجليل``) finds
    every sentence that names them; other actors are searched by their full name."""
    words = actor.text.split()
    if actor.type != "person" or len(words) < 2:
        return actor.text
    if len(words) >= 3 and words[-2] in _NAME_PARTICLES:
        return " ".join(words[-2:])
    return words[-1]


# ----------------------------------------------------------------------------------- running
def _remember_missing_sniffio() -> None:
    """httpcore 1.0 tries ``import sniffio`` on every request; when sniffio is not installed (anyio 4
    no longer needs it) each failed import scans sys.path, about 0.3 ms a request. A ``None`` in
    ``sys.modules`` makes that import fail at once, which is all httpcore checks for."""
    if "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None:
        sys.modules["sniffio"] = None  # type: ignore[assignment]


def build_application(settings: Settings, index: Index, **bot_options: Any) -> tuple[Application, SanadBot]:
    """The PTB ``Application`` (token, base URL, timeouts, flood limiter, concurrency) and its :class:`SanadBot`."""
    token = check_token(settings)
    webhook_secret = settings.telegram_webhook_secret.get_secret_value() if settings.telegram_webhook_secret else ""
    protect_secrets(token, webhook_secret)
    quiet_http_loggers()
    _remember_missing_sniffio()
    service = SanadBot(settings, index, **bot_options)
    timeout = settings.telegram_timeout
    app = (
        Application.builder()
        .token(token)
        .base_url(settings.telegram_base_url)
        .rate_limiter(
            AIORateLimiter(
                overall_max_rate=settings.telegram_max_rate,
                overall_time_period=1 if settings.telegram_max_rate else 0,
                max_retries=3,
            )
        )
        .concurrent_updates(256)
        .connection_pool_size(settings.telegram_connections)  # PTB's 256 costs CPU: httpcore scans the pool
        .connect_timeout(timeout)
        .read_timeout(timeout)
        .write_timeout(timeout)
        .pool_timeout(timeout)
        .get_updates_connect_timeout(timeout)
        .get_updates_read_timeout(timeout)
        .get_updates_write_timeout(timeout)
        .get_updates_pool_timeout(timeout)
        .post_init(service.startup)
        .post_shutdown(service.shutdown)
        .build()
    )
    service.install(app)
    return app, service


@contextlib.asynccontextmanager
async def running(app: Application, settings: Settings) -> AsyncIterator[Application]:
    """Start ``app`` (polling, or webhook when ``SANAD_TELEGRAM_WEBHOOK_URL`` is set); stop it on exit.

    Start-up errors become one-line :class:`ConfigError`: a rejected token, an unreachable API,
    webhook mode without its dependency. The token is never part of a message.
    """
    host = api_host(settings)
    try:
        await app.initialize()
    except InvalidToken:
        raise ConfigError(
            f"SANAD_TELEGRAM_TOKEN was rejected by the Bot API at {host}: check the token @BotFather gave you"
        ) from None
    except (TimedOut, NetworkError) as e:
        raise ConfigError(
            f"cannot reach the Bot API at {host} ({type(e).__name__}): check SANAD_TELEGRAM_BASE_URL and the network"
        ) from None
    try:
        if app.post_init:
            await app.post_init(app)
        if settings.telegram_webhook_url:
            secret = webhook_secret(settings)
            protect_secrets(secret)
            url = settings.telegram_webhook_url
            try:
                await app.updater.start_webhook(
                    listen=settings.telegram_listen,
                    port=settings.telegram_port,
                    url_path=urlsplit(url).path.lstrip("/"),
                    webhook_url=url,
                    secret_token=secret,
                    allowed_updates=list(ALLOWED_UPDATES),
                    bootstrap_retries=3,
                )
            except RuntimeError as e:
                if "webhooks" in str(e):
                    raise ConfigError(
                        "webhook mode needs python-telegram-bot's webhooks extra: "
                        "pip install 'python-telegram-bot[webhooks]' (or unset SANAD_TELEGRAM_WEBHOOK_URL to poll)"
                    ) from None
                raise
            log.info(
                "webhook mode: listening on %s:%d, Telegram posts to %s",
                settings.telegram_listen,
                settings.telegram_port,
                urlsplit(url)._replace(query="", fragment="").geturl(),
            )
        else:
            await app.updater.start_polling(
                timeout=timedelta(seconds=settings.telegram_poll_timeout),
                allowed_updates=list(ALLOWED_UPDATES),
                bootstrap_retries=3,
            )
            log.info("polling mode: long polls of %g s", settings.telegram_poll_timeout)
        await app.start()
    except BaseException:
        await _stop(app)
        raise
    try:
        yield app
    finally:
        await _stop(app)


async def _stop(app: Application) -> None:
    with contextlib.suppress(Exception):
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
    with contextlib.suppress(Exception):
        if app.running:
            await app.stop()
            if app.post_stop:
                await app.post_stop(app)
    with contextlib.suppress(Exception):
        await app.shutdown()
    if app.post_shutdown:
        await app.post_shutdown(app)


async def serve(settings: Settings, index: Index, stop: asyncio.Event) -> None:
    """Run the bot until ``stop`` is set; refresh ``SANAD_HEARTBEAT_FILE`` (bot/health.py) while it serves."""
    app, _ = build_application(settings, index)
    async with running(app, settings):
        heartbeat = getattr(settings, "heartbeat_file", None)
        beat = None
        if heartbeat is not None:
            from ..health import bot_probe, clear_heartbeat, heartbeat_loop

            beat = asyncio.create_task(
                heartbeat_loop(heartbeat, settings.heartbeat_interval, lambda: bot_probe(app, settings))
            )
        try:
            await stop.wait()
        finally:
            if beat is not None:
                beat.cancel()
                await asyncio.gather(beat, return_exceptions=True)
                clear_heartbeat(heartbeat)


def run_bot(settings: Settings, index: Index) -> int:
    """``sanad telegram``: serve until SIGINT/SIGTERM; returns the exit code."""

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(sig, stop.set)
        await serve(settings, index, stop)

    asyncio.run(main())
    return 0
