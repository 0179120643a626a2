"""The Telegram bot end to end, against a fake Bot API server over real HTTP (tests/fakebot.py).

The bot runs with python-telegram-bot's real network stack, pointed at the fake server by
SANAD_TELEGRAM_BASE_URL; the server checks HTML entities, lengths and callback data as
Telegram does, and can answer 429, 500 or slowly.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from fakebot import FakeBotAPI, plain_text

from bot.settings import Settings
from bot.telegram import EXAMPLES, build_application, running, serve
from bot.telegram import render as tg
from bot.telegram.callbacks import Action, Callback, parse, pattern
from bot.telegram.store import LRU, MemoryStore
from retrieval.answer import Answer, Quote, Result, answer
from retrieval.corpus import Article
from retrieval.errors import ConfigError
from retrieval.index import Index

TOKEN = "987654321:AAHtest-secret_0123456789abcdefghijklmno"
SECRET_PART = TOKEN.split(":", 1)[1]
Q_KOBLER = "ماذا قال كوبلر عن الجيش الليبي؟"
Q_MISRATA = "ماذا طلب المجلس البلدي لمصراتة من بعثة الأمم المتحدة؟"
ROOT = Path(__file__).resolve().parents[1]
pytestmark = [pytest.mark.integration, pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")]  # PTB's own RetryAfter
_ISOLATES = str.maketrans("", "", "\u2066\u2067\u2068\u2069")
_ARABIC = re.compile(r"[\u0600-\u06FF]")


def shown(html_text: str) -> str:
    """The text a user sees (tags removed, entities decoded, invisible isolates dropped)."""
    return plain_text(html_text).translate(_ISOLATES)


def starts_arabic(html_text: str) -> bool:
    """The first letter of the message is Arabic (so clients lay it out right to left)."""
    first = next((c for c in shown(html_text) if c.isalpha()), "")
    return bool(_ARABIC.match(first))


def buttons(call) -> list[dict]:
    markup = call.params.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]


def button(call, text_part: str) -> str:
    found = [b["callback_data"] for b in buttons(call) if text_part in b["text"]]
    assert found, f"no button with {text_part!r} in {[b['text'] for b in buttons(call)]}"
    return found[0]


def make_settings(server: FakeBotAPI, **overrides) -> Settings:
    values = {
        "telegram_token": TOKEN,
        "telegram_base_url": server.base_url,
        "telegram_poll_timeout": 1,
        "telegram_timeout": 5,
        "telegram_user_rate": 0,  # no per-user limit unless a test sets one
        "telegram_max_rate": 0,
        "state_url": "memory://",  # tests that restart the bot name a SQLite file
        **overrides,
    }
    return Settings(_env_file=None, **values)


Scenario = Callable[[FakeBotAPI, object], Awaitable[None]]


def run_bot(index: Index, scenario: Scenario, timeout: float = 30, bot_options: dict | None = None, **settings) -> None:
    """Start the fake server and the bot, run ``scenario(server, bot)``, stop both."""

    async def main() -> None:
        async with FakeBotAPI(TOKEN) as server:
            s = make_settings(server, **settings)
            app, bot = build_application(s, index, retry_base_delay=0.05, **(bot_options or {}))
            async with running(app, s):
                await asyncio.wait_for(scenario(server, bot), timeout)
            assert bot.stats["errors"] == 0, bot.stats

    asyncio.run(main())


async def edited(server: FakeBotAPI, message_id: int, before: int) -> object:
    """The first editMessageText of ``message_id`` after the first ``before`` edits."""
    edits = await server.wait_for(
        lambda: [c for c in server.of("editMessageText")[before:] if c.params.get("message_id") == message_id]
    )
    return edits[0]


# ------------------------------------------------------------------------------ answers
def test_question_gets_sourced_reply_in_html(default_index: Index) -> None:
    expected = answer(Q_KOBLER, default_index)
    threads: list[str] = []

    async def scenario(server: FakeBotAPI, bot) -> None:
        compute = bot.sanad.ask

        def spy(*args):
            threads.append(threading.current_thread().name)
            return compute(*args)

        bot.sanad.ask = spy
        reply = await server.reply_to(Q_KOBLER)
        html_text = reply.params["text"]
        assert reply.params["parse_mode"] == "HTML"
        assert tg.length(html_text) <= tg.MAX_CHARS and starts_arabic(html_text)
        text = shown(html_text)
        result = expected.results[0]
        assert result.article.id in text
        for q in result.quotes:
            assert q.text in text  # verbatim
        assert "<b>كوبلر</b>" in html_text and "<b>الجيش</b>" in html_text  # matched words in bold
        assert "مارتن كوبلر (شخص، المبعوث الدولي الخاص إلى ليبيا)" in text  # actor with type and role
        assert "\u20662\u2069" not in html_text and "\u2066<code>002_09255eaf65b40f2d</code>\u2069" in html_text
        labels = [b["text"] for b in buttons(reply)]
        assert "👤 مارتن كوبلر" in labels and "📄 المقال كاملاً" in labels
        assert all(len(b["callback_data"].encode()) <= 64 for b in buttons(reply))
        assert reply.params["link_preview_options"] == {"is_disabled": True}

    run_bot(default_index, scenario)
    assert threads and all(t.startswith("sanad-answer") for t in threads)  # never on the event loop


def test_answer_span_opens_the_reply_and_is_marked_in_its_quote(default_index: Index) -> None:
    """Issue #24 through the real bot: the shipped span model's «أربع نقاط» is the first line and
    bold and underlined inside the verbatim quote; a why-question gets no such line."""

    async def scenario(server: FakeBotAPI, bot) -> None:
        reply = await server.reply_to("كم نقطة أساسية تمحور حولها اجتماع مصراتة؟")
        html_text = reply.params["text"]
        assert html_text.startswith("الجواب: <b>أربع نقاط</b>")
        assert "حول <b><u>أربع نقاط</u></b> <b>أساسية</b>" in html_text  # the span, then a matched word
        assert "وتمحور الاجتماع حول أربع نقاط أساسية هي" in shown(html_text)  # the quote stays verbatim
        why = await server.reply_to("لماذا التقى كوبلر حفتر؟")
        assert "الجواب:" not in why.params["text"] and "<u>" not in why.params["text"]

    run_bot(default_index, scenario)


def test_paging_edits_one_message_in_place(default_index: Index) -> None:
    expected = answer(Q_MISRATA, default_index)
    assert len(expected.results) >= 2
    ids = [r.article.id for r in expected.results]

    async def scenario(server: FakeBotAPI, bot) -> None:
        reply = await server.reply_to(Q_MISRATA)
        message = reply.result
        assert ids[0] in shown(reply.params["text"]) and ids[1] not in shown(reply.params["text"])
        assert not [b for b in buttons(reply) if "السابق" in b["text"]]
        counter = [b for b in buttons(reply) if b["text"] == f"1/{len(ids)}"]
        assert counter

        await server.press(message, button(reply, "التالي"))
        page2 = await edited(server, message["message_id"], 0)
        assert ids[1] in shown(page2.params["text"]) and starts_arabic(page2.params["text"])
        assert f"النتيجة 2 من {len(ids)}" in shown(page2.params["text"])

        await server.press(message, button(page2, "السابق"))
        page1 = await edited(server, message["message_id"], 1)
        assert page1.params["text"] == reply.params["text"]

        n_edits = len(server.of("editMessageText"))
        answered = await server.press(message, counter[0]["callback_data"])  # the page counter: nothing to do
        assert "text" not in answered.params and len(server.of("editMessageText")) == n_edits
        await server.press(message, button(page2, "السابق"))  # page 1 again: "not modified" is no error
        assert len(server.sent()) == 1  # one message, edited in place

    run_bot(default_index, scenario)


def test_actor_button_is_answered_from_the_actor_index_and_back(default_index: Index) -> None:
    async def scenario(server: FakeBotAPI, bot) -> None:
        reply = await server.reply_to(Q_KOBLER)
        message = reply.result
        await server.press(message, button(reply, "مارتن كوبلر"))
        actor_page = await edited(server, message["message_id"], 0)
        html_text = actor_page.params["text"]
        text = shown(html_text)
        assert text.startswith("مارتن كوبلر (شخص)") and "الصفة: المبعوث الدولي الخاص إلى ليبيا" in text
        assert "<b>كوبلر</b>" in html_text or "<b>مارتن كوبلر</b>" in html_text  # the mention in bold
        assert "ورأى كوبلر أن الوضع الإنساني ليس جيدا أبدا في ليبيا" in text  # a sentence the question did not quote
        assert "002_09255eaf65b40f2d" in text  # the article of each sentence
        assert tg.length(html_text) <= tg.MAX_CHARS and starts_arabic(html_text)
        report = bot.sanad.actor("كوبلر")
        sentences = [s.text for s in report.sentences]
        assert all(s in text for s in sentences[:3])

        await server.press(message, button(actor_page, "رجوع"))
        back = await edited(server, message["message_id"], 1)
        assert back.params["text"] == reply.params["text"]

    run_bot(default_index, scenario)


def test_actor_command(default_index: Index) -> None:
    async def scenario(server: FakeBotAPI, bot) -> None:
        leon = shown((await server.reply_to("/actor ليون")).params["text"])
        assert leon.startswith("برناردينو ليون (شخص)") and "003_" in leon and "004_" in leon
        haftar = shown((await server.reply_to("/actor حفتر")).params["text"])
        assert haftar.startswith("خليفة حفتر (شخص)") and "اللواء المتقاعد" in haftar
        for text, expected in (("/actor", "اكتب اسم الفاعل"), ("/actor ح", "بحرفين على الأقل"),
                               ("/actor زيدان الخرافي", "لا أجد في المقالات فاعلاً")):
            reply = await server.reply_to(text)
            assert expected in shown(reply.params["text"]) and starts_arabic(reply.params["text"]), text

    run_bot(default_index, scenario)


def test_full_article_button_opens_the_article_at_the_quote(default_index: Index, default_articles) -> None:
    async def scenario(server: FakeBotAPI, bot) -> None:
        reply = await server.reply_to(Q_KOBLER)
        message = reply.result
        await server.press(message, button(reply, "المقال كاملاً"))
        page = await edited(server, message["message_id"], 0)
        text = shown(page.params["text"])
        assert text.startswith("المقال:") and "الصفحة 1 من 1" in text
        article = next(a for a in default_articles if a.id.startswith("002"))
        body = text.split("\n\n", 1)[1]
        assert body == article.text.strip()  # the whole article, verbatim
        assert "<b>بينما قال كوبلر إن من المهم جدا" in page.params["text"]  # quoted sentences in bold

    run_bot(default_index, scenario)


def test_long_article_is_paged_and_every_page_fits(default_articles) -> None:
    base = next(a for a in default_articles if a.id.startswith("002"))
    long_text = "\n\n".join([base.text.replace("&", "") + " R&D <b> x" for _ in range(8)])
    article = Article(
        "long_1",
        long_text,
        "مقال طويل جداً",
        source="Al Jazeera & Co",
        date="2016-01-05",
        url="https://example.org/a?b=1&c=2",
    )
    index = Index.build([article])
    pages = tg.article_pages(article)
    assert len(pages) >= 5
    assert all(tg.length(p) <= tg.MAX_CHARS and starts_arabic(p) for p, _, _ in pages)
    assert "".join(long_text[s:e] for _, s, e in pages).replace(" ", "").replace("\n", "") == long_text.replace(
        " ", ""
    ).replace("\n", "")

    async def scenario(server: FakeBotAPI, bot) -> None:
        reply = await server.reply_to("/article long_1")
        message = reply.result
        assert f"الصفحة 1 من {len(pages)}" in shown(reply.params["text"])
        assert '<a href="https://example.org/a?b=1&amp;c=2">' in reply.params["text"]
        call = reply
        for n in range(2, len(pages) + 1):
            await server.press(message, button(call, "التالي"))
            call = await edited(server, message["message_id"], n - 2)
            assert f"الصفحة {n} من {len(pages)}" in shown(call.params["text"])

    run_bot(index, scenario)


# ------------------------------------------------------------------------------ commands
def test_start_and_help_in_arabic_with_examples_that_answer(default_index: Index) -> None:
    for q in EXAMPLES:
        assert answer(q, default_index).answered, q

    async def scenario(server: FakeBotAPI, bot) -> None:
        commands = [c.params for c in server.of("setMyCommands")]
        default = next(p for p in commands if p["scope"] == {"type": "default"})
        assert [c["command"] for c in default["commands"]] == ["start", "help", "sources", "article", "actor"]
        for command in ("/start", "/help"):
            reply = await server.reply_to(command)
            text = shown(reply.params["text"])
            assert starts_arabic(reply.params["text"]) and "سند" in text
            assert all(q in text for q in EXAMPLES)
            assert "/sources" in text and "/article" in text and "/actor" in text
        for q in EXAMPLES:  # the examples really answer through the bot too
            reply = await server.reply_to(q)
            assert "النتيجة 1 من" in shown(reply.params["text"])

    run_bot(default_index, scenario)


def test_sources_lists_articles_and_opens_one(default_index: Index) -> None:
    async def scenario(server: FakeBotAPI, bot) -> None:
        reply = await server.reply_to("/sources")
        text = shown(reply.params["text"])
        assert starts_arabic(reply.params["text"])
        assert all(aid in text for aid in default_index.articles)
        article_buttons = [b for b in buttons(reply) if b["text"].startswith("📄")]
        assert len(article_buttons) == len(default_index.articles)
        await server.press(reply.result, article_buttons[2]["callback_data"])
        page = await edited(server, reply.result["message_id"], 0)
        assert "002_09255eaf65b40f2d" in shown(page.params["text"])
        await server.press(reply.result, button(page, "رجوع"))
        back = await edited(server, reply.result["message_id"], 1)
        assert back.params["text"] == reply.params["text"]

    run_bot(default_index, scenario)


def test_article_command_prefix_paging_and_errors(default_index: Index) -> None:
    async def scenario(server: FakeBotAPI, bot) -> None:
        reply = await server.reply_to("/article 001")  # 3,219 characters: two pages
        assert "001_ae9e9b4a8314f8a4" in shown(reply.params["text"]) and "الصفحة 1 من 2" in shown(reply.params["text"])
        await server.press(reply.result, button(reply, "التالي"))
        page2 = await edited(server, reply.result["message_id"], 0)
        assert "الصفحة 2 من 2" in shown(page2.params["text"])

        reply = await server.reply_to("/article ٠٠٢")  # Eastern Arabic digits work too
        assert "002_09255eaf65b40f2d" in shown(reply.params["text"])
        reply = await server.reply_to("/article")
        assert "/sources" in shown(reply.params["text"]) and starts_arabic(reply.params["text"])
        reply = await server.reply_to("/article <b>&nope")
        text = shown(reply.params["text"])
        assert "لا يوجد مقال" in text and "<b>&nope" in text  # echoed escaped, not as markup

    run_bot(default_index, scenario)


# ------------------------------------------------------------------------------ bad inputs
def test_bad_inputs_get_polite_replies(default_index: Index) -> None:
    async def scenario(server: FakeBotAPI, bot) -> None:
        cases = {
            "<b>&": "أدوات استفهام",  # HTML injection: escaped, and honest about what is missing
            "😀😀😀": "لم أجد في رسالتك كلمات",
            "What did Kobler say about the army?": "اطرح سؤالك بالعربية",
            "ما هي عاصمة اليابان؟": "لم أجد في المقالات المتاحة إجابة",
            "؟؟؟ !!!": "لم أجد في رسالتك كلمات",
        }
        for question, expected in cases.items():
            reply = await server.reply_to(question)
            assert expected in shown(reply.params["text"]), (question, shown(reply.params["text"]))
            assert starts_arabic(reply.params["text"])
        no_answer = await server.reply_to("ما هي عاصمة اليابان؟")
        assert "/sources" in shown(no_answer.params["text"])

        huge = ("ماذا قال كوبلر عن الجيش الليبي " * 400)[:10_000]
        reply = await server.reply_to(huge)
        assert tg.length(reply.params["text"]) <= tg.MAX_CHARS and "قُطع سؤالك" in shown(reply.params["text"])
        reply = await server.reply_to("<b>" * 2000 + "&amp;" * 1000)
        assert starts_arabic(reply.params["text"])

        reply = await server.reply_to("/ask")
        assert "/ask" in shown(reply.params["text"])
        reply = await server.reply_to("/nosuchcommand")
        assert "/help" in shown(reply.params["text"])

    run_bot(default_index, scenario)


def test_answer_pages_always_fit_even_with_huge_quotes() -> None:
    text = ("R&D <b>كلمة</b> & تجربة 2024 " * 400).strip()
    article = Article("x&y", text, "عنوان & <i>" * 30, source="S&P " * 40, date="2016", url="javascript:alert(1)")
    quotes = tuple(
        Quote(text[i * 3000 : i * 3000 + 2900], i * 3000, i * 3000 + 2900, ((0, 3), (10, 14))) for i in range(3)
    )
    from retrieval.actors import Actor

    actors = tuple(Actor(f"فاعل & {i}", "person", 0, 1, "دور <طويل> " * 20) for i in range(20))
    result = Result(article, "x#0", 1.0, 1.0, quotes, actors)
    ans = Answer("q", True, (result,), ("x",), 1.0, ("question cut to its first 1000 characters", "unknown & <note>"))
    page = tg.answer_page(ans, 0, header=["في سياق: <b>س</b>"])
    assert tg.length(page) <= tg.MAX_CHARS and starts_arabic(page)
    assert "javascript:" not in page and "(اختُصرت بعض الجمل" in shown(page)
    plain_text(page)  # valid Telegram HTML


# ------------------------------------------------------------------------------ faults
def test_429_retry_after_does_not_lose_the_reply(default_index: Index) -> None:
    async def scenario(server: FakeBotAPI, bot) -> None:
        server.inject("sendMessage", status=429, retry_after=1)
        t0 = time.monotonic()
        reply = await server.reply_to(Q_KOBLER)
        assert time.monotonic() - t0 >= 1.0  # waited as Telegram asked
        assert [c.status for c in server.calls if c.method == "sendMessage"] == [429, 200]
        assert "كوبلر" in shown(reply.params["text"])

    run_bot(default_index, scenario)


def test_500_and_429_on_edits_are_retried(default_index: Index) -> None:
    async def scenario(server: FakeBotAPI, bot) -> None:
        server.inject("sendMessage", status=500, times=3)
        reply = await server.reply_to(Q_MISRATA)
        assert [c.status for c in server.calls if c.method == "sendMessage"] == [500, 500, 500, 200]
        server.inject("editMessageText", status=500, times=1)
        server.inject("editMessageText", status=429, retry_after=1, times=1)
        await server.press(reply.result, button(reply, "التالي"))
        assert [c.status for c in server.calls if c.method == "editMessageText"] == [500, 429, 200]
        assert len(server.sent()) == 1

    run_bot(default_index, scenario)


def test_slow_server_delays_one_chat_not_the_others(default_index: Index) -> None:
    async def scenario(server: FakeBotAPI, bot) -> None:
        server.inject("sendMessage", delay=1.5, times=1)
        server.push_message(Q_KOBLER, chat_id=1)
        await server.wait_for(lambda: any(c.method == "sendMessage" for c in server.calls))
        fast = await server.reply_to(Q_MISRATA, chat_id=2)
        assert not server.sent(1)  # chat 2 was answered while chat 1's reply was still in flight
        slow = await server.wait_for(lambda: server.sent(1))
        assert slow[0].done_at > fast.done_at and "كوبلر" in shown(slow[0].params["text"])

    run_bot(default_index, scenario)


def test_timeout_is_retried(default_index: Index) -> None:
    async def scenario(server: FakeBotAPI, bot) -> None:
        server.inject("sendMessage", delay=1.2, times=1)  # longer than the 0.5 s timeout
        await server.reply_to(Q_KOBLER, timeout=15)
        await server.settled(bot, bot.stats["updates"], timeout=15)  # the timed-out call answered too
        # A timed-out request may still have reached Telegram: at least one reply, at most two.
        assert 1 <= len(server.sent(1)) <= 2
        assert bot.stats["network_retries"] >= 1

    run_bot(default_index, scenario, telegram_timeout=0.5)


def test_many_chats_at_once_lose_nothing(default_index: Index) -> None:
    async def scenario(server: FakeBotAPI, bot) -> None:
        server.inject("sendMessage", status=500, times=5)
        server.inject("sendMessage", status=429, retry_after=1, times=2)
        questions = [Q_KOBLER, Q_MISRATA, "ما هي عاصمة اليابان؟", "😀", "كم عدد النازحين في ليبيا؟"]
        for chat in range(100, 140):
            server.push_message(questions[chat % len(questions)], chat_id=chat)
        await server.wait_for(lambda: len({c.params["chat_id"] for c in server.sent()}) == 40, timeout=20)
        assert len(server.sent()) == 40

    run_bot(default_index, scenario)


# ------------------------------------------------------------------------------ callbacks
def test_forged_and_stale_callbacks_get_a_polite_answer(default_index: Index) -> None:
    async def scenario(server: FakeBotAPI, bot) -> None:
        first = await server.reply_to(Q_KOBLER)
        second = await server.reply_to(Q_MISRATA)
        third = await server.reply_to("كم عدد النازحين في ليبيا؟")  # view capacity 2: the first is forgotten
        other_chat = await server.reply_to(Q_MISRATA, chat_id=77)
        view_of_other_chat = button(other_chat, "التالي").split(":")[1]
        cases = [
            (first.result, button(first, "مارتن كوبلر")),  # evicted
            (second.result, "garbage"),
            (second.result, "page:zzzz:0:0"),
            (second.result, "page:" + button(second, "التالي").split(":")[1] + ":99:0"),
            (second.result, "actor:" + button(second, "التالي").split(":")[1] + ":0:99"),
            (second.result, f"page:{view_of_other_chat}:1:0"),  # another chat's view
            (second.result, "x" * 64),
            (second.result, "p:1:0:0"),  # the old single-letter data of earlier versions
            (third.result, "page:-1:0:0"),
        ]
        for message, data in cases:
            answered = await server.press(message, data)
            assert answered.params.get("text"), data
            assert starts_arabic(answered.params["text"]) or answered.params["text"].startswith("هذا")
        assert not server.of("editMessageText")
        assert bot.stats["callbacks_forged"] + bot.stats["callbacks_stale"] == len(cases)

    run_bot(default_index, scenario, bot_options={"view_capacity": 2})


# ------------------------------------------------------------------------------ groups
def test_groups_answer_only_when_addressed(default_index: Index) -> None:
    group = -100123

    async def scenario(server: FakeBotAPI, bot) -> None:
        server.push_message(Q_KOBLER, chat_id=group, chat_type="supergroup", user_id=5)
        server.push_message("/ask@other_bot " + Q_KOBLER, chat_id=group, chat_type="supergroup", user_id=5)
        server.push_message("/sticker_of_other_bot", chat_id=group, chat_type="supergroup", user_id=5)
        mention = await server.reply_to(
            f"@sanad_test_bot {Q_MISRATA}", chat_id=group, chat_type="supergroup", user_id=5
        )
        assert len(server.sent(group)) == 1  # the unaddressed messages got no reply
        assert "المجلس البلدي" in shown(mention.params["text"])
        assert mention.params["reply_parameters"]["message_id"] == server.last_message["message_id"]
        assert mention.params["reply_parameters"]["allow_sending_without_reply"] is True

        via_ask = await server.reply_to("/ask " + Q_KOBLER, chat_id=group, chat_type="supergroup", user_id=6)
        assert "كوبلر" in shown(via_ask.params["text"])
        via_ask_at = await server.reply_to(
            f"/ask@sanad_test_bot {Q_KOBLER}", chat_id=group, chat_type="supergroup", user_id=6
        )
        assert "كوبلر" in shown(via_ask_at.params["text"])
        via_reply = await server.reply_to(
            "كم عدد النازحين في ليبيا؟", chat_id=group, chat_type="supergroup", user_id=7, reply_to=mention.result
        )
        assert "نازح" in shown(via_reply.params["text"])
        help_reply = await server.reply_to("/help", chat_id=group, chat_type="supergroup", user_id=7)
        assert "@sanad_test_bot" in shown(help_reply.params["text"]) and "/ask" in shown(help_reply.params["text"])
        server.push_message(None, chat_id=group, chat_type="supergroup", photo=[_photo()])
        server.push_message("/nosuchcommand", chat_id=group, chat_type="supergroup")
        last = await server.reply_to("@sanad_test_bot", chat_id=group, chat_type="supergroup")  # mention, no question
        assert "/ask" in shown(last.params["text"])
        assert len(server.sent(group)) == 6

    run_bot(default_index, scenario)


# ------------------------------------------------------------------------------ follow-ups
def test_follow_up_is_answered_in_the_previous_answers_context(default_index: Index) -> None:
    async def scenario(server: FakeBotAPI, bot) -> None:
        first = await server.reply_to(Q_KOBLER)
        follow = await server.reply_to("وماذا قال أيضاً؟")
        text = shown(follow.params["text"])
        assert text.startswith("في سياق سؤالك السابق عن: مارتن كوبلر")
        assert "ورأى كوبلر أن الوضع الإنساني" in text  # something new about him
        assert "بينما قال كوبلر إن من المهم جدا" not in text  # not what the first answer showed
        assert "بينما قال كوبلر إن من المهم جدا" in shown(first.params["text"])

        await server.press(follow.result, button(follow, "دون سياق"))
        plain = await edited(server, follow.result["message_id"], 0)
        assert "في سياق" not in shown(plain.params["text"])

        other = await server.reply_to("وماذا قال أيضاً؟", chat_id=2)  # another chat has no context
        assert "في سياق" not in shown(other.params["text"])
        named = await server.reply_to("ماذا عن حفتر؟")  # names an actor: a new question, no context
        assert "في سياق" not in shown(named.params["text"])

    run_bot(default_index, scenario)


@pytest.mark.parametrize(("backend", "has_hasi"), [("model", True), ("rules", False)])
def test_bot_and_its_follow_ups_honour_sanad_actors_backend(monkeypatch, backend: str, has_hasi: bool) -> None:
    from test_service import FOLLOW_UP, Q_TALKS, talks_index

    # The backend acts at index time (`sanad index` tags with SANAD_ACTORS_BACKEND); the bot's
    # own tagger only tells whether a follow-up names an actor.
    index = talks_index(backend)
    monkeypatch.setenv("SANAD_ACTORS_BACKEND", backend)

    async def scenario(server: FakeBotAPI, bot) -> None:
        direct = await server.reply_to("ماذا قال عمر الحاسي عن كوبلر؟")
        assert any("عمر الحاسي" in b["text"] for b in buttons(direct)) is has_hasi
        await server.reply_to(Q_TALKS)
        follow = await server.reply_to(FOLLOW_UP)
        assert shown(follow.params["text"]).startswith("في سياق سؤالك السابق عن: مارتن كوبلر")
        assert ("عمر الحاسي (شخص)" in shown(follow.params["text"])) is has_hasi
        assert any("عمر الحاسي" in b["text"] for b in buttons(follow)) is has_hasi

    run_bot(index, scenario)


# ------------------------------------------------------------------------------ robustness
def _photo() -> dict:
    return {"file_id": "p1", "file_unique_id": "u1", "width": 10, "height": 10}


def test_non_text_updates_are_handled_or_ignored(default_index: Index) -> None:
    async def scenario(server: FakeBotAPI, bot) -> None:
        sticker = {"file_id": "s1", "file_unique_id": "u2", "type": "regular", "width": 512, "height": 512,
                   "is_animated": False, "is_video": False}  # fmt: skip
        reply = await server.reply_to(None, sticker=sticker)
        assert "أقرأ الأسئلة النصية فقط" in shown(reply.params["text"])
        reply = await server.reply_to(None, photo=[_photo()], caption="ماذا قال كوبلر؟")
        assert "أقرأ الأسئلة النصية فقط" in shown(reply.params["text"])
        reply = await server.reply_to(None, voice={"file_id": "v1", "file_unique_id": "u3", "duration": 2})
        assert "أقرأ الأسئلة النصية فقط" in shown(reply.params["text"])

        edited_message = server.make_message(Q_KOBLER, chat_id=1, edit_date=int(time.time()))
        server.push_update({"edited_message": edited_message})
        channel = server.make_message(Q_KOBLER, chat_id=-100999, chat_type="channel")
        channel.pop("from")
        server.push_update({"channel_post": channel})
        server.push_update({"my_chat_member": {"bogus": True}})  # an update type the bot does not know
        before = len(server.sent())
        await server.reply_to("/help")
        assert len(server.sent()) == before + 1  # only /help was answered
        assert bot.stats["ignored"] >= 2

    run_bot(default_index, scenario)


def test_per_user_rate_limit_replies_politely_once(default_index: Index) -> None:
    async def scenario(server: FakeBotAPI, bot) -> None:
        before = bot.stats["updates"]
        for _ in range(5):
            server.push_message(Q_KOBLER, chat_id=9)
        await server.settled(bot, before + 5)
        texts = [shown(c.params["text"]) for c in server.sent(9)]
        assert len(texts) == 3 and sum("تمهّل" in t for t in texts) == 1
        reply = await server.reply_to(Q_KOBLER, chat_id=10)  # other users are not affected
        assert "كوبلر" in shown(reply.params["text"])

    run_bot(default_index, scenario, telegram_user_rate=1, telegram_user_burst=2)


def test_allowed_chats(default_index: Index) -> None:
    async def scenario(server: FakeBotAPI, bot) -> None:
        reply = await server.reply_to(Q_KOBLER, chat_id=6)
        assert "غير متاح" in shown(reply.params["text"])
        reply = await server.reply_to(Q_KOBLER, chat_id=5)
        assert "كوبلر" in shown(reply.params["text"])

    run_bot(default_index, scenario, telegram_allowed_chats=[5])


def test_errors_are_logged_with_context_and_the_user_is_told(default_index: Index, caplog) -> None:
    async def scenario(server: FakeBotAPI, bot) -> None:
        def broken(*args):
            raise RuntimeError("boom")

        bot.sanad.ask = broken
        reply = await server.reply_to(Q_KOBLER, chat_id=3)
        assert "حدث خطأ" in shown(reply.params["text"])
        bot.stats["errors"] = 0  # expected here

    with caplog.at_level(logging.ERROR, logger="bot.telegram"):
        run_bot(default_index, scenario)
    record = next(r for r in caplog.records if "error while handling" in r.getMessage())
    assert "chat 3" in record.getMessage() and "RuntimeError: boom" in record.getMessage() and record.exc_info


def test_token_never_appears_in_logs(default_index: Index, caplog) -> None:
    async def scenario(server: FakeBotAPI, bot) -> None:
        server.inject("getUpdates", status=500, times=1)
        server.inject("sendMessage", status=429, retry_after=1, times=1)
        server.inject("sendMessage", status=500, times=1)
        reply = await server.reply_to(Q_KOBLER)
        await server.press(reply.result, "forged")
        await server.reply_to("/sources")

    caplog.set_level(logging.DEBUG)
    run_bot(default_index, scenario)
    assert caplog.records
    everything = caplog.text + "".join(str(r.args) + str(r.msg) for r in caplog.records)
    assert TOKEN not in everything and SECRET_PART not in everything
    assert "serving 5 articles, 36 passages" in caplog.text


def test_serve_refreshes_a_heartbeat_while_serving(default_index: Index, tmp_path: Path) -> None:
    beat = tmp_path / "run" / "heartbeat.json"

    async def main() -> None:
        async with FakeBotAPI(TOKEN) as server:
            s = make_settings(server, heartbeat_file=beat, heartbeat_interval=0.2)
            stop = asyncio.Event()
            task = asyncio.create_task(serve(s, default_index, stop))
            await server.wait_for(lambda: beat.exists() or task.done(), 20)
            assert json.loads(beat.read_text())["mode"] == "polling"
            stop.set()
            await asyncio.wait_for(task, 20)
        assert not beat.exists()  # a clean stop removes it

    asyncio.run(main())


# ------------------------------------------------------------------------------ the command
def _sanad(env: dict[str, str], *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("SANAD_")}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "telegram", *args],
        capture_output=True, text=True, env=full_env, timeout=timeout, cwd=ROOT,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("token", "message"),
    [(None, "SANAD_TELEGRAM_TOKEN is not set"), ("12345:tooshort", "malformed"),
     ("not a token at all " + SECRET_PART, "malformed")],
)  # fmt: skip
def test_cli_missing_or_malformed_token(token: str | None, message: str) -> None:
    out = _sanad({} if token is None else {"SANAD_TELEGRAM_TOKEN": token})
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in out.stderr
    assert SECRET_PART not in out.stderr + out.stdout and (not token or token not in out.stderr)


class _ServerThread:
    """The fake server on its own event loop in a thread (the bot runs as a separate process)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.server = FakeBotAPI(TOKEN)
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> _ServerThread:
        self.thread.start()
        self.do(self.server.start())
        return self

    def do(self, coro, timeout: float = 30):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def push(self, text: str, chat_id: int = 1) -> None:
        async def push() -> None:
            self.server.push_message(text, chat_id)

        self.do(push())

    def __exit__(self, *exc: object) -> None:
        self.do(self.server.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


def test_rejected_token_is_one_clear_error_without_the_token(default_index: Index, caplog) -> None:
    async def main() -> str:
        async with FakeBotAPI("111111:" + "B" * 35) as server:  # knows another token: answers 401
            s = make_settings(server)
            app, _ = build_application(s, default_index)
            with pytest.raises(ConfigError) as e:
                async with running(app, s):
                    pass
            return str(e.value)

    caplog.set_level(logging.DEBUG)
    message = asyncio.run(main())
    assert "SANAD_TELEGRAM_TOKEN was rejected" in message and "\n" not in message
    assert SECRET_PART not in message and SECRET_PART not in caplog.text  # PTB's own error names the token


def test_cli_serves_a_question_then_stops_on_sigint() -> None:
    with _ServerThread() as st:
        env = {k: v for k, v in os.environ.items() if not k.startswith("SANAD_")}
        env.update(
            SANAD_TELEGRAM_TOKEN=TOKEN,
            SANAD_TELEGRAM_BASE_URL=st.server.base_url,
            SANAD_TELEGRAM_POLL_TIMEOUT="1",
            SANAD_LOG_LEVEL="INFO",
        )
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "telegram"], env=env, cwd=ROOT,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            st.do(
                st.server.wait_for(lambda: st.server.of("setMyCommands") and st.server.of("getUpdates"), timeout=60), 65
            )
            st.push(Q_KOBLER)
            sent = st.do(st.server.wait_for(lambda: st.server.sent(1), timeout=20), 25)
            assert "كوبلر" in shown(sent[0].params["text"])
            proc.send_signal(signal.SIGINT)
            _, stderr = proc.communicate(timeout=20)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert proc.returncode == 0, stderr
    assert "serving 5 articles, 36 passages" in stderr and "polling" in stderr
    assert TOKEN not in stderr and SECRET_PART not in stderr


