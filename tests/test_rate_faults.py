"""Hostile input against the rate limit (issue #21, attack 8): every reply the bot sends is paid
for in its user's rate limit, usage lines and "not allowed" included.

The bot runs with python-telegram-bot's real network stack against the fake Bot API
(tests/fakebot.py) over 127.0.0.1; the counts are of the sendMessage calls the server received.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from fakebot import FakeBotAPI, plain_text
from test_telegram import run_bot

from bot.telegram.store.sqlite import SQLiteStore
from retrieval.index import Index

RATE, BURST = 20, 5  # a question every 3 s after a burst of 5
FLOOD = 60
pytestmark = [pytest.mark.integration, pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")]


async def flood(server: FakeBotAPI, bot, push, n: int = FLOOD) -> float:
    """Push ``n`` updates with ``push(i)``; wait until the bot has handled them all; the seconds it took."""
    loop = asyncio.get_running_loop()
    t0 = loop.time()
    before = bot.stats["updates"]
    for i in range(n):
        push(i)
    await server.settled(bot, before + n, timeout=30)  # every update taken, answered or refused
    return loop.time() - t0


def run(index: Index, scenario, **overrides) -> None:
    """:func:`test_telegram.run_bot` with this module's rate limit (RATE, BURST)."""
    run_bot(index, scenario, timeout=60, **{"telegram_user_rate": RATE, "telegram_user_burst": BURST, **overrides})


def allowed_by_the_limit(seconds: float) -> int:
    """Replies the bucket allows in ``seconds`` (the burst, what refills, one "slow down")."""
    return BURST + int(seconds * RATE / 60) + 1 + 1


@pytest.mark.parametrize("command", ["/latest", "/timeline", "/article", "/actor", "/ask", "/help", "/nosuchcommand"])
def test_usage_replies_pay_the_rate_limit(default_index: Index, command: str) -> None:
    """60 commands without their argument (each a usage line) from one user: the burst, then one
    "slow down", then silence."""

    async def scenario(server: FakeBotAPI, bot) -> None:
        took = await flood(server, bot, lambda i: server.push_message(command, chat_id=7))
        sent = [plain_text(c.params["text"]) for c in server.sent(7)]
        assert BURST <= len(sent) <= allowed_by_the_limit(took), (len(sent), took)
        assert sum("تمهّل" in t for t in sent) == 1
        assert bot.stats["rate_limited"] >= FLOOD - len(sent)

    run(default_index, scenario)


def test_stickers_and_buttons_pay_the_rate_limit(default_index: Index) -> None:
    """Non-text messages (a pointer each) and forged buttons (a toast each) are limited too."""

    async def scenario(server: FakeBotAPI, bot) -> None:
        sticker = {"file_id": "s1", "file_unique_id": "u2", "type": "regular", "width": 512, "height": 512,
                   "is_animated": False, "is_video": False}  # fmt: skip
        took = await flood(server, bot, lambda i: server.push_message(None, chat_id=8, sticker=sticker))
        assert BURST <= len(server.sent(8)) <= allowed_by_the_limit(took)

        message = server.make_message("سند", chat_id=11)
        took = await flood(server, bot, lambda i: server.push_callback(message, "forged"))
        answers = server.of("answerCallbackQuery")
        # a press costs a quarter of a question: 4 x the burst, then one "slow down"
        assert 4 * BURST <= len(answers) <= 4 * allowed_by_the_limit(took), (len(answers), took)
        assert sum("تمهّل" in c.params.get("text", "") for c in answers) == 1

    run(default_index, scenario)


def test_group_chatter_costs_nothing(default_index: Index) -> None:
    """Messages in a group that are not for the bot get no reply and cost nothing: a user who
    chatted 60 times is answered at once when they ask the bot."""

    async def scenario(server: FakeBotAPI, bot) -> None:
        await flood(server, bot, lambda i: server.push_message(f"مرحباً بالجميع {i}", chat_id=-500, chat_type="group", user_id=3))
        await flood(server, bot, lambda i: server.push_message("/help@other_bot", chat_id=-500, chat_type="group", user_id=3))
        reply = await server.reply_to("/help@sanad_test_bot", chat_id=-500, chat_type="group", user_id=3)
        assert "سند" in plain_text(reply.params["text"])
        assert len(server.sent(-500)) == 1 and bot.stats["rate_limited"] == 0

    run(default_index, scenario)


def test_chat_outside_the_allow_list_is_told_once(default_index: Index, tmp_path: Path) -> None:
    """60 messages from a chat outside SANAD_TELEGRAM_ALLOWED_CHATS: one reply; the next hour's
    bucket is in the state store, so a restart does not reset it."""
    state = tmp_path / "state.sqlite3"

    async def scenario(server: FakeBotAPI, bot) -> None:
        await flood(server, bot, lambda i: server.push_message("ماذا قال كوبلر؟", chat_id=66))
        sent = server.sent(66)
        assert len(sent) == 1 and "غير متاح" in plain_text(sent[0].params["text"])
        message = server.make_message("سند", chat_id=67)
        await flood(server, bot, lambda i: server.push_callback(message, "forged"), n=20)
        assert len(server.of("answerCallbackQuery")) == 1
        reply = await server.reply_to("/help", chat_id=5)  # the allowed chat is answered as ever
        assert "سند" in plain_text(reply.params["text"])

    async def again(server: FakeBotAPI, bot) -> None:
        await flood(server, bot, lambda i: server.push_message("/help", chat_id=66), n=5)
        assert server.sent(66) == [] and bot.stats["not_allowed"] == 5

    overrides = {"telegram_allowed_chats": [5], "state_url": f"sqlite:///{state}"}
    run(default_index, scenario, **overrides)
    run(default_index, again, **overrides)  # a restart: the hour is not over
    store = SQLiteStore(state)
    assert len(store._run("SELECT user FROM buckets WHERE user < 0")) == 2  # chats 66 and 67, in the store
    asyncio.run(store.close())
