"""The update pipeline, before and after every handler: de-duplication, the chat allow-list, the
user's rate limit, then (after the handler) recording the update as answered.

:meth:`Pipeline.gate` runs first (``TypeHandler`` in group -1): an update answered already
(Telegram delivered it twice, or another replica answered it) is dropped; a chat outside
``SANAD_TELEGRAM_ALLOWED_CHATS`` is told so at most once an hour; the update pays for its reply in
its user's rate limit (:meth:`Pipeline.cost`) before any handler runs, so no handler sends what the
limit has not allowed. :meth:`Pipeline.answered` records the update right after its reply went
out; :meth:`Pipeline.finish` (group 1) records the ones whose handler sent nothing.
"""

from __future__ import annotations

import contextvars
import logging
from typing import TYPE_CHECKING

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop, ContextTypes, filters

from . import render, texts
from .commands import COMMANDS, button_cost
from .incoming import addressed

if TYPE_CHECKING:
    from .handlers import SanadBot

__all__ = ["Pipeline", "charged"]

log = logging.getLogger("bot.telegram")

#: The update being handled (``BOT_ID:UPDATE_ID``): its task records it as answered as soon as
#: its reply has gone out, before any bookkeeping (see :meth:`SanadBot.answered`).
_UPDATE: contextvars.ContextVar[str | None] = contextvars.ContextVar("sanad_update", default=None)
#: Whether the update being handled was charged in its user's rate limit (only those get an error reply).
_CHARGED: contextvars.ContextVar[bool] = contextvars.ContextVar("sanad_charged", default=False)
#: A chat outside the allow-list is told so at most this often (a bucket of one, refilled hourly).
NOT_ALLOWED_PER_MINUTE = 1 / 60
#: Rate-limit buckets of chats outside the allow-list are keyed below every Telegram id (ids fit
#: in 53 bits), so they never share a bucket with a user.
NOT_ALLOWED_KEY_BASE = -(2**62)


def charged() -> bool:
    """Whether the update being handled paid for a reply (only those get an error reply)."""
    return _CHARGED.get()


class Pipeline:
    """What runs around every handler of ``bot`` (see the module docstring)."""

    def __init__(self, bot: SanadBot) -> None:
        self.bot = bot
        self._in_flight: set[str] = set()  # update ids being answered by this process

    @property
    def in_flight(self) -> int:
        """How many updates this process is answering now (let through by the gate, not finished)."""
        return len(self._in_flight)

    async def gate(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Runs first for every update: an update answered already (Telegram delivered it twice) is
        dropped; then the chat allowlist; then the update pays for its reply in its user's rate
        limit (:meth:`cost`), so no handler sends anything the limit has not allowed."""
        key = self._update_key(update)
        if key in self._in_flight or await self.bot.state.is_done(key):
            self.bot.stats["updates"] += 1
            self.bot.stats["duplicates"] += 1
            log.info("update %s dropped: answered already", update.update_id)
            raise ApplicationHandlerStop
        self._in_flight.add(key)
        self.bot.stats["updates"] += 1  # counted once in flight: taken and not finished means in_flight > 0
        _UPDATE.set(key)
        _CHARGED.set(False)
        chat = update.effective_chat
        if self.bot.allowed_chats and chat is not None and chat.id not in self.bot.allowed_chats:
            try:
                await self._not_allowed(update, chat.id)
            finally:
                self._in_flight.discard(key)
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
            await self.bot.state.done(key)

    async def finish(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Runs last for every update the gate let through: record it as answered (if its reply did not already)."""
        await self.answered()
        self._in_flight.discard(self._update_key(update))

    def _update_key(self, update: Update) -> str:
        """``BOT_ID:UPDATE_ID``: update ids count per bot, and a state file may outlive a token."""
        return f"{self.bot.bot_id}:{update.update_id}"

    def _user_id(self, update: Update) -> int:
        if update.effective_user is not None:
            return update.effective_user.id
        if update.effective_message is not None and update.effective_message.sender_chat is not None:
            return update.effective_message.sender_chat.id
        return update.effective_chat.id if update.effective_chat else 0

    def cost(self, update: Update) -> float:
        """What answering ``update`` costs in its user's rate limit: 0 for updates that get no reply.

        Every new message in a private chat gets one (an answer, a usage line, a pointer); in a
        group only a command for this bot and a message mentioning or replying to it do. Commands
        and buttons cost what the table of :mod:`.commands` says (a button edits a message: a
        share of a question; the timeline button draws a chart and sends a photo: a question)."""
        query = update.callback_query
        if query is not None:
            return button_cost(query.data)
        message = update.message  # None for edits, channel posts and other updates: never answered
        if message is None:
            return 0.0
        private = message.chat.type == ChatType.PRIVATE
        if filters.COMMAND.check_update(update):  # in a group, an unknown command or one for another bot: silence
            known = (c for c, h in zip(COMMANDS, self.bot.commands, strict=True) if h.check_update(update))
            return next((c.cost for c in known), 1.0 if private else 0.0)
        if private or (message.text and addressed(message, self.bot.bot_id, self.bot.username)[0]):
            return 1.0
        return 0.0

    async def _admit(self, update: Update, cost: float) -> bool:
        """Take ``cost`` from the user's bucket; refused: one polite reply per run of refusals, then silence."""
        s = self.bot.settings
        take = await self.bot.state.take(self._user_id(update), s.telegram_user_rate, s.telegram_user_burst, cost)
        if take.allowed:
            return True
        self.bot.stats["rate_limited"] += 1
        if take.notify:
            if update.callback_query is not None:
                await self.bot.transport.call(update.callback_query.answer, texts.MSG_SLOW_DOWN_BUTTON)
            elif update.message is not None:
                wait = max(1, round(take.wait_s))
                await self.bot.transport.send(update.message, texts.MSG_SLOW_DOWN.format(seconds=render.escape(str(wait))))
        return False

    async def _not_allowed(self, update: Update, chat_id: int) -> None:
        """Tell a chat outside the allow-list so, at most once an hour (its bucket is in the state store)."""
        self.bot.stats["not_allowed"] += 1
        log.info("update from chat %s ignored: not in SANAD_TELEGRAM_ALLOWED_CHATS", chat_id)
        private = update.message is not None and update.message.chat.type == ChatType.PRIVATE
        if update.callback_query is None and not private:
            return  # groups are not told
        take = await self.bot.state.take(NOT_ALLOWED_KEY_BASE + chat_id, NOT_ALLOWED_PER_MINUTE, 1)
        if not take.allowed:
            self.bot.stats["not_allowed_quiet"] += 1
            return
        if update.callback_query is not None:
            await self.bot.transport.call(update.callback_query.answer, texts.MSG_NOT_ALLOWED)
        else:
            await self.bot.transport.send(update.message, texts.MSG_NOT_ALLOWED)
