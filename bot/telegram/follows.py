"""What readers follow, and their alerts: ``/follow`` ``/following`` ``/unfollow`` ``/quiet``, and
the outbox the feed loop (:mod:`.feeds`) fills and empties.

A chat follows at most :data:`MAX_FOLLOWS` actors or subjects: ``/follow حفتر`` follows an actor
when the actor index knows the name (as ``/actor`` finds it), ``/follow انتخابات ليبيا`` a subject
otherwise (matched as a question, the answerability model's bar). ``/following`` lists them with a
button each to stop (``CallbackQueryHandler(pattern="^unfollow:")``); ``/quiet 23-7`` holds alerts
from 23:00 to 07:00 in the chat's time, whose UTC offset is asked once (buttons showing the time
at each offset).

Everything lives in the state store (SQLite or Redis), so it survives restarts and is shared by
replicas:

* ``follows:CHAT``: ``{"items": [{"id", "kind", "text"}]}``;
* ``quiet:CHAT``: ``{"start", "end", "offset"}`` (hours, minutes east of UTC; None: not asked yet);
* ``outbox:CHAT:FOLLOW:STORY``: an alert matched and not yet sent (what :func:`alert_result`
  needs to show it again);
* ``alerted:CHAT:FOLLOW:STORY``: sent, kept :data:`ALERTED_TTL_S`: one alert per follow and story.

Sending is "at least once, then recorded": an alert is recorded as sent right after Telegram took
it, so a bot killed in between (milliseconds) may send it again after the restart; an alert matched
and not yet sent is never lost (it waits in the outbox, through restarts and quiet hours).
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden
from telegram.ext import ContextTypes

from retrieval import (
    DIGITS_TO_ASCII,
    Alert,
    Answer,
    Follow,
    Quote,
    alert_result,
)

from ..errors import StateUnavailable
from . import pages, render, texts
from .commands import usage
from .incoming import command_argument
from .transport import NO_PREVIEW
from .views import AnswerView

if TYPE_CHECKING:
    from .handlers import SanadBot

from retrieval import follow_kind

__all__ = [
    "ALERTED_TTL_S", "MAX_FOLLOWS", "Quiet", "cmd_follow", "cmd_following",
    "cmd_quiet", "cmd_unfollow", "deliver", "follows_of_all", "is_quiet", "on_tz_button", "on_unfollow_button",
    "parse_quiet", "queue",
]  # fmt: skip

log = logging.getLogger("bot.telegram")

#: Follows one chat may hold.
MAX_FOLLOWS = 20
#: A follow's alert for a story is remembered this long (a story is news for less).
ALERTED_TTL_S = 90 * 24 * 3600
#: The longest subject followed.
MAX_FOLLOW_CHARS = 120
#: The UTC offsets (minutes) offered when a chat sets quiet hours: the Arab world's, west to east.
OFFSETS = (0, 60, 120, 180, 240, 270, 300)


# ------------------------------------------------------------------------------ pure parts
def follow_id(kind: str, text: str) -> str:
    """A short, stable id of a follow (button data, record keys)."""
    return hashlib.sha256(f"{kind}:{' '.join(text.split())}".encode()).hexdigest()[:10]


@dataclass(frozen=True, slots=True)
class Quiet:
    """Quiet hours: alerts wait from ``start`` to ``end`` o'clock at UTC offset ``offset`` minutes."""

    start: int
    end: int
    offset: int | None = None


def parse_quiet(text: str) -> tuple[int, int] | None:
    """``23-7`` (``٢٣-٧``, ``23:00-07:00``, ``23 7``) → ``(23, 7)``; None when it is not two hours apart."""
    m = re.fullmatch(r"\s*(\d{1,2})(?::00)?\s*[-–—\s]\s*(\d{1,2})(?::00)?\s*", text.translate(DIGITS_TO_ASCII))
    if m is None:
        return None
    start, end = int(m[1]), int(m[2])
    if start > 24 or end > 24 or start % 24 == end % 24:
        return None
    return start % 24, end % 24


def is_quiet(now: datetime, quiet: Quiet | None) -> bool:
    """Whether ``now`` (aware) falls in ``quiet`` hours, in the chat's time (UTC until it chose)."""
    if quiet is None:
        return False
    hour = (now.astimezone(UTC) + timedelta(minutes=quiet.offset or 0)).hour
    if quiet.start < quiet.end:
        return quiet.start <= hour < quiet.end
    return hour >= quiet.start or hour < quiet.end


