"""Talking to the Bot API: retried calls, one update at a time per chat, sending a reply.

Every Bot API call that sends or edits goes through :meth:`Transport.call`, which retries
``RetryAfter`` (after the time Telegram asks), ``TimedOut`` and ``NetworkError`` (exponential
backoff), so a reply is not lost to a flaky network. ``BadRequest`` (a bug, or a message that
cannot be sent as is) and ``Forbidden`` (the user blocked the bot) are not retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import warnings
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

from telegram import InlineKeyboardMarkup, LinkPreviewOptions, Message, ReplyParameters
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, NetworkError, RetryAfter, TimedOut

__all__ = ["NO_PREVIEW", "Transport"]

log = logging.getLogger("bot.telegram")
T = TypeVar("T")

NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
#: The longest backoff between two network retries, in seconds.
MAX_BACKOFF = 10.0


@dataclass(slots=True)
class _ChatLock:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    waiting: int = 0


class Transport:
    """Retried Bot API calls and per-chat ordering; counts what it does in ``stats``."""

    def __init__(
        self,
        stats: Counter[str],
        *,
        retry_base_delay: float = 0.5,
        max_attempts: int = 6,
        max_retry_after: float = 120.0,
    ) -> None:
        self.stats = stats
        self.retry_base_delay = retry_base_delay
        self.max_attempts = max_attempts
        self.max_retry_after = max_retry_after
        self._locks: dict[int, _ChatLock] = {}

    async def call(self, fn: Callable[..., Awaitable[T]], *args: Any, **kwargs: Any) -> T:
        """``await fn(*args, **kwargs)``, retried on flood limits and network errors."""
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
                wait, delay = delay, min(delay * 2, MAX_BACKOFF)
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
            entry = self._locks[chat_id] = _ChatLock()
        entry.waiting += 1
        try:
            async with entry.lock:
                yield
        finally:
            entry.waiting -= 1
            if entry.waiting == 0:
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
            link_preview_options=NO_PREVIEW,
            **kwargs,
        )
        self.stats["sent"] += 1
        return sent


def _retry_after_seconds(e: RetryAfter) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = e.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)