def test_webhook_mode_retries_set_webhook_and_checks_the_secret(default_index: Index) -> None:
    pytest.importorskip("tornado", reason="webhook mode needs python-telegram-bot[webhooks]")

    import socket
    import urllib.error
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]

    async def main() -> None:
        async with FakeBotAPI(TOKEN) as server:
            s = make_settings(
                server,
                telegram_webhook_url=f"http://127.0.0.1:{port}/sanad/hook",
                telegram_listen="127.0.0.1",
                telegram_port=port,
                telegram_webhook_secret="s3cret-value",
            )
            app, bot = build_application(s, default_index, retry_base_delay=0.05)
            server.inject("setWebhook", status=429, retry_after=1)  # a flood limit at start: waited out, retried
            server.inject("setWebhook", status=502)  # then a network error: retried
            async with running(app, s):
                assert len(server.of("setWebhook", ok=False)) == 2
                hook = server.of("setWebhook")[0].params
                assert hook["url"] == f"http://127.0.0.1:{port}/sanad/hook" and hook["secret_token"] == "s3cret-value"
                message = server.make_message(Q_KOBLER, chat_id=1)

                def post(secret: str) -> int:
                    body = json.dumps({"update_id": 1, "message": message}).encode()
                    req = urllib.request.Request(
                        f"http://127.0.0.1:{port}/sanad/hook", body,
                        {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": secret},
                    )  # fmt: skip
                    try:
                        with urllib.request.urlopen(req, timeout=5) as r:
                            return r.status
                    except urllib.error.HTTPError as e:
                        return e.code

                assert await asyncio.to_thread(post, "wrong") == 403
                assert await asyncio.to_thread(post, "s3cret-value") == 200
                sent = await server.wait_for(lambda: server.sent(1))
                assert "كوبلر" in shown(sent[0].params["text"])

    asyncio.run(main())


# ------------------------------------------------------------------------------ state and rendering
def test_callback_data_round_trip_and_limits() -> None:
    for action in Action:
        cb = Callback(action, "zzzzzzzzzzzzzzzz", 999999, 9999) if action is not Action.NOOP else Callback(action)
        data = cb.encode()
        assert len(data.encode()) <= 64 and parse(data) == cb and pattern(action).match(data), data
        assert not any(pattern(other).match(data) for other in Action if other is not action), data
    assert Callback(Action.ACTOR, "1a", 0, 3).encode() == "actor:1a:0:3"
    for bad in (None, "", "n", "q:1:0:0", "page:1:0", "page:1:0:0:0", "page:A:0:0", "page:1:-1:0", "page:1:0:0\n",
                "p:1:0:0", "noop:1:0:0", "x" * 100):
        assert parse(bad) is None, bad


def test_lru_and_rate_limiter_are_bounded() -> None:
    lru: LRU[int, int] = LRU(3)
    for i in range(10):
        lru.put(i, i)
    assert len(lru) == 3 and lru.get(0) is None and lru.get(9) == 9
    now = [0.0]
    store = MemoryStore(user_capacity=2, clock=lambda: now[0])

    def allow(user: int) -> tuple[bool, bool]:
        take = asyncio.run(store.take(user, per_minute=60, burst=2))
        return take.allowed, take.notify

    assert allow(1) == (True, False) and allow(1) == (True, False)
    assert allow(1) == (False, True) and allow(1) == (False, False)  # one notice per run
    now[0] = 1.0
    assert allow(1) == (True, False)
    for user in range(2, 10):
        allow(user)
    assert len(store._buckets) == 2


def test_isolation_of_latin_runs_and_digits() -> None:
    out = tg.escape("قال Martin Kobler إن 17 مقاتلا قتلوا في 2014-10-05 بنسبة 50% <b>&")
    assert "\u2066Martin Kobler\u2069" in out and "\u206617\u2069" in out and "\u20662014-10-05\u2069" in out
    assert "\u206650%\u2069" in out and "&lt;\u2066b\u2069&gt;&amp;" in out
    assert shown(out) == "قال Martin Kobler إن 17 مقاتلا قتلوا في 2014-10-05 بنسبة 50% <b>&"