def _offset_label(minutes: int) -> str:
    sign = "+" if minutes >= 0 else "-"
    h, m = divmod(abs(minutes), 60)
    return f"UTC{sign}{h}" + (f":{m:02d}" if m else "")


# ------------------------------------------------------------------------------ records
async def _follows(bot: SanadBot, chat: int) -> list[dict]:
    data = await bot.state.get_record(f"follows:{chat}")
    return list(data.get("items", [])) if data else []


async def follows_of_all(bot: SanadBot) -> list[Follow]:
    """Every chat's follows (``Follow.chat`` is the chat id as text)."""
    out = []
    for key in await bot.state.record_keys("follows:"):
        chat = key.split(":", 1)[1]
        data = await bot.state.get_record(key)
        out += [Follow(chat, item["kind"], item["text"]) for item in (data or {}).get("items", [])]
    return out


async def _quiet(bot: SanadBot, chat: int) -> Quiet | None:
    data = await bot.state.get_record(f"quiet:{chat}")
    return Quiet(int(data["start"]), int(data["end"]), data.get("offset")) if data else None


def _key(alert: Alert) -> str:
    return f"{alert.follow.chat}:{follow_id(alert.follow.kind, alert.follow.text)}:{alert.story}"


async def queue(bot: SanadBot, alerts: list[Alert]) -> int:
    """Put each alert not sent nor waiting yet in the outbox; returns how many were queued."""
    queued = 0
    for alert in alerts:
        key = _key(alert)
        if await bot.state.get_record("alerted:" + key) or await bot.state.get_record("outbox:" + key):
            continue
        r = alert.result
        q = r.quotes[0]
        await bot.state.put_record("outbox:" + key, {
            "chat": alert.follow.chat, "kind": alert.follow.kind, "text": alert.follow.text, "article": r.article.id,
            "start": q.start, "end": q.end, "highlights": [list(h) for h in q.highlights], "p": r.probability,
            "also": [m.id for m in r.also_reported_in], "at": time.time(),
        })  # fmt: skip
        queued += 1
    return queued


def _header(kind: str, text: str) -> tuple[str, ...]:
    what = texts.MSG_ALERT_ACTOR if kind == "actor" else texts.MSG_ALERT_SUBJECT
    return (what.format(text=render.escape(text[:MAX_FOLLOW_CHARS])),)


async def deliver(bot: SanadBot, now: datetime | None = None) -> int:
    """Send the outbox's alerts whose chat is not in quiet hours; returns how many were sent.

    An alert whose article left the index, or whose chat blocked the bot or is gone, is dropped
    (logged); one that fails otherwise (the network) stays for the next round."""
    now = now or datetime.now(UTC)
    sent = 0
    quiet: dict[str, bool] = {}
    for key in await bot.state.record_keys("outbox:"):
        item = await bot.state.get_record(key)
        if item is None:
            continue
        chat = str(item["chat"])
        if chat not in quiet:
            quiet[chat] = is_quiet(now, await _quiet(bot, int(chat)))
        if quiet[chat]:
            continue
        sanad = bot.sanad
        try:
            quote = Quote("", int(item["start"]), int(item["end"]), tuple(tuple(h) for h in item.get("highlights", ())))
            result = alert_result(sanad, item["article"], quote, float(item.get("p", 1.0)), item.get("also", ()))
        except KeyError:
            log.info("alert %s dropped: its article is no longer in the index", key)
            await bot.state.put_record(key, None)
            continue
        answer = Answer(question=item["text"], answered=True, results=(result,), confidence=result.probability)
        view = AnswerView(id=await bot.views.new_id(), chat_id=int(chat), answer=answer, header=_header(item["kind"], item["text"]))
        index = sanad.index
        try:
            message = await bot.transport.call(
                bot.app_bot.send_message, chat_id=int(chat), text=pages.text(view, 0, index), parse_mode=ParseMode.HTML,
                reply_markup=pages.keyboard(view, 0, index), link_preview_options=NO_PREVIEW,
            )  # fmt: skip
        except (Forbidden, BadRequest) as e:  # blocked, left, or a chat that is gone: never deliverable
            log.warning("alert %s dropped: Telegram refused it (%s)", key, e)
            await bot.state.put_record(key, None)
            continue
        except Exception as e:  # the network: kept for the next round
            log.warning("alert %s not sent yet (%s: %s); retried next round", key, type(e).__name__, e)
            continue
        await bot.state.put_record("alerted:" + key.split(":", 1)[1], {"at": time.time()}, ALERTED_TTL_S)
        await bot.state.put_record(key, None)
        bot.stats["alerts"] += 1
        sent += 1
        view.message_id = getattr(message, "message_id", None)
        await bot.views.add(view)
    return sent


