"""The bot follows feeds and alerts readers (bot/telegram/feeds.py, bot/telegram/follows.py), end to end:
a news site on 127.0.0.1 (tests/test_follow.py's), the fake Bot API, a SQLite state file, a saved index."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fakebot import FakeBotAPI
from test_alerts import OTHER, REPORT
from test_follow import Site, page, rss
from test_telegram import TOKEN, button, make_settings, run_bot, shown

from bot.telegram.follows import Quiet, is_quiet, parse_quiet
from bot.telegram.lifecycle import build_application, running, serve
from retrieval.index import Index

pytestmark = [pytest.mark.integration]

ROOT = Path(__file__).resolve().parents[1]
CHAT = 77


@pytest.fixture()
def site():
    s = Site()
    yield s
    s.close()


def _publish(site: Site, path: str, title: str, text: str) -> tuple[str, str, str]:
    site.routes[path] = (200, {"Content-Type": "text/html; charset=utf-8"}, page(title, [text]))
    return path, title, text[:80]


def test_quiet_hours_are_read_and_kept_in_the_chats_time() -> None:
    assert parse_quiet("23-7") == (23, 7) and parse_quiet("٢٣-٧") == (23, 7) and parse_quiet("23:00 - 07:00") == (23, 7)
    assert parse_quiet("7-7") is None and parse_quiet("25-3") is None and parse_quiet("ليلاً") is None
    at = datetime(2026, 12, 4, 21, 30, tzinfo=UTC)  # 23:30 in Libya (UTC+2)
    assert is_quiet(at, Quiet(23, 7, 120)) and not is_quiet(at, Quiet(23, 7, 0)) and not is_quiet(at, None)
    assert is_quiet(at, Quiet(21, 22)) and not is_quiet(at, Quiet(22, 21 + 2, 60 * 3))


def test_a_chat_follows_haftar_and_gets_one_alert_once_even_after_a_restart(
    site: Site, default_articles, tmp_path: Path
) -> None:
    idx = tmp_path / "news"
    Index.build(default_articles, tagger="rules").save(idx)
    site.routes["/rss"] = (200, {}, rss(site, []))
    state = f"sqlite:///{tmp_path / 'state.sqlite3'}"
    options = dict(
        index=idx, feeds=f"{site.base}/rss", feed_every="1s", feeds_allow_private=True, state_url=state,
        actors_backend="rules", index_watch_seconds=60,
    )  # fmt: skip

    def alerts(server: FakeBotAPI) -> list:
        return [c for c in server.sent(CHAT) if "🔔" in c.params["text"]]

    async def reads(server: FakeBotAPI, n: int) -> None:
        """Wait for ``n`` more reads of the feed (each read is followed by a match and a delivery)."""
        before = sum(path == "/rss" for path, _ in site.requests)
        await server.wait_for(lambda: sum(path == "/rss" for path, _ in site.requests) >= before + n, 30)

    async def first_run(server: FakeBotAPI) -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(serve(make_settings(server, **options), Index.load(idx), stop))
        reply = await server.reply_to("/follow حفتر", chat_id=CHAT, timeout=30)
        assert "فاعل" in shown(reply.params["text"]) and "حفتر" in shown(reply.params["text"])
        reply = await server.reply_to("/follow الحرب في الفضاء الخارجي", chat_id=CHAT)
        assert "موضوع" in shown(reply.params["text"])
        listing = await server.reply_to("/following", chat_id=CHAT)
        assert "2 من 20" in shown(listing.params["text"]) and len(listing.params["reply_markup"]["inline_keyboard"]) == 2
        # the site publishes two reports: one names Haftar, one does not
        site.routes["/rss"] = (200, {}, rss(site, [
            _publish(site, "/news/haftar.html", "حفتر يسيطر على ميناء الزويتينة", REPORT),
            _publish(site, "/news/water.html", "محطة تحلية جديدة في زوارة", OTHER),
        ]))  # fmt: skip
        (alert,) = await server.wait_for(lambda: alerts(server), 40)
        text = shown(alert.params["text"])
        assert "حفتر" in text and "الزويتينة" in text and f"{site.base}/news/haftar.html" in alert.params["text"]
        assert any("المقال كاملاً" in b["text"] for b in sum(alert.params["reply_markup"]["inline_keyboard"], []))
        await reads(server, 3)  # more reads, each matched and delivered: no second alert
        assert len(alerts(server)) == 1
        # the answer to a question about it comes from the new report
        answer = await server.reply_to("من سيطر على ميناء الزويتينة؟", chat_id=5)
        assert f"{site.base}/news/haftar.html" in answer.params["text"]
        # /sources names the followed feed, its last read and its newest report, before the articles
        await server.reply_to("/sources", chat_id=5)
        feeds = await server.wait_for(lambda: [c for c in server.sent(5) if "المصادر المتابَعة" in c.params["text"]], 10)
        assert f"{site.base}/rss" in shown(feeds[0].params["text"]) and "آخر قراءة 20" in shown(feeds[0].params["text"])
        # stop following the subject with its button
        listing = await server.reply_to("/following", chat_id=CHAT)
        await server.press(listing.result, button(listing, "الفضاء"), user_id=CHAT)
        stop.set()
        await asyncio.wait_for(task, 30)

    async def after_restart(server: FakeBotAPI) -> None:
        # the same Bot API (update ids go on); a new bot on the same state file
        before = len(alerts(server))
        stop = asyncio.Event()
        task = asyncio.create_task(serve(make_settings(server, **options), Index.load(idx), stop))
        listing = await server.reply_to("/following", chat_id=CHAT, timeout=30)
        assert "1 من 20" in shown(listing.params["text"]) and "حفتر" in shown(listing.params["text"])
        await reads(server, 3)
        assert len(alerts(server)) == before  # sent before the restart: never again
        stop.set()
        await asyncio.wait_for(task, 30)

    async def main() -> None:
        async with FakeBotAPI(TOKEN) as server:
            await first_run(server)
            await after_restart(server)

    asyncio.run(main())


def test_follow_limits_unfollow_and_quiet_hours_in_a_chat(default_index: Index, tmp_path: Path) -> None:
    default_index.save(tmp_path / "news")

    async def scenario(server: FakeBotAPI, bot) -> None:
        menu = next(c.params for c in server.of("setMyCommands") if c.params["scope"] == {"type": "default"})
        assert {"follow", "following", "quiet"} <= {c["command"] for c in menu["commands"]}
        usage = await server.reply_to("/follow", chat_id=CHAT)
        assert "/follow حفتر" in shown(usage.params["text"])
        for k in range(20):
            await server.reply_to(f"/follow موضوع رقم {k} عن النفط", chat_id=CHAT)
        again = await server.reply_to("/follow موضوع رقم 3 عن النفط", chat_id=CHAT)
        assert "من قبل" in shown(again.params["text"])
        full = await server.reply_to("/follow كوبلر", chat_id=CHAT)
        assert "20" in shown(full.params["text"]) and len(full.params["reply_markup"]["inline_keyboard"]) == 20
        gone = await server.reply_to("/unfollow موضوع رقم 3 عن النفط", chat_id=CHAT)
        assert "أوقفتُ" in shown(gone.params["text"])
        added = await server.reply_to("/follow كوبلر", chat_id=CHAT)
        assert "فاعل" in shown(added.params["text"]) and "20 من 20" in shown(added.params["text"])
        # quiet hours: the chat's time is asked once, with buttons
        asked = await server.reply_to("/quiet 23-7", chat_id=CHAT)
        assert "كم الساعة عندك" in shown(asked.params["text"])
        edits = len(server.of("editMessageText"))
        await server.press(asked.result, button(asked, "UTC+2"), user_id=CHAT)
        done = await server.wait_for(lambda: server.of("editMessageText")[edits:], 10)
        assert "UTC+2" in shown(done[0].params["text"]) and "23:00" in shown(done[0].params["text"])
        later = await server.reply_to("/quiet 22-6", chat_id=CHAT)  # the offset is not asked again
        assert "UTC+2" in shown(later.params["text"]) and "22:00" in shown(later.params["text"])
        off = await server.reply_to("/quiet off", chat_id=CHAT)
        assert "ألغيتُ" in shown(off.params["text"])
        bad = await server.reply_to("/quiet ليلاً", chat_id=CHAT)
        assert "/quiet 23-7" in shown(bad.params["text"])

    async def main() -> None:
        async with FakeBotAPI(TOKEN) as server:
            s = make_settings(server, index=tmp_path / "news")
            app, bot = build_application(s, default_index, retry_base_delay=0.05)
            async with running(app, s):
                await asyncio.wait_for(scenario(server, bot), 60)

    asyncio.run(main())


def test_a_bot_whose_articles_never_grow_offers_no_alerts(default_index: Index) -> None:
    async def scenario(server: FakeBotAPI, bot) -> None:
        reply = await server.reply_to("/follow حفتر", chat_id=CHAT)
        assert "لا تنبيهات" in shown(reply.params["text"])
        assert "/follow" not in shown((await server.reply_to("/help", chat_id=CHAT)).params["text"])

    run_bot(default_index, scenario)


def test_the_console_follows_an_actor_and_shows_his_new_report_as_it_arrives(
    site: Site, default_articles, tmp_path: Path
) -> None:
    idx = tmp_path / "news"
    Index.build(default_articles, tagger="rules").save(idx)
    site.routes["/rss"] = (200, {}, rss(site, []))
    env = {k: v for k, v in os.environ.items() if not k.startswith("SANAD_")}
    env.update(
        SANAD_INDEX=str(idx), SANAD_FEEDS=f"{site.base}/rss", SANAD_FEED_EVERY="1s", SANAD_FEEDS_ALLOW_PRIVATE="1",
        SANAD_ACTORS_BACKEND="rules", XDG_STATE_HOME=str(tmp_path), COLUMNS="300",
    )  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "console"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=ROOT)  # fmt: skip
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True).start()

    def wait_for(text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not any(text in line for line in lines):
            assert time.monotonic() < deadline and proc.poll() is None, (text, lines, proc.poll())
            time.sleep(0.1)

    try:
        proc.stdin.write(":follow حفتر\n")
        proc.stdin.flush()
        wait_for("Following حفتر (actor)")
        site.routes["/rss"] = (200, {}, rss(site, [
            _publish(site, "/news/water.html", "محطة تحلية جديدة في زوارة", OTHER),
            _publish(site, "/news/haftar.html", "حفتر يسيطر على ميناء الزويتينة", REPORT),
        ]))  # fmt: skip
        wait_for("A new report naming حفتر")
        wait_for("الزويتينة")
        feed_reads = sum(path == "/rss" for path, _ in site.requests)
        deadline = time.monotonic() + 30  # two more reads, each followed by a match: no second report
        while sum(path == "/rss" for path, _ in site.requests) < feed_reads + 3:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        proc.stdin.write(":quit\n")
        proc.stdin.flush()
        assert proc.wait(30) == 0
    finally:
        proc.kill()
    text = "".join(lines)
    assert text.count("A new report naming") == 1 and "زوارة" not in text.split("A new report naming", 1)[1]