# ------------------------------------------------------------------------------ handlers
async def _store_down(bot: SanadBot, message: Message) -> None:
    await bot.transport.send(message, texts.MSG_TRY_AGAIN)


def _list_markup(items: list[dict]) -> InlineKeyboardMarkup | None:
    if not items:
        return None
    rows = [[InlineKeyboardButton(f"✖ {item['text'][:40]}", callback_data=f"unfollow:{item['id']}")] for item in items]
    return InlineKeyboardMarkup(rows)


def _list_text(items: list[dict]) -> str:
    if not items:
        return texts.MSG_FOLLOWING_NONE
    kinds = {"actor": "فاعل", "subject": "موضوع"}
    lines = [texts.MSG_FOLLOWING.format(n=len(items), max=MAX_FOLLOWS)]
    lines += [f"• {render.escape(item['text'])} ({kinds.get(item['kind'], item['kind'])})" for item in items]
    return "\n".join(lines)


async def cmd_follow(bot: SanadBot, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/follow NAME`` (an actor the actor index knows) or ``/follow WORDS`` (a subject)."""
    message = update.message
    if not bot.alerts:
        await bot.transport.send(message, texts.MSG_FOLLOW_UNAVAILABLE)
        return
    text = " ".join(command_argument(message.text or "").split())
    if not text:
        await bot.transport.send(message, usage("follow"))
        return
    if len(text) > MAX_FOLLOW_CHARS or len(text) < 2:
        await bot.transport.send(message, texts.MSG_FOLLOW_BAD.format(max=MAX_FOLLOW_CHARS))
        return
    kind = await bot.run(follow_kind, bot.sanad, text)
    chat = message.chat.id
    try:
        items = await _follows(bot, chat)
        fid = follow_id(kind, text)
        if any(item["id"] == fid for item in items):
            await bot.transport.send(message, texts.MSG_FOLLOW_ALREADY.format(text=render.escape(text)))
            return
        if len(items) >= MAX_FOLLOWS:
            await bot.transport.send(message, texts.MSG_FOLLOW_FULL.format(max=MAX_FOLLOWS), _list_markup(items))
            return
        items.append({"id": fid, "kind": kind, "text": text})
        await bot.state.put_record(f"follows:{chat}", {"items": items})
    except StateUnavailable:
        await _store_down(bot, message)
        return
    said = texts.MSG_FOLLOW_ACTOR if kind == "actor" else texts.MSG_FOLLOW_SUBJECT
    await bot.transport.send(message, said.format(text=render.escape(text), n=len(items), max=MAX_FOLLOWS))


async def cmd_following(bot: SanadBot, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/following``: the chat's follows, a button each to stop."""
    message = update.message
    try:
        items = await _follows(bot, message.chat.id)
    except StateUnavailable:
        await _store_down(bot, message)
        return
    await bot.transport.send(message, _list_text(items), _list_markup(items))


async def cmd_unfollow(bot: SanadBot, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/unfollow NAME``: stop following it; without a name, the list to choose from."""
    message = update.message
    text = " ".join(command_argument(message.text or "").split())
    chat = message.chat.id
    try:
        items = await _follows(bot, chat)
        if not text:
            await bot.transport.send(message, _list_text(items), _list_markup(items))
            return
        kept = [item for item in items if item["text"] != text]
        if len(kept) == len(items):
            await bot.transport.send(message, texts.MSG_UNFOLLOW_UNKNOWN.format(text=render.escape(text)), _list_markup(items))
            return
        await bot.state.put_record(f"follows:{chat}", {"items": kept} if kept else None)
    except StateUnavailable:
        await _store_down(bot, message)
        return
    await bot.transport.send(message, texts.MSG_UNFOLLOWED.format(text=render.escape(text)))


async def on_unfollow_button(bot: SanadBot, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A ``✖`` button under the list: stop that follow, and show the list again in place."""
    query = update.callback_query
    message = query.message
    if not isinstance(message, Message):
        await bot.transport.call(query.answer, texts.MSG_STALE)
        return
    fid = (query.data or "").split(":", 1)[1]
    chat = message.chat.id
    try:
        items = await _follows(bot, chat)
        kept = [item for item in items if item["id"] != fid]
        if len(kept) < len(items):
            await bot.state.put_record(f"follows:{chat}", {"items": kept} if kept else None)
    except StateUnavailable:
        await bot.transport.call(query.answer, texts.MSG_TRY_AGAIN)
        return
    gone = next((item["text"] for item in items if item["id"] == fid), None)
    await bot.transport.call(query.answer, texts.MSG_UNFOLLOWED_SHORT.format(text=gone) if gone else texts.MSG_STALE)
    try:
        await bot.transport.call(message.edit_text, _list_text(kept), parse_mode=ParseMode.HTML, reply_markup=_list_markup(kept))
    except BadRequest as e:  # "message is not modified": pressed twice
        log.debug("following list not edited: %s", e)
    await bot.answered()


def _tz_markup(now: datetime) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(f"{(now + timedelta(minutes=m)).strftime('%H:%M')} ({_offset_label(m)})", callback_data=f"tz:{m}")
        for m in OFFSETS
    ]
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


async def cmd_quiet(bot: SanadBot, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/quiet 23-7``: hold alerts between those hours (the chat's time); ``/quiet off``; ``/quiet``: say."""
    message = update.message
    arg = command_argument(message.text or "").strip()
    chat = message.chat.id
    try:
        current = await _quiet(bot, chat)
        if not arg:
            said = texts.MSG_QUIET_NONE if current is None else texts.MSG_QUIET_NOW.format(
                start=current.start, end=current.end, offset=_offset_label(current.offset or 0))  # fmt: skip
            await bot.transport.send(message, said)
            return
        if arg.lower() in ("off", "إيقاف", "ايقاف", "لا"):
            await bot.state.put_record(f"quiet:{chat}", None)
            await bot.transport.send(message, texts.MSG_QUIET_OFF)
            return
        hours = parse_quiet(arg)
        if hours is None:
            await bot.transport.send(message, usage("quiet"))
            return
        offset = current.offset if current is not None else None
        await bot.state.put_record(f"quiet:{chat}", {"start": hours[0], "end": hours[1], "offset": offset})
    except StateUnavailable:
        await _store_down(bot, message)
        return
    if offset is None:  # asked once: what time is it where the chat is?
        await bot.transport.send(message, texts.MSG_QUIET_ASK.format(start=hours[0], end=hours[1]), _tz_markup(datetime.now(UTC)))
    else:
        await bot.transport.send(message, texts.MSG_QUIET_SET.format(start=hours[0], end=hours[1], offset=_offset_label(offset)))


async def on_tz_button(bot: SanadBot, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The chat's local time chosen: its UTC offset, kept with its quiet hours."""
    query = update.callback_query
    message = query.message
    offset = int((query.data or "tz:0").split(":", 1)[1])
    if not isinstance(message, Message) or offset not in OFFSETS:
        await bot.transport.call(query.answer, texts.MSG_STALE)
        return
    chat = message.chat.id
    try:
        current = await _quiet(bot, chat)
        if current is None:
            await bot.transport.call(query.answer, texts.MSG_STALE)
            return
        await bot.state.put_record(f"quiet:{chat}", {"start": current.start, "end": current.end, "offset": offset})
    except StateUnavailable:
        await bot.transport.call(query.answer, texts.MSG_TRY_AGAIN)
        return
    await bot.transport.call(query.answer)
    said = texts.MSG_QUIET_SET.format(start=current.start, end=current.end, offset=_offset_label(offset))
    try:
        await bot.transport.call(message.edit_text, said, parse_mode=ParseMode.HTML)
    except BadRequest as e:
        log.debug("quiet message not edited: %s", e)
    await bot.answered()
